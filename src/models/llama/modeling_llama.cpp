// Llama as transformers 4.51 modeling_llama.py computes it (see the header for the scope).
#include "transformers/models/llama/modeling_llama.hpp"

#include <algorithm>
#include <cmath>

#include "models/model_utils.hpp"
#include "transformers/core/checked.hpp"
#include "transformers/modeling/loss_utils.hpp"
#include "transformers/nn/attention.hpp"
#include "transformers/nn/attention_mask.hpp"
#include "transformers/nn/init.hpp"
#include "transformers/nn/kv_cache.hpp"
#include "transformers/nn/soft_cap.hpp"
#include "transformers/ops/elementwise.hpp"
#include "transformers/ops/indexing.hpp"
#include "transformers/ops/quantized.hpp"
#include "transformers/ops/rotary.hpp"

namespace transformers {

using models_detail::flag;

LlamaAttention::LlamaAttention(const LlamaConfigView& c, int64_t idx)
    : head_dim(c.head_dim),
      num_heads(c.num_attention_heads),
      num_key_value_heads(c.num_key_value_heads),
      layer_idx(idx),
      attn_logit_softcapping(c.attn_logit_softcapping),
      attention_dropout(c.attention_dropout),
      attn_implementation(c.attn_implementation) {
  if (num_heads <= 0 || head_dim <= 0 || num_key_value_heads <= 0 || num_heads % num_key_value_heads != 0)
    throw ValueError("LlamaAttention: num_attention_heads (" + std::to_string(num_heads) +
                     ") must be a positive multiple of num_key_value_heads (" + std::to_string(num_key_value_heads) +
                     ") and head_dim (" + std::to_string(head_dim) + ") positive");
  scaling = c.attention_scaling ? *c.attention_scaling : std::pow(double(head_dim), -0.5);
  const bool bias = c.attention_bias;
  const int64_t hidden = c.hidden_size;
  // head_dim and the head counts come from config.json: their products are checked, not wrapped.
  const int64_t q_out = checked_mul(num_heads, head_dim, "LlamaAttention: num_attention_heads * head_dim");
  const int64_t kv_out = checked_mul(num_key_value_heads, head_dim, "LlamaAttention: num_key_value_heads * head_dim");
  if (c.fused_projections) {
    const int64_t qkv_out = checked_add(q_out, checked_mul(2, kv_out, "LlamaAttention: 2 * kv size"),
                                        "LlamaAttention: qkv_proj size");
    qkv_proj = register_module("qkv_proj", std::make_shared<nn::Linear>(hidden, qkv_out, bias));
  } else {
    q_proj = register_module("q_proj", std::make_shared<nn::Linear>(hidden, q_out, bias));
    k_proj = register_module("k_proj", std::make_shared<nn::Linear>(hidden, kv_out, bias));
    v_proj = register_module("v_proj", std::make_shared<nn::Linear>(hidden, kv_out, bias));
  }
  o_proj = register_module("o_proj", std::make_shared<nn::Linear>(q_out, hidden, c.o_proj_bias));
  qk_norm_full_projection = c.qk_norm_full_projection;
  if (c.qk_norm_full_projection) {
    q_norm = register_module("q_norm", std::make_shared<nn::RMSNorm>(q_out, c.rms_norm_eps));
    k_norm = register_module("k_norm", std::make_shared<nn::RMSNorm>(kv_out, c.rms_norm_eps));
  } else if (c.qk_norm && c.norm_unit_offset) {  // Gemma 3: Gemma's (1 + weight) RMSNorm per head
    q_norm = register_module("q_norm", make_rms_norm(c, head_dim));
    k_norm = register_module("k_norm", make_rms_norm(c, head_dim));
  } else if (c.qk_norm) {
    q_norm = register_module("q_norm", std::make_shared<nn::RMSNorm>(head_dim, c.rms_norm_eps));
    k_norm = register_module("k_norm", std::make_shared<nn::RMSNorm>(head_dim, c.rms_norm_eps));
  }
}

std::pair<Tensor, Tensor> LlamaAttention::forward(const Tensor& h, const Tensor& cos, const Tensor& sin,
                                                  const Tensor& mask, bool output_attentions, Cache* cache) const {
  const int64_t b = h.size(0), s = h.size(1);
  // [b, s, heads, head_dim] (normed per head first when qk_norm) -> [b, heads, s, head_dim].
  auto heads = [&](const Tensor& x, const std::shared_ptr<nn::RMSNorm>& norm = nullptr) {
    Tensor t = x.reshape({b, s, -1, head_dim});
    return (norm ? norm->forward(t) : t).transpose(1, 2);
  };
  Tensor q, k, v;
  if (qkv_proj) {  // Phi-3: the q, k and v columns of one projection
    const Tensor qkv = qkv_proj->forward(h);
    const int64_t q_size = num_heads * head_dim, kv_size = num_key_value_heads * head_dim;
    q = heads(qkv.narrow(2, 0, q_size));
    k = heads(qkv.narrow(2, q_size, kv_size));
    v = heads(qkv.narrow(2, q_size + kv_size, kv_size));
  } else if (qk_norm_full_projection) {
    q = heads(q_norm->forward(q_proj->forward(h))), k = heads(k_norm->forward(k_proj->forward(h)));
    v = heads(v_proj->forward(h));
  } else {
    q = heads(q_proj->forward(h), q_norm), k = heads(k_proj->forward(h), k_norm), v = heads(v_proj->forward(h));
  }
  // Partial rotary (Phi-3's partial_rotary_factor): the first cos.size(-1) dims rotate, the rest pass.
  auto rotate = [&](const Tensor& x) {
    const int64_t rd = cos.size(-1);
    if (rd == head_dim) return ops::apply_rotary_pos_emb(x, cos, sin);
    return ops::cat({ops::apply_rotary_pos_emb(x.narrow(3, 0, rd).contiguous(), cos, sin), x.narrow(3, rd, head_dim - rd)},
                    3);
  };
  q = rotate(q);
  k = rotate(k);
  if (cache) std::tie(k, v) = cache->update(k, v, layer_idx);
  nn::AttentionOptions o;
  o.implementation = attn_implementation;
  // A sliding-window layer's cache returns only the keys the window can reach: the mask's columns
  // are the whole sequence's, so the keys are its last columns.
  const int64_t keys = k.size(2);
  o.attention_mask = mask.defined() && mask.size(-1) > keys ? mask.narrow(mask.dim() - 1, mask.size(-1) - keys, keys)
                                                            : mask;
  o.is_causal = !mask.defined() && s > 1;
  o.scaling = scaling;
  o.output_attentions = output_attentions;
  // 4.51's sdpa_attention_forward ignores Gemma 2's softcap argument; its eager path (also taken by
  // sdpa for output_attentions) applies it.
  if (attn_logit_softcapping && nn::uses_eager_attention(attn_implementation, output_attentions, false))
    o.softcap = attn_logit_softcapping;
  o.dropout = training() ? attention_dropout : 0.0;
  nn::AttentionOutput r = nn::attention_forward(q, k, v, o);
  Tensor out = r.attn_output.transpose(1, 2).reshape({b, s, num_heads * head_dim});
  return {o_proj->forward(out), r.attn_weights};
}

std::shared_ptr<LlamaRMSNorm> make_rms_norm(const LlamaConfigView& c, int64_t dim) {
  return std::make_shared<LlamaRMSNorm>(dim, c.rms_norm_eps, DType::Float32, "LlamaRMSNorm", c.norm_unit_offset);
}

LlamaDecoderLayer::LlamaDecoderLayer(const LlamaConfigView& c, int64_t idx) {
  is_sliding = c.sliding_window && (c.sliding_window_pattern == 0 || (idx + 1) % c.sliding_window_pattern != 0);
  self_attn = register_module("self_attn", std::make_shared<LlamaAttention>(c, idx));
  const bool qwen2_moe = c.moe_class_prefix == "Qwen2Moe";
  const bool sparse = c.num_local_experts > 0 && c.decoder_sparse_step > 0 &&
                      (idx + 1) % c.decoder_sparse_step == 0 &&
                      std::find(c.mlp_only_layers.begin(), c.mlp_only_layers.end(), idx) == c.mlp_only_layers.end();
  if (sparse)
    block_sparse_moe = register_module(
        c.moe_attribute,
        std::make_shared<nn::SparseMoeBlock>(nn::SparseMoeOptions{
            .hidden_size = c.hidden_size,
            .intermediate_size = c.moe_intermediate_size > 0 ? c.moe_intermediate_size : c.intermediate_size,
            .num_experts = c.num_local_experts,
            .top_k = c.num_experts_per_tok,
            .hidden_act = c.hidden_act,
            .router_jitter_noise = c.router_jitter_noise,
            .class_name = c.moe_class_prefix + "SparseMoeBlock",
            .norm_topk_prob = c.norm_topk_prob,
            .gate_up_down_names = qwen2_moe,
            .expert_class_name = qwen2_moe ? "Qwen2MoeMLP" : "MixtralBlockSparseTop2MLP",
            .shared_expert_intermediate_size = c.shared_expert_intermediate_size}));
  else
    mlp = register_module("mlp", std::make_shared<LlamaMLP>(c.hidden_size, c.intermediate_size, c.hidden_act,
                                                            c.mlp_bias, DType::Float32,
                                                            qwen2_moe ? "Qwen2MoeMLP" : "LlamaMLP",
                                                            c.fused_projections));
  if (!c.post_norms) input_layernorm = register_module("input_layernorm", make_rms_norm(c, c.hidden_size));
  post_attention_layernorm = register_module("post_attention_layernorm", make_rms_norm(c, c.hidden_size));
  if (c.sandwich_norms)
    pre_feedforward_layernorm = register_module("pre_feedforward_layernorm", make_rms_norm(c, c.hidden_size));
  if (c.sandwich_norms || c.post_norms)
    post_feedforward_layernorm = register_module("post_feedforward_layernorm", make_rms_norm(c, c.hidden_size));
}

std::pair<Tensor, Tensor> LlamaDecoderLayer::forward(const Tensor& x, const Tensor& cos, const Tensor& sin,
                                                     const Tensor& mask, bool output_attentions, Cache* cache,
                                                     Tensor* router_logits) const {
  const Tensor attn_in = input_layernorm ? input_layernorm->forward(x) : x;
  auto [a, probs] = self_attn->forward(attn_in, cos, sin, mask, output_attentions, cache);
  auto feed_forward = [&](const Tensor& in) {
    if (!block_sparse_moe) return mlp->forward(in);
    auto [out, logits] = block_sparse_moe->forward(in);
    if (router_logits) *router_logits = std::move(logits);
    return out;
  };
  if (post_feedforward_layernorm) {  // Gemma 2/3 sandwich norms or OLMo 2 post-norms
    const Tensor h = ops::add(x, post_attention_layernorm->forward(a));
    const Tensor mlp_in = pre_feedforward_layernorm ? pre_feedforward_layernorm->forward(h) : h;
    return {ops::add(h, post_feedforward_layernorm->forward(feed_forward(mlp_in))), probs};
  }
  Tensor h = ops::add(x, a);
  return {ops::add(h, feed_forward(post_attention_layernorm->forward(h))), probs};
}

LlamaPreTrainedModel::LlamaPreTrainedModel(std::shared_ptr<PretrainedConfig> config, const std::string& class_name)
    : PreTrainedModel(std::move(config)), config_view(LlamaConfigView::from_config(*config_, class_name)) {}

LlamaPreTrainedModel::LlamaPreTrainedModel(std::shared_ptr<PretrainedConfig> config, LlamaConfigView view)
    : PreTrainedModel(std::move(config)), config_view(std::move(view)) {}

void LlamaPreTrainedModel::init_weights(nn::Module& module) {
  nn::init_weights_normal(module, config_view.initializer_range);
}

LlamaModel::LlamaModel(std::shared_ptr<PretrainedConfig> config)
    : LlamaPreTrainedModel(std::move(config), "LlamaModel") {
  build();
}

LlamaModel::LlamaModel(std::shared_ptr<PretrainedConfig> config, LlamaConfigView view)
    : LlamaPreTrainedModel(std::move(config), std::move(view)) {
  build();
}

void LlamaModel::build() {
  const LlamaConfigView& c = config_view;
  embed_tokens = register_module("embed_tokens",
                                 std::make_shared<nn::Embedding>(c.vocab_size, c.hidden_size, c.pad_token_id));
  layers = register_module("layers", std::make_shared<nn::ModuleList<LlamaDecoderLayer>>());
  for (int64_t i = 0; i < c.num_hidden_layers; ++i) layers->push_back(std::make_shared<LlamaDecoderLayer>(c, i));
  norm = register_module("norm", make_rms_norm(c, c.hidden_size));
  rotary_emb = register_module("rotary_emb", std::make_shared<LlamaRotaryEmbedding>(c.rope));
  if (c.rope_local_base_freq) {  // Gemma 3: a copy of the config with rope_theta and the default rope
    nn::RopeParameters local = c.rope;
    local.rope_type = "default";
    local.rope_theta = *c.rope_local_base_freq;
    local.scaling = nlohmann::ordered_json::object();
    rotary_emb_local = register_module("rotary_emb_local", std::make_shared<LlamaRotaryEmbedding>(local));
  }
}

MoeModelOutput LlamaModel::forward_moe(const ModelInputs& in, std::optional<bool> router_logits_flag) {
  const std::string cls = name();
  const auto shape = models_detail::input_shape(in, cls);
  models_detail::check_2d(in.position_ids, shape, "position_ids", cls);
  if (in.head_mask.defined()) throw ValueError(cls + ": head_mask is not an argument of its forward");
  const PretrainedConfig& c = config();
  const bool output_attentions = flag(in.output_attentions, c.output_attentions());
  const bool output_hidden_states = flag(in.output_hidden_states, c.output_hidden_states());
  const auto checkpointing = active_checkpointing(training());
  Cache* cache = models_detail::cache_under_checkpointing(checkpointing, in, c, in.past_key_values);
  const int64_t past = cache ? cache->get_seq_length(0) : 0;
  // Local layers keep only what their window reaches (SlidingWindowCache / HybridCache's local layers).
  if (cache && config_view.sliding_window)
    for (size_t i = 0; i < layers->size(); ++i)
      if (layers->at(i)->is_sliding) cache->set_sliding_window(int64_t(i), *config_view.sliding_window);

  Tensor hidden = in.inputs_embeds.defined() ? in.inputs_embeds : embed_tokens->forward(in.input_ids);
  // Gemma: the normalizer is a tensor of the hidden dtype (sqrt(3072) becomes 55.5 in float16).
  if (config_view.scale_embeddings)
    hidden = ops::mul(hidden, Tensor::scalar(std::sqrt(double(config_view.hidden_size)), hidden.dtype()));
  // cache_position-based positions (Python: cache_position.unsqueeze(0)) unless given.
  Tensor pos = in.position_ids.defined() ? in.position_ids : Tensor::arange(past, past + shape.seq).view({1, shape.seq});

  // _update_causal_mask: a 4-D mask as given; sdpa drops the mask when nothing is padded and
  // is_causal is exact.
  if (in.attention_mask.defined() && in.attention_mask.dim() != 2 && in.attention_mask.dim() != 4)
    throw ShapeError(cls + ": attention_mask must be 2-D [batch, keys] or 4-D additive, found " +
                     shape_str(in.attention_mask.sizes()));
  // Layers with and without the sliding window get their own mask (Gemma 2/3 alternate them).
  auto make_mask = [&](std::optional<int64_t> window) {
    return nn::prepare_attention_mask(in.attention_mask, {.implementation = config_view.attn_implementation,
                                                          .output_attentions = output_attentions,
                                                          .is_causal = true,
                                                          .batch = shape.batch,
                                                          .query_length = shape.seq,
                                                          .past_length = past,
                                                          .dtype = hidden.dtype(),
                                                          .eager_dtype = std::nullopt,
                                                          .eager_style = nn::EagerMaskStyle::cache_position,
                                                          .sliding_window = window})
        .mask;
  };
  const bool any_global = !config_view.sliding_window || config_view.sliding_window_pattern > 0;
  const Tensor global_mask = any_global ? make_mask(std::nullopt) : Tensor();
  const Tensor local_mask = config_view.sliding_window ? make_mask(config_view.sliding_window) : Tensor();

  auto [cos, sin] = rotary_emb->forward(hidden, pos);
  Tensor cos_local = cos, sin_local = sin;
  if (rotary_emb_local) std::tie(cos_local, sin_local) = rotary_emb_local->forward(hidden, pos);
  // Mixtral: all_router_logits, one per layer, when output_router_logits.
  const bool output_router_logits =
      config_view.num_local_experts > 0 && flag(router_logits_flag, c.get<bool>("output_router_logits", false));
  const auto router_logits =
      output_router_logits ? std::make_shared<std::vector<Tensor>>(layers->size()) : nullptr;
  MoeModelOutput out;
  static_cast<ModelOutput&>(out) = models_detail::run_layers(
      *layers, hidden, output_hidden_states, output_attentions,
      // Copies (checkpointing calls it in backward); cos/sin by init-capture: clang before 16 cannot
      // capture structured bindings (fuzz build). Router logits land in their layer's slot, so a
      // recomputation in backward overwrites instead of appending.
      [=, cos = cos, sin = sin](const LlamaDecoderLayer& layer, int64_t i, const Tensor& h) {
        const bool local = layer.is_sliding;
        return layer.forward(h, local ? cos_local : cos, local ? sin_local : sin, local ? local_mask : global_mask,
                             output_attentions, cache, router_logits ? &(*router_logits)[size_t(i)] : nullptr);
      },
      checkpointing);
  models_detail::finish_hidden_states(out, norm->forward(out.last_hidden_state), output_hidden_states, cache);
  // Qwen2-MoE's dense layers (mlp_only_layers, decoder_sparse_step) output no router logits.
  if (router_logits)
    for (const Tensor& t : *router_logits)
      if (t.defined()) out.router_logits.push_back(t);
  return out;
}

LlamaForCausalLM::LlamaForCausalLM(std::shared_ptr<PretrainedConfig> config)
    : LlamaPreTrainedModel(std::move(config), "LlamaForCausalLM") {
  build(std::make_shared<LlamaModel>(config_));
}

LlamaForCausalLM::LlamaForCausalLM(std::shared_ptr<PretrainedConfig> config, LlamaConfigView view,
                                   std::shared_ptr<LlamaModel> base)
    : LlamaPreTrainedModel(std::move(config), std::move(view)) {
  build(std::move(base));
}

void LlamaForCausalLM::build(std::shared_ptr<LlamaModel> base) {
  model = register_module("model", std::move(base));
  lm_head = register_module("lm_head",
                            std::make_shared<nn::Linear>(config_view.hidden_size, config_view.vocab_size, false));
  // Constructed tied when tie_word_embeddings (Llama's default is false), as post_init() leaves it.
  if (config_->tie_word_embeddings()) lm_head->weight = model->embed_tokens->weight;
}

MoeModelOutput LlamaForCausalLM::forward_moe(const ModelInputs& in, std::optional<bool> output_router_logits) {
  MoeModelOutput out = model->forward_moe(in, output_router_logits);
  {
    // A head kept as GGUF blocks (keep_quantized) multiplies float activations, not int8-rounded
    // ones: rounding them here moved SmolLM2's greedy tokens off 4.51's (ops/quantized.hpp).
    const ops::QuantFloatActivationsGuard float_activations;
    out.logits = lm_head->forward(models_detail::keep_last_positions(out.last_hidden_state, in.logits_to_keep));
  }
  if (const auto cap = config_view.final_logit_softcapping)  // Gemma 2
    out.logits = nn::soft_cap(out.logits, *cap);
  if (in.labels.defined())
    out.loss = ForCausalLMLoss(out.logits, in.labels, config_view.vocab_size, {.num_items_in_batch = in.num_items_in_batch});
  if (!out.router_logits.empty()) {  // Mixtral: the load-balancing loss, added to the LM loss with labels
    out.aux_loss = nn::load_balancing_loss_func(out.router_logits, config_view.num_local_experts,
                                                config_view.num_experts_per_tok, in.attention_mask);
    if (out.loss.defined())
      out.loss = ops::add(out.loss, ops::mul(out.aux_loss, config_view.router_aux_loss_coef).to(out.loss.dtype()));
  }
  return out;
}

LlamaForSequenceClassification::LlamaForSequenceClassification(std::shared_ptr<PretrainedConfig> config)
    : LlamaPreTrainedModel(std::move(config), "LlamaForSequenceClassification") {
  build(std::make_shared<LlamaModel>(config_));
}

LlamaForSequenceClassification::LlamaForSequenceClassification(std::shared_ptr<PretrainedConfig> config,
                                                               LlamaConfigView view, std::shared_ptr<LlamaModel> base)
    : LlamaPreTrainedModel(std::move(config), std::move(view)) {
  build(std::move(base));
}

void LlamaForSequenceClassification::build(std::shared_ptr<LlamaModel> base) {
  model = register_module("model", std::move(base));
  score = register_module("score", std::make_shared<nn::Linear>(config_view.hidden_size, config_->num_labels(), false));
}

ModelOutput LlamaForSequenceClassification::forward(const ModelInputs& in) {
  ModelOutput out = model->forward(in);
  const Tensor logits = score->forward(out.last_hidden_state);  // [batch, seq, num_labels]
  const int64_t batch = logits.size(0), seq = logits.size(1);
  const auto pad = config_view.pad_token_id;
  if (!pad && batch != 1) throw ValueError(name() + ": Cannot handle batch sizes > 1 if no padding token is defined.");
  // Python: (arange(seq) * (input_ids != pad)).argmax(-1), the rightmost non-pad token (0 when all
  // are pad); without input_ids (inputs_embeds) the last position.
  std::vector<Tensor> rows;
  for (int64_t b = 0; b < batch; ++b) {
    int64_t last = seq - 1;
    if (pad && in.input_ids.defined()) {
      const auto ids = in.input_ids.select(0, b).to_vector<int64_t>();
      last = 0;
      for (int64_t j = 0; j < seq; ++j)
        if (ids[size_t(j)] != *pad) last = j;
    }
    rows.push_back(logits.select(0, b).select(0, last));
  }
  out.logits = ops::stack(rows, 0);
  if (in.labels.defined()) out.loss = ForSequenceClassificationLoss(in.labels, out.logits, *config_);
  return out;
}

}  // namespace transformers
