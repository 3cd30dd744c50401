// Olmo2Config (the __init__ defaults of configuration_olmo2.py, 4.51; no attribute_map), what its
// __init__ derives and checks, and the OLMo 2 model classes in the registry the Auto classes read.
#include <string>
#include "transformers/core/quote.hpp"

#include "../config_init.hpp"
#include "transformers/models/olmo2/modeling_olmo2.hpp"

namespace transformers {

namespace {
// Olmo2Config.__init__: num_key_value_heads None -> num_attention_heads, then _rope_scaling_validation
// (a two-field {"type": "linear" | "dynamic", "factor": float > 1}).
void olmo2_derive_attributes(PretrainedConfig& c) {
  json& d = c.raw();
  if (!d.contains("num_key_value_heads") || d["num_key_value_heads"].is_null())
    d["num_key_value_heads"] = c.raw_at("num_attention_heads");
  auto rs = d.find("rope_scaling");
  if (rs == d.end() || rs->is_null()) return;
  if (!rs->is_object() || rs->size() != 2)
    throw ValueError("Olmo2Config: `rope_scaling` must be a dictionary with two fields, `type` and `factor`, got " +
                     escape_input(rs->dump()));
  const json type = rs->value("type", json()), factor = rs->value("factor", json());
  if (type != "linear" && type != "dynamic")
    throw ValueError("Olmo2Config: `rope_scaling`'s type field must be one of ['linear', 'dynamic'], got " + escape_input(type.dump()));
  if (!factor.is_number_float() || factor.get<double>() <= 1.0)
    throw ValueError("Olmo2Config: `rope_scaling`'s factor field must be a float > 1, got " + escape_input(factor.dump()));
}

// Olmo2Model: Llama's tree with q_norm / k_norm over the whole projections; its two norms per layer
// replace Llama's two.
double olmo2_base_model_num_parameters(const PretrainedConfig& c) {
  const double heads = double(c.get<int64_t>("num_attention_heads"));
  const double kv = double(c.get<int64_t>("num_key_value_heads", 0) > 0 ? c.get<int64_t>("num_key_value_heads")
                                                                        : c.get<int64_t>("num_attention_heads"));
  const int64_t head_dim = c.get<int64_t>("head_dim", 0);  // Olmo2Attention: getattr(config, "head_dim", h // heads)
  const double hd = head_dim > 0 ? double(head_dim)
                    : heads > 0  ? double(c.get<int64_t>("hidden_size") / c.get<int64_t>("num_attention_heads"))
                                 : 0.0;
  return models_detail::llama_base_model_num_parameters(c) +
         double(c.get<int64_t>("num_hidden_layers")) * (heads + kv) * hd;
}
}  // namespace

void register_olmo2() {
  // Olmo2Config.__init__ is LlamaConfig's with OLMo 2's vocabulary, token ids and norm epsilon,
  // without pretraining_tp, mlp_bias and head_dim.
  register_config_class({.model_type = "olmo2",
                         .class_name = "Olmo2Config",
                         .defaults = models_detail::defaults_from(
                             models_detail::llama_config_defaults(),
                             {{"vocab_size", 50304}, {"pad_token_id", 1}, {"bos_token_id", nullptr},
                              {"eos_token_id", 50279}, {"rms_norm_eps", 1e-5}},
                             {"pretraining_tp", "mlp_bias", "head_dim"}),
                         .derive_attributes = olmo2_derive_attributes,
                         .base_model_num_parameters = olmo2_base_model_num_parameters});

  register_model_class({"olmo2", "Olmo2Model", {"AutoModel"}, [](auto c) { return std::make_shared<Olmo2Model>(c); }});
  register_model_class({"olmo2", "Olmo2ForCausalLM", {"AutoModelForCausalLM"},
                        [](auto c) { return std::make_shared<Olmo2ForCausalLM>(c); }});
}

}  // namespace transformers
