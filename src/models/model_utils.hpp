#pragma once
// Small helpers the model files share (private to src/models): input checks and flag resolution
// that every Python forward starts with, the layer loop with its hidden-state / attention
// collection, and the LM head's logits_to_keep narrowing.
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "transformers/core/autograd.hpp"
#include "transformers/modeling/configuration_utils.hpp"
#include "transformers/modeling/gradient_checkpointing.hpp"
#include "transformers/modeling/model_outputs.hpp"
#include "transformers/modeling/modeling_utils.hpp"

namespace transformers::models_detail {

// _prune_heads of the BERT-like encoders: {layer index: heads}, each layer's `attention` prunes its
// own heads; an index outside `layers` is a ValueError naming it.
template <typename Layers>
void prune_layer_heads(Layers& layers, const std::map<int64_t, std::vector<int64_t>>& heads) {
  for (auto& [layer_idx, hs] : heads) {
    if (layer_idx < 0 || layer_idx >= int64_t(layers.size()))
      throw ValueError("prune_heads: layer " + std::to_string(layer_idx) + " does not exist (model has " +
                       std::to_string(layers.size()) + " layers)");
    layers[size_t(layer_idx)].attention->prune_heads(hs);
  }
}

struct InputShape {
  int64_t batch = 0;
  int64_t seq = 0;
};

// "You cannot specify both input_ids and inputs_embeds" / "You have to specify either ...".
inline InputShape input_shape(const ModelInputs& in, const std::string& model) {
  if (in.input_ids.defined() && in.inputs_embeds.defined())
    throw ValueError(model + ": You cannot specify both input_ids and inputs_embeds at the same time");
  if (in.input_ids.defined()) {
    if (in.input_ids.dim() != 2)
      throw ShapeError(model + ": input_ids must be [batch, seq], found " + shape_str(in.input_ids.sizes()));
    return {in.input_ids.size(0), in.input_ids.size(1)};
  }
  if (in.inputs_embeds.defined()) {
    if (in.inputs_embeds.dim() != 3)
      throw ShapeError(model + ": inputs_embeds must be [batch, seq, hidden], found " +
                       shape_str(in.inputs_embeds.sizes()));
    return {in.inputs_embeds.size(0), in.inputs_embeds.size(1)};
  }
  throw ValueError(model + ": You have to specify either input_ids or inputs_embeds");
}

inline void check_2d(const Tensor& t, const InputShape& s, const char* what, const std::string& model,
                     int64_t extra_cols = 0) {
  if (!t.defined()) return;
  if (t.dim() != 2 || t.size(0) != s.batch || t.size(1) != s.seq + extra_cols)
    throw ShapeError(model + ": " + what + " must be [" + std::to_string(s.batch) + ", " +
                     std::to_string(s.seq + extra_cols) + "], found " + shape_str(t.sizes()));
}

inline bool flag(const std::optional<bool>& v, bool fallback) { return v.has_value() ? *v : fallback; }

// An integer config key that may be None (pad_token_id): nullopt when absent or null.
inline std::optional<int64_t> optional_int(const PretrainedConfig& c, const std::string& key) {
  if (!c.has(key) || c.raw_at(key).is_null()) return std::nullopt;
  return c.get<int64_t>(key);
}

// config.sliding_window (Mistral, Qwen2): nullopt when absent or null; ValueError unless positive.
inline std::optional<int64_t> sliding_window(const PretrainedConfig& c) {
  std::optional<int64_t> w = optional_int(c, "sliding_window");
  if (w && *w <= 0)
    throw ValueError("config key 'sliding_window': expected a positive number of positions or null, found " +
                     std::to_string(*w));
  return w;
}

// Python's self.dtype inside a forward: the first parameter's dtype, which is the word embeddings'
// in every model here (read from the tensor, not by walking all parameters per call).
inline DType model_dtype(PreTrainedModel& model) {
  nn::Module* emb = model.get_input_embeddings();
  Tensor* w = emb ? emb->find_parameter("weight") : nullptr;
  return w ? w->dtype() : model.dtype();
}

// The loop of every base model's forward: all_hidden_states gets each layer's input, all_attentions
// each layer's probabilities. call(layer, layer_idx, hidden) -> (hidden, probabilities). The caller
// applies the final norm (if any) and then finish_hidden_states.
// With `checkpointing` (the owner's active_checkpointing(training())), each layer runs through
// checkpoint(), which calls `call` again in backward: `call` must then hold copies, not references
// to the caller's locals (capture by value), and the probabilities returned are the forward's,
// not differentiable.
template <typename Layers, typename Call>
ModelOutput run_layers(const Layers& layers, Tensor hidden, bool output_hidden_states, bool output_attentions,
                       Call&& call, const std::optional<GradientCheckpointingOptions>& checkpointing = std::nullopt) {
  ModelOutput out;
  for (size_t i = 0; i < layers.size(); ++i) {
    if (output_hidden_states) out.hidden_states.push_back(hidden);
    if (checkpointing) {
      auto layer = layers.at(i);  // the shared_ptr: the recomputation keeps the layer alive
      // The forward's probabilities; the recomputation (which runs in grad mode) drops its own.
      auto probs = std::make_shared<Tensor>();
      auto run = [call, layer, i, probs](const Tensor& h) {
        auto [next, p] = call(*layer, int64_t(i), h);
        if (!autograd::is_grad_enabled()) *probs = p;
        return next;
      };
      std::vector<Tensor> params;
      for (auto& [name, t] : layer->named_parameters()) params.push_back(t);
      hidden = checkpoint(run, hidden, params, *checkpointing);
      if (output_attentions) out.attentions.push_back(*probs);
      continue;
    }
    auto [next, probs] = call(layers[i], int64_t(i), hidden);
    hidden = std::move(next);
    if (output_attentions) out.attentions.push_back(std::move(probs));
  }
  out.last_hidden_state = std::move(hidden);
  return out;
}

// 4.51's decoders in training with checkpointing: use_cache (the argument, else config.use_cache) is
// turned off with a warning once, so no cache is read or filled (the recomputation would fill it
// twice). Returns the cache the layers get.
inline Cache* cache_under_checkpointing(const std::optional<GradientCheckpointingOptions>& checkpointing,
                                        const ModelInputs& in, const PretrainedConfig& c, Cache* cache) {
  if (!checkpointing) return cache;
  if (in.use_cache.value_or(c.get<bool>("use_cache", true))) warn_use_cache_with_checkpointing();
  return nullptr;
}

// The last hidden state (after the final norm) closes all_hidden_states.
inline void finish_hidden_states(ModelOutput& out, Tensor last, bool output_hidden_states, Cache* cache) {
  if (output_hidden_states) out.hidden_states.push_back(last);
  out.last_hidden_state = std::move(last);
  out.past_key_values = cache;
}

// logits_to_keep: an LM head computes logits for the last N positions only (0 = all).
inline Tensor keep_last_positions(const Tensor& hidden, int64_t logits_to_keep) {
  if (logits_to_keep > 0 && logits_to_keep < hidden.size(1))
    return hidden.narrow(1, hidden.size(1) - logits_to_keep, logits_to_keep);
  return hidden;
}

}  // namespace transformers::models_detail
