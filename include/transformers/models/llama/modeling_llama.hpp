#pragma once
// Llama, module by module as transformers 4.51 modeling_llama.py defines it: grouped-query
// attention (num_key_value_heads), head_dim, attention_bias, mlp_bias, tie_word_embeddings,
// rms_norm_eps, rotary embeddings of every 4.51 rope type (nn/rotary_embedding.hpp, both config
// styles), a Cache for incremental decoding, "eager" and "sdpa".
#include <memory>
#include <string>
#include <vector>

#include "transformers/modeling/gradient_checkpointing.hpp"
#include "transformers/modeling/modeling_utils.hpp"
#include "transformers/models/llama/configuration_llama.hpp"
#include "transformers/nn/embedding.hpp"
#include "transformers/nn/linear.hpp"
#include "transformers/nn/mlp.hpp"
#include "transformers/nn/normalization.hpp"
#include "transformers/nn/sparse_moe.hpp"
#include "transformers/nn/rotary_embedding.hpp"

namespace transformers {

// Registers LlamaConfig (configuration_llama.py defaults) and the Llama classes.
void register_llama();

using LlamaRMSNorm = nn::RMSNorm;
using LlamaMLP = nn::GatedMLP;
using LlamaRotaryEmbedding = nn::RotaryEmbedding;

class LlamaAttention : public nn::Module {
 public:
  LlamaAttention(const LlamaConfigView& config, int64_t layer_idx);
  // cos/sin [b, s, head_dim] from the model's rotary embedding; mask additive [b, 1, q, k] or
  // undefined (then causal). Returns (output [b, s, hidden], probabilities or undefined).
  std::pair<Tensor, Tensor> forward(const Tensor& hidden_states, const Tensor& cos, const Tensor& sin,
                                    const Tensor& mask, bool output_attentions, Cache* cache) const;
  std::string name() const override { return "LlamaAttention"; }

  std::shared_ptr<nn::Linear> q_proj, k_proj, v_proj, o_proj;
  std::shared_ptr<nn::Linear> qkv_proj;  // config.fused_projections (Phi-3); then q/k/v_proj are null
  std::shared_ptr<nn::RMSNorm> q_norm, k_norm;  // null unless config.qk_norm (Qwen3, per head) or
                                                // qk_norm_full_projection (OLMo 2, whole projection)
  bool qk_norm_full_projection = false;
  int64_t head_dim, num_heads, num_key_value_heads, layer_idx;
  double scaling;
  std::optional<double> attn_logit_softcapping;  // Gemma 2 (eager path only, as 4.51)
  double attention_dropout;
  nn::AttentionImplementation attn_implementation;
};

class LlamaDecoderLayer : public nn::Module {
 public:
  LlamaDecoderLayer(const LlamaConfigView& config, int64_t layer_idx);
  // router_logits: where a MoE layer leaves its router logits (when not null).
  std::pair<Tensor, Tensor> forward(const Tensor& hidden_states, const Tensor& cos, const Tensor& sin,
                                    const Tensor& mask, bool output_attentions, Cache* cache,
                                    Tensor* router_logits = nullptr) const;
  std::string name() const override { return "LlamaDecoderLayer"; }
  std::shared_ptr<LlamaAttention> self_attn;
  std::shared_ptr<LlamaMLP> mlp;  // null when block_sparse_moe is set
  // Mixtral (config.num_local_experts > 0); Qwen2-MoE registers it as `mlp` on its sparse layers.
  std::shared_ptr<nn::SparseMoeBlock> block_sparse_moe;
  std::shared_ptr<LlamaRMSNorm> input_layernorm, post_attention_layernorm;
  // Gemma 2/3 (config.sandwich_norms): around the MLP; post_attention_layernorm then normalises the
  // attention output before the residual add. OLMo 2 (config.post_norms): post_feedforward_layernorm
  // only, and no input_layernorm. Null otherwise.
  std::shared_ptr<LlamaRMSNorm> pre_feedforward_layernorm, post_feedforward_layernorm;
  // Whether this layer attends through config.sliding_window (per sliding_window_pattern).
  bool is_sliding = false;
};

// MoeModelOutputWithPast / MoeCausalLMOutputWithPast (Mixtral): the output plus, with
// output_router_logits, every layer's router logits ([batch * seq, num_experts]) and the LM's
// load-balancing aux_loss.
struct MoeModelOutput : ModelOutput {
  std::vector<Tensor> router_logits;
  Tensor aux_loss;
};

class LlamaPreTrainedModel : public PreTrainedModel {
 public:
  // Reads the typed view once (and checks attn_implementation for `class_name`, as 4.51's
  // PreTrainedModel.__init__ does).
  LlamaPreTrainedModel(std::shared_ptr<PretrainedConfig> config, const std::string& class_name);
  std::string base_model_prefix() const override { return "model"; }
  void init_weights(nn::Module& module) override;

