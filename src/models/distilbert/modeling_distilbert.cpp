// DistilBERT as transformers 4.51 modeling_distilbert.py computes it (see the header for the scope).
#include "transformers/models/distilbert/modeling_distilbert.hpp"

#include <cmath>

#include "models/encoder_fusions.hpp"
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

namespace distilbert {

Tensor create_sinusoidal_embeddings(int64_t n_pos, int64_t dim) {
  std::vector<float> out(size_t(n_pos * dim));
  for (int64_t pos = 0; pos < n_pos; ++pos)
    for (int64_t j = 0; j < dim; ++j) {
      const double angle = double(pos) / std::pow(10000.0, 2.0 * double(j / 2) / double(dim));
      out[size_t(pos * dim + j)] = float(j % 2 == 0 ? std::sin(angle) : std::cos(angle));
    }
  return Tensor::from_vector(out, {n_pos, dim});
}

// ---------------------------------------------------------------- embeddings
Embeddings::Embeddings(const DistilBertConfigView& c) : dropout(c.dropout) {
  word_embeddings = register_module("word_embeddings", std::make_shared<nn::Embedding>(c.vocab_size, c.dim, c.pad_token_id));
  position_embeddings = register_module("position_embeddings",
                                        std::make_shared<nn::Embedding>(c.max_position_embeddings, c.dim));
  LayerNorm = register_module("LayerNorm", std::make_shared<nn::LayerNorm>(c.dim, 1e-12));
  position_ids = Tensor::arange(c.max_position_embeddings).view({1, c.max_position_embeddings});
  register_buffer("position_ids", &position_ids, /*persistent=*/false);
}

Tensor Embeddings::forward(const Tensor& input_ids, const Tensor& inputs_embeds) const {
  const Tensor emb = input_ids.defined() ? word_embeddings->forward(input_ids) : inputs_embeds;
  const int64_t seq = emb.size(1);
  if (seq > position_ids.size(1))
    throw ValueError("DistilBertModel: " + std::to_string(seq) + " positions exceed max_position_embeddings (" +
                     std::to_string(position_ids.size(1)) + ")");
  return ops::dropout(LayerNorm->forward(ops::add(emb, position_embeddings->forward(position_ids.narrow(1, 0, seq)))),
                      dropout, training());
}

// ---------------------------------------------------------------- attention
MultiHeadSelfAttention::MultiHeadSelfAttention(const DistilBertConfigView& c)
    : n_heads(c.n_heads), dim(c.dim), attn_implementation(c.attn_implementation), attention_dropout(c.attention_dropout) {
  if (n_heads <= 0 || dim % n_heads != 0)
    throw ValueError("self.n_heads: " + std::to_string(n_heads) + " must divide self.dim: " + std::to_string(dim) +
                     " evenly");
  attention_head_size = dim / n_heads;
  q_lin = register_module("q_lin", std::make_shared<nn::Linear>(c.dim, c.dim));
  k_lin = register_module("k_lin", std::make_shared<nn::Linear>(c.dim, c.dim));
  v_lin = register_module("v_lin", std::make_shared<nn::Linear>(c.dim, c.dim));
  out_lin = register_module("out_lin", std::make_shared<nn::Linear>(c.dim, c.dim));
}

std::pair<Tensor, Tensor> MultiHeadSelfAttention::forward(const Tensor& x, const Tensor& mask, const Tensor& head_mask,
                                                          bool output_attentions) const {
  const int64_t b = x.size(0), s = x.size(1), dim_per_head = dim / n_heads;
  auto shape = [&](const Tensor& t) { return t.view({b, s, n_heads, dim_per_head}).permute({0, 2, 1, 3}); };
  nn::AttentionOptions o;
  o.implementation = attn_implementation;
  o.attention_mask = mask;
  o.scaling = 1.0 / std::sqrt(double(dim_per_head));
  o.head_mask = head_mask;
  o.output_attentions = output_attentions;
  o.dropout = training() ? attention_dropout : 0.0;
  nn::AttentionOutput r = nn::attention_forward(shape(q_lin->forward(x)), shape(k_lin->forward(x)),
                                                shape(v_lin->forward(x)), o);
  const Tensor context = r.attn_output.permute({0, 2, 1, 3}).reshape({b, s, n_heads * dim_per_head});
  return {out_lin->forward(context), r.attn_weights};
}

void MultiHeadSelfAttention::prune_heads(const std::vector<int64_t>& heads) {
  if (heads.empty()) return;
  auto [todo, index] = nn::find_pruneable_heads_and_indices(heads, n_heads, attention_head_size, pruned_heads);
  q_lin = nn::prune_linear_layer(*q_lin, index, 0);
  k_lin = nn::prune_linear_layer(*k_lin, index, 0);
  v_lin = nn::prune_linear_layer(*v_lin, index, 0);
  out_lin = nn::prune_linear_layer(*out_lin, index, 1);
  replace_child("q_lin", q_lin);
  replace_child("k_lin", k_lin);
  replace_child("v_lin", v_lin);
  replace_child("out_lin", out_lin);
  n_heads -= int64_t(todo.size());
  dim = attention_head_size * n_heads;
  pruned_heads.insert(todo.begin(), todo.end());
}

// ---------------------------------------------------------------- feed-forward, block, stack
FFN::FFN(const DistilBertConfigView& c) : activation(c.activation), dropout(c.dropout) {
  lin1 = register_module("lin1", std::make_shared<nn::Linear>(c.dim, c.hidden_dim));
  lin2 = register_module("lin2", std::make_shared<nn::Linear>(c.hidden_dim, c.dim));
}

Tensor FFN::forward(const Tensor& x) const {
  return ops::dropout(lin2->forward(models_detail::dense_activation(*lin1, x, activation)), dropout, training());
}

TransformerBlock::TransformerBlock(const DistilBertConfigView& c) {
  if (c.n_heads <= 0 || c.dim % c.n_heads != 0)
    throw ValueError("config.n_heads " + std::to_string(c.n_heads) + " must divide config.dim " +
                     std::to_string(c.dim) + " evenly");
  attention = register_module("attention", std::make_shared<MultiHeadSelfAttention>(c));
  sa_layer_norm = register_module("sa_layer_norm", std::make_shared<nn::LayerNorm>(c.dim, 1e-12));
  ffn = register_module("ffn", std::make_shared<FFN>(c));
  output_layer_norm = register_module("output_layer_norm", std::make_shared<nn::LayerNorm>(c.dim, 1e-12));
}

std::pair<Tensor, Tensor> TransformerBlock::forward(const Tensor& x, const Tensor& mask, const Tensor& head_mask,
                                                    bool output_attentions) const {
  auto [sa, weights] = attention->forward(x, mask, head_mask, output_attentions);
  const Tensor sa_output = sa_layer_norm->forward(ops::add(sa, x));
  return {output_layer_norm->forward(ops::add(ffn->forward(sa_output), sa_output)), weights};
}

Transformer::Transformer(const DistilBertConfigView& c) {
  layer = register_module("layer", std::make_shared<nn::ModuleList<TransformerBlock>>());
  for (int64_t i = 0; i < c.n_layers; ++i) layer->push_back(std::make_shared<TransformerBlock>(c));
}

ModelOutput Transformer::forward(const Tensor& x, const Tensor& mask, const Tensor& head_mask_5d,
                                 bool output_attentions, bool output_hidden_states) const {
  ModelOutput out = models_detail::run_layers(
      *layer, x, output_hidden_states, output_attentions,
      [=](const TransformerBlock& l, int64_t i, const Tensor& h) {  // copies: checkpointing calls it in backward
        return l.forward(h, mask, nn::layer_head_mask(head_mask_5d, i), output_attentions);
      },
      active_checkpointing(training()));
  models_detail::finish_hidden_states(out, out.last_hidden_state, output_hidden_states, nullptr);
  return out;
}

}  // namespace distilbert

