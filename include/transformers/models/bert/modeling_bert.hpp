#pragma once
// BERT, module by module as transformers 4.51 modeling_bert.py defines it. Parameter and module
// names equal Python's, so state_dict() keys equal a checkpoint's ("bert.encoder.layer.0.attention.
// self.query.weight"). Supported: absolute position embeddings, token_type_ids, every ACT2FN
// hidden_act, is_decoder causal masking (with a Cache), head_mask, output_attentions/hidden_states,
// "eager" and "sdpa" attention, head pruning. Not supported (UnsupportedError at construction):
// relative position embeddings, add_cross_attention.
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "transformers/modeling/gradient_checkpointing.hpp"
#include "transformers/modeling/modeling_utils.hpp"
#include "transformers/models/bert/configuration_bert.hpp"
#include "transformers/nn/embedding.hpp"
#include "transformers/nn/linear.hpp"
#include "transformers/nn/normalization.hpp"

namespace transformers {

// Registers BertConfig (defaults of configuration_bert.py) and the Bert model classes.
void register_bert();

class BertEmbeddings : public nn::Module {
 public:
  explicit BertEmbeddings(const BertConfigView& config);
  // Virtual: RoBERTa's embeddings differ only in how they derive position ids.
  virtual Tensor forward(const Tensor& input_ids, const Tensor& token_type_ids, const Tensor& position_ids,
                         const Tensor& inputs_embeds, int64_t past_key_values_length) const;
  std::string name() const override { return "BertEmbeddings"; }

  std::shared_ptr<nn::Embedding> word_embeddings, position_embeddings, token_type_embeddings;
  std::shared_ptr<nn::LayerNorm> LayerNorm;
  double hidden_dropout_prob;
  Tensor position_ids;    // buffer [1, max_position_embeddings] (non-persistent)
  Tensor token_type_ids;  // buffer [1, max_position_embeddings] zeros (non-persistent)
};

class BertSelfAttention : public nn::Module {
 public:
  BertSelfAttention(const BertConfigView& config, int64_t layer_idx);
  // attention_mask: additive [b, 1, q|1, k] (undefined: none); head_mask: this layer's [1, H, 1, 1].
  // Returns (context [b, s, all_head_size], probabilities or undefined).
  std::pair<Tensor, Tensor> forward(const Tensor& hidden_states, const Tensor& attention_mask,
                                    const Tensor& head_mask, bool output_attentions, Cache* cache) const;
  std::string name() const override { return "BertSelfAttention"; }
  // Keeps the rows `index` of query/key/value (BertAttention.prune_heads does the bookkeeping).
  void prune_qkv(const Tensor& index, int64_t remaining_heads);

  std::shared_ptr<nn::Linear> query, key, value;
  int64_t num_attention_heads;  // current count (pruning lowers it)
  int64_t attention_head_size;
  int64_t all_head_size;
  int64_t layer_idx;
  bool is_decoder;
  nn::AttentionImplementation attn_implementation;
  double attention_probs_dropout_prob;
};

class BertSelfOutput : public nn::Module {
 public:
  explicit BertSelfOutput(const BertConfigView& config);
  Tensor forward(const Tensor& hidden_states, const Tensor& input_tensor) const;
  std::string name() const override { return "BertSelfOutput"; }
  void prune_dense_inputs(const Tensor& index);

  std::shared_ptr<nn::Linear> dense;
  std::shared_ptr<nn::LayerNorm> LayerNorm;
  double hidden_dropout_prob;
};

class BertAttention : public nn::Module {
 public:
  BertAttention(const BertConfigView& config, int64_t layer_idx);
  std::pair<Tensor, Tensor> forward(const Tensor& hidden_states, const Tensor& attention_mask, const Tensor& head_mask,
                                    bool output_attentions, Cache* cache) const;
  std::string name() const override { return "BertAttention"; }
  // Python's BertAttention.prune_heads (heads given in original numbering).
  void prune_heads(const std::vector<int64_t>& heads);

