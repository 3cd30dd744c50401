#pragma once
// DistilBERT, module by module as transformers 4.51 modeling_distilbert.py defines it, with Python's
// names (distilbert.embeddings, transformer.layer.0.attention.q_lin, sa_layer_norm, ffn.lin1,
// output_layer_norm; vocab_transform / vocab_layer_norm / vocab_projector; pre_classifier). The
// generic Python names (Embeddings, Transformer, ...) live in namespace transformers::distilbert.
// No token_type_ids (4.51's forward has no such argument: ValueError here). Supported: learned and
// sinusoidal (sinusoidal_pos_embds) position embeddings, every ACT2FN activation, head_mask,
// output_attentions/hidden_states, "eager" and "sdpa" attention, head pruning.
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "transformers/modeling/gradient_checkpointing.hpp"
#include "transformers/modeling/modeling_utils.hpp"
#include "transformers/models/distilbert/configuration_distilbert.hpp"
#include "transformers/nn/embedding.hpp"
#include "transformers/nn/linear.hpp"
#include "transformers/nn/normalization.hpp"

namespace transformers {

// Registers DistilBertConfig (defaults of configuration_distilbert.py) and the DistilBert model classes.
void register_distilbert();

namespace distilbert {

// _create_sinusoidal_embeddings: [n_pos, dim], even columns sin(pos / 10000^(2(j//2)/dim)), odd
// columns cos of the same angle; computed in float64 as NumPy does, then float32.
Tensor create_sinusoidal_embeddings(int64_t n_pos, int64_t dim);

class Embeddings : public nn::Module {
 public:
  explicit Embeddings(const DistilBertConfigView& config);
  // word (or given) embeddings + position_embeddings(0..seq-1), then LayerNorm, then dropout.
  Tensor forward(const Tensor& input_ids, const Tensor& inputs_embeds) const;
  std::string name() const override { return "Embeddings"; }
  std::shared_ptr<nn::Embedding> word_embeddings, position_embeddings;
  std::shared_ptr<nn::LayerNorm> LayerNorm;
  double dropout;  // config.dropout
  Tensor position_ids;  // buffer [1, max_position_embeddings] (non-persistent)
};

class MultiHeadSelfAttention : public nn::Module {
 public:
  explicit MultiHeadSelfAttention(const DistilBertConfigView& config);
  // mask: additive [b, 1, 1, k] or undefined; head_mask: this layer's. Returns (context, weights).
  std::pair<Tensor, Tensor> forward(const Tensor& x, const Tensor& mask, const Tensor& head_mask,
                                    bool output_attentions) const;
  std::string name() const override { return "MultiHeadSelfAttention"; }
  void prune_heads(const std::vector<int64_t>& heads);