// ---------------------------------------------------------------- models
DistilBertPreTrainedModel::DistilBertPreTrainedModel(std::shared_ptr<PretrainedConfig> config,
                                                     const std::string& class_name)
    : PreTrainedModel(std::move(config)), config_view(DistilBertConfigView::from_config(*config_, class_name)) {}

// Python's _init_weights runs children first (Module.apply), so the Embeddings branch overwrites the
// normal draw of position_embeddings with the sinusoidal table.
void DistilBertPreTrainedModel::init_weights(nn::Module& module) {
  if (nn::init_weights_normal(module, config_view.initializer_range)) return;
  if (auto* e = dynamic_cast<distilbert::Embeddings*>(&module); e && config_view.sinusoidal_pos_embds) {
    Tensor& w = e->position_embeddings->weight;
    w = distilbert::create_sinusoidal_embeddings(config_view.max_position_embeddings, config_view.dim).to(w.dtype());
  }
}

DistilBertModel::DistilBertModel(std::shared_ptr<PretrainedConfig> config)
    : DistilBertPreTrainedModel(std::move(config), "DistilBertModel") {
  embeddings = register_module("embeddings", std::make_shared<distilbert::Embeddings>(config_view));
  transformer = register_module("transformer", std::make_shared<distilbert::Transformer>(config_view));
  apply_config_pruned_heads(*this);
}

