#pragma once
// MPNet as transformers 4.51 modeling_mpnet.py defines it, with Python's names (mpnet.embeddings,
// encoder.layer.0.attention.attn.q, attention.LayerNorm, encoder.relative_attention_bias, lm_head).
// What 4.51 copies from BERT / RoBERTa (intermediate, output, pooler, LM head, classification head)
// is those modules under MPNet's class names. Own here: the embeddings (positions counted from
// padding_idx 1 + 1, no token types), the attention (q/k/v/o, its own LayerNorm) and the encoder's
// relative position bias (T5-style buckets, one table shared by all layers, added to the scores).
// Eager attention only (4.51's MPNet has no sdpa). Supported: head_mask, output_attentions /
// hidden_states, head pruning.
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "transformers/modeling/gradient_checkpointing.hpp"
#include "transformers/modeling/modeling_utils.hpp"
#include "transformers/models/mpnet/configuration_mpnet.hpp"
#include "transformers/models/roberta/modeling_roberta.hpp"

namespace transformers {

// Registers MPNetConfig (defaults of configuration_mpnet.py) and the MPNet model classes.
void register_mpnet();

class MPNetEmbeddings : public nn::Module {
 public:
  explicit MPNetEmbeddings(const MPNetConfigView& config);
  // position ids from input_ids as RoBERTa's (padding_idx 1, whatever config.pad_token_id says),
  // sequential from 2 for inputs_embeds; word + position embeddings, then LayerNorm.
  Tensor forward(const Tensor& input_ids, const Tensor& position_ids, const Tensor& inputs_embeds) const;
  std::string name() const override { return "MPNetEmbeddings"; }
  static constexpr int64_t padding_idx = 1;
  std::shared_ptr<nn::Embedding> word_embeddings, position_embeddings;
  std::shared_ptr<nn::LayerNorm> LayerNorm;
  double hidden_dropout_prob;
  Tensor position_ids;  // buffer [1, max_position_embeddings] (non-persistent)
};

class MPNetSelfAttention : public nn::Module {
 public:
  explicit MPNetSelfAttention(const MPNetConfigView& config);
  // bias_and_mask: the position bias plus the additive padding mask, [b, H, s, s]. Returns (o(context),
  // probabilities or undefined).
  std::pair<Tensor, Tensor> forward(const Tensor& hidden_states, const Tensor& bias_and_mask, const Tensor& head_mask,
                                    bool output_attentions) const;
  std::string name() const override { return "MPNetSelfAttention"; }
  // Keeps the rows `index` of q/k/v and the columns of o (MPNetAttention.prune_heads does the bookkeeping).
  void prune_qkvo(const Tensor& index, int64_t remaining_heads);
  std::shared_ptr<nn::Linear> q, k, v, o;
  int64_t num_attention_heads, attention_head_size, all_head_size;
  double attention_probs_dropout_prob;
};

class MPNetAttention : public nn::Module {
 public:
  explicit MPNetAttention(const MPNetConfigView& config);
  std::pair<Tensor, Tensor> forward(const Tensor& hidden_states, const Tensor& bias_and_mask, const Tensor& head_mask,
                                    bool output_attentions) const;  // LayerNorm(attn + hidden_states)
  std::string name() const override { return "MPNetAttention"; }
  void prune_heads(const std::vector<int64_t>& heads);  // Python's MPNetAttention.prune_heads
  std::shared_ptr<MPNetSelfAttention> attn;
  std::shared_ptr<nn::LayerNorm> LayerNorm;
  double hidden_dropout_prob;
  std::set<int64_t> pruned_heads;
};

// "Copied from transformers.models.bert.modeling_bert.BertIntermediate / BertOutput / BertPooler".
class MPNetIntermediate : public BertIntermediate {
 public:
  using BertIntermediate::BertIntermediate;
  std::string name() const override { return "MPNetIntermediate"; }
};
class MPNetOutput : public BertOutput {
 public:
  using BertOutput::BertOutput;
  std::string name() const override { return "MPNetOutput"; }
};
class MPNetPooler : public BertPooler {
 public:
  using BertPooler::BertPooler;
  std::string name() const override { return "MPNetPooler"; }
};

class MPNetLayer : public nn::Module {
 public:
  explicit MPNetLayer(const MPNetConfigView& config);
  std::pair<Tensor, Tensor> forward(const Tensor& hidden_states, const Tensor& bias_and_mask, const Tensor& head_mask,
                                    bool output_attentions) const;
  std::string name() const override { return "MPNetLayer"; }
  std::shared_ptr<MPNetAttention> attention;
  std::shared_ptr<MPNetIntermediate> intermediate;
  std::shared_ptr<MPNetOutput> output;
};

// MPNetEncoder.relative_position_bucket for one relative position (memory - context), as 4.51
// computes it in float32: 4.51 always calls it with num_buckets 32 and max_distance 128
// (compute_position_bias' default), whatever config.relative_attention_num_buckets says.
int64_t mpnet_relative_position_bucket(int64_t relative_position, int64_t num_buckets = 32,
                                       int64_t max_distance = 128);

class MPNetEncoder : public nn::Module, public GradientCheckpointingLayers {
 public:
  explicit MPNetEncoder(const MPNetConfigView& config);
  // compute_position_bias: relative_attention_bias(bucket(j - i)) as [1, H, s, s].
  Tensor compute_position_bias(int64_t seq) const;
  // ext_mask: the extended additive mask [b, 1, 1, s].
  ModelOutput forward(const Tensor& hidden_states, const Tensor& ext_mask, const Tensor& head_mask_5d,
                      bool output_attentions, bool output_hidden_states) const;
  std::string name() const override { return "MPNetEncoder"; }
  std::shared_ptr<nn::ModuleList<MPNetLayer>> layer;
  std::shared_ptr<nn::Embedding> relative_attention_bias;  // [relative_attention_num_buckets, heads]
  int64_t n_heads;
};

class MPNetPreTrainedModel : public PreTrainedModel {
 public:
  MPNetPreTrainedModel(std::shared_ptr<PretrainedConfig> config, const std::string& class_name);
  std::string base_model_prefix() const override { return "mpnet"; }
  void init_weights(nn::Module& module) override;
  const MPNetConfigView config_view;
};

class MPNetModel : public MPNetPreTrainedModel {
 public:
  explicit MPNetModel(std::shared_ptr<PretrainedConfig> config, bool add_pooling_layer = true);
  ModelOutput forward(const ModelInputs& inputs) override;  // last_hidden_state, pooler_output
  std::string name() const override { return "MPNetModel"; }
  nn::Module* get_input_embeddings() override { return embeddings->word_embeddings.get(); }
  void prune_heads_impl(const std::map<int64_t, std::vector<int64_t>>& heads) override;
  std::shared_ptr<MPNetEmbeddings> embeddings;
  std::shared_ptr<MPNetEncoder> encoder;
  std::shared_ptr<MPNetPooler> pooler;  // null without pooling layer
};

// What every MPNet*For* class shares: `mpnet` and the delegations to it.
class MPNetHeadModel : public MPNetPreTrainedModel {
 public:
  MPNetHeadModel(std::shared_ptr<PretrainedConfig> config, const std::string& class_name, bool add_pooling_layer);
  nn::Module* base_model() override { return mpnet.get(); }
  nn::Module* get_input_embeddings() override { return mpnet->get_input_embeddings(); }
  void prune_heads_impl(const std::map<int64_t, std::vector<int64_t>>& h) override { mpnet->prune_heads_impl(h); }
  std::shared_ptr<MPNetModel> mpnet;
};

// decoder(layer_norm(gelu(dense(x)))), RoBERTa's LM head.
class MPNetLMHead : public RobertaLMHead {
 public:
  using RobertaLMHead::RobertaLMHead;
  std::string name() const override { return "MPNetLMHead"; }
};

// out_proj(tanh(dense(x[:, 0]))), RoBERTa's classification head.
class MPNetClassificationHead : public RobertaClassificationHead {
 public:
  using RobertaClassificationHead::RobertaClassificationHead;
  std::string name() const override { return "MPNetClassificationHead"; }
};

class MPNetForMaskedLM : public MPNetHeadModel {
 public:
  explicit MPNetForMaskedLM(std::shared_ptr<PretrainedConfig> config);
  ModelOutput forward(const ModelInputs& inputs) override;
  std::string name() const override { return "MPNetForMaskedLM"; }
  std::vector<std::string> tied_weights_keys() const override {
    return {"lm_head.decoder.weight", "lm_head.decoder.bias"};
  }
  nn::Module* get_output_embeddings() override { return lm_head->decoder.get(); }
  std::shared_ptr<MPNetLMHead> lm_head;
};

class MPNetForSequenceClassification : public MPNetHeadModel {
 public:
  explicit MPNetForSequenceClassification(std::shared_ptr<PretrainedConfig> config);
  ModelOutput forward(const ModelInputs& inputs) override;
  std::string name() const override { return "MPNetForSequenceClassification"; }
  std::shared_ptr<MPNetClassificationHead> classifier;
};

class MPNetForTokenClassification : public MPNetHeadModel {
 public:
  explicit MPNetForTokenClassification(std::shared_ptr<PretrainedConfig> config);
  ModelOutput forward(const ModelInputs& inputs) override;
  std::string name() const override { return "MPNetForTokenClassification"; }
  std::shared_ptr<nn::Linear> classifier;
};

class MPNetForQuestionAnswering : public MPNetHeadModel {
 public:
  explicit MPNetForQuestionAnswering(std::shared_ptr<PretrainedConfig> config);
  ModelOutput forward(const ModelInputs& inputs) override;  // start_logits, end_logits
  std::string name() const override { return "MPNetForQuestionAnswering"; }
  std::shared_ptr<nn::Linear> qa_outputs;
};

class MPNetForMultipleChoice : public MPNetHeadModel {
 public:
  explicit MPNetForMultipleChoice(std::shared_ptr<PretrainedConfig> config);
  // input_ids [batch, num_choices, seq] -> logits [batch, num_choices] (classifier on the pooler).
  ModelOutput forward(const ModelInputs& inputs) override;
  std::string name() const override { return "MPNetForMultipleChoice"; }
  std::shared_ptr<nn::Linear> classifier;
};

}  // namespace transformers
