#pragma once
// DeBERTa-v2 (and v3, the same model type) as transformers 4.51 modeling_deberta_v2.py defines it,
// with Python's names (deberta.embeddings, encoder.layer.0.attention.self.query_proj, pos_key_proj,
// encoder.rel_embeddings, encoder.LayerNorm, encoder.conv, cls.predictions / lm_predictions.lm_head,
// pooler.dense). What 4.51 copies from BERT (DebertaV2SelfOutput, DebertaV2Intermediate,
// DebertaV2Output, the legacy MLM head) is BERT's modules under DeBERTa's names. Own here: the
// embeddings (optional position / token type embeddings, embed_proj, masked output), the
// disentangled attention (content->position "c2p" and position->content "p2c" terms over relative
// positions, log buckets `position_buckets`, `share_att_key`), the encoder's relative embeddings
// (`norm_rel_ebd` LayerNorm) and ConvLayer (conv_kernel_size, groups 1), and the ContextPooler.
// Eager attention only (4.51 has no sdpa for it). Not supported: embedding_size != hidden_size with
// the legacy MLM head, conv_groups > 1 (UnsupportedError at construction); head pruning (4.51 raises
// NotImplementedError too).
#include <memory>
#include <string>
#include <vector>

#include "transformers/modeling/gradient_checkpointing.hpp"
#include "transformers/modeling/modeling_utils.hpp"
#include "transformers/models/bert/modeling_bert.hpp"
#include "transformers/models/deberta_v2/configuration_deberta_v2.hpp"

namespace transformers {

// Registers DebertaV2Config (defaults of configuration_deberta_v2.py) and the DebertaV2 model classes.
void register_deberta_v2();

// make_log_bucket_position for one relative position (query - key), as 4.51 computes it in float32:
// |r| below bucket_size / 2 stays, farther ones are log-spaced up to max_position.
int64_t deberta_log_bucket_position(int64_t relative_position, int64_t bucket_size, int64_t max_position);

// build_relative_position: [q, k] int64 of (i - j), log-bucketed when bucket_size and max_position are positive.
Tensor deberta_build_relative_position(int64_t query_size, int64_t key_size, int64_t bucket_size, int64_t max_position);

class DebertaV2Embeddings : public nn::Module {
 public:
  explicit DebertaV2Embeddings(const DebertaV2ConfigView& config);
  // mask: the 2-D attention mask (multiplies the normalised embeddings).
  Tensor forward(const Tensor& input_ids, const Tensor& token_type_ids, const Tensor& position_ids, const Tensor& mask,
                 const Tensor& inputs_embeds) const;
  std::string name() const override { return "DebertaV2Embeddings"; }
  std::shared_ptr<nn::Embedding> word_embeddings, position_embeddings, token_type_embeddings;  // last two optional
  std::shared_ptr<nn::Linear> embed_proj;                                                       // optional
  std::shared_ptr<nn::LayerNorm> LayerNorm;
  double hidden_dropout_prob;
  Tensor position_ids;  // buffer [1, max_position_embeddings] (non-persistent)
};

class DisentangledSelfAttention : public nn::Module {
 public:
  explicit DisentangledSelfAttention(const DebertaV2ConfigView& config);
  // mask: bool [b, 1, s, s] (true = attend); relative_pos [s, s]; rel_embeddings [2 * span, hidden] or
  // undefined. Returns (context [b, s, all_head_size], probabilities or undefined).
  std::pair<Tensor, Tensor> forward(const Tensor& hidden_states, const Tensor& mask, bool output_attentions,
                                    const Tensor& relative_pos, const Tensor& rel_embeddings) const;
  std::string name() const override { return "DisentangledSelfAttention"; }
  std::shared_ptr<nn::Linear> query_proj, key_proj, value_proj;
  std::shared_ptr<nn::Linear> pos_key_proj, pos_query_proj;  // without share_att_key, per pos_att_type
  int64_t num_attention_heads, attention_head_size, all_head_size;
  bool relative_attention, share_att_key, c2p, p2c;
  int64_t pos_ebd_size;
  double hidden_dropout_prob, attention_probs_dropout_prob;

