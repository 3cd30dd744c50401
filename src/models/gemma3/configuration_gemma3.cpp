// Gemma 3 text's view of the shared Llama blocks (see the header for what differs from Gemma 2).
#include "transformers/models/gemma3/configuration_gemma3.hpp"

#include "transformers/models/gemma2/configuration_gemma2.hpp"

namespace transformers {

LlamaConfigView gemma3_text_config_view(const PretrainedConfig& c, const std::string& class_name) {
  LlamaConfigView v = gemma2_config_view(c, class_name);
  v.qk_norm = true;
  // 4.51's Gemma3Attention stores attn_logit_softcapping but passes no softcap to either attention
  // function: the scores are never capped (final_logit_softcapping still applies).
  v.attn_logit_softcapping = std::nullopt;
  v.sliding_window_pattern = c.get<int64_t>("sliding_window_pattern");
  if (v.sliding_window_pattern <= 0)
    throw ValueError("config key 'sliding_window_pattern': expected a positive layer period, found " +
                     std::to_string(v.sliding_window_pattern));
  v.rope_local_base_freq = c.get<double>("rope_local_base_freq");
  if (!(*v.rope_local_base_freq > 0))
    throw ValueError("config key 'rope_local_base_freq': expected a positive rope base, found " +
                     std::to_string(*v.rope_local_base_freq));
  return v;
}

}  // namespace transformers
