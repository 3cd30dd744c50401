// LlamaConfig.__init__ (4.51) fills what was given as None from the other sizes, and copies a
// legacy rope_scaling "type" to "rope_type"; to_dict and save_pretrained then write those values.
#include <limits>
#include <string>

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

namespace {
void derive_head_dim(PretrainedConfig& c) {
  json& d = c.raw();
  if (absent(d, "head_dim")) {
    const int64_t heads = c.get<int64_t>("num_attention_heads");
    const int64_t hidden = c.get<int64_t>("hidden_size");
    if (heads == 0 || (heads == -1 && hidden == std::numeric_limits<int64_t>::min()))
      throw ValueError("LlamaConfig: head_dim = hidden_size // num_attention_heads cannot be derived from hidden_size " +
                       std::to_string(hidden) + " and num_attention_heads " + std::to_string(heads) +
                       " (expected a positive num_attention_heads or an explicit head_dim)");
    d["head_dim"] = floor_div(hidden, heads);
  }
}
}  // namespace

void llama_derive_attributes(PretrainedConfig& c) {
  json& d = c.raw();
  // LlamaConfig's num_key_value_heads defaults to None: absent or null -> num_attention_heads
  if (absent(d, "num_key_value_heads")) d["num_key_value_heads"] = c.raw_at("num_attention_heads");
  derive_head_dim(c);
  auto rs = d.find("rope_scaling");
  if (rs != d.end() && rs->is_object() && rs->contains("type")) (*rs)["rope_type"] = (*rs)["type"];
}

// MistralConfig (4.51): num_key_value_heads defaults to 8 and only an explicit None becomes
// num_attention_heads; head_dim None -> hidden_size // num_attention_heads as in Llama.
void mistral_derive_attributes(PretrainedConfig& c) {
  json& d = c.raw();
  auto kv = d.find("num_key_value_heads");
  if (kv != d.end() && kv->is_null()) *kv = c.raw_at("num_attention_heads");
  derive_head_dim(c);
}

}  // namespace transformers::models_detail