void DistilBertModel::prune_heads_impl(const std::map<int64_t, std::vector<int64_t>>& heads) {
  models_detail::prune_layer_heads(*transformer->layer, heads);
}

ModelOutput DistilBertModel::forward(const ModelInputs& in) {
  const auto shape = models_detail::input_shape(in, name());
  if (in.token_type_ids.defined() || in.position_ids.defined())
    throw ValueError("DistilBertModel.forward() takes no token_type_ids or position_ids (4.51's has none)");
  const PretrainedConfig& c = config();
  const bool output_attentions = flag(in.output_attentions, c.output_attentions());
  const bool output_hidden_states = flag(in.output_hidden_states, c.output_hidden_states());
  const Tensor& mask = in.attention_mask;
  if (mask.defined() && (mask.dim() != 2 || mask.size(0) != shape.batch || mask.size(1) != shape.seq))
    throw ShapeError("DistilBertModel: attention_mask must be [" + std::to_string(shape.batch) + ", " +
                     std::to_string(shape.seq) + "], found " + shape_str(mask.sizes()));
  const DType dtype = models_detail::model_dtype(*this);
  const Tensor head_mask = nn::get_head_mask(in.head_mask, config_view.n_layers, dtype);
  const Tensor emb = embeddings->forward(in.input_ids, in.inputs_embeds);
  // Eager: scores.masked_fill(mask == 0, finfo.min), the same softmax as adding (1 - mask) * min;
  // sdpa: _prepare_4d_attention_mask_for_sdpa (no mask when nothing is padded).
  const Tensor ext = nn::prepare_attention_mask(mask, {.implementation = config_view.attn_implementation,
                                                       .output_attentions = output_attentions,
                                                       .has_head_mask = in.head_mask.defined(),
                                                       .is_causal = false,
                                                       .batch = shape.batch,
                                                       .query_length = shape.seq,
                                                       .past_length = 0,
                                                       .dtype = emb.dtype(),
                                                       .eager_dtype = emb.dtype(),
                                                       .eager_style = nn::EagerMaskStyle::extended,
                                                       .sliding_window = std::nullopt})
                         .mask;
  return transformer->forward(emb, ext, head_mask, output_attentions, output_hidden_states);
}

DistilBertHeadModel::DistilBertHeadModel(std::shared_ptr<PretrainedConfig> config, const std::string& class_name)
    : DistilBertPreTrainedModel(std::move(config), class_name) {
  distilbert = register_module("distilbert", std::make_shared<DistilBertModel>(config_));
}

DistilBertForMaskedLM::DistilBertForMaskedLM(std::shared_ptr<PretrainedConfig> config)
    : DistilBertHeadModel(std::move(config), "DistilBertForMaskedLM") {
  const auto& c = config_view;
  vocab_transform = register_module("vocab_transform", std::make_shared<nn::Linear>(c.dim, c.dim));
  vocab_layer_norm = register_module("vocab_layer_norm", std::make_shared<nn::LayerNorm>(c.dim, 1e-12));
  vocab_projector = register_module("vocab_projector", std::make_shared<nn::Linear>(c.dim, c.vocab_size));
  if (config_->tie_word_embeddings()) vocab_projector->weight = distilbert->embeddings->word_embeddings->weight;
}