 private:
  Tensor disentangled_attention_bias(const Tensor& q, const Tensor& k, const Tensor& relative_pos,
                                     const Tensor& rel_embeddings, int64_t scale_factor) const;
};

class DebertaV2SelfOutput : public BertSelfOutput {
 public:
  using BertSelfOutput::BertSelfOutput;
  std::string name() const override { return "DebertaV2SelfOutput"; }
};
class DebertaV2Intermediate : public BertIntermediate {
 public:
  using BertIntermediate::BertIntermediate;
  std::string name() const override { return "DebertaV2Intermediate"; }
};
class DebertaV2Output : public BertOutput {
 public:
  using BertOutput::BertOutput;
  std::string name() const override { return "DebertaV2Output"; }
};

class DebertaV2Attention : public nn::Module {
 public:
  explicit DebertaV2Attention(const DebertaV2ConfigView& config);
  std::pair<Tensor, Tensor> forward(const Tensor& hidden_states, const Tensor& mask, bool output_attentions,
                                    const Tensor& relative_pos, const Tensor& rel_embeddings) const;
  std::string name() const override { return "DebertaV2Attention"; }
  std::shared_ptr<DisentangledSelfAttention> self;
  std::shared_ptr<DebertaV2SelfOutput> output;
};

class DebertaV2Layer : public nn::Module {
 public:
  explicit DebertaV2Layer(const DebertaV2ConfigView& config);
  std::pair<Tensor, Tensor> forward(const Tensor& hidden_states, const Tensor& mask, bool output_attentions,
                                    const Tensor& relative_pos, const Tensor& rel_embeddings) const;
  std::string name() const override { return "DebertaV2Layer"; }
  std::shared_ptr<DebertaV2Attention> attention;
  std::shared_ptr<DebertaV2Intermediate> intermediate;
  std::shared_ptr<DebertaV2Output> output;
};

// torch.nn.Conv1d(hidden, hidden, kernel, padding=(kernel - 1) // 2) over [b, s, hidden] (groups 1).
class DebertaV2Conv1d : public nn::Module {
 public:
  DebertaV2Conv1d(int64_t channels, int64_t kernel_size);
  Tensor forward(const Tensor& x) const;  // x [b, s, c] -> [b, s, c]
  std::string name() const override { return "Conv1d"; }
  Tensor weight;  // [out, in, kernel]
  Tensor bias;    // [out]
};

class ConvLayer : public nn::Module {
 public:
  explicit ConvLayer(const DebertaV2ConfigView& config);
  // LayerNorm(residual + act(conv(hidden) with padded rows zeroed)) * mask.
  Tensor forward(const Tensor& hidden_states, const Tensor& residual_states, const Tensor& input_mask) const;
  std::string name() const override { return "ConvLayer"; }
  std::shared_ptr<DebertaV2Conv1d> conv;
  std::shared_ptr<nn::LayerNorm> LayerNorm;
  std::string conv_act;
  double hidden_dropout_prob;
};

class DebertaV2Encoder : public nn::Module, public GradientCheckpointingLayers {
 public:
  explicit DebertaV2Encoder(const DebertaV2ConfigView& config);
  // get_rel_embedding: rel_embeddings.weight (LayerNorm'ed with norm_rel_ebd "layer_norm"), or undefined.
  Tensor get_rel_embedding() const;
  // input_mask: the 2-D attention mask [b, s] (float).
  ModelOutput forward(const Tensor& hidden_states, const Tensor& input_mask, bool output_attentions,
                      bool output_hidden_states) const;
  std::string name() const override { return "DebertaV2Encoder"; }
  std::shared_ptr<nn::ModuleList<DebertaV2Layer>> layer;
  std::shared_ptr<nn::Embedding> rel_embeddings;  // with relative_attention
  std::shared_ptr<nn::LayerNorm> LayerNorm;       // with norm_rel_ebd "layer_norm"
  std::shared_ptr<ConvLayer> conv;                // with conv_kernel_size > 0
  bool relative_attention;
  int64_t max_relative_positions, position_buckets;
};

class DebertaV2PreTrainedModel : public PreTrainedModel {
 public:
  DebertaV2PreTrainedModel(std::shared_ptr<PretrainedConfig> config, const std::string& class_name);
  std::string base_model_prefix() const override { return "deberta"; }
  void init_weights(nn::Module& module) override;
  const DebertaV2ConfigView config_view;
};

class DebertaV2Model : public DebertaV2PreTrainedModel {
 public:
  explicit DebertaV2Model(std::shared_ptr<PretrainedConfig> config);
  ModelOutput forward(const ModelInputs& inputs) override;  // last_hidden_state (+ hidden_states, attentions)
  std::string name() const override { return "DebertaV2Model"; }
  nn::Module* get_input_embeddings() override { return embeddings->word_embeddings.get(); }
  std::shared_ptr<DebertaV2Embeddings> embeddings;
  std::shared_ptr<DebertaV2Encoder> encoder;
};

// What every DebertaV2*For* class shares: `deberta` and the delegation to it.
class DebertaV2HeadModel : public DebertaV2PreTrainedModel {
 public:
  DebertaV2HeadModel(std::shared_ptr<PretrainedConfig> config, const std::string& class_name);
  nn::Module* base_model() override { return deberta.get(); }
  nn::Module* get_input_embeddings() override { return deberta->get_input_embeddings(); }
  std::shared_ptr<DebertaV2Model> deberta;
};

// legacy=True: cls.predictions.{transform.{dense, LayerNorm}, decoder, bias}, BERT's MLM head.
class LegacyDebertaV2OnlyMLMHead : public BertOnlyMLMHead {
 public:
  using BertOnlyMLMHead::BertOnlyMLMHead;
  std::string name() const override { return "LegacyDebertaV2OnlyMLMHead"; }
};

// legacy=False: lm_head.{dense, LayerNorm, bias}; logits = LayerNorm(act(dense(h))) @ word_embeddings^T + bias.
class DebertaV2LMPredictionHead : public nn::Module {
 public:
  explicit DebertaV2LMPredictionHead(const DebertaV2ConfigView& config);
  Tensor forward(const Tensor& hidden_states, const Tensor& word_embeddings) const;
  std::string name() const override { return "DebertaV2LMPredictionHead"; }
  std::shared_ptr<nn::Linear> dense;
  std::shared_ptr<nn::LayerNorm> LayerNorm;
  Tensor bias;
  std::string transform_act_fn;
};

class DebertaV2OnlyMLMHead : public nn::Module {
 public:
  explicit DebertaV2OnlyMLMHead(const DebertaV2ConfigView& config);
  std::string name() const override { return "DebertaV2OnlyMLMHead"; }
  std::shared_ptr<DebertaV2LMPredictionHead> lm_head;
};

class DebertaV2ForMaskedLM : public DebertaV2HeadModel {
 public:
  explicit DebertaV2ForMaskedLM(std::shared_ptr<PretrainedConfig> config);
  ModelOutput forward(const ModelInputs& inputs) override;
  std::string name() const override { return "DebertaV2ForMaskedLM"; }
  std::vector<std::string> tied_weights_keys() const override;
  nn::Module* get_output_embeddings() override;
  std::shared_ptr<LegacyDebertaV2OnlyMLMHead> cls;        // legacy
  std::shared_ptr<DebertaV2OnlyMLMHead> lm_predictions;  // not legacy
};

// dense(dropout(h[:, 0])) then pooler_hidden_act.
class ContextPooler : public nn::Module {
 public:
  explicit ContextPooler(const DebertaV2ConfigView& config);
  Tensor forward(const Tensor& hidden_states) const;
  std::string name() const override { return "ContextPooler"; }
  std::shared_ptr<nn::Linear> dense;
  std::string pooler_hidden_act;
  double pooler_dropout;
};

// DebertaV2ForSequenceClassification's loss: with config.problem_type set, the common one
// (ForSequenceClassificationLoss); unset (4.51 leaves it unset here), its own: num_labels 1: MSE
// (float labels); labels [batch]: cross-entropy over the rows labelled >= 0 (0 when none is; a
// [batch, 1] column only when none is, as 4.51's gather fails on it otherwise); label distributions [batch, num_labels]: -(log_softmax(logits) * labels).sum(-1).mean().
Tensor deberta_v2_sequence_classification_loss(const Tensor& labels, const Tensor& logits, PretrainedConfig& config);

class DebertaV2ForSequenceClassification : public DebertaV2HeadModel {
 public:
  explicit DebertaV2ForSequenceClassification(std::shared_ptr<PretrainedConfig> config);
  ModelOutput forward(const ModelInputs& inputs) override;  // classifier(pooler(h))
  std::string name() const override { return "DebertaV2ForSequenceClassification"; }
  std::shared_ptr<ContextPooler> pooler;
  std::shared_ptr<nn::Linear> classifier;
};

class DebertaV2ForTokenClassification : public DebertaV2HeadModel {
 public:
  explicit DebertaV2ForTokenClassification(std::shared_ptr<PretrainedConfig> config);
  ModelOutput forward(const ModelInputs& inputs) override;
  std::string name() const override { return "DebertaV2ForTokenClassification"; }
  std::shared_ptr<nn::Linear> classifier;
};

class DebertaV2ForQuestionAnswering : public DebertaV2HeadModel {
 public:
  explicit DebertaV2ForQuestionAnswering(std::shared_ptr<PretrainedConfig> config);
  ModelOutput forward(const ModelInputs& inputs) override;  // start_logits, end_logits
  std::string name() const override { return "DebertaV2ForQuestionAnswering"; }
  std::shared_ptr<nn::Linear> qa_outputs;
};

class DebertaV2ForMultipleChoice : public DebertaV2HeadModel {
 public:
  explicit DebertaV2ForMultipleChoice(std::shared_ptr<PretrainedConfig> config);
  // input_ids [batch, num_choices, seq] -> logits [batch, num_choices] (classifier on the ContextPooler).
  ModelOutput forward(const ModelInputs& inputs) override;
  std::string name() const override { return "DebertaV2ForMultipleChoice"; }
  std::shared_ptr<ContextPooler> pooler;
  std::shared_ptr<nn::Linear> classifier;
};

}  // namespace transformers
