// GPT-2 as transformers 4.51 modeling_gpt2.py computes it (see the header for the scope).
#include "transformers/models/gpt2/modeling_gpt2.hpp"
#include "transformers/modeling/prune.hpp"

#include <cmath>
#include <cstring>
#include <map>
#include <mutex>

#include "models/model_utils.hpp"
#include "transformers/core/checked.hpp"
#include "transformers/modeling/loss_utils.hpp"
#include "transformers/nn/attention.hpp"
#include "transformers/nn/attention_mask.hpp"
#include "transformers/nn/init.hpp"
#include "transformers/nn/kv_cache.hpp"
#include "transformers/nn/pruning.hpp"
#include "transformers/ops/dropout.hpp"
#include "transformers/ops/elementwise.hpp"
#include "transformers/ops/indexing.hpp"

namespace transformers {

using models_detail::flag;

namespace {

// 4.51's per-layer causal `bias` buffer ([1, 1, n, n] bool, lower triangle true). Forward never
// reads it, but get_memory_footprint() counts it, so every layer keeps one. Building 12 separate
// 1 MB masks was 3 K page faults and ~40 % of a float32 GPT-2 from_pretrained; all layers (and all
// models alive in the process) now share one read-only mask per n, built once.
Tensor shared_causal_bias(int64_t n) {
  static std::mutex mu;
  static std::map<int64_t, std::weak_ptr<Storage>> cache;
  std::lock_guard<std::mutex> lock(mu);
  std::shared_ptr<Storage> st = cache[n].lock();
  if (!st) {
    Tensor m = Tensor::zeros({1, 1, n, n}, DType::Bool);
    auto* b = static_cast<uint8_t*>(m.data_ptr());
    for (int64_t i = 0; i < n; ++i) std::memset(b + i * n, 1, size_t(i + 1));
    st = m.storage();
    cache[n] = st;
  }
  // Read-only: an in-place write would otherwise change every layer's mask at once.
  return Tensor::from_blob(st->data(), {1, 1, n, n}, DType::Bool, st, /*read_only=*/true);
}

}  // namespace

GPT2Attention::GPT2Attention(const GPT2ConfigView& c, int64_t idx)
    : embed_dim(c.n_embd),
      num_heads(c.n_head),
      layer_idx(idx),
      scale_attn_weights(c.scale_attn_weights),
      scale_attn_by_inverse_layer_idx(c.scale_attn_by_inverse_layer_idx),
      reorder_and_upcast_attn(c.reorder_and_upcast_attn),
      attn_pdrop(c.attn_pdrop),
      resid_pdrop(c.resid_pdrop),
      attn_implementation(c.attn_implementation) {
  if (num_heads <= 0 || embed_dim % num_heads != 0)
    throw ValueError("`embed_dim` must be divisible by num_heads (got `embed_dim`: " + std::to_string(embed_dim) +
                     " and `num_heads`: " + std::to_string(num_heads) + ").");
  head_dim = embed_dim / num_heads;
  split_size = embed_dim;
  c_attn = register_module("c_attn", std::make_shared<nn::Conv1D>(checked_mul(3, embed_dim, "GPT2Attention: 3 * n_embd"), embed_dim));
  c_proj = register_module("c_proj", std::make_shared<nn::Conv1D>(embed_dim, embed_dim));
  bias = shared_causal_bias(c.n_positions);
  masked_bias = Tensor::scalar(-1e4, DType::Float32);
  register_buffer("bias", &bias, /*persistent=*/false);
  register_buffer("masked_bias", &masked_bias, /*persistent=*/false);
}

void GPT2Attention::prune_heads(const std::vector<int64_t>& heads) {
  if (heads.empty()) return;
  auto [todo, index] = nn::find_pruneable_heads_and_indices(heads, num_heads, head_dim, pruned_heads);
  const std::vector<int64_t> idx = index.to_vector<int64_t>();
  std::vector<int64_t> qkv;
  for (int64_t part = 0; part < 3; ++part)
    for (int64_t i : idx) qkv.push_back(i + part * split_size);
  c_attn = nn::prune_conv1d_layer(*c_attn, Tensor::from_vector(qkv), 1);
  c_proj = nn::prune_conv1d_layer(*c_proj, index, 0);
  replace_child("c_attn", c_attn);
  replace_child("c_proj", c_proj);
  split_size = (split_size / num_heads) * (num_heads - int64_t(todo.size()));
  num_heads -= int64_t(todo.size());
  pruned_heads.insert(todo.begin(), todo.end());
}

std::pair<Tensor, Tensor> GPT2Attention::forward(const Tensor& h, const Tensor& mask, bool is_causal,
                                                 const Tensor& head_mask, bool output_attentions, Cache* cache) const {
  const int64_t b = h.size(0), s = h.size(1);
  Tensor qkv = c_attn->forward(h);
  auto heads = [&](int64_t part) {
    return qkv.narrow(2, part * split_size, split_size).view({b, s, num_heads, head_dim}).transpose(1, 2);
  };
  Tensor q = heads(0), k = heads(1), v = heads(2);
  if (cache) std::tie(k, v) = cache->update(k, v, layer_idx);

  nn::AttentionOptions o;
  o.implementation = attn_implementation;
  o.attention_mask = mask;
  o.is_causal = is_causal;
  o.head_mask = head_mask;
  o.output_attentions = output_attentions;
  o.dropout = training() ? attn_pdrop : 0.0;
  if (nn::uses_eager_attention(o.implementation, output_attentions, head_mask.defined())) {
    double scale = scale_attn_weights ? 1.0 / std::sqrt(double(v.size(-1))) : 1.0;
    if (scale_attn_by_inverse_layer_idx) scale /= double(layer_idx + 1);
    o.scaling = scale;
    o.upcast = reorder_and_upcast_attn;
  }
  // else: 4.51's sdpa path passes no scale, so scale_attn_weights=False and
  // scale_attn_by_inverse_layer_idx are ignored there (Python notes sdpa "not necessarily equivalent
  // to eager" with these options); the kernel's default 1/sqrt(head_dim) applies, as in Python.
  nn::AttentionOutput r = nn::attention_forward(q, k, v, o);
  Tensor out = r.attn_output.transpose(1, 2).reshape({b, s, num_heads * head_dim});
  return {ops::dropout(c_proj->forward(out), resid_pdrop, training()), r.attn_weights};
}

GPT2MLP::GPT2MLP(int64_t inner, const GPT2ConfigView& c) : act(c.activation_function), resid_pdrop(c.resid_pdrop) {
  c_fc = register_module("c_fc", std::make_shared<nn::Conv1D>(inner, c.n_embd));
  c_proj = register_module("c_proj", std::make_shared<nn::Conv1D>(c.n_embd, inner));
}

Tensor GPT2MLP::forward(const Tensor& x) const {
  return ops::dropout(c_proj->forward(ops::activation(c_fc->forward(x), act)), resid_pdrop, training());
}

GPT2Block::GPT2Block(const GPT2ConfigView& c, int64_t idx) {
  if (c.add_cross_attention) throw UnsupportedError("GPT2Block: add_cross_attention=True is not supported");
  ln_1 = register_module("ln_1", std::make_shared<nn::LayerNorm>(c.n_embd, c.layer_norm_epsilon));
  attn = register_module("attn", std::make_shared<GPT2Attention>(c, idx));
  ln_2 = register_module("ln_2", std::make_shared<nn::LayerNorm>(c.n_embd, c.layer_norm_epsilon));
  mlp = register_module("mlp", std::make_shared<GPT2MLP>(c.n_inner, c));
}

std::pair<Tensor, Tensor> GPT2Block::forward(const Tensor& x, const Tensor& mask, bool is_causal,
                                             const Tensor& head_mask, bool output_attentions, Cache* cache) const {
  auto [a, probs] = attn->forward(ln_1->forward(x), mask, is_causal, head_mask, output_attentions, cache);
  Tensor h = ops::add(a, x);
  return {ops::add(mlp->forward(ln_2->forward(h)), h), probs};
}

GPT2PreTrainedModel::GPT2PreTrainedModel(std::shared_ptr<PretrainedConfig> config, const std::string& class_name)
    : PreTrainedModel(std::move(config)), config_view(GPT2ConfigView::from_config(*config_, class_name)) {}

void GPT2PreTrainedModel::init_weights(nn::Module& module) {
  const double std = config_view.initializer_range;
  nn::init_weights_normal(module, std);
  // GPT-2 scales the residual projections by 1/sqrt(2 * n_layer) (named "c_proj.weight").
  const double scaled = std / std::sqrt(2.0 * double(config_view.n_layer));
  if (auto* a = dynamic_cast<GPT2Attention*>(&module)) ops::normal_(a->c_proj->weight, 0.0, scaled, ops::default_generator());
  if (auto* m = dynamic_cast<GPT2MLP*>(&module)) ops::normal_(m->c_proj->weight, 0.0, scaled, ops::default_generator());
}

GPT2Model::GPT2Model(std::shared_ptr<PretrainedConfig> config) : GPT2PreTrainedModel(std::move(config), "GPT2Model") {
  const GPT2ConfigView& c = config_view;
  wte = register_module("wte", std::make_shared<nn::Embedding>(c.vocab_size, c.n_embd));
  wpe = register_module("wpe", std::make_shared<nn::Embedding>(c.n_positions, c.n_embd));
  h = register_module("h", std::make_shared<nn::ModuleList<GPT2Block>>());
  for (int64_t i = 0; i < c.n_layer; ++i) h->push_back(std::make_shared<GPT2Block>(c, i));
  ln_f = register_module("ln_f", std::make_shared<nn::LayerNorm>(c.n_embd, c.layer_norm_epsilon));
  apply_config_pruned_heads(*this);  // a saved pruned checkpoint's shapes (Python: post_init)
}

void GPT2Model::prune_heads_impl(const std::map<int64_t, std::vector<int64_t>>& heads) {
  for (auto& [layer, hs] : heads) {
    if (layer < 0 || layer >= int64_t(h->size()))
      throw ValueError("prune_heads: layer " + std::to_string(layer) + " does not exist (model has " +
                       std::to_string(h->size()) + " layers)");
    (*h)[size_t(layer)].attn->prune_heads(hs);
  }
}

ModelOutput GPT2Model::forward(const ModelInputs& in) {
  const auto shape = models_detail::input_shape(in, "GPT2Model");
  models_detail::check_2d(in.token_type_ids, shape, "token_type_ids", "GPT2Model");
  models_detail::check_2d(in.position_ids, shape, "position_ids", "GPT2Model");
  const PretrainedConfig& c = config();
  const bool output_attentions = flag(in.output_attentions, c.output_attentions());
  const bool output_hidden_states = flag(in.output_hidden_states, c.output_hidden_states());
  const auto checkpointing = active_checkpointing(training());
  Cache* cache = models_detail::cache_under_checkpointing(checkpointing, in, c, in.past_key_values);
  const int64_t past = cache ? cache->get_seq_length(0) : 0;

  Tensor pos = in.position_ids;
  if (!pos.defined()) pos = Tensor::arange(past, past + shape.seq).view({1, shape.seq});
  Tensor embeds = in.inputs_embeds.defined() ? in.inputs_embeds : wte->forward(in.input_ids);
  Tensor hidden = ops::add(embeds, wpe->forward(pos));
  if (in.token_type_ids.defined()) hidden = ops::add(hidden, wte->forward(in.token_type_ids));
  hidden = ops::dropout(hidden, config_view.embd_pdrop, training());

  Tensor mask2d = in.attention_mask;
  if (mask2d.defined()) mask2d = mask2d.reshape({shape.batch, -1});
  // sdpa: _prepare_4d_causal_attention_mask_for_sdpa. Eager: the layer's causal `bias` where() and
  // (1 - mask) * min, kept as two added terms (EagerMaskStyle::causal_plus_extended).
  const DType dtype = models_detail::model_dtype(*this);
  const nn::PreparedAttentionMask mask =
      nn::prepare_attention_mask(mask2d, {.implementation = config_view.attn_implementation,
                                          .output_attentions = output_attentions,
                                          .has_head_mask = in.head_mask.defined(),
                                          .is_causal = true,
                                          .batch = shape.batch,
                                          .query_length = shape.seq,
                                          .past_length = past,
                                          .dtype = hidden.dtype(),
                                          .eager_dtype = dtype,
                                          .eager_style = nn::EagerMaskStyle::causal_plus_extended,
                                          .sliding_window = std::nullopt});
  Tensor head_mask = nn::get_head_mask(in.head_mask, config_view.n_layer, dtype);

  ModelOutput out = models_detail::run_layers(
      *h, hidden, output_hidden_states, output_attentions,
      [=](const GPT2Block& block, int64_t i, const Tensor& x) {  // copies: checkpointing calls it in backward
        return block.forward(x, mask.mask, mask.is_causal, nn::layer_head_mask(head_mask, i), output_attentions, cache);
      },
      checkpointing);
  models_detail::finish_hidden_states(out, ln_f->forward(out.last_hidden_state), output_hidden_states, cache);
  return out;
}

GPT2LMHeadModel::GPT2LMHeadModel(std::shared_ptr<PretrainedConfig> config)
    : GPT2PreTrainedModel(std::move(config), "GPT2LMHeadModel") {
  transformer = register_module("transformer", std::make_shared<GPT2Model>(config_));
  lm_head = register_module("lm_head",
                            std::make_shared<nn::Linear>(config_view.n_embd, config_view.vocab_size, false));
  // Constructed tied, as Python's post_init() leaves the model.
  if (config_->tie_word_embeddings()) lm_head->weight = transformer->wte->weight;
}

ModelOutput GPT2LMHeadModel::forward(const ModelInputs& in) {
  ModelOutput out = transformer->forward(in);
  out.logits = lm_head->forward(models_detail::keep_last_positions(out.last_hidden_state, in.logits_to_keep));
  if (in.labels.defined())
    out.loss = ForCausalLMLoss(out.logits, in.labels, config_view.vocab_size,
                               {.num_items_in_batch = in.num_items_in_batch});
  return out;
}

}  // namespace transformers