  std::shared_ptr<nn::Linear> q_lin, k_lin, v_lin, out_lin;
  int64_t n_heads;
  int64_t dim;
  int64_t attention_head_size;
  std::set<int64_t> pruned_heads;
  nn::AttentionImplementation attn_implementation;
  double attention_dropout;  // on the probabilities, in train()
};

class FFN : public nn::Module {
 public:
  explicit FFN(const DistilBertConfigView& config);
  Tensor forward(const Tensor& x) const;  // dropout(lin2(activation(lin1(x))))
  std::string name() const override { return "FFN"; }
  std::shared_ptr<nn::Linear> lin1, lin2;
  std::string activation;
  double dropout;  // config.dropout
};

class TransformerBlock : public nn::Module {
 public:
  explicit TransformerBlock(const DistilBertConfigView& config);
  std::pair<Tensor, Tensor> forward(const Tensor& x, const Tensor& mask, const Tensor& head_mask,
                                    bool output_attentions) const;
  std::string name() const override { return "TransformerBlock"; }
  std::shared_ptr<MultiHeadSelfAttention> attention;
  std::shared_ptr<nn::LayerNorm> sa_layer_norm;
  std::shared_ptr<FFN> ffn;
  std::shared_ptr<nn::LayerNorm> output_layer_norm;
};

class Transformer : public nn::Module, public GradientCheckpointingLayers {
 public:
  explicit Transformer(const DistilBertConfigView& config);
  ModelOutput forward(const Tensor& x, const Tensor& mask, const Tensor& head_mask_5d, bool output_attentions,
                      bool output_hidden_states) const;
  std::string name() const override { return "Transformer"; }
  std::shared_ptr<nn::ModuleList<TransformerBlock>> layer;
};

}  // namespace distilbert

// base_model_prefix "distilbert" and _init_weights (sinusoidal position embeddings when configured).
class DistilBertPreTrainedModel : public PreTrainedModel {
 public:
  DistilBertPreTrainedModel(std::shared_ptr<PretrainedConfig> config, const std::string& class_name);
  std::string base_model_prefix() const override { return "distilbert"; }
  void init_weights(nn::Module& module) override;
  const DistilBertConfigView config_view;
};

class DistilBertModel : public DistilBertPreTrainedModel {
 public:
  explicit DistilBertModel(std::shared_ptr<PretrainedConfig> config);
  ModelOutput forward(const ModelInputs& inputs) override;  // last_hidden_state (+ hidden_states, attentions)
  std::string name() const override { return "DistilBertModel"; }
  nn::Module* get_input_embeddings() override { return embeddings->word_embeddings.get(); }
  void prune_heads_impl(const std::map<int64_t, std::vector<int64_t>>& heads) override;
  std::shared_ptr<distilbert::Embeddings> embeddings;
  std::shared_ptr<distilbert::Transformer> transformer;
};

// What every DistilBert*For* class shares: `distilbert` and the delegations to it.
class DistilBertHeadModel : public DistilBertPreTrainedModel {
 public:
  DistilBertHeadModel(std::shared_ptr<PretrainedConfig> config, const std::string& class_name);
  nn::Module* base_model() override { return distilbert.get(); }
  nn::Module* get_input_embeddings() override { return distilbert->get_input_embeddings(); }
  void prune_heads_impl(const std::map<int64_t, std::vector<int64_t>>& h) override { distilbert->prune_heads_impl(h); }
  std::shared_ptr<DistilBertModel> distilbert;
};

class DistilBertForMaskedLM : public DistilBertHeadModel {
 public:
  explicit DistilBertForMaskedLM(std::shared_ptr<PretrainedConfig> config);
  // vocab_projector(vocab_layer_norm(activation(vocab_transform(hidden))))
  ModelOutput forward(const ModelInputs& inputs) override;
  std::string name() const override { return "DistilBertForMaskedLM"; }
  std::vector<std::string> tied_weights_keys() const override { return {"vocab_projector.weight"}; }
  nn::Module* get_output_embeddings() override { return vocab_projector.get(); }
  std::shared_ptr<nn::Linear> vocab_transform;
  std::shared_ptr<nn::LayerNorm> vocab_layer_norm;
  std::shared_ptr<nn::Linear> vocab_projector;
};

class DistilBertForSequenceClassification : public DistilBertHeadModel {
 public:
  explicit DistilBertForSequenceClassification(std::shared_ptr<PretrainedConfig> config);
  ModelOutput forward(const ModelInputs& inputs) override;  // classifier(dropout(relu(pre_classifier(h[:, 0]))))
  std::string name() const override { return "DistilBertForSequenceClassification"; }
  std::shared_ptr<nn::Linear> pre_classifier, classifier;
};

class DistilBertForTokenClassification : public DistilBertHeadModel {
 public:
  explicit DistilBertForTokenClassification(std::shared_ptr<PretrainedConfig> config);
  ModelOutput forward(const ModelInputs& inputs) override;
  std::string name() const override { return "DistilBertForTokenClassification"; }
  std::shared_ptr<nn::Linear> classifier;
};

class DistilBertForQuestionAnswering : public DistilBertHeadModel {
 public:
  // ValueError unless config.num_labels == 2 (4.51 checks it in __init__).
  explicit DistilBertForQuestionAnswering(std::shared_ptr<PretrainedConfig> config);
  ModelOutput forward(const ModelInputs& inputs) override;  // start_logits, end_logits
  std::string name() const override { return "DistilBertForQuestionAnswering"; }
  std::shared_ptr<nn::Linear> qa_outputs;
};

class DistilBertForMultipleChoice : public DistilBertHeadModel {
 public:
  explicit DistilBertForMultipleChoice(std::shared_ptr<PretrainedConfig> config);
  // input_ids [batch, num_choices, seq] -> logits [batch, num_choices].
  ModelOutput forward(const ModelInputs& inputs) override;
  std::string name() const override { return "DistilBertForMultipleChoice"; }
  std::shared_ptr<nn::Linear> pre_classifier, classifier;
};

}  // namespace transformers