ModelOutput DistilBertForMaskedLM::forward(const ModelInputs& in) {
  ModelOutput out = distilbert->forward(in);
  const Tensor h = ops::activation(vocab_transform->forward(out.last_hidden_state), config_view.activation);
  out.logits = vocab_projector->forward(vocab_layer_norm->forward(h));
  if (in.labels.defined()) out.loss = ForMaskedLMLoss(out.logits, in.labels, out.logits.size(-1));
  return out;
}

DistilBertForSequenceClassification::DistilBertForSequenceClassification(std::shared_ptr<PretrainedConfig> config)
    : DistilBertHeadModel(std::move(config), "DistilBertForSequenceClassification") {
  pre_classifier = register_module("pre_classifier", std::make_shared<nn::Linear>(config_view.dim, config_view.dim));
  classifier = register_module("classifier", std::make_shared<nn::Linear>(config_view.dim, config_view.num_labels));
}

ModelOutput DistilBertForSequenceClassification::forward(const ModelInputs& in) {
  ModelOutput out = distilbert->forward(in);
  const Tensor pooled = ops::relu(pre_classifier->forward(out.last_hidden_state.select(1, 0)));
  out.logits = classifier->forward(ops::dropout(pooled, config_view.seq_classif_dropout, training()));
  if (in.labels.defined()) out.loss = ForSequenceClassificationLoss(in.labels, out.logits, *config_);
  return out;
}

DistilBertForTokenClassification::DistilBertForTokenClassification(std::shared_ptr<PretrainedConfig> config)
    : DistilBertHeadModel(std::move(config), "DistilBertForTokenClassification") {
  classifier = register_module("classifier", std::make_shared<nn::Linear>(config_view.dim, config_view.num_labels));
}

ModelOutput DistilBertForTokenClassification::forward(const ModelInputs& in) {
  ModelOutput out = distilbert->forward(in);
  out.logits = classifier->forward(ops::dropout(out.last_hidden_state, config_view.dropout, training()));
  if (in.labels.defined()) out.loss = ForTokenClassification(out.logits, in.labels, config_->num_labels());
  return out;
}

DistilBertForQuestionAnswering::DistilBertForQuestionAnswering(std::shared_ptr<PretrainedConfig> config)
    : DistilBertHeadModel(std::move(config), "DistilBertForQuestionAnswering") {
  qa_outputs = register_module("qa_outputs", std::make_shared<nn::Linear>(config_view.dim, config_view.num_labels));
  if (config_view.num_labels != 2)
    throw ValueError("config.num_labels should be 2, but it is " + std::to_string(config_view.num_labels));
}

ModelOutput DistilBertForQuestionAnswering::forward(const ModelInputs& in) {
  ModelOutput out = distilbert->forward(in);
  const Tensor h = ops::dropout(out.last_hidden_state, config_view.qa_dropout, training());
  models_detail::split_span_logits(out, qa_outputs->forward(h), name());
  return out;
}

DistilBertForMultipleChoice::DistilBertForMultipleChoice(std::shared_ptr<PretrainedConfig> config)
    : DistilBertHeadModel(std::move(config), "DistilBertForMultipleChoice") {
  pre_classifier = register_module("pre_classifier", std::make_shared<nn::Linear>(config_view.dim, config_view.dim));
  classifier = register_module("classifier", std::make_shared<nn::Linear>(config_view.dim, 1));
}

ModelOutput DistilBertForMultipleChoice::forward(const ModelInputs& in) {
  int64_t num_choices = 0;
  ModelOutput out = distilbert->forward(models_detail::flatten_choices(in, name(), num_choices));
  const Tensor pooled = ops::relu(pre_classifier->forward(out.last_hidden_state.select(1, 0)));
  out.logits = classifier->forward(ops::dropout(pooled, config_view.seq_classif_dropout, training()))
                   .reshape({-1, num_choices});
  return out;
}

}  // namespace transformers
