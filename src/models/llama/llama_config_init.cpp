// LlamaConfig.__init__ (4.51) fills what was given as None from the other sizes, and copies a
// legacy rope_scaling "type" to "rope_type"; to_dict and save_pretrained then write those values.
#include "../config_init.hpp"

namespace transformers::models_detail {

namespace {
// Python's // on ints (floors toward negative infinity; C++ truncates toward zero).
int64_t floor_div(int64_t a, int64_t b) {
  const int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}
bool absent(const json& data, const char* key) { return !data.contains(key) || data[key].is_null(); }
}  // namespace

void llama_derive_attributes(PretrainedConfig& c) {
  json& d = c.raw();
  if (absent(d, "num_key_value_heads")) d["num_key_value_heads"] = c.raw_at("num_attention_heads");
  if (absent(d, "head_dim")) {
    const int64_t heads = c.get<int64_t>("num_attention_heads");
    if (heads == 0)
      throw ValueError("LlamaConfig: num_attention_heads is 0, so head_dim = hidden_size // num_attention_heads "
                       "cannot be derived (expected a positive num_attention_heads or an explicit head_dim)");
    d["head_dim"] = floor_div(c.get<int64_t>("hidden_size"), heads);
  }
  auto rs = d.find("rope_scaling");
  if (rs != d.end() && rs->is_object() && rs->contains("type")) (*rs)["rope_type"] = (*rs)["type"];
}

}  // namespace transformers::models_detail
