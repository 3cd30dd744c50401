// Qwen2MoeConfig (configuration_qwen2_moe.py, 4.51: Qwen2's arguments with its sizes and the MoE
// ones; no attribute_map) and the Qwen2-MoE model classes in the registry the Auto classes read.
#include <algorithm>
#include <cmath>

#include "transformers/models/qwen2_moe/modeling_qwen2_moe.hpp"

#include "../config_init.hpp"

namespace transformers {

namespace {

// Qwen2MoeConfig.__init__: sliding_window = sliding_window if use_sliding_window else None;
// mlp_only_layers None -> []; a legacy rope_scaling "type" is copied to "rope_type".
void qwen2_moe_derive_attributes(PretrainedConfig& c) {
  json& d = c.raw();
  if (!c.get<bool>("use_sliding_window")) d["sliding_window"] = nullptr;
  if (c.raw_at("mlp_only_layers").is_null()) d["mlp_only_layers"] = json::array();
  auto rs = d.find("rope_scaling");
  if (rs != d.end() && rs->is_object() && rs->contains("type")) (*rs)["rope_type"] = (*rs)["type"];
}

// Qwen2MoeModel's parameters: Qwen2's attention (q/k/v biased per qkv_bias), and per layer either a
// dense MLP of intermediate_size or a router gate, num_experts experts of moe_intermediate_size, a
// shared expert of shared_expert_intermediate_size and its 1-wide gate.
double qwen2_moe_base_model_num_parameters(const PretrainedConfig& c) {
  auto size = [&](const char* key) { return double(c.get<int64_t>(key)); };
  const double h = size("hidden_size"), heads = size("num_attention_heads"), layers = size("num_hidden_layers");
  const double kv = c.get<int64_t>("num_key_value_heads", 0) > 0 ? size("num_key_value_heads") : heads;
  const double hd = heads > 0 ? std::floor(h / heads) : 0.0;
  const double qkv_bias = c.get<bool>("qkv_bias") ? 1.0 : 0.0;
  const double attn = h * heads * hd + 2 * h * kv * hd + qkv_bias * (heads + 2 * kv) * hd + heads * hd * h;
  const double experts = size("num_experts"), step = size("decoder_sparse_step");
  const json& only = c.raw_at("mlp_only_layers");
  double total = size("vocab_size") * h + h;
  for (int64_t i = 0; i < int64_t(layers); ++i) {
    const bool dense_only = only.is_array() && std::find(only.begin(), only.end(), json(i)) != only.end();
    const bool sparse = !dense_only && experts > 0 && step > 0 && (i + 1) % int64_t(step) == 0;
    const double mlp = sparse ? h * experts + experts * 3 * h * size("moe_intermediate_size") +
                                    3 * h * size("shared_expert_intermediate_size") + h
                              : 3 * h * size("intermediate_size");
    total += attn + mlp + 2 * h;
  }
  return total;
}

}  // namespace

void register_qwen2_moe() {
  register_config_class(
      {.model_type = "qwen2_moe",
       .class_name = "Qwen2MoeConfig",
       .defaults = models_detail::defaults_from(
           models_detail::qwen2_config_defaults(),
           {{"hidden_size", 2048}, {"intermediate_size", 5632}, {"num_hidden_layers", 24},
            {"num_attention_heads", 16}, {"num_key_value_heads", 16}, {"decoder_sparse_step", 1},
            {"moe_intermediate_size", 1408}, {"shared_expert_intermediate_size", 5632}, {"num_experts_per_tok", 4},
            {"num_experts", 60}, {"norm_topk_prob", false}, {"output_router_logits", false},
            {"router_aux_loss_coef", 0.001}, {"mlp_only_layers", nullptr}, {"qkv_bias", true}}),
       .derive_attributes = qwen2_moe_derive_attributes,
       .base_model_num_parameters = qwen2_moe_base_model_num_parameters});

  register_model_class(
      {"qwen2_moe", "Qwen2MoeModel", {"AutoModel"}, [](auto c) { return std::make_shared<Qwen2MoeModel>(c); }});
  register_model_class({"qwen2_moe", "Qwen2MoeForCausalLM", {"AutoModelForCausalLM"},
                        [](auto c) { return std::make_shared<Qwen2MoeForCausalLM>(c); }});
  register_model_class({"qwen2_moe", "Qwen2MoeForSequenceClassification", {"AutoModelForSequenceClassification"},
                        [](auto c) { return std::make_shared<Qwen2MoeForSequenceClassification>(c); }});
}

}  // namespace transformers