  const LlamaConfigView config_view;

 protected:
  // For the Llama-like families (Mistral, Qwen2): their own config view, read by their class.
  LlamaPreTrainedModel(std::shared_ptr<PretrainedConfig> config, LlamaConfigView view);
};

class LlamaModel : public LlamaPreTrainedModel, public GradientCheckpointingLayers {
 public:
  explicit LlamaModel(std::shared_ptr<PretrainedConfig> config);
  ModelOutput forward(const ModelInputs& inputs) override { return forward_moe(inputs); }
  // forward with the MoE outputs (Mixtral); output_router_logits unset = config.output_router_logits.
  MoeModelOutput forward_moe(const ModelInputs& inputs, std::optional<bool> output_router_logits = std::nullopt);
  std::string name() const override { return "LlamaModel"; }
  nn::Module* get_input_embeddings() override { return embed_tokens.get(); }

  std::shared_ptr<nn::Embedding> embed_tokens;
  std::shared_ptr<nn::ModuleList<LlamaDecoderLayer>> layers;
  std::shared_ptr<LlamaRMSNorm> norm;
  std::shared_ptr<LlamaRotaryEmbedding> rotary_emb;
  std::shared_ptr<LlamaRotaryEmbedding> rotary_emb_local;  // Gemma 3 (config.rope_local_base_freq)

 protected:
  LlamaModel(std::shared_ptr<PretrainedConfig> config, LlamaConfigView view);

 private:
  void build();
};

// The RMSNorm of a Llama-like family (Gemma's unit offset when config.norm_unit_offset).
std::shared_ptr<LlamaRMSNorm> make_rms_norm(const LlamaConfigView& config, int64_t dim);

class LlamaForCausalLM : public LlamaPreTrainedModel {
 public:
  explicit LlamaForCausalLM(std::shared_ptr<PretrainedConfig> config);
  ModelOutput forward(const ModelInputs& inputs) override { return forward_moe(inputs); }
  // Mixtral: with output_router_logits (unset = config.output_router_logits) also the router logits
  // and aux_loss, which is added to the loss times router_aux_loss_coef when labels are given.
  MoeModelOutput forward_moe(const ModelInputs& inputs, std::optional<bool> output_router_logits = std::nullopt);
  std::string name() const override { return "LlamaForCausalLM"; }
  std::vector<std::string> tied_weights_keys() const override { return {"lm_head.weight"}; }
  nn::Module* base_model() override { return model.get(); }
  nn::Module* get_input_embeddings() override { return model->embed_tokens.get(); }
  nn::Module* get_output_embeddings() override { return lm_head.get(); }
  bool can_generate() const override { return true; }

  std::shared_ptr<LlamaModel> model;
  std::shared_ptr<nn::Linear> lm_head;

 protected:
  // A Llama-like family's LM: its view and its base model (e.g. a Qwen2Model).
  LlamaForCausalLM(std::shared_ptr<PretrainedConfig> config, LlamaConfigView view, std::shared_ptr<LlamaModel> base);

 private:
  void build(std::shared_ptr<LlamaModel> base);
};

// LlamaForSequenceClassification (and Gemma's, Qwen2's, ...): score = Linear(hidden, num_labels,
// bias=False) on every position, pooled at each row's last token that is not pad_token_id
// (the last position without input_ids; ValueError for a batch > 1 without a pad_token_id).
class LlamaForSequenceClassification : public LlamaPreTrainedModel {
 public:
  explicit LlamaForSequenceClassification(std::shared_ptr<PretrainedConfig> config);
  ModelOutput forward(const ModelInputs& inputs) override;
  std::string name() const override { return "LlamaForSequenceClassification"; }
  nn::Module* base_model() override { return model.get(); }
  nn::Module* get_input_embeddings() override { return model->embed_tokens.get(); }

  std::shared_ptr<LlamaModel> model;
  std::shared_ptr<nn::Linear> score;

 protected:
  LlamaForSequenceClassification(std::shared_ptr<PretrainedConfig> config, LlamaConfigView view,
                                 std::shared_ptr<LlamaModel> base);

 private:
  void build(std::shared_ptr<LlamaModel> base);
};

}  // namespace transformers
