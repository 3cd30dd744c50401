// BertConfigView: the BertConfig attributes the BERT modules use, read once per model.
#include "transformers/models/bert/configuration_bert.hpp"

#include "models/model_utils.hpp"
#include "transformers/modeling/attn_implementation.hpp"

namespace transformers {

BertConfigView BertConfigView::from_config(const PretrainedConfig& c, const std::string& class_name) {
  BertConfigView v;
  v.attn_implementation = autoset_attn_implementation(c, class_name, {.sdpa = true});
  v.read_encoder_fields(c);
  if (c.has("classifier_dropout") && !c.raw_at("classifier_dropout").is_null())
    v.classifier_dropout = c.get<double>("classifier_dropout");
  v.position_embedding_type = c.get<std::string>("position_embedding_type", "absolute");
  v.is_decoder = c.is_decoder();
  v.add_cross_attention = c.get<bool>("add_cross_attention", false);
  return v;
}

void BertConfigView::read_encoder_fields(const PretrainedConfig& c, bool has_type_vocab) {
  BertConfigView& v = *this;
  v.vocab_size = c.vocab_size();
  v.hidden_size = c.hidden_size();
  v.num_hidden_layers = c.num_hidden_layers();
  v.num_attention_heads = c.num_attention_heads();
  v.intermediate_size = c.get<int64_t>("intermediate_size");
  v.hidden_act = c.get<std::string>("hidden_act");
  v.max_position_embeddings = c.get<int64_t>("max_position_embeddings");
  if (has_type_vocab) v.type_vocab_size = c.get<int64_t>("type_vocab_size");
  v.layer_norm_eps = c.get<double>("layer_norm_eps");
  v.initializer_range = c.get<double>("initializer_range", 0.02);
  v.pad_token_id = models_detail::optional_int(c, "pad_token_id");
  v.hidden_dropout_prob = c.get<double>("hidden_dropout_prob", 0.1);
  v.attention_probs_dropout_prob = c.get<double>("attention_probs_dropout_prob", 0.1);
  v.num_labels = c.num_labels();
}

}  // namespace transformers
