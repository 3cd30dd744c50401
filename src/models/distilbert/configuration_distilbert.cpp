// DistilBertConfigView: the DistilBertConfig attributes the DistilBERT modules use, read once per model.
#include "transformers/models/distilbert/configuration_distilbert.hpp"

#include "models/model_utils.hpp"
#include "transformers/modeling/attn_implementation.hpp"

namespace transformers {

DistilBertConfigView DistilBertConfigView::from_config(const PretrainedConfig& c, const std::string& class_name) {
  DistilBertConfigView v;
  v.attn_implementation = autoset_attn_implementation(c, class_name, {.flash_attention_2 = true, .sdpa = true});
  v.vocab_size = c.vocab_size();
  v.dim = c.get<int64_t>("dim");
  v.n_layers = c.get<int64_t>("n_layers");
  v.n_heads = c.get<int64_t>("n_heads");
  v.hidden_dim = c.get<int64_t>("hidden_dim");
  v.activation = c.get<std::string>("activation");
  v.max_position_embeddings = c.get<int64_t>("max_position_embeddings");
  v.sinusoidal_pos_embds = c.get<bool>("sinusoidal_pos_embds", false);
  v.initializer_range = c.get<double>("initializer_range", 0.02);
  v.pad_token_id = models_detail::optional_int(c, "pad_token_id");
  v.num_labels = c.num_labels();
  v.dropout = c.get<double>("dropout", 0.1);
  v.attention_dropout = c.get<double>("attention_dropout", 0.1);
  v.qa_dropout = c.get<double>("qa_dropout", 0.1);
  v.seq_classif_dropout = c.get<double>("seq_classif_dropout", 0.2);
  return v;
}

}  // namespace transformers
