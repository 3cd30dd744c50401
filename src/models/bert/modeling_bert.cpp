// BERT as transformers 4.51 modeling_bert.py computes it (see the header for the scope).
#include "transformers/models/bert/modeling_bert.hpp"
#include "transformers/modeling/prune.hpp"

#include <cmath>

#include "models/encoder_fusions.hpp"
#include "models/encoder_heads.hpp"
#include "models/model_utils.hpp"
#include "transformers/modeling/loss_utils.hpp"
#include "transformers/nn/attention.hpp"
#include "transformers/nn/attention_mask.hpp"
#include "transformers/nn/init.hpp"
#include "transformers/nn/kv_cache.hpp"
#include "transformers/nn/pruning.hpp"
#include "transformers/ops/dropout.hpp"
#include "transformers/ops/elementwise.hpp"
#include "transformers/ops/matmul.hpp"

namespace transformers {

using models_detail::flag;

// ---------------------------------------------------------------- embeddings
BertEmbeddings::BertEmbeddings(const BertConfigView& c) : hidden_dropout_prob(c.hidden_dropout_prob) {
  const int64_t hidden = c.hidden_size, max_pos = c.max_position_embeddings;
  const std::string& pet = c.position_embedding_type;
  if (pet != "absolute")
    throw UnsupportedError("BertEmbeddings: position_embedding_type '" + pet +
                           "' is not supported (only \"absolute\")");
  word_embeddings = register_module("word_embeddings", std::make_shared<nn::Embedding>(c.vocab_size, hidden, c.pad_token_id));
  position_embeddings = register_module("position_embeddings", std::make_shared<nn::Embedding>(max_pos, hidden));
  token_type_embeddings = register_module(
      "token_type_embeddings", std::make_shared<nn::Embedding>(c.type_vocab_size, hidden));
  LayerNorm = register_module("LayerNorm", std::make_shared<nn::LayerNorm>(hidden, c.layer_norm_eps));
  position_ids = Tensor::arange(max_pos).view({1, max_pos});
  token_type_ids = Tensor::zeros({1, max_pos}, DType::Int64);
  register_buffer("position_ids", &position_ids, /*persistent=*/false);
  register_buffer("token_type_ids", &token_type_ids, /*persistent=*/false);
}

Tensor BertEmbeddings::forward(const Tensor& input_ids, const Tensor& tt_ids, const Tensor& pos_ids,
                               const Tensor& inputs_embeds, int64_t past) const {
  const Shape shape = input_ids.defined() ? input_ids.sizes() : Shape{inputs_embeds.size(0), inputs_embeds.size(1)};
  const int64_t b = shape[0], seq = shape[1];
  Tensor pids = pos_ids;
  if (!pids.defined()) {
    if (past + seq > position_ids.size(1))
      throw ValueError("BertEmbeddings: positions up to " + std::to_string(past + seq) +
                       " exceed max_position_embeddings (" + std::to_string(position_ids.size(1)) + ")");
    pids = position_ids.narrow(1, past, seq);
  }
  Tensor tids = tt_ids.defined() ? tt_ids : token_type_ids.narrow(1, 0, seq).expand({b, seq});
  Tensor emb = inputs_embeds.defined() ? inputs_embeds : word_embeddings->forward(input_ids);
  emb = ops::add(emb, token_type_embeddings->forward(tids));
  emb = ops::add(emb, position_embeddings->forward(pids));
  return ops::dropout(LayerNorm->forward(emb), hidden_dropout_prob, training());
}

// ---------------------------------------------------------------- attention
BertSelfAttention::BertSelfAttention(const BertConfigView& c, int64_t idx)
    : layer_idx(idx),
      is_decoder(c.is_decoder),
      attn_implementation(c.attn_implementation),
      attention_probs_dropout_prob(c.attention_probs_dropout_prob) {
  const int64_t hidden = c.hidden_size;
  num_attention_heads = c.num_attention_heads;
  if (num_attention_heads <= 0 || hidden % num_attention_heads != 0)
    throw ValueError("The hidden size (" + std::to_string(hidden) + ") is not a multiple of the number of attention heads (" +
                     std::to_string(num_attention_heads) + ")");
  attention_head_size = hidden / num_attention_heads;
  all_head_size = num_attention_heads * attention_head_size;
  query = register_module("query", std::make_shared<nn::Linear>(hidden, all_head_size));
  key = register_module("key", std::make_shared<nn::Linear>(hidden, all_head_size));
  value = register_module("value", std::make_shared<nn::Linear>(hidden, all_head_size));
}

void BertSelfAttention::prune_qkv(const Tensor& index, int64_t remaining) {
  query = nn::prune_linear_layer(*query, index, 0);
  key = nn::prune_linear_layer(*key, index, 0);
  value = nn::prune_linear_layer(*value, index, 0);
  replace_child("query", query);
  replace_child("key", key);
  replace_child("value", value);
  num_attention_heads = remaining;
  all_head_size = attention_head_size * num_attention_heads;
}

std::pair<Tensor, Tensor> BertSelfAttention::forward(const Tensor& h, const Tensor& mask, const Tensor& head_mask,
                                                     bool output_attentions, Cache* cache) const {
  const int64_t b = h.size(0), s = h.size(1);
  auto heads = [&](const Tensor& x) {  // transpose_for_scores
    return x.view({b, s, num_attention_heads, attention_head_size}).permute({0, 2, 1, 3});
  };
  Tensor q = heads(query->forward(h)), k = heads(key->forward(h)), v = heads(value->forward(h));
  if (cache && is_decoder) std::tie(k, v) = cache->update(k, v, layer_idx);
  nn::AttentionOptions o;
  o.implementation = attn_implementation;
  o.attention_mask = mask;
  o.is_causal = is_decoder && !mask.defined() && s > 1;
  o.scaling = 1.0 / std::sqrt(double(attention_head_size));
  o.head_mask = head_mask;
  o.output_attentions = output_attentions;
  o.dropout = training() ? attention_probs_dropout_prob : 0.0;
  nn::AttentionOutput r = nn::attention_forward(q, k, v, o);
  Tensor ctx = r.attn_output.permute({0, 2, 1, 3}).reshape({b, s, all_head_size});
  return {ctx, r.attn_weights};
}

BertSelfOutput::BertSelfOutput(const BertConfigView& c) : hidden_dropout_prob(c.hidden_dropout_prob) {
  dense = register_module("dense", std::make_shared<nn::Linear>(c.hidden_size, c.hidden_size));
  LayerNorm = register_module("LayerNorm",
                              std::make_shared<nn::LayerNorm>(c.hidden_size, c.layer_norm_eps));
}

Tensor BertSelfOutput::forward(const Tensor& h, const Tensor& input) const {
  return LayerNorm->forward(models_detail::dense_dropout_add(*dense, h, input, hidden_dropout_prob, training()));
}

void BertSelfOutput::prune_dense_inputs(const Tensor& index) {
  dense = nn::prune_linear_layer(*dense, index, 1);
  replace_child("dense", dense);
}

BertAttention::BertAttention(const BertConfigView& config, int64_t idx) {
  self = register_module("self", std::make_shared<BertSelfAttention>(config, idx));
  output = register_module("output", std::make_shared<BertSelfOutput>(config));
}

std::pair<Tensor, Tensor> BertAttention::forward(const Tensor& h, const Tensor& mask, const Tensor& head_mask,
                                                 bool output_attentions, Cache* cache) const {
  auto [ctx, probs] = self->forward(h, mask, head_mask, output_attentions, cache);
  return {output->forward(ctx, h), probs};
}

void BertAttention::prune_heads(const std::vector<int64_t>& heads) {
  if (heads.empty()) return;
  auto [todo, index] =
      nn::find_pruneable_heads_and_indices(heads, self->num_attention_heads, self->attention_head_size, pruned_heads);
  self->prune_qkv(index, self->num_attention_heads - int64_t(todo.size()));
  output->prune_dense_inputs(index);
  pruned_heads.insert(todo.begin(), todo.end());
}

// ---------------------------------------------------------------- feed-forward, layer, encoder
BertIntermediate::BertIntermediate(const BertConfigView& c) : intermediate_act_fn(c.hidden_act) {
  dense = register_module("dense", std::make_shared<nn::Linear>(c.hidden_size, c.intermediate_size));
}

Tensor BertIntermediate::forward(const Tensor& h) const {
  return models_detail::dense_activation(*dense, h, intermediate_act_fn);
}

BertOutput::BertOutput(const BertConfigView& c) : hidden_dropout_prob(c.hidden_dropout_prob) {
  dense = register_module("dense", std::make_shared<nn::Linear>(c.intermediate_size, c.hidden_size));
  LayerNorm = register_module("LayerNorm",
                              std::make_shared<nn::LayerNorm>(c.hidden_size, c.layer_norm_eps));
}

Tensor BertOutput::forward(const Tensor& h, const Tensor& input) const {
  return LayerNorm->forward(models_detail::dense_dropout_add(*dense, h, input, hidden_dropout_prob, training()));
}

BertLayer::BertLayer(const BertConfigView& config, int64_t idx) {
  if (config.add_cross_attention)
    throw UnsupportedError("BertLayer: add_cross_attention=True (encoder-decoder BERT) is not supported");
  attention = register_module("attention", std::make_shared<BertAttention>(config, idx));
  intermediate = register_module("intermediate", std::make_shared<BertIntermediate>(config));
  output = register_module("output", std::make_shared<BertOutput>(config));
}

std::pair<Tensor, Tensor> BertLayer::forward(const Tensor& h, const Tensor& mask, const Tensor& head_mask,
                                             bool output_attentions, Cache* cache) const {
  auto [attn, probs] = attention->forward(h, mask, head_mask, output_attentions, cache);
  return {output->forward(intermediate->forward(attn), attn), probs};
}

BertEncoder::BertEncoder(const BertConfigView& config) {
  layer = register_module("layer", std::make_shared<nn::ModuleList<BertLayer>>());
  for (int64_t i = 0; i < config.num_hidden_layers; ++i) layer->push_back(std::make_shared<BertLayer>(config, i));
}

ModelOutput BertEncoder::forward(const Tensor& hidden, const Tensor& mask, const Tensor& head_mask_5d,
                                 bool output_attentions, bool output_hidden_states, Cache* cache) const {
  const auto checkpointing = active_checkpointing(training());
  if (checkpointing && cache) {  // use_cache: only a decoder-configured BERT given a cache has it on
    warn_use_cache_with_checkpointing();
    cache = nullptr;
  }
  ModelOutput out = models_detail::run_layers(
      *layer, hidden, output_hidden_states, output_attentions,
      [=](const BertLayer& l, int64_t i, const Tensor& h) {  // copies: checkpointing calls it in backward
        return l.forward(h, mask, nn::layer_head_mask(head_mask_5d, i), output_attentions, cache);
      },
      checkpointing);
  models_detail::finish_hidden_states(out, out.last_hidden_state, output_hidden_states, cache);
  return out;
}

BertPooler::BertPooler(const BertConfigView& c) {
  dense = register_module("dense", std::make_shared<nn::Linear>(c.hidden_size, c.hidden_size));
}

Tensor BertPooler::forward(const Tensor& h) const { return ops::tanh(dense->forward(h.select(1, 0))); }

// ---------------------------------------------------------------- models
BertPreTrainedModel::BertPreTrainedModel(std::shared_ptr<PretrainedConfig> config, const std::string& class_name,
                                         std::string base_model_prefix)
    : PreTrainedModel(std::move(config)),
      config_view(BertConfigView::from_config(*config_, class_name)),
      base_model_prefix_(std::move(base_model_prefix)) {}

void BertPreTrainedModel::init_weights(nn::Module& module) {
  const double std = config_view.initializer_range;
  if (nn::init_weights_normal(module, std)) return;
  if (auto* head = dynamic_cast<BertLMPredictionHead*>(&module)) head->bias().zero_();
}

BertModel::BertModel(std::shared_ptr<PretrainedConfig> config, bool add_pooling_layer)
    : BertModel(std::move(config), add_pooling_layer, "BertModel", "bert",
                [](const BertConfigView& c) { return std::make_shared<BertEmbeddings>(c); }) {}

BertModel::BertModel(std::shared_ptr<PretrainedConfig> config, bool add_pooling_layer, const std::string& class_name,
                     std::string base_model_prefix, const MakeEmbeddings& make_embeddings)
    : BertPreTrainedModel(std::move(config), class_name, std::move(base_model_prefix)) {
  embeddings = register_module("embeddings", make_embeddings(config_view));
  encoder = register_module("encoder", std::make_shared<BertEncoder>(config_view));
  if (add_pooling_layer) pooler = register_module("pooler", std::make_shared<BertPooler>(config_view));
  apply_config_pruned_heads(*this);  // a saved pruned checkpoint's shapes (Python: post_init)
}

void BertModel::prune_heads_impl(const std::map<int64_t, std::vector<int64_t>>& heads) {
  models_detail::prune_layer_heads(*encoder->layer, heads);
}

ModelOutput BertModel::forward(const ModelInputs& in) {
  const std::string model = name();
  const auto shape = models_detail::input_shape(in, model);
  models_detail::check_2d(in.token_type_ids, shape, "token_type_ids", model);
  models_detail::check_2d(in.position_ids, shape, "position_ids", model);
  const PretrainedConfig& c = config();
  const bool output_attentions = flag(in.output_attentions, c.output_attentions());
  const bool output_hidden_states = flag(in.output_hidden_states, c.output_hidden_states());
  const bool is_decoder = c.is_decoder();
  Cache* cache = is_decoder ? in.past_key_values : nullptr;
  const int64_t past = cache ? cache->get_seq_length(0) : 0;

  Tensor emb = embeddings->forward(in.input_ids, in.token_type_ids, in.position_ids, in.inputs_embeds, past);
  const Tensor& mask = in.attention_mask;
  if (mask.defined() && (mask.dim() < 2 || mask.size(0) != shape.batch))
    throw ShapeError(model + ": attention_mask must start with the batch size " + std::to_string(shape.batch) +
                     ", found " + shape_str(mask.sizes()));
  // sdpa with a 2-D mask: _prepare_4d_(causal_)attention_mask_for_sdpa; otherwise
  // get_extended_attention_mask in self.dtype.
  const DType dtype = models_detail::model_dtype(*this);
  const Tensor ext = nn::prepare_attention_mask(mask, {.implementation = config_view.attn_implementation,
                                                       .output_attentions = output_attentions,
                                                       .has_head_mask = in.head_mask.defined(),
                                                       .is_causal = is_decoder,
                                                       .batch = shape.batch,
                                                       .query_length = shape.seq,
                                                       .past_length = past,
                                                       .dtype = emb.dtype(),
                                                       .eager_dtype = dtype,
                                                       .eager_style = nn::EagerMaskStyle::extended,
                                                       .sliding_window = std::nullopt})
                         .mask;
  Tensor head_mask = nn::get_head_mask(in.head_mask, c.num_hidden_layers(), dtype);
  ModelOutput out = encoder->forward(emb, ext, head_mask, output_attentions, output_hidden_states, cache);
  if (pooler) out.pooler_output = pooler->forward(out.last_hidden_state);
  return out;
}

BertHeadModel::BertHeadModel(std::shared_ptr<PretrainedConfig> config, const std::string& class_name,
                             bool add_pooling_layer)
    : BertPreTrainedModel(std::move(config), class_name) {
  bert = register_module("bert", std::make_shared<BertModel>(config_, add_pooling_layer));
}

BertPredictionHeadTransform::BertPredictionHeadTransform(const BertConfigView& c)
    : transform_act_fn(c.hidden_act) {
  dense = register_module("dense", std::make_shared<nn::Linear>(c.hidden_size, c.hidden_size));
  LayerNorm = register_module("LayerNorm",
                              std::make_shared<nn::LayerNorm>(c.hidden_size, c.layer_norm_eps));
}

Tensor BertPredictionHeadTransform::forward(const Tensor& h) const {
  return LayerNorm->forward(ops::activation(dense->forward(h), transform_act_fn));
}

BertLMPredictionHead::BertLMPredictionHead(const BertConfigView& c) {
  transform = std::make_shared<BertPredictionHeadTransform>(c);
  decoder = std::make_shared<nn::Linear>(c.hidden_size, c.vocab_size, /*bias=*/true);
  // Python registers `bias` on the head before assigning it to decoder.bias: own parameter first.
  register_parameter("bias", &decoder->bias);
  register_module("transform", transform);
  register_module("decoder", decoder);
}

Tensor BertLMPredictionHead::forward(const Tensor& h) const { return decoder->forward(transform->forward(h)); }

BertOnlyMLMHead::BertOnlyMLMHead(const BertConfigView& c) {
  predictions = register_module("predictions", std::make_shared<BertLMPredictionHead>(c));
}

BertForMaskedLM::BertForMaskedLM(std::shared_ptr<PretrainedConfig> config)
    : BertHeadModel(std::move(config), "BertForMaskedLM", /*add_pooling_layer=*/false) {
  cls = register_module("cls", std::make_shared<BertOnlyMLMHead>(config_view));
  // Constructed tied, as Python's post_init() leaves the model (PreTrainedModel::tie_weights re-ties
  // after loading).
  if (config_->tie_word_embeddings()) cls->predictions->decoder->weight = bert->embeddings->word_embeddings->weight;
}

ModelOutput BertForMaskedLM::forward(const ModelInputs& in) {
  ModelOutput out = bert->forward(in);
  out.logits = cls->forward(out.last_hidden_state);
  if (in.labels.defined())
    out.loss = ForMaskedLMLoss(out.logits, in.labels, config_view.vocab_size, {.num_items_in_batch = in.num_items_in_batch});
  return out;
}

BertForSequenceClassification::BertForSequenceClassification(std::shared_ptr<PretrainedConfig> config)
    : BertHeadModel(std::move(config), "BertForSequenceClassification", /*add_pooling_layer=*/true) {
  classifier = register_module("classifier",
                               std::make_shared<nn::Linear>(config_view.hidden_size, config_view.num_labels));
}

ModelOutput BertForSequenceClassification::forward(const ModelInputs& in) {
  ModelOutput out = bert->forward(in);
  const double p = config_view.classifier_dropout.value_or(config_view.hidden_dropout_prob);
  out.logits = classifier->forward(ops::dropout(out.pooler_output, p, training()));
  if (in.labels.defined()) out.loss = ForSequenceClassificationLoss(in.labels, out.logits, *config_);
  return out;
}

BertForTokenClassification::BertForTokenClassification(std::shared_ptr<PretrainedConfig> config)
    : BertHeadModel(std::move(config), "BertForTokenClassification", /*add_pooling_layer=*/false) {
  classifier = register_module("classifier",
                               std::make_shared<nn::Linear>(config_view.hidden_size, config_view.num_labels));
}

ModelOutput BertForTokenClassification::forward(const ModelInputs& in) {
  ModelOutput out = bert->forward(in);
  const double p = config_view.classifier_dropout.value_or(config_view.hidden_dropout_prob);
  out.logits = classifier->forward(ops::dropout(out.last_hidden_state, p, training()));
  if (in.labels.defined()) out.loss = ForTokenClassification(out.logits, in.labels, config_->num_labels());
  return out;
}

BertForQuestionAnswering::BertForQuestionAnswering(std::shared_ptr<PretrainedConfig> config)
    : BertHeadModel(std::move(config), "BertForQuestionAnswering", /*add_pooling_layer=*/false) {
  qa_outputs = register_module("qa_outputs",
                               std::make_shared<nn::Linear>(config_view.hidden_size, config_view.num_labels));
}

ModelOutput BertForQuestionAnswering::forward(const ModelInputs& in) {
  ModelOutput out = bert->forward(in);
  models_detail::split_span_logits(out, qa_outputs->forward(out.last_hidden_state), name());
  return out;
}

BertForMultipleChoice::BertForMultipleChoice(std::shared_ptr<PretrainedConfig> config)
    : BertHeadModel(std::move(config), "BertForMultipleChoice", /*add_pooling_layer=*/true) {
  classifier = register_module("classifier", std::make_shared<nn::Linear>(config_view.hidden_size, 1));
}

ModelOutput BertForMultipleChoice::forward(const ModelInputs& in) {
  int64_t num_choices = 0;
  ModelOutput out = bert->forward(models_detail::flatten_choices(in, name(), num_choices));
  out.logits = classifier->forward(out.pooler_output).reshape({-1, num_choices});
  return out;
}

BertOnlyNSPHead::BertOnlyNSPHead(const BertConfigView& c) {
  seq_relationship = register_module("seq_relationship", std::make_shared<nn::Linear>(c.hidden_size, 2));
}

BertForNextSentencePrediction::BertForNextSentencePrediction(std::shared_ptr<PretrainedConfig> config)
    : BertHeadModel(std::move(config), "BertForNextSentencePrediction", /*add_pooling_layer=*/true) {
  cls = register_module("cls", std::make_shared<BertOnlyNSPHead>(config_view));
}

ModelOutput BertForNextSentencePrediction::forward(const ModelInputs& in) {
  ModelOutput out = bert->forward(in);
  out.logits = cls->forward(out.pooler_output);
  return out;
}

BertPreTrainingHeads::BertPreTrainingHeads(const BertConfigView& c) {
  predictions = register_module("predictions", std::make_shared<BertLMPredictionHead>(c));
  seq_relationship = register_module("seq_relationship", std::make_shared<nn::Linear>(c.hidden_size, 2));
}

BertForPreTraining::BertForPreTraining(std::shared_ptr<PretrainedConfig> config)
    : BertHeadModel(std::move(config), "BertForPreTraining", /*add_pooling_layer=*/true) {
  cls = register_module("cls", std::make_shared<BertPreTrainingHeads>(config_view));
  if (config_->tie_word_embeddings()) cls->predictions->decoder->weight = bert->embeddings->word_embeddings->weight;
}

ModelOutput BertForPreTraining::forward(const ModelInputs& in) {
  ModelOutput out = bert->forward(in);
  out.prediction_logits = cls->predictions->forward(out.last_hidden_state);
  out.seq_relationship_logits = cls->seq_relationship->forward(out.pooler_output);
  return out;
}

}  // namespace transformers
