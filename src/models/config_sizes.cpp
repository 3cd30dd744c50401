// Parameter counts implied by a config, computed without building the model, so from_pretrained
// can refuse sizes a checkpoint cannot back (num_hidden_layers = 100000 on a 78 KB file) before it
// allocates. Each mirrors the module tree of models/<arch>/modeling_<arch>.cpp; tests compare them
// with num_parameters() of the built base models on the fixtures.
#include <cmath>

#include "config_init.hpp"

namespace transformers::models_detail {

namespace {
double size(const PretrainedConfig& c, const std::string& key) { return double(c.get<int64_t>(key)); }
double linear(double in, double out, bool bias) { return in * out + (bias ? out : 0.0); }
}  // namespace

double bert_base_model_num_parameters(const PretrainedConfig& c) {
  const double h = size(c, "hidden_size"), inter = size(c, "intermediate_size");
  const double embeddings =
      (size(c, "vocab_size") + size(c, "max_position_embeddings") + size(c, "type_vocab_size")) * h + 2 * h;
  const double layer = 4 * linear(h, h, true) + 2 * h + linear(h, inter, true) + linear(inter, h, true) + 2 * h;
  const double pooler = linear(h, h, true);
  return embeddings + size(c, "num_hidden_layers") * layer + pooler;
}

double gpt2_base_model_num_parameters(const PretrainedConfig& c) {
  const double h = size(c, "hidden_size");
  const int64_t n_inner = c.get<int64_t>("n_inner", 0);
  const double inner = n_inner > 0 ? double(n_inner) : 4 * h;
  const double layer = 2 * h + linear(h, 3 * h, true) + linear(h, h, true) + 2 * h + linear(h, inner, true) +
                       linear(inner, h, true);
  return (size(c, "vocab_size") + size(c, "max_position_embeddings")) * h + size(c, "num_hidden_layers") * layer +
         2 * h;
}

namespace {
// A Llama-like base model: q/k/v biased per qkv_bias, o_proj per o_bias, the MLP per mlp_bias.
double llama_like(const PretrainedConfig& c, bool qkv_bias, bool o_bias, bool mlp_bias) {
  const double h = size(c, "hidden_size"), inter = size(c, "intermediate_size");
  const double heads = size(c, "num_attention_heads");
  const double kv = c.get<int64_t>("num_key_value_heads", 0) > 0 ? size(c, "num_key_value_heads") : heads;
  const double hd = c.get<int64_t>("head_dim", 0) > 0 ? size(c, "head_dim") : (heads > 0 ? std::floor(h / heads) : 0.0);
  const double attn =
      linear(h, heads * hd, qkv_bias) + 2 * linear(h, kv * hd, qkv_bias) + linear(heads * hd, h, o_bias);
  const double mlp = 2 * linear(h, inter, mlp_bias) + linear(inter, h, mlp_bias);
  return size(c, "vocab_size") * h + size(c, "num_hidden_layers") * (attn + mlp + 2 * h) + h;
}
}  // namespace

double llama_base_model_num_parameters(const PretrainedConfig& c) {
  const bool ab = c.get<bool>("attention_bias", false);
  return llama_like(c, ab, ab, c.get<bool>("mlp_bias", false));
}

double qwen2_base_model_num_parameters(const PretrainedConfig& c) { return llama_like(c, true, false, false); }

double qwen3_base_model_num_parameters(const PretrainedConfig& c) {
  const bool ab = c.get<bool>("attention_bias", false);
  return llama_like(c, ab, ab, false) + size(c, "num_hidden_layers") * 2 * size(c, "head_dim");
}

double gemma2_base_model_num_parameters(const PretrainedConfig& c) {
  return llama_base_model_num_parameters(c) + size(c, "num_hidden_layers") * 2 * size(c, "hidden_size");
}

}  // namespace transformers::models_detail

namespace transformers::models_detail {

double mixtral_base_model_num_parameters(const PretrainedConfig& c) {
  const double h = size(c, "hidden_size"), experts = size(c, "num_local_experts");
  const double mlp = 3 * linear(h, size(c, "intermediate_size"), false);
  // Llama's tree with each MLP replaced by a router gate and num_local_experts expert MLPs.
  return llama_like(c, false, false, false) + size(c, "num_hidden_layers") * ((experts - 1) * mlp + h * experts);
}

}  // namespace transformers::models_detail
