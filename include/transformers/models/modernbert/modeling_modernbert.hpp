#pragma once
// ModernBERT, module by module as transformers 4.51 modeling_modernbert.py defines it, with Python's
// names (model.embeddings.tok_embeddings, model.layers.N.attn.Wqkv / Wo, mlp.Wi / Wo, attn_norm (an
// Identity in layer 0, so no weights), mlp_norm, model.final_norm; head.dense / head.norm, decoder,
// classifier). Rotary attention with global layers (every global_attn_every_n_layers-th, from layer
// 0; rope theta global_rope_theta) and local ones (a window of local_attention / 2 positions each
// side; local_rope_theta), GeGLU MLP (Wi gives input and gate), pre-norm LayerNorms with or without
// bias (norm_bias), the final norm.
//
// Execution: the padded path 4.51 takes without flash-attention ("eager" / "sdpa": additive masks,
// the sliding window as a [b, 1, s, s] mask). 4.51's unpadded (flash-attention) path gives the same
// numbers at real tokens and zeros at padding; padding rows here hold what the padded path computes
// for them, as 4.51 on CPU returns. Not supported (UnsupportedError): rope_scaling, sparse_prediction with
// labels. from_config draws weights from a normal law with
// initializer_range, not 4.51's truncated normal.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "transformers/modeling/modeling_utils.hpp"
#include "transformers/nn/attention.hpp"
#include "transformers/nn/embedding.hpp"
#include "transformers/nn/linear.hpp"
#include "transformers/nn/normalization.hpp"
#include "transformers/nn/rotary_embedding.hpp"

