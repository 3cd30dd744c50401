// Llama as transformers 4.51 modeling_llama.py computes it (see the header for the scope).
#include "transformers/models/llama/modeling_llama.hpp"

#include <cmath>

#include "models/model_utils.hpp"
#include "transformers/core/checked.hpp"
#include "transformers/nn/attention.hpp"
#include "transformers/nn/attention_mask.hpp"
#include "transformers/nn/init.hpp"
#include "transformers/nn/kv_cache.hpp"
#include "transformers/ops/elementwise.hpp"
#include "transformers/ops/rotary.hpp"

namespace transformers {

using models_detail::flag;

namespace {
int64_t llama_head_dim(const PretrainedConfig& c) {
  const int64_t hd = c.get<int64_t>("head_dim", 0);
  if (hd > 0) return hd;
  const int64_t heads = c.num_attention_heads();
  return heads > 0 ? c.hidden_size() / heads : 0;  // heads <= 0 is refused by LlamaAttention
}
int64_t llama_kv_heads(const PretrainedConfig& c) {
  const int64_t kv = c.get<int64_t>("num_key_value_heads", 0);
  return kv > 0 ? kv : c.num_attention_heads();
}
}  // namespace

LlamaAttention::LlamaAttention(std::shared_ptr<PretrainedConfig> config, int64_t idx)
    : layer_idx(idx), config_(std::move(config)) {
  const PretrainedConfig& c = *config_;
  head_dim = llama_head_dim(c);
  num_heads = c.num_attention_heads();
  num_key_value_heads = llama_kv_heads(c);
  if (num_heads <= 0 || head_dim <= 0 || num_key_value_heads <= 0 || num_heads % num_key_value_heads != 0)
    throw ValueError("LlamaAttention: num_attention_heads (" + std::to_string(num_heads) +
                     ") must be a positive multiple of num_key_value_heads (" + std::to_string(num_key_value_heads) +
                     ") and head_dim (" + std::to_string(head_dim) + ") positive");
  scaling = std::pow(double(head_dim), -0.5);
  const bool bias = c.get<bool>("attention_bias", false);
  const int64_t hidden = c.hidden_size();
  // head_dim and the head counts come from config.json: their products are checked, not wrapped.
  const int64_t q_out = checked_mul(num_heads, head_dim, "LlamaAttention: num_attention_heads * head_dim");
  const int64_t kv_out = checked_mul(num_key_value_heads, head_dim, "LlamaAttention: num_key_value_heads * head_dim");
  q_proj = register_module("q_proj", std::make_shared<nn::Linear>(hidden, q_out, bias));
  k_proj = register_module("k_proj", std::make_shared<nn::Linear>(hidden, kv_out, bias));
  v_proj = register_module("v_proj", std::make_shared<nn::Linear>(hidden, kv_out, bias));
  o_proj = register_module("o_proj", std::make_shared<nn::Linear>(q_out, hidden, bias));
}

std::pair<Tensor, Tensor> LlamaAttention::forward(const Tensor& h, const Tensor& cos, const Tensor& sin,
                                                  const Tensor& mask, bool output_attentions, Cache* cache) const {
  const int64_t b = h.size(0), s = h.size(1);
  auto heads = [&](const Tensor& x) { return x.view({b, s, -1, head_dim}).transpose(1, 2); };
  Tensor q = heads(q_proj->forward(h)), k = heads(k_proj->forward(h)), v = heads(v_proj->forward(h));
  q = ops::apply_rotary_pos_emb(q, cos, sin);
  k = ops::apply_rotary_pos_emb(k, cos, sin);
  if (cache) std::tie(k, v) = cache->update(k, v, layer_idx);
  nn::AttentionOptions o;
  o.implementation = config_->attn_implementation();
  o.attention_mask = mask;
  o.is_causal = !mask.defined() && s > 1;
  o.scaling = scaling;
  o.output_attentions = output_attentions;
  nn::AttentionOutput r = nn::attention_forward(q, k, v, o);
  Tensor out = r.attn_output.transpose(1, 2).reshape({b, s, num_heads * head_dim});
  return {o_proj->forward(out), r.attn_weights};
}

LlamaDecoderLayer::LlamaDecoderLayer(std::shared_ptr<PretrainedConfig> config, int64_t idx) {
  const PretrainedConfig& c = *config;
  const double eps = c.get<double>("rms_norm_eps");
  self_attn = register_module("self_attn", std::make_shared<LlamaAttention>(config, idx));
  mlp = register_module("mlp", std::make_shared<LlamaMLP>(c.hidden_size(), c.get<int64_t>("intermediate_size"),
                                                          c.get<std::string>("hidden_act"),
                                                          c.get<bool>("mlp_bias", false)));
  input_layernorm = register_module("input_layernorm", std::make_shared<LlamaRMSNorm>(c.hidden_size(), eps));
  post_attention_layernorm =
      register_module("post_attention_layernorm", std::make_shared<LlamaRMSNorm>(c.hidden_size(), eps));
}

std::pair<Tensor, Tensor> LlamaDecoderLayer::forward(const Tensor& x, const Tensor& cos, const Tensor& sin,
                                                     const Tensor& mask, bool output_attentions, Cache* cache) const {
  auto [a, probs] = self_attn->forward(input_layernorm->forward(x), cos, sin, mask, output_attentions, cache);
  Tensor h = ops::add(x, a);
  return {ops::add(h, mlp->forward(post_attention_layernorm->forward(h))), probs};
}

void LlamaPreTrainedModel::init_weights(nn::Module& module) {
  nn::init_weights_normal(module, config().get<double>("initializer_range", 0.02));
}

LlamaModel::LlamaModel(std::shared_ptr<PretrainedConfig> config) : LlamaPreTrainedModel(std::move(config)) {
  const PretrainedConfig& c = *config_;
  std::optional<int64_t> pad;
  if (c.has("pad_token_id") && !c.raw_at("pad_token_id").is_null()) pad = c.get<int64_t>("pad_token_id");
  embed_tokens = register_module("embed_tokens", std::make_shared<nn::Embedding>(c.vocab_size(), c.hidden_size(), pad));
  layers = register_module("layers", std::make_shared<nn::ModuleList<LlamaDecoderLayer>>());
  for (int64_t i = 0; i < c.num_hidden_layers(); ++i) layers->push_back(std::make_shared<LlamaDecoderLayer>(config_, i));
  norm = register_module("norm", std::make_shared<LlamaRMSNorm>(c.hidden_size(), c.get<double>("rms_norm_eps")));
  rotary_emb = register_module("rotary_emb",
                               std::make_shared<LlamaRotaryEmbedding>(nn::RopeParameters::from_config(c)));
}

ModelOutput LlamaModel::forward(const ModelInputs& in) {
  const auto shape = models_detail::input_shape(in, "LlamaModel");
  models_detail::check_2d(in.position_ids, shape, "position_ids", "LlamaModel");
  if (in.head_mask.defined()) throw ValueError("LlamaModel: head_mask is not an argument of Llama's forward");
  const PretrainedConfig& c = config();
  const bool output_attentions = flag(in.output_attentions, c.output_attentions());
  const bool output_hidden_states = flag(in.output_hidden_states, c.output_hidden_states());
  Cache* cache = in.past_key_values;
  const int64_t past = cache ? cache->get_seq_length(0) : 0;

  Tensor hidden = in.inputs_embeds.defined() ? in.inputs_embeds : embed_tokens->forward(in.input_ids);
  // cache_position-based positions (Python: cache_position.unsqueeze(0)) unless given.
  Tensor pos = in.position_ids.defined() ? in.position_ids : Tensor::arange(past, past + shape.seq).view({1, shape.seq});

  // _update_causal_mask: sdpa drops the mask when nothing is padded and is_causal is exact.
  Tensor mask2d = in.attention_mask;
  if (mask2d.defined() && mask2d.dim() != 2)
    throw ShapeError("LlamaModel: attention_mask must be 2-D [batch, keys], found " + shape_str(mask2d.sizes()));
  Tensor mask;
  const bool eager = nn::uses_eager_attention(c.attn_implementation(), output_attentions, false);
  if (eager || !(nn::mask_is_all_ones(mask2d) && (shape.seq == 1 || past == 0)))
    mask = nn::causal_attention_mask(mask2d, shape.batch, shape.seq, past, hidden.dtype());

  auto [cos, sin] = rotary_emb->forward(hidden, pos);
  ModelOutput out;
  for (size_t i = 0; i < layers->size(); ++i) {
    if (output_hidden_states) out.hidden_states.push_back(hidden);
    auto [next, probs] = (*layers)[i].forward(hidden, cos, sin, mask, output_attentions, cache);
    hidden = next;
    if (output_attentions) out.attentions.push_back(probs);
  }
  hidden = norm->forward(hidden);
  if (output_hidden_states) out.hidden_states.push_back(hidden);
  out.last_hidden_state = hidden;
  out.past_key_values = cache;
  return out;
}

LlamaForCausalLM::LlamaForCausalLM(std::shared_ptr<PretrainedConfig> config) : LlamaPreTrainedModel(std::move(config)) {
  model = register_module("model", std::make_shared<LlamaModel>(config_));
  lm_head = register_module("lm_head", std::make_shared<nn::Linear>(config_->hidden_size(), config_->vocab_size(), false));
  // Constructed tied when tie_word_embeddings (Llama's default is false), as post_init() leaves it.
  if (config_->tie_word_embeddings()) lm_head->weight = model->embed_tokens->weight;
}

ModelOutput LlamaForCausalLM::forward(const ModelInputs& in) {
  ModelOutput out = model->forward(in);
  Tensor h = out.last_hidden_state;
  if (in.logits_to_keep > 0 && in.logits_to_keep < h.size(1))
    h = h.narrow(1, h.size(1) - in.logits_to_keep, in.logits_to_keep);
  out.logits = lm_head->forward(h);
  return out;
}

}  // namespace transformers
