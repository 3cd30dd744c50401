// Gemma 2's view of the shared Llama blocks (see the header for what differs from Llama).
#include "transformers/models/gemma2/configuration_gemma2.hpp"

#include <cmath>

#include "models/model_utils.hpp"
#include "transformers/models/gemma/configuration_gemma.hpp"

namespace transformers {

namespace {
// A soft-capping value: nullopt when null; ValueError unless positive (tanh(x / 0) is NaN).
std::optional<double> softcap(const PretrainedConfig& c, const std::string& key) {
  if (!c.has(key) || c.raw_at(key).is_null()) return std::nullopt;
  const double v = c.get<double>(key);
  if (!(v > 0))
    throw ValueError("config key '" + key + "': expected a positive soft-capping value or null, found " +
                     std::to_string(v));
  return v;
}
}  // namespace

LlamaConfigView gemma2_config_view(const PretrainedConfig& c, const std::string& class_name) {
  LlamaConfigView v = gemma_config_view(c, class_name);
  v.hidden_act = c.get<std::string>("hidden_activation");  // Gemma2MLP: ACT2FN[config.hidden_activation]
  v.sandwich_norms = true;
  const double scalar = c.get<double>("query_pre_attn_scalar");
  if (!(scalar > 0))
    throw ValueError("config key 'query_pre_attn_scalar': expected a positive number, found " +
                     std::to_string(scalar));
  v.attention_scaling = std::pow(scalar, -0.5);
  v.attn_logit_softcapping = softcap(c, "attn_logit_softcapping");
  v.final_logit_softcapping = softcap(c, "final_logit_softcapping");
  v.sliding_window = models_detail::sliding_window(c);
  v.sliding_window_pattern = 2;
  return v;
}

}  // namespace transformers
