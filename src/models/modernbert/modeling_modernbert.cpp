// ModernBERT as transformers 4.51 modeling_modernbert.py computes it (see the header for the scope).
#include "transformers/models/modernbert/modeling_modernbert.hpp"

#include <cmath>

#include "models/encoder_heads.hpp"
#include "models/model_utils.hpp"
#include "transformers/modeling/attn_implementation.hpp"
#include "transformers/modeling/loss_utils.hpp"
#include "transformers/nn/attention_mask.hpp"
#include "transformers/nn/init.hpp"
#include "transformers/ops/elementwise.hpp"
#include "transformers/ops/reduce.hpp"
#include "transformers/ops/rotary.hpp"

namespace transformers {

using models_detail::flag;

ModernBertConfigView ModernBertConfigView::from_config(const PretrainedConfig& c, const std::string& class_name) {
  ModernBertConfigView v;
  v.vocab_size = c.vocab_size();
  v.hidden_size = c.hidden_size();
  v.intermediate_size = c.get<int64_t>("intermediate_size");
  v.num_hidden_layers = c.num_hidden_layers();
  v.num_attention_heads = c.num_attention_heads();
  v.max_position_embeddings = c.get<int64_t>("max_position_embeddings");
  v.global_attn_every_n_layers = c.get<int64_t>("global_attn_every_n_layers");
  v.local_attention = c.get<int64_t>("local_attention");
  v.num_labels = c.num_labels();
  v.pad_token_id = models_detail::optional_int(c, "pad_token_id");
  v.norm_eps = c.get<double>("norm_eps");
  v.global_rope_theta = c.get<double>("global_rope_theta");
  v.initializer_range = c.get<double>("initializer_range");
  if (c.has("local_rope_theta") && !c.raw_at("local_rope_theta").is_null()) v.local_rope_theta = c.get<double>("local_rope_theta");
  v.norm_bias = c.get<bool>("norm_bias");
  v.attention_bias = c.get<bool>("attention_bias");
  v.mlp_bias = c.get<bool>("mlp_bias");
  v.decoder_bias = c.get<bool>("decoder_bias");
  v.classifier_bias = c.get<bool>("classifier_bias");
  v.hidden_activation = c.get<std::string>("hidden_activation");
  v.classifier_activation = c.get<std::string>("classifier_activation");
  v.classifier_pooling = c.get<std::string>("classifier_pooling");
  if (v.classifier_pooling != "cls" && v.classifier_pooling != "mean")
    throw ValueError("Invalid value for `classifier_pooling`, should be either \"cls\" or \"mean\", but is " +
                     v.classifier_pooling + ".");
  if (v.num_attention_heads <= 0 || v.hidden_size % v.num_attention_heads != 0)
    throw ValueError("The hidden size (" + std::to_string(v.hidden_size) +
                     ") is not a multiple of the number of attention heads (" + std::to_string(v.num_attention_heads) + ")");
  if (v.global_attn_every_n_layers <= 0)
    throw ValueError(class_name + ": config.global_attn_every_n_layers must be positive, found " +
                     std::to_string(v.global_attn_every_n_layers));
  if (c.has("rope_scaling") && !c.raw_at("rope_scaling").is_null())
    throw UnsupportedError(class_name + ": config.rope_scaling is not supported for ModernBERT (default rotary only)");
  v.attn_implementation = autoset_attn_implementation(c, class_name, {.flash_attention_2 = true, .sdpa = true});
  return v;
}

namespace modernbert {

Embeddings::Embeddings(const ModernBertConfigView& c) {
  tok_embeddings = register_module("tok_embeddings", std::make_shared<nn::Embedding>(c.vocab_size, c.hidden_size, c.pad_token_id));
  norm = register_module("norm", std::make_shared<nn::LayerNorm>(c.hidden_size, c.norm_eps, true, c.norm_bias));
}

Tensor Embeddings::forward(const Tensor& input_ids, const Tensor& inputs_embeds) const {
  return norm->forward(inputs_embeds.defined() ? inputs_embeds : tok_embeddings->forward(input_ids));
}

MLP::MLP(const ModernBertConfigView& c) : act(c.hidden_activation) {
  Wi = register_module("Wi", std::make_shared<nn::Linear>(c.hidden_size, 2 * c.intermediate_size, c.mlp_bias));
  Wo = register_module("Wo", std::make_shared<nn::Linear>(c.intermediate_size, c.hidden_size, c.mlp_bias));
}

Tensor MLP::forward(const Tensor& x) const {
  const Tensor both = Wi->forward(x);
  const int64_t n = both.size(-1) / 2;
  const Tensor input = both.narrow(-1, 0, n).contiguous(), gate = both.narrow(-1, n, n).contiguous();
  return Wo->forward(ops::mul(ops::activation(input, act), gate));
}

Attention::Attention(const ModernBertConfigView& c, int64_t layer_id)
    : num_heads(c.num_attention_heads),
      head_dim(c.hidden_size / c.num_attention_heads),
      local_window(layer_id % c.global_attn_every_n_layers != 0 ? c.local_attention / 2 : -1),
      attn_implementation(c.attn_implementation) {
  Wqkv = register_module("Wqkv", std::make_shared<nn::Linear>(c.hidden_size, 3 * c.hidden_size, c.attention_bias));
  // ModernBertRotaryEmbedding: default rope over the whole head, the local theta for local layers.
  nn::RopeParameters rope;
  rope.rope_theta = is_local() && c.local_rope_theta ? *c.local_rope_theta : c.global_rope_theta;
  rope.head_dim = head_dim;
  rope.max_position_embeddings = is_local() ? c.local_attention : c.max_position_embeddings;
  rotary_emb = register_module("rotary_emb", std::make_shared<nn::RotaryEmbedding>(rope, "ModernBertRotaryEmbedding"));
  Wo = register_module("Wo", std::make_shared<nn::Linear>(c.hidden_size, c.hidden_size, c.attention_bias));
}

std::pair<Tensor, Tensor> Attention::forward(const Tensor& h, const Tensor& mask, const Tensor& position_ids,
                                             bool output_attentions) const {
  const int64_t b = h.size(0), s = h.size(1);
  const Tensor qkv = Wqkv->forward(h).view({b, s, 3, num_heads, head_dim});
  auto part = [&](int64_t i) { return qkv.select(2, i).permute({0, 2, 1, 3}); };  // [b, H, s, D]
  auto [cos, sin] = rotary_emb->forward(h, position_ids);
  const Tensor q = ops::apply_rotary_pos_emb(part(0), cos, sin), k = ops::apply_rotary_pos_emb(part(1), cos, sin);
  nn::AttentionOptions o;
  o.implementation = attn_implementation;
  o.attention_mask = mask;
  o.scaling = 1.0 / std::sqrt(double(head_dim));
  o.output_attentions = output_attentions;
  nn::AttentionOutput r = nn::attention_forward(q, k, part(2), o);
  const Tensor ctx = r.attn_output.permute({0, 2, 1, 3}).reshape({b, s, num_heads * head_dim});
  return {Wo->forward(ctx), r.attn_weights};
}

EncoderLayer::EncoderLayer(const ModernBertConfigView& c, int64_t layer_id) {
  if (layer_id != 0)
    attn_norm = register_module("attn_norm", std::make_shared<nn::LayerNorm>(c.hidden_size, c.norm_eps, true, c.norm_bias));
  attn = register_module("attn", std::make_shared<Attention>(c, layer_id));
  mlp_norm = register_module("mlp_norm", std::make_shared<nn::LayerNorm>(c.hidden_size, c.norm_eps, true, c.norm_bias));
  mlp = register_module("mlp", std::make_shared<MLP>(c));
}

std::pair<Tensor, Tensor> EncoderLayer::forward(const Tensor& h, const Tensor& global_mask, const Tensor& sliding_mask,
                                                const Tensor& position_ids, bool output_attentions) const {
  auto [a, probs] = attn->forward(attn_norm ? attn_norm->forward(h) : h, attn->is_local() ? sliding_mask : global_mask,
                                  position_ids, output_attentions);
  const Tensor x = ops::add(h, a);
  return {ops::add(x, mlp->forward(mlp_norm->forward(x))), probs};
}

PredictionHead::PredictionHead(const ModernBertConfigView& c) : act(c.classifier_activation) {
  dense = register_module("dense", std::make_shared<nn::Linear>(c.hidden_size, c.hidden_size, c.classifier_bias));
  norm = register_module("norm", std::make_shared<nn::LayerNorm>(c.hidden_size, c.norm_eps, true, c.norm_bias));
}

Tensor PredictionHead::forward(const Tensor& x) const { return norm->forward(ops::activation(dense->forward(x), act)); }

}  // namespace modernbert

namespace {

// _update_attention_mask: the global mask is _prepare_4d_attention_mask's (0 where the key is a
// token, dtype min at padding); the sliding one also sets dtype min where |query - key| exceeds
// local_attention // 2. The window mask is [b, 1, s, s]; built in float32, then cast.
Tensor sliding_window_mask(const Tensor& mask2d, int64_t window, DType dtype) {
  const int64_t b = mask2d.size(0), s = mask2d.size(1);
  const Tensor m = mask2d.to(DType::Float32).contiguous();
  const float* mp = m.data<float>();
  const float lowest = float(nn::dtype_min(dtype));
  Tensor out = Tensor::empty({b, 1, s, s}, DType::Float32);
  float* op = out.data<float>();
  for (int64_t i = 0; i < b; ++i)
    for (int64_t q = 0; q < s; ++q)
      for (int64_t k = 0; k < s; ++k)
        op[(i * s + q) * s + k] = (std::abs(q - k) <= window && mp[i * s + k] != 0.0f) ? 0.0f : lowest;
  return dtype == DType::Float32 ? out : out.to(dtype);
}

}  // namespace

ModernBertPreTrainedModel::ModernBertPreTrainedModel(std::shared_ptr<PretrainedConfig> config,
                                                     const std::string& class_name)
    : PreTrainedModel(std::move(config)), config_view(ModernBertConfigView::from_config(*config_, class_name)) {}

void ModernBertPreTrainedModel::init_weights(nn::Module& module) {
  nn::init_weights_normal(module, config_view.initializer_range);
}

ModernBertModel::ModernBertModel(std::shared_ptr<PretrainedConfig> config)
    : ModernBertPreTrainedModel(std::move(config), "ModernBertModel") {
  embeddings = register_module("embeddings", std::make_shared<modernbert::Embeddings>(config_view));
  layers = register_module("layers", std::make_shared<nn::ModuleList<modernbert::EncoderLayer>>());
  for (int64_t i = 0; i < config_view.num_hidden_layers; ++i)
    layers->push_back(std::make_shared<modernbert::EncoderLayer>(config_view, i));
  final_norm = register_module("final_norm", std::make_shared<nn::LayerNorm>(config_view.hidden_size, config_view.norm_eps,
                                                                             true, config_view.norm_bias));
}

ModelOutput ModernBertModel::forward(const ModelInputs& in) {
  const auto shape = models_detail::input_shape(in, name());
  if (in.token_type_ids.defined()) throw ValueError("ModernBertModel.forward() takes no token_type_ids (4.51's has none)");
  models_detail::check_2d(in.position_ids, shape, "position_ids", name());
  models_detail::check_2d(in.attention_mask, shape, "attention_mask", name());
  const PretrainedConfig& c = config();
  const bool output_attentions = flag(in.output_attentions, c.output_attentions());
  const bool output_hidden_states = flag(in.output_hidden_states, c.output_hidden_states());
  const Tensor hidden = embeddings->forward(in.input_ids, in.inputs_embeds);
  const DType dtype = hidden.dtype();
  const Tensor mask2d = in.attention_mask.defined() ? in.attention_mask : Tensor::ones({shape.batch, shape.seq}, DType::Int64);
  const Tensor global = nn::padding_attention_mask(mask2d, dtype);
  Tensor sliding;
  for (size_t i = 0; i < layers->size() && !sliding.defined(); ++i)
    if ((*layers)[i].attn->is_local()) sliding = sliding_window_mask(mask2d, config_view.local_attention / 2, dtype);
  const Tensor pos = in.position_ids.defined() ? in.position_ids : Tensor::arange(shape.seq).view({1, shape.seq});
  ModelOutput out = models_detail::run_layers(
      *layers, hidden, output_hidden_states, output_attentions,
      [&](const modernbert::EncoderLayer& l, int64_t, const Tensor& h) {
        return l.forward(h, global, sliding, pos, output_attentions);
      });
  // all_hidden_states ends with the last layer's output before final_norm, as 4.51 collects it.
  if (output_hidden_states) out.hidden_states.push_back(out.last_hidden_state);
  out.last_hidden_state = final_norm->forward(out.last_hidden_state);
  return out;
}

ModernBertHeadModel::ModernBertHeadModel(std::shared_ptr<PretrainedConfig> config, const std::string& class_name)
    : ModernBertPreTrainedModel(std::move(config), class_name) {
  model = register_module("model", std::make_shared<ModernBertModel>(config_));
  head = register_module("head", std::make_shared<modernbert::PredictionHead>(config_view));
}

ModernBertForMaskedLM::ModernBertForMaskedLM(std::shared_ptr<PretrainedConfig> config)
    : ModernBertHeadModel(std::move(config), "ModernBertForMaskedLM") {
  decoder = register_module("decoder", std::make_shared<nn::Linear>(config_view.hidden_size, config_view.vocab_size,
                                                                    config_view.decoder_bias));
  if (config_->tie_word_embeddings()) decoder->weight = model->embeddings->tok_embeddings->weight;
}

ModelOutput ModernBertForMaskedLM::forward(const ModelInputs& in) {
  if (in.labels.defined() && config().get<bool>("sparse_prediction", false))
    throw UnsupportedError(name() + ": config.sparse_prediction with labels is not supported");
  ModelOutput out = model->forward(in);
  out.logits = decoder->forward(head->forward(out.last_hidden_state));
  if (in.labels.defined()) out.loss = ForMaskedLMLoss(out.logits, in.labels, config_view.vocab_size);
  return out;
}

ModernBertForSequenceClassification::ModernBertForSequenceClassification(std::shared_ptr<PretrainedConfig> config)
    : ModernBertHeadModel(std::move(config), "ModernBertForSequenceClassification") {
  classifier = register_module("classifier", std::make_shared<nn::Linear>(config_view.hidden_size, config_view.num_labels));
}

ModelOutput ModernBertForSequenceClassification::forward(const ModelInputs& in) {
  ModelOutput out = model->forward(in);
  const Tensor& last = out.last_hidden_state;
  Tensor pooled;
  if (config_view.classifier_pooling == "cls") {
    pooled = last.select(1, 0);
  } else {  // (h * mask[..., None]).sum(1) / mask.sum(1, keepdim=True)
    const Tensor mask = (in.attention_mask.defined() ? in.attention_mask : Tensor::ones({last.size(0), last.size(1)}, DType::Int64))
                            .to(last.dtype());
    pooled = ops::div(ops::sum(ops::mul(last, mask.unsqueeze(-1)), {1}), ops::sum(mask, {1}, true));
  }
  out.logits = classifier->forward(head->forward(pooled));
  if (in.labels.defined()) out.loss = ForSequenceClassificationLoss(in.labels, out.logits, *config_);
  return out;
}

ModernBertForTokenClassification::ModernBertForTokenClassification(std::shared_ptr<PretrainedConfig> config)
    : ModernBertHeadModel(std::move(config), "ModernBertForTokenClassification") {
  classifier = register_module("classifier", std::make_shared<nn::Linear>(config_view.hidden_size, config_view.num_labels));
}

ModelOutput ModernBertForTokenClassification::forward(const ModelInputs& in) {
  ModelOutput out = model->forward(in);
  out.logits = classifier->forward(head->forward(out.last_hidden_state));
  if (in.labels.defined()) out.loss = ForTokenClassification(out.logits, in.labels, config_view.num_labels);
  return out;
}

ModernBertForQuestionAnswering::ModernBertForQuestionAnswering(std::shared_ptr<PretrainedConfig> config)
    : ModernBertHeadModel(std::move(config), "ModernBertForQuestionAnswering") {
  classifier = register_module("classifier", std::make_shared<nn::Linear>(config_view.hidden_size, config_view.num_labels));
}

ModelOutput ModernBertForQuestionAnswering::forward(const ModelInputs& in) {
  ModelOutput out = model->forward(in);
  models_detail::split_span_logits(out, classifier->forward(head->forward(out.last_hidden_state)), name());
  return out;
}

}  // namespace transformers