  std::shared_ptr<BertSelfAttention> self;
  std::shared_ptr<BertSelfOutput> output;
  std::set<int64_t> pruned_heads;
};

class BertIntermediate : public nn::Module {
 public:
  explicit BertIntermediate(const BertConfigView& config);
  Tensor forward(const Tensor& hidden_states) const;
  std::string name() const override { return "BertIntermediate"; }
  std::shared_ptr<nn::Linear> dense;
  std::string intermediate_act_fn;
};

class BertOutput : public nn::Module {
 public:
  explicit BertOutput(const BertConfigView& config);
  Tensor forward(const Tensor& hidden_states, const Tensor& input_tensor) const;
  std::string name() const override { return "BertOutput"; }
  std::shared_ptr<nn::Linear> dense;
  std::shared_ptr<nn::LayerNorm> LayerNorm;
  double hidden_dropout_prob;
};

class BertLayer : public nn::Module {
 public:
  BertLayer(const BertConfigView& config, int64_t layer_idx);
  std::pair<Tensor, Tensor> forward(const Tensor& hidden_states, const Tensor& attention_mask, const Tensor& head_mask,
                                    bool output_attentions, Cache* cache) const;
  std::string name() const override { return "BertLayer"; }
  std::shared_ptr<BertAttention> attention;
  std::shared_ptr<BertIntermediate> intermediate;
  std::shared_ptr<BertOutput> output;
};

class BertEncoder : public nn::Module, public GradientCheckpointingLayers {
 public:
  explicit BertEncoder(const BertConfigView& config);
  // Fills out.last_hidden_state, out.hidden_states (when asked), out.attentions (when asked).
  ModelOutput forward(const Tensor& hidden_states, const Tensor& attention_mask, const Tensor& head_mask_5d,
                      bool output_attentions, bool output_hidden_states, Cache* cache) const;
  std::string name() const override { return "BertEncoder"; }
  std::shared_ptr<nn::ModuleList<BertLayer>> layer;
};

class BertPooler : public nn::Module {
 public:
  explicit BertPooler(const BertConfigView& config);
  Tensor forward(const Tensor& hidden_states) const;  // tanh(dense(hidden_states[:, 0]))
  std::string name() const override { return "BertPooler"; }
  std::shared_ptr<nn::Linear> dense;
};

// Shared by every Bert*PreTrainedModel: base_model_prefix "bert" and _init_weights. RoBERTa and
// XLM-RoBERTa (the same encoder, the same _init_weights) pass their own prefix "roberta".
class BertPreTrainedModel : public PreTrainedModel {
 public:
  // Reads the typed view once (and checks attn_implementation for `class_name`, as 4.51's
  // PreTrainedModel.__init__ does).
  BertPreTrainedModel(std::shared_ptr<PretrainedConfig> config, const std::string& class_name,
                      std::string base_model_prefix = "bert");
  std::string base_model_prefix() const override { return base_model_prefix_; }
  void init_weights(nn::Module& module) override;

  const BertConfigView config_view;

 private:
  std::string base_model_prefix_;
};

class BertModel : public BertPreTrainedModel {
 public:
  explicit BertModel(std::shared_ptr<PretrainedConfig> config, bool add_pooling_layer = true);
  ModelOutput forward(const ModelInputs& inputs) override;
  std::string name() const override { return "BertModel"; }
  nn::Module* get_input_embeddings() override { return embeddings->word_embeddings.get(); }
  void prune_heads_impl(const std::map<int64_t, std::vector<int64_t>>& heads) override;

  std::shared_ptr<BertEmbeddings> embeddings;
  std::shared_ptr<BertEncoder> encoder;
  std::shared_ptr<BertPooler> pooler;  // null without pooling layer

 protected:
  // BERT with other embeddings (RoBERTa): the class name 4.51's checks name, the base_model_prefix
  // and the embeddings module; encoder, pooler and forward are BERT's.
  using MakeEmbeddings = std::function<std::shared_ptr<BertEmbeddings>(const BertConfigView&)>;
  BertModel(std::shared_ptr<PretrainedConfig> config, bool add_pooling_layer, const std::string& class_name,
            std::string base_model_prefix, const MakeEmbeddings& make_embeddings);
};

// What every Bert*For* class shares: `bert` (the base model) and the delegations to it.
class BertHeadModel : public BertPreTrainedModel {
 public:
  BertHeadModel(std::shared_ptr<PretrainedConfig> config, const std::string& class_name, bool add_pooling_layer);
  nn::Module* base_model() override { return bert.get(); }
  nn::Module* get_input_embeddings() override { return bert->get_input_embeddings(); }
  void prune_heads_impl(const std::map<int64_t, std::vector<int64_t>>& h) override { bert->prune_heads_impl(h); }
  std::shared_ptr<BertModel> bert;
};

class BertPredictionHeadTransform : public nn::Module {
 public:
  explicit BertPredictionHeadTransform(const BertConfigView& config);
  Tensor forward(const Tensor& hidden_states) const;
  std::string name() const override { return "BertPredictionHeadTransform"; }
  std::shared_ptr<nn::Linear> dense;
  std::string transform_act_fn;
  std::shared_ptr<nn::LayerNorm> LayerNorm;
};

class BertLMPredictionHead : public nn::Module {
 public:
  explicit BertLMPredictionHead(const BertConfigView& config);
  Tensor forward(const Tensor& hidden_states) const;
  std::string name() const override { return "BertLMPredictionHead"; }
  std::shared_ptr<BertPredictionHeadTransform> transform;
  std::shared_ptr<nn::Linear> decoder;  // weight tied to the word embeddings
  // Python's `self.bias`, which *is* decoder.bias (`self.decoder.bias = self.bias`): the parameter
  // "bias" is registered on decoder's bias slot, so the two names can never drift apart (loading,
  // casting or resizing either changes both).
  Tensor& bias() { return decoder->bias; }
  const Tensor& bias() const { return decoder->bias; }
};

class BertOnlyMLMHead : public nn::Module {
 public:
  explicit BertOnlyMLMHead(const BertConfigView& config);
  Tensor forward(const Tensor& sequence_output) const { return predictions->forward(sequence_output); }
  std::string name() const override { return "BertOnlyMLMHead"; }
  std::shared_ptr<BertLMPredictionHead> predictions;
};

class BertForMaskedLM : public BertHeadModel {
 public:
  explicit BertForMaskedLM(std::shared_ptr<PretrainedConfig> config);
  ModelOutput forward(const ModelInputs& inputs) override;
  std::string name() const override { return "BertForMaskedLM"; }
  std::vector<std::string> tied_weights_keys() const override {
    return {"predictions.decoder.bias", "cls.predictions.decoder.weight"};
  }
  nn::Module* get_output_embeddings() override { return cls->predictions->decoder.get(); }

