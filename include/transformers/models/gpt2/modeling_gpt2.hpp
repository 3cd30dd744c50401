#pragma once
// GPT-2, module by module as transformers 4.51 modeling_gpt2.py defines it: Conv1D weights as
// stored ([in, out]), scale_attn_weights, scale_attn_by_inverse_layer_idx, reorder_and_upcast_attn,
// n_inner, activation_function, token_type_ids (embedded with wte), head_mask, a Cache for
// incremental decoding, "eager" and "sdpa". Not supported: add_cross_attention (UnsupportedError).
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "transformers/modeling/gradient_checkpointing.hpp"
#include "transformers/modeling/modeling_utils.hpp"
#include "transformers/models/gpt2/configuration_gpt2.hpp"
#include "transformers/nn/embedding.hpp"
#include "transformers/nn/linear.hpp"
#include "transformers/nn/normalization.hpp"

namespace transformers {

// Registers GPT2Config (configuration_gpt2.py defaults and attribute_map) and the GPT-2 classes.
void register_gpt2();

class GPT2Attention : public nn::Module {
 public:
  GPT2Attention(const GPT2ConfigView& config, int64_t layer_idx);
  // mask: additive [b, 1, q, k] (for eager it already holds the causal part); undefined = none
  // (then causal when is_causal). Returns (output [b, s, embed_dim], probabilities or undefined).
  std::pair<Tensor, Tensor> forward(const Tensor& hidden_states, const Tensor& mask, bool is_causal,
                                    const Tensor& head_mask, bool output_attentions, Cache* cache) const;
  std::string name() const override { return "GPT2Attention"; }
  void prune_heads(const std::vector<int64_t>& heads);

  std::shared_ptr<nn::Conv1D> c_attn, c_proj;
  int64_t embed_dim, num_heads, head_dim, split_size, layer_idx;
  bool scale_attn_weights, scale_attn_by_inverse_layer_idx, reorder_and_upcast_attn;
  double attn_pdrop, resid_pdrop;  // attn_dropout on the probabilities, resid_dropout after c_proj
  std::set<int64_t> pruned_heads;
  // 4.51 registers these non-persistent buffers (a bool causal mask [1, 1, n_positions, n_positions]
  // and the scalar -1e4); forward does not need them, but get_memory_footprint() counts them.
  Tensor bias, masked_bias;
  nn::AttentionImplementation attn_implementation;
};

class GPT2MLP : public nn::Module {
 public:
  GPT2MLP(int64_t intermediate_size, const GPT2ConfigView& config);
  Tensor forward(const Tensor& hidden_states) const;
  std::string name() const override { return "GPT2MLP"; }
  std::shared_ptr<nn::Conv1D> c_fc, c_proj;
  std::string act;
  double resid_pdrop;
};

class GPT2Block : public nn::Module {
 public:
  GPT2Block(const GPT2ConfigView& config, int64_t layer_idx);
  std::pair<Tensor, Tensor> forward(const Tensor& hidden_states, const Tensor& mask, bool is_causal,
                                    const Tensor& head_mask, bool output_attentions, Cache* cache) const;
  std::string name() const override { return "GPT2Block"; }
  std::shared_ptr<nn::LayerNorm> ln_1, ln_2;
  std::shared_ptr<GPT2Attention> attn;
  std::shared_ptr<GPT2MLP> mlp;
};

class GPT2PreTrainedModel : public PreTrainedModel {
 public:
  // Reads the typed view once (and checks attn_implementation for `class_name`, as 4.51's
  // PreTrainedModel.__init__ does).
  GPT2PreTrainedModel(std::shared_ptr<PretrainedConfig> config, const std::string& class_name);
  std::string base_model_prefix() const override { return "transformer"; }
  // _init_weights, including the c_proj.weight rescaling by 1/sqrt(2 * n_layer).
  void init_weights(nn::Module& module) override;

  const GPT2ConfigView config_view;
};

class GPT2Model : public GPT2PreTrainedModel, public GradientCheckpointingLayers {
 public:
  explicit GPT2Model(std::shared_ptr<PretrainedConfig> config);
  ModelOutput forward(const ModelInputs& inputs) override;
  std::string name() const override { return "GPT2Model"; }
  nn::Module* get_input_embeddings() override { return wte.get(); }
  void prune_heads_impl(const std::map<int64_t, std::vector<int64_t>>& heads) override;

  std::shared_ptr<nn::Embedding> wte, wpe;
  std::shared_ptr<nn::ModuleList<GPT2Block>> h;  // `drop` (embd_pdrop) is applied in forward
  std::shared_ptr<nn::LayerNorm> ln_f;
};

class GPT2LMHeadModel : public GPT2PreTrainedModel {
 public:
  explicit GPT2LMHeadModel(std::shared_ptr<PretrainedConfig> config);
  ModelOutput forward(const ModelInputs& inputs) override;
  std::string name() const override { return "GPT2LMHeadModel"; }
  std::vector<std::string> tied_weights_keys() const override { return {"lm_head.weight"}; }
  nn::Module* base_model() override { return transformer.get(); }
  nn::Module* get_input_embeddings() override { return transformer->wte.get(); }
  nn::Module* get_output_embeddings() override { return lm_head.get(); }
  bool can_generate() const override { return true; }
  void prune_heads_impl(const std::map<int64_t, std::vector<int64_t>>& h) override { transformer->prune_heads_impl(h); }

  std::shared_ptr<GPT2Model> transformer;
  std::shared_ptr<nn::Linear> lm_head;
};

}  // namespace transformers
