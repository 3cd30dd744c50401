// MPNetConfigView: the MPNetConfig attributes the MPNet modules use, read once per model.
#include "transformers/models/mpnet/configuration_mpnet.hpp"

#include "models/model_utils.hpp"
#include "transformers/modeling/attn_implementation.hpp"

namespace transformers {

MPNetConfigView MPNetConfigView::from_config(const PretrainedConfig& c, const std::string& class_name) {
  MPNetConfigView v;
  // MPNetPreTrainedModel sets no _supports_sdpa: "sdpa" is 4.51's ValueError, the default is eager.
  v.attn_implementation = autoset_attn_implementation(c, class_name, {.sdpa = false});
  v.read_encoder_fields(c, /*has_type_vocab=*/false);  // MPNetConfig has no token types
  v.relative_attention_num_buckets = c.get<int64_t>("relative_attention_num_buckets");
  return v;
}

}  // namespace transformers
