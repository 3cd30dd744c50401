// MPNetConfigView: the MPNetConfig attributes the MPNet modules use, read once per model.
#include "transformers/models/mpnet/configuration_mpnet.hpp"

#include "models/model_utils.hpp"
#include "transformers/modeling/attn_implementation.hpp"

namespace transformers {

MPNetConfigView MPNetConfigView::from_config(const PretrainedConfig& c, const std::string& class_name) {
  MPNetConfigView v;
  // MPNetPreTrainedModel sets no _supports_sdpa: "sdpa" is 4.51's ValueError, the default is eager.
  v.attn_implementation = autoset_attn_implementation(c, class_name, {.sdpa = false});
  v.vocab_size = c.vocab_size();
  v.hidden_size = c.hidden_size();
  v.num_hidden_layers = c.num_hidden_layers();
  v.num_attention_heads = c.num_attention_heads();
  v.intermediate_size = c.get<int64_t>("intermediate_size");
  v.hidden_act = c.get<std::string>("hidden_act");
  v.max_position_embeddings = c.get<int64_t>("max_position_embeddings");
  v.layer_norm_eps = c.get<double>("layer_norm_eps");
  v.initializer_range = c.get<double>("initializer_range", 0.02);
  v.pad_token_id = models_detail::optional_int(c, "pad_token_id");
  v.hidden_dropout_prob = c.get<double>("hidden_dropout_prob", 0.1);
  v.attention_probs_dropout_prob = c.get<double>("attention_probs_dropout_prob", 0.1);
  v.num_labels = c.num_labels();
  v.relative_attention_num_buckets = c.get<int64_t>("relative_attention_num_buckets");
  return v;
}

}  // namespace transformers