namespace transformers {

// Registers ModernBertConfig (defaults of configuration_modernbert.py) and the model classes.
void register_modernbert();

// The config values the modules read, checked once.
struct ModernBertConfigView {
  int64_t vocab_size, hidden_size, intermediate_size, num_hidden_layers, num_attention_heads, max_position_embeddings;
  int64_t global_attn_every_n_layers, local_attention, num_labels;
  std::optional<int64_t> pad_token_id;
  double norm_eps, global_rope_theta, initializer_range;
  std::optional<double> local_rope_theta;
  bool norm_bias, attention_bias, mlp_bias, decoder_bias, classifier_bias;
  std::string hidden_activation, classifier_activation, classifier_pooling;
  nn::AttentionImplementation attn_implementation;
  static ModernBertConfigView from_config(const PretrainedConfig& c, const std::string& class_name);
};

namespace modernbert {

class Embeddings : public nn::Module {
 public:
  explicit Embeddings(const ModernBertConfigView& c);
  Tensor forward(const Tensor& input_ids, const Tensor& inputs_embeds) const;  // norm(tok_embeddings(ids))
  std::string name() const override { return "ModernBertEmbeddings"; }
  std::shared_ptr<nn::Embedding> tok_embeddings;
  std::shared_ptr<nn::LayerNorm> norm;
};

class MLP : public nn::Module {
 public:
  explicit MLP(const ModernBertConfigView& c);
  Tensor forward(const Tensor& x) const;  // Wo(act(input) * gate), (input, gate) = Wi(x).chunk(2)
  std::string name() const override { return "ModernBertMLP"; }
  std::shared_ptr<nn::Linear> Wi, Wo;
  std::string act;
};

class Attention : public nn::Module {
 public:
  Attention(const ModernBertConfigView& c, int64_t layer_id);
  // mask: the additive [b, 1, q|1, k] mask of this layer's kind (global or sliding window).
  std::pair<Tensor, Tensor> forward(const Tensor& hidden, const Tensor& mask, const Tensor& position_ids,
                                    bool output_attentions) const;
  std::string name() const override { return "ModernBertAttention"; }
  bool is_local() const { return local_window >= 0; }
  std::shared_ptr<nn::Linear> Wqkv, Wo;
  std::shared_ptr<nn::RotaryEmbedding> rotary_emb;
  int64_t num_heads, head_dim, local_window;  // local_window: positions each side, -1 for global
  nn::AttentionImplementation attn_implementation;
};

class EncoderLayer : public nn::Module {
 public:
  EncoderLayer(const ModernBertConfigView& c, int64_t layer_id);
  // h + attn(attn_norm(h)), then + mlp(mlp_norm(.)); returns (hidden, probabilities or undefined).
  std::pair<Tensor, Tensor> forward(const Tensor& h, const Tensor& global_mask, const Tensor& sliding_mask,
                                    const Tensor& position_ids, bool output_attentions) const;
  std::string name() const override { return "ModernBertEncoderLayer"; }
  std::shared_ptr<nn::LayerNorm> attn_norm;  // null in layer 0 (nn.Identity)
  std::shared_ptr<Attention> attn;
  std::shared_ptr<nn::LayerNorm> mlp_norm;
  std::shared_ptr<MLP> mlp;
};

class PredictionHead : public nn::Module {
 public:
  explicit PredictionHead(const ModernBertConfigView& c);
  Tensor forward(const Tensor& x) const;  // norm(act(dense(x)))
  std::string name() const override { return "ModernBertPredictionHead"; }
  std::shared_ptr<nn::Linear> dense;
  std::shared_ptr<nn::LayerNorm> norm;
  std::string act;
};

}  // namespace modernbert

// base_model_prefix "model".
class ModernBertPreTrainedModel : public PreTrainedModel {
 public:
  ModernBertPreTrainedModel(std::shared_ptr<PretrainedConfig> config, const std::string& class_name);
  std::string base_model_prefix() const override { return "model"; }
  void init_weights(nn::Module& module) override;
  const ModernBertConfigView config_view;
};

class ModernBertModel : public ModernBertPreTrainedModel {
 public:
  explicit ModernBertModel(std::shared_ptr<PretrainedConfig> config);
  ModelOutput forward(const ModelInputs& inputs) override;  // last_hidden_state (+ hidden_states, attentions)
  std::string name() const override { return "ModernBertModel"; }
  nn::Module* get_input_embeddings() override { return embeddings->tok_embeddings.get(); }
  std::shared_ptr<modernbert::Embeddings> embeddings;
  std::shared_ptr<nn::ModuleList<modernbert::EncoderLayer>> layers;
  std::shared_ptr<nn::LayerNorm> final_norm;
};

// What every ModernBert*For* class shares: `model`, `head` and the delegations.
class ModernBertHeadModel : public ModernBertPreTrainedModel {
 public:
  ModernBertHeadModel(std::shared_ptr<PretrainedConfig> config, const std::string& class_name);
  nn::Module* base_model() override { return model.get(); }
  nn::Module* get_input_embeddings() override { return model->get_input_embeddings(); }
  std::shared_ptr<ModernBertModel> model;
  std::shared_ptr<modernbert::PredictionHead> head;
};

class ModernBertForMaskedLM : public ModernBertHeadModel {
 public:
  explicit ModernBertForMaskedLM(std::shared_ptr<PretrainedConfig> config);
  ModelOutput forward(const ModelInputs& inputs) override;  // decoder(head(hidden)); loss with labels
  std::string name() const override { return "ModernBertForMaskedLM"; }
  std::vector<std::string> tied_weights_keys() const override { return {"decoder.weight"}; }
  nn::Module* get_output_embeddings() override { return decoder.get(); }
  std::shared_ptr<nn::Linear> decoder;
};

class ModernBertForSequenceClassification : public ModernBertHeadModel {
 public:
  explicit ModernBertForSequenceClassification(std::shared_ptr<PretrainedConfig> config);
  // classifier(head(pool(hidden))), pool: classifier_pooling "cls" (position 0) or "mean" (masked mean).
  ModelOutput forward(const ModelInputs& inputs) override;
  std::string name() const override { return "ModernBertForSequenceClassification"; }
  std::shared_ptr<nn::Linear> classifier;
};

class ModernBertForTokenClassification : public ModernBertHeadModel {
 public:
  explicit ModernBertForTokenClassification(std::shared_ptr<PretrainedConfig> config);
  ModelOutput forward(const ModelInputs& inputs) override;  // classifier(head(hidden))
  std::string name() const override { return "ModernBertForTokenClassification"; }
  std::shared_ptr<nn::Linear> classifier;
};

class ModernBertForQuestionAnswering : public ModernBertHeadModel {
 public:
  explicit ModernBertForQuestionAnswering(std::shared_ptr<PretrainedConfig> config);
  ModelOutput forward(const ModelInputs& inputs) override;  // start_logits, end_logits of classifier(head(hidden))
  std::string name() const override { return "ModernBertForQuestionAnswering"; }
  std::shared_ptr<nn::Linear> classifier;
};

}  // namespace transformers
