// Phi3Config (the __init__ defaults of configuration_phi3.py, 4.51; no attribute_map), what its
// __init__ derives and checks, and the Phi-3 model classes in the registry the Auto classes read.
#include <string>
#include "transformers/core/quote.hpp"

#include "../config_init.hpp"
#include "transformers/models/phi3/modeling_phi3.hpp"

namespace transformers {

namespace {
// Phi3Config.__init__: num_key_value_heads None -> num_attention_heads; rope_scaling "type" "su" or
// "yarn" becomes "longrope" (_rope_scaling_adjustment); then _rope_scaling_validation's ValueErrors.
void phi3_derive_attributes(PretrainedConfig& c) {
  json& d = c.raw();
  if (!d.contains("num_key_value_heads") || d["num_key_value_heads"].is_null())
    d["num_key_value_heads"] = c.raw_at("num_attention_heads");
  auto rs = d.find("rope_scaling");
  if (rs == d.end() || rs->is_null()) return;
  if (rs->is_object() && rs->contains("type") && ((*rs)["type"] == "su" || (*rs)["type"] == "yarn"))
    (*rs)["type"] = "longrope";
  if (!rs->is_object() || rs->size() != 3)
    throw ValueError("Phi3Config: `rope_scaling` must be a dictionary with three fields, `type`, `short_factor` and "
                     "`long_factor`, got " + escape_input(rs->dump()));
  const json type = rs->value("type", json());
  if (type != "longrope")
    throw ValueError("Phi3Config: `rope_scaling`'s type field must be one of ['longrope'], got " + escape_input(type.dump()));
  const int64_t heads = c.get<int64_t>("num_attention_heads");
  if (heads <= 0) throw ValueError("Phi3Config: num_attention_heads must be positive, found " + std::to_string(heads));
  const int64_t rotary_ndims =
      int64_t(double(c.get<int64_t>("hidden_size") / heads) * c.get<double>("partial_rotary_factor", 1.0));
  for (const char* key : {"short_factor", "long_factor"}) {
    const json f = rs->value(key, json());
    bool numbers = f.is_array();
    if (numbers)
      for (const json& x : f) numbers = numbers && x.is_number();
    if (!numbers)
      throw ValueError(std::string("Phi3Config: `rope_scaling`'s ") + key + " field must be a list of numbers, got " +
                       escape_input(f.dump()));
    if (int64_t(f.size()) != rotary_ndims / 2)
      throw ValueError(std::string("Phi3Config: `rope_scaling`'s ") + key + " field must have length " +
                       std::to_string(rotary_ndims / 2) + ", got " + std::to_string(f.size()));
  }
}
}  // namespace

void register_phi3() {
  // Phi3Config.__init__ is LlamaConfig's with Phi-3's sizes and token ids, the dropout, partial
  // rotary, long-rope and sliding-window arguments, without pretraining_tp, the bias switches and
  // head_dim. Fused projections hold as many weights as Llama's separate ones (no biases).
  register_config_class({.model_type = "phi3",
                         .class_name = "Phi3Config",
                         .defaults = models_detail::defaults_from(
                             models_detail::llama_config_defaults(),
                             {{"vocab_size", 32064}, {"hidden_size", 3072}, {"intermediate_size", 8192},
                              {"resid_pdrop", 0.0}, {"embd_pdrop", 0.0}, {"max_position_embeddings", 4096},
                              {"original_max_position_embeddings", 4096}, {"rms_norm_eps", 1e-5},
                              {"partial_rotary_factor", 1.0}, {"eos_token_id", 32000}, {"pad_token_id", 32000},
                              {"sliding_window", nullptr}},
                             {"pretraining_tp", "attention_bias", "mlp_bias", "head_dim"}),
                         .derive_attributes = phi3_derive_attributes,
                         .base_model_num_parameters = models_detail::llama_base_model_num_parameters});

  register_model_class({"phi3", "Phi3Model", {"AutoModel"}, [](auto c) { return std::make_shared<Phi3Model>(c); }});
  register_model_class({"phi3", "Phi3ForCausalLM", {"AutoModelForCausalLM"},
                        [](auto c) { return std::make_shared<Phi3ForCausalLM>(c); }});
  register_model_class({"phi3", "Phi3ForSequenceClassification", {"AutoModelForSequenceClassification"},
                        [](auto c) { return std::make_shared<Phi3ForSequenceClassification>(c); }});
}

}  // namespace transformers