  std::shared_ptr<BertOnlyMLMHead> cls;
};

class BertForSequenceClassification : public BertHeadModel {
 public:
  explicit BertForSequenceClassification(std::shared_ptr<PretrainedConfig> config);
  ModelOutput forward(const ModelInputs& inputs) override;
  std::string name() const override { return "BertForSequenceClassification"; }
  std::shared_ptr<nn::Linear> classifier;
};

class BertForTokenClassification : public BertHeadModel {
 public:
  explicit BertForTokenClassification(std::shared_ptr<PretrainedConfig> config);
  ModelOutput forward(const ModelInputs& inputs) override;
  std::string name() const override { return "BertForTokenClassification"; }
  std::shared_ptr<nn::Linear> classifier;
};

class BertForQuestionAnswering : public BertHeadModel {
 public:
  explicit BertForQuestionAnswering(std::shared_ptr<PretrainedConfig> config);
  ModelOutput forward(const ModelInputs& inputs) override;  // start_logits, end_logits
  std::string name() const override { return "BertForQuestionAnswering"; }
  std::shared_ptr<nn::Linear> qa_outputs;
};

class BertForMultipleChoice : public BertHeadModel {
 public:
  explicit BertForMultipleChoice(std::shared_ptr<PretrainedConfig> config);
  // input_ids [batch, num_choices, seq] -> logits [batch, num_choices] (classifier on the pooler).
  ModelOutput forward(const ModelInputs& inputs) override;
  std::string name() const override { return "BertForMultipleChoice"; }
  std::shared_ptr<nn::Linear> classifier;
};

class BertOnlyNSPHead : public nn::Module {
 public:
  explicit BertOnlyNSPHead(const BertConfigView& config);
  Tensor forward(const Tensor& pooled_output) const { return seq_relationship->forward(pooled_output); }
  std::string name() const override { return "BertOnlyNSPHead"; }
  std::shared_ptr<nn::Linear> seq_relationship;  // hidden -> 2
};

class BertForNextSentencePrediction : public BertHeadModel {
 public:
  explicit BertForNextSentencePrediction(std::shared_ptr<PretrainedConfig> config);
  ModelOutput forward(const ModelInputs& inputs) override;  // logits [batch, 2]
  std::string name() const override { return "BertForNextSentencePrediction"; }
  std::shared_ptr<BertOnlyNSPHead> cls;
};

class BertPreTrainingHeads : public nn::Module {
 public:
  explicit BertPreTrainingHeads(const BertConfigView& config);
  std::string name() const override { return "BertPreTrainingHeads"; }
  std::shared_ptr<BertLMPredictionHead> predictions;
  std::shared_ptr<nn::Linear> seq_relationship;
};

class BertForPreTraining : public BertHeadModel {
 public:
  explicit BertForPreTraining(std::shared_ptr<PretrainedConfig> config);
  ModelOutput forward(const ModelInputs& inputs) override;  // prediction_logits, seq_relationship_logits
  std::string name() const override { return "BertForPreTraining"; }
  std::vector<std::string> tied_weights_keys() const override {
    return {"predictions.decoder.bias", "cls.predictions.decoder.weight"};
  }
  nn::Module* get_output_embeddings() override { return cls->predictions->decoder.get(); }
  std::shared_ptr<BertPreTrainingHeads> cls;
};

}  // namespace transformers
