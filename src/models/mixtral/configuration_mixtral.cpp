// Mixtral's view of the shared Llama blocks (see the header for what differs from Mistral).
#include "transformers/models/mixtral/configuration_mixtral.hpp"

#include "transformers/models/mistral/configuration_mistral.hpp"

namespace transformers {

LlamaConfigView mixtral_config_view(const PretrainedConfig& c, const std::string& class_name) {
  LlamaConfigView v = mistral_config_view(c, class_name);
  v.num_local_experts = c.get<int64_t>("num_local_experts");
  v.num_experts_per_tok = c.get<int64_t>("num_experts_per_tok");
  if (v.num_local_experts <= 0 || v.num_experts_per_tok <= 0 || v.num_experts_per_tok > v.num_local_experts)
    throw ValueError("config keys 'num_local_experts' / 'num_experts_per_tok': expected 0 < num_experts_per_tok <= "
                     "num_local_experts, found " + std::to_string(v.num_experts_per_tok) + " and " +
                     std::to_string(v.num_local_experts));
  v.router_jitter_noise = c.get<double>("router_jitter_noise");
  v.router_aux_loss_coef = c.get<double>("router_aux_loss_coef");
  return v;
}

}  // namespace transformers
