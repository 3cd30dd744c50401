// MPNet as transformers 4.51 modeling_mpnet.py computes it (see the header for the scope).
#include "transformers/models/mpnet/modeling_mpnet.hpp"

#include <algorithm>
#include <cmath>

#include "models/encoder_heads.hpp"
#include "models/model_utils.hpp"
#include "transformers/modeling/loss_utils.hpp"
#include "transformers/modeling/prune.hpp"
#include "transformers/nn/attention.hpp"
#include "transformers/nn/attention_mask.hpp"
#include "transformers/nn/init.hpp"
#include "transformers/nn/pruning.hpp"
#include "transformers/ops/dropout.hpp"
#include "transformers/ops/elementwise.hpp"

namespace transformers {

using models_detail::flag;

// ---------------------------------------------------------------- embeddings
MPNetEmbeddings::MPNetEmbeddings(const MPNetConfigView& c) : hidden_dropout_prob(c.hidden_dropout_prob) {
  word_embeddings = register_module("word_embeddings",
                                    std::make_shared<nn::Embedding>(c.vocab_size, c.hidden_size, padding_idx));
  position_embeddings = register_module(
      "position_embeddings", std::make_shared<nn::Embedding>(c.max_position_embeddings, c.hidden_size, padding_idx));
  LayerNorm = register_module("LayerNorm", std::make_shared<nn::LayerNorm>(c.hidden_size, c.layer_norm_eps));
  position_ids = Tensor::arange(c.max_position_embeddings).view({1, c.max_position_embeddings});
  register_buffer("position_ids", &position_ids, /*persistent=*/false);
}

Tensor MPNetEmbeddings::forward(const Tensor& input_ids, const Tensor& pos_ids, const Tensor& inputs_embeds) const {
  Tensor pids = pos_ids;
  if (!pids.defined()) {
    if (input_ids.defined()) {
      pids = create_position_ids_from_input_ids(input_ids, padding_idx);
    } else {  // create_position_ids_from_inputs_embeds: padding cannot be seen, so sequential
      const int64_t b = inputs_embeds.size(0), s = inputs_embeds.size(1);
      pids = Tensor::arange(double(padding_idx + 1), double(s + padding_idx + 1)).view({1, s}).expand({b, s});
    }
  }
  const Tensor emb = inputs_embeds.defined() ? inputs_embeds : word_embeddings->forward(input_ids);
  const Tensor sum = ops::add(emb, position_embeddings->forward(pids));
  return ops::dropout(LayerNorm->forward(sum), hidden_dropout_prob, training());
}

// ---------------------------------------------------------------- attention
MPNetSelfAttention::MPNetSelfAttention(const MPNetConfigView& c)
    : attention_probs_dropout_prob(c.attention_probs_dropout_prob) {
  num_attention_heads = c.num_attention_heads;
  if (num_attention_heads <= 0 || c.hidden_size % num_attention_heads != 0)
    throw ValueError("The hidden size (" + std::to_string(c.hidden_size) +
                     ") is not a multiple of the number of attention heads (" + std::to_string(num_attention_heads) +
                     ")");
  attention_head_size = c.hidden_size / num_attention_heads;
  all_head_size = num_attention_heads * attention_head_size;
  q = register_module("q", std::make_shared<nn::Linear>(c.hidden_size, all_head_size));
  k = register_module("k", std::make_shared<nn::Linear>(c.hidden_size, all_head_size));
  v = register_module("v", std::make_shared<nn::Linear>(c.hidden_size, all_head_size));
  o = register_module("o", std::make_shared<nn::Linear>(c.hidden_size, c.hidden_size));
}

std::pair<Tensor, Tensor> MPNetSelfAttention::forward(const Tensor& h, const Tensor& bias_and_mask,
                                                      const Tensor& head_mask, bool output_attentions) const {
  const int64_t b = h.size(0), s = h.size(1);
  auto heads = [&](const Tensor& x) {  // transpose_for_scores
    return x.view({b, s, num_attention_heads, attention_head_size}).permute({0, 2, 1, 3});
  };
  // scores / sqrt(d) + position_bias + mask, softmax, head mask: 4.51's only (eager) path.
  nn::AttentionOptions opt;
  opt.implementation = nn::AttentionImplementation::eager;
  opt.attention_mask = bias_and_mask;
  opt.scaling = 1.0 / std::sqrt(double(attention_head_size));
  opt.head_mask = head_mask;
  opt.output_attentions = output_attentions;
  opt.dropout = training() ? attention_probs_dropout_prob : 0.0;
  nn::AttentionOutput r = nn::attention_forward(heads(q->forward(h)), heads(k->forward(h)), heads(v->forward(h)), opt);
  const Tensor ctx = r.attn_output.permute({0, 2, 1, 3}).reshape({b, s, all_head_size});
  return {o->forward(ctx), output_attentions ? r.attn_weights : Tensor()};
}

void MPNetSelfAttention::prune_qkvo(const Tensor& index, int64_t remaining) {
  q = nn::prune_linear_layer(*q, index, 0);
  k = nn::prune_linear_layer(*k, index, 0);
  v = nn::prune_linear_layer(*v, index, 0);
  o = nn::prune_linear_layer(*o, index, 1);
  replace_child("q", q);
  replace_child("k", k);
  replace_child("v", v);
  replace_child("o", o);
  num_attention_heads = remaining;
  all_head_size = attention_head_size * num_attention_heads;
}

MPNetAttention::MPNetAttention(const MPNetConfigView& c) : hidden_dropout_prob(c.hidden_dropout_prob) {
  attn = register_module("attn", std::make_shared<MPNetSelfAttention>(c));
  LayerNorm = register_module("LayerNorm", std::make_shared<nn::LayerNorm>(c.hidden_size, c.layer_norm_eps));
}

std::pair<Tensor, Tensor> MPNetAttention::forward(const Tensor& h, const Tensor& bias_and_mask, const Tensor& head_mask,
                                                  bool output_attentions) const {
  auto [out, probs] = attn->forward(h, bias_and_mask, head_mask, output_attentions);
  return {LayerNorm->forward(ops::add(ops::dropout(out, hidden_dropout_prob, training()), h)), probs};
}

void MPNetAttention::prune_heads(const std::vector<int64_t>& heads) {
  if (heads.empty()) return;
  auto [todo, index] =
      nn::find_pruneable_heads_and_indices(heads, attn->num_attention_heads, attn->attention_head_size, pruned_heads);
  attn->prune_qkvo(index, attn->num_attention_heads - int64_t(todo.size()));
  pruned_heads.insert(todo.begin(), todo.end());
}

MPNetLayer::MPNetLayer(const MPNetConfigView& c) {
  attention = register_module("attention", std::make_shared<MPNetAttention>(c));
  intermediate = register_module("intermediate", std::make_shared<MPNetIntermediate>(c));
  output = register_module("output", std::make_shared<MPNetOutput>(c));
}

std::pair<Tensor, Tensor> MPNetLayer::forward(const Tensor& h, const Tensor& bias_and_mask, const Tensor& head_mask,
                                              bool output_attentions) const {
  auto [attn, probs] = attention->forward(h, bias_and_mask, head_mask, output_attentions);
  return {output->forward(intermediate->forward(attn), attn), probs};
}

// ---------------------------------------------------------------- encoder
int64_t mpnet_relative_position_bucket(int64_t relative_position, int64_t num_buckets, int64_t max_distance) {
  int64_t n = -relative_position;
  num_buckets /= 2;
  int64_t ret = n < 0 ? num_buckets : 0;
  n = std::abs(n);
  const int64_t max_exact = num_buckets / 2;
  if (n < max_exact) return ret + n;
  // float32 as torch: log(n.float() / max_exact) / math.log(max_distance / max_exact) * (num_buckets -
  // max_exact), truncated to long (the Python float divisor and factor enter as float32 scalars).
  const float ratio = std::log(float(n) / float(max_exact)) / float(std::log(double(max_distance) / double(max_exact)));
  const int64_t large = max_exact + int64_t(ratio * float(num_buckets - max_exact));
  return ret + std::min(large, num_buckets - 1);
}

MPNetEncoder::MPNetEncoder(const MPNetConfigView& c) : n_heads(c.num_attention_heads) {
  layer = register_module("layer", std::make_shared<nn::ModuleList<MPNetLayer>>());
  for (int64_t i = 0; i < c.num_hidden_layers; ++i) layer->push_back(std::make_shared<MPNetLayer>(c));
  relative_attention_bias = register_module(
      "relative_attention_bias", std::make_shared<nn::Embedding>(c.relative_attention_num_buckets, n_heads));
}

Tensor MPNetEncoder::compute_position_bias(int64_t seq) const {
  std::vector<int64_t> buckets(size_t(seq * seq));
  for (int64_t i = 0; i < seq; ++i)
    for (int64_t j = 0; j < seq; ++j) buckets[size_t(i * seq + j)] = mpnet_relative_position_bucket(j - i);
  const Tensor values = relative_attention_bias->forward(Tensor::from_vector(buckets, {seq, seq}));  // [s, s, H]
  return values.permute({2, 0, 1}).unsqueeze(0);
}

ModelOutput MPNetEncoder::forward(const Tensor& hidden, const Tensor& ext_mask, const Tensor& head_mask_5d,
                                  bool output_attentions, bool output_hidden_states) const {
  // Python adds the bias, then the mask, to every layer's scores; summed once here (the same
  // softmax: a masked score is finfo.min either way).
  Tensor bias = compute_position_bias(hidden.size(1)).to(hidden.dtype());
  if (ext_mask.defined()) bias = ops::add(bias, ext_mask);
  ModelOutput out = models_detail::run_layers(
      *layer, hidden, output_hidden_states, output_attentions,
      [=](const MPNetLayer& l, int64_t i, const Tensor& h) {  // copies: checkpointing calls it in backward
        return l.forward(h, bias, nn::layer_head_mask(head_mask_5d, i), output_attentions);
      },
      active_checkpointing(training()));
  models_detail::finish_hidden_states(out, out.last_hidden_state, output_hidden_states, nullptr);
  return out;
}

// ---------------------------------------------------------------- models
MPNetPreTrainedModel::MPNetPreTrainedModel(std::shared_ptr<PretrainedConfig> config, const std::string& class_name)
    : PreTrainedModel(std::move(config)), config_view(MPNetConfigView::from_config(*config_, class_name)) {}

void MPNetPreTrainedModel::init_weights(nn::Module& module) {
  if (nn::init_weights_normal(module, config_view.initializer_range)) return;
  if (auto* head = dynamic_cast<MPNetLMHead*>(&module)) head->bias().zero_();
}

MPNetModel::MPNetModel(std::shared_ptr<PretrainedConfig> config, bool add_pooling_layer)
    : MPNetPreTrainedModel(std::move(config), "MPNetModel") {
  embeddings = register_module("embeddings", std::make_shared<MPNetEmbeddings>(config_view));
  encoder = register_module("encoder", std::make_shared<MPNetEncoder>(config_view));
  if (add_pooling_layer) pooler = register_module("pooler", std::make_shared<MPNetPooler>(config_view));
  apply_config_pruned_heads(*this);
}

void MPNetModel::prune_heads_impl(const std::map<int64_t, std::vector<int64_t>>& heads) {
  models_detail::prune_layer_heads(*encoder->layer, heads);
}

ModelOutput MPNetModel::forward(const ModelInputs& in) {
  const std::string model = name();
  const auto shape = models_detail::input_shape(in, model);
  if (in.token_type_ids.defined())
    throw ValueError(model + ".forward() takes no token_type_ids (4.51's has none; MPNet has no token type embeddings)");
  models_detail::check_2d(in.position_ids, shape, "position_ids", model);
  const PretrainedConfig& c = config();
  const bool output_attentions = flag(in.output_attentions, c.output_attentions());
  const bool output_hidden_states = flag(in.output_hidden_states, c.output_hidden_states());
  const Tensor& mask = in.attention_mask;
  if (mask.defined() && (mask.dim() < 2 || mask.size(0) != shape.batch))
    throw ShapeError(model + ": attention_mask must start with the batch size " + std::to_string(shape.batch) +
                     ", found " + shape_str(mask.sizes()));
  const DType dtype = models_detail::model_dtype(*this);
  // get_extended_attention_mask in self.dtype: (1 - mask) * finfo.min, [b, 1, 1, s].
  const Tensor ext = nn::prepare_attention_mask(mask, {.implementation = nn::AttentionImplementation::eager,
                                                       .output_attentions = output_attentions,
                                                       .has_head_mask = in.head_mask.defined(),
                                                       .is_causal = false,
                                                       .batch = shape.batch,
                                                       .query_length = shape.seq,
                                                       .past_length = 0,
                                                       .dtype = dtype,
                                                       .eager_dtype = dtype,
                                                       .eager_style = nn::EagerMaskStyle::extended,
                                                       .sliding_window = std::nullopt})
                         .mask;
  const Tensor head_mask = nn::get_head_mask(in.head_mask, c.num_hidden_layers(), dtype);
  const Tensor emb = embeddings->forward(in.input_ids, in.position_ids, in.inputs_embeds);
  ModelOutput out = encoder->forward(emb, ext, head_mask, output_attentions, output_hidden_states);
  if (pooler) out.pooler_output = pooler->forward(out.last_hidden_state);
  return out;
}

MPNetHeadModel::MPNetHeadModel(std::shared_ptr<PretrainedConfig> config, const std::string& class_name,
                               bool add_pooling_layer)
    : MPNetPreTrainedModel(std::move(config), class_name) {
  mpnet = register_module("mpnet", std::make_shared<MPNetModel>(config_, add_pooling_layer));
}

MPNetForMaskedLM::MPNetForMaskedLM(std::shared_ptr<PretrainedConfig> config)
    : MPNetHeadModel(std::move(config), "MPNetForMaskedLM", /*add_pooling_layer=*/false) {
  lm_head = register_module("lm_head", std::make_shared<MPNetLMHead>(config_view));
  if (config_->tie_word_embeddings()) lm_head->decoder->weight = mpnet->embeddings->word_embeddings->weight;
}

ModelOutput MPNetForMaskedLM::forward(const ModelInputs& in) {
  ModelOutput out = mpnet->forward(in);
  out.logits = lm_head->forward(out.last_hidden_state);
  if (in.labels.defined()) out.loss = ForMaskedLMLoss(out.logits, in.labels, out.logits.size(-1));
  return out;
}

MPNetForSequenceClassification::MPNetForSequenceClassification(std::shared_ptr<PretrainedConfig> config)
    : MPNetHeadModel(std::move(config), "MPNetForSequenceClassification", false) {
  classifier = register_module("classifier", std::make_shared<MPNetClassificationHead>(config_view));
}

ModelOutput MPNetForSequenceClassification::forward(const ModelInputs& in) {
  ModelOutput out = mpnet->forward(in);
  out.logits = classifier->forward(out.last_hidden_state);
  if (in.labels.defined()) out.loss = ForSequenceClassificationLoss(in.labels, out.logits, *config_);
  return out;
}

MPNetForTokenClassification::MPNetForTokenClassification(std::shared_ptr<PretrainedConfig> config)
    : MPNetHeadModel(std::move(config), "MPNetForTokenClassification", false) {
  classifier = register_module("classifier",
                               std::make_shared<nn::Linear>(config_view.hidden_size, config_view.num_labels));
}

ModelOutput MPNetForTokenClassification::forward(const ModelInputs& in) {
  ModelOutput out = mpnet->forward(in);
  out.logits = classifier->forward(out.last_hidden_state);
  if (in.labels.defined()) out.loss = ForTokenClassification(out.logits, in.labels, config_->num_labels());
  return out;
}

MPNetForQuestionAnswering::MPNetForQuestionAnswering(std::shared_ptr<PretrainedConfig> config)
    : MPNetHeadModel(std::move(config), "MPNetForQuestionAnswering", false) {
  qa_outputs = register_module("qa_outputs",
                               std::make_shared<nn::Linear>(config_view.hidden_size, config_view.num_labels));
}

ModelOutput MPNetForQuestionAnswering::forward(const ModelInputs& in) {
  ModelOutput out = mpnet->forward(in);
  models_detail::split_span_logits(out, qa_outputs->forward(out.last_hidden_state), name());
  return out;
}

MPNetForMultipleChoice::MPNetForMultipleChoice(std::shared_ptr<PretrainedConfig> config)
    : MPNetHeadModel(std::move(config), "MPNetForMultipleChoice", /*add_pooling_layer=*/true) {
  classifier = register_module("classifier", std::make_shared<nn::Linear>(config_view.hidden_size, 1));
}

ModelOutput MPNetForMultipleChoice::forward(const ModelInputs& in) {
  int64_t num_choices = 0;
  ModelOutput out = mpnet->forward(models_detail::flatten_choices(in, name(), num_choices));
  out.logits = classifier->forward(out.pooler_output).reshape({-1, num_choices});
  return out;
}

}  // namespace transformers
