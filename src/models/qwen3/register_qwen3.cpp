// Qwen3Config (configuration_qwen3.py, 4.51: Qwen2's defaults with its additions; no attribute_map)
// and the Qwen3 model classes in the registry the Auto classes read.
#include "transformers/models/qwen3/modeling_qwen3.hpp"

#include "../config_init.hpp"

namespace transformers {

void register_qwen3() {
  // Qwen3Config.__init__ is Qwen2Config's plus head_dim (128, not derived) and attention_bias.
  register_config_class({.model_type = "qwen3",
                         .class_name = "Qwen3Config",
                         .defaults = models_detail::defaults_from(models_detail::qwen2_config_defaults(),
                                                                  {{"head_dim", 128}, {"attention_bias", false}}),
                         .base_model_num_parameters = models_detail::qwen3_base_model_num_parameters});

  register_model_class({"qwen3", "Qwen3Model", {"AutoModel"}, [](auto c) { return std::make_shared<Qwen3Model>(c); }});
  register_model_class({"qwen3", "Qwen3ForCausalLM", {"AutoModelForCausalLM"},
                        [](auto c) { return std::make_shared<Qwen3ForCausalLM>(c); }});
  register_model_class({"qwen3", "Qwen3ForSequenceClassification", {"AutoModelForSequenceClassification"},
                        [](auto c) { return std::make_shared<Qwen3ForSequenceClassification>(c); }});
}

}  // namespace transformers
