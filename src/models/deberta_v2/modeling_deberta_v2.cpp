// DeBERTa-v2 as transformers 4.51 modeling_deberta_v2.py computes it (see the header for the scope).
// Python runs attention on [batch * heads, seq, head_dim]; here [batch, heads, seq, head_dim], the same
// numbers (the position tables broadcast over the batch instead of being repeated).
#include "transformers/models/deberta_v2/modeling_deberta_v2.hpp"

#include <algorithm>
#include <cmath>

#include "models/encoder_heads.hpp"
#include "models/model_utils.hpp"
#include "transformers/modeling/loss_utils.hpp"
#include "transformers/nn/attention_mask.hpp"
#include "transformers/nn/init.hpp"
#include "transformers/ops/dropout.hpp"
#include "transformers/ops/elementwise.hpp"
#include "transformers/ops/indexing.hpp"
#include "transformers/ops/loss.hpp"
#include "transformers/ops/matmul.hpp"
#include "transformers/ops/reduce.hpp"
#include "transformers/ops/softmax.hpp"

namespace transformers {

using models_detail::flag;

// ---------------------------------------------------------------- relative positions
int64_t deberta_log_bucket_position(int64_t r, int64_t bucket_size, int64_t max_position) {
  const int64_t mid = bucket_size / 2;
  const int64_t abs_pos = (r < mid && r > -mid) ? mid - 1 : std::abs(r);
  if (abs_pos <= mid) return r;
  // float32 as torch: ceil(log(abs_pos / mid) / log(tensor((max_position - 1) / mid)) * (mid - 1)) + mid.
  const float num = std::log(float(abs_pos) / float(mid));
  const float den = std::log(float(double(max_position - 1) / double(mid)));
  const float log_pos = std::ceil(num / den * float(mid - 1)) + float(mid);
  return int64_t(r < 0 ? -log_pos : log_pos);
}

Tensor deberta_build_relative_position(int64_t query_size, int64_t key_size, int64_t bucket_size, int64_t max_position) {
  std::vector<int64_t> rel(size_t(query_size * key_size));
  const bool log_buckets = bucket_size > 0 && max_position > 0;
  for (int64_t i = 0; i < query_size; ++i)
    for (int64_t j = 0; j < key_size; ++j)
      rel[size_t(i * key_size + j)] = log_buckets ? deberta_log_bucket_position(i - j, bucket_size, max_position) : i - j;
  return Tensor::from_vector(rel, {query_size, key_size});
}

namespace {

// torch.gather(att, -1, clamp(sign * relative_pos + span, 0, 2 span - 1).expand(b, H, q, k)) for att
// [b, H, q, n]: the index depends on (i, j) only, so the rows are picked with one index_select over
// the flattened [q * n] positions (an [q * k] index, not a materialised [b, H, q, k] one).
Tensor gather_relative(const Tensor& att, const Tensor& relative_pos, int64_t sign, int64_t span) {
  const int64_t q = relative_pos.size(0), k = relative_pos.size(1), n = att.size(-1);
  if (n != 2 * span)  // rel_embeddings has 2 * pos_ebd_size rows by construction
    throw ShapeError("DisentangledSelfAttention: " + std::to_string(n) + " relative embeddings, expected " +
                     std::to_string(2 * span));
  std::vector<int64_t> idx = relative_pos.to_vector<int64_t>();
  for (int64_t i = 0; i < q; ++i)
    for (int64_t j = 0; j < k; ++j) {
      int64_t& x = idx[size_t(i * k + j)];
      x = i * n + std::clamp(sign * x + span, int64_t(0), 2 * span - 1);
    }
  const Tensor flat = att.contiguous().view({att.size(0), att.size(1), q * n});
  return ops::index_select(flat, 2, Tensor::from_vector(idx)).view({att.size(0), att.size(1), q, k});
}

}  // namespace

// ---------------------------------------------------------------- embeddings
DebertaV2Embeddings::DebertaV2Embeddings(const DebertaV2ConfigView& c) : hidden_dropout_prob(c.hidden_dropout_prob) {
  const int64_t e = c.embedding_size;
  word_embeddings = register_module("word_embeddings",
                                    std::make_shared<nn::Embedding>(c.vocab_size, e, c.pad_token_id.value_or(0)));
  if (c.position_biased_input)
    position_embeddings = register_module("position_embeddings",
                                          std::make_shared<nn::Embedding>(c.max_position_embeddings, e));
  if (c.type_vocab_size > 0)
    token_type_embeddings = register_module("token_type_embeddings",
                                            std::make_shared<nn::Embedding>(c.type_vocab_size, e));
  if (e != c.hidden_size)
    embed_proj = register_module("embed_proj", std::make_shared<nn::Linear>(e, c.hidden_size, /*bias=*/false));
  LayerNorm = register_module("LayerNorm", std::make_shared<nn::LayerNorm>(c.hidden_size, c.layer_norm_eps));
  position_ids = Tensor::arange(c.max_position_embeddings).view({1, c.max_position_embeddings});
  register_buffer("position_ids", &position_ids, /*persistent=*/false);
}

Tensor DebertaV2Embeddings::forward(const Tensor& input_ids, const Tensor& token_type_ids, const Tensor& pos_ids,
                                    const Tensor& mask, const Tensor& inputs_embeds) const {
  Tensor emb = inputs_embeds.defined() ? inputs_embeds : word_embeddings->forward(input_ids);
  const int64_t b = emb.size(0), seq = emb.size(1);
  if (position_embeddings) {
    Tensor pids = pos_ids;
    if (!pids.defined()) {
      if (seq > position_ids.size(1))
        throw ValueError("DebertaV2Embeddings: " + std::to_string(seq) + " positions exceed max_position_embeddings (" +
                         std::to_string(position_ids.size(1)) + ")");
      pids = position_ids.narrow(1, 0, seq);
    }
    emb = ops::add(emb, position_embeddings->forward(pids));
  }
  if (token_type_embeddings)
    emb = ops::add(emb, token_type_embeddings->forward(
                            token_type_ids.defined() ? token_type_ids : Tensor::zeros({b, seq}, DType::Int64)));
  if (embed_proj) emb = embed_proj->forward(emb);
  emb = LayerNorm->forward(emb);
  if (mask.defined()) emb = ops::mul(emb, mask.unsqueeze(2).to(emb.dtype()));
  return ops::dropout(emb, hidden_dropout_prob, training());
}

// ---------------------------------------------------------------- attention
DisentangledSelfAttention::DisentangledSelfAttention(const DebertaV2ConfigView& c)
    : num_attention_heads(c.num_attention_heads),
      attention_head_size(c.attention_head_size),
      all_head_size(c.num_attention_heads * c.attention_head_size),
      relative_attention(c.relative_attention),
      share_att_key(c.share_att_key),
      c2p(c.has_pos_att("c2p")),
      p2c(c.has_pos_att("p2c")),
      pos_ebd_size(c.att_span()),
      hidden_dropout_prob(c.hidden_dropout_prob),
      attention_probs_dropout_prob(c.attention_probs_dropout_prob) {
  query_proj = register_module("query_proj", std::make_shared<nn::Linear>(c.hidden_size, all_head_size));
  key_proj = register_module("key_proj", std::make_shared<nn::Linear>(c.hidden_size, all_head_size));
  value_proj = register_module("value_proj", std::make_shared<nn::Linear>(c.hidden_size, all_head_size));
  if (relative_attention && !share_att_key) {
    if (c2p) pos_key_proj = register_module("pos_key_proj", std::make_shared<nn::Linear>(c.hidden_size, all_head_size));
    if (p2c)
      pos_query_proj = register_module("pos_query_proj", std::make_shared<nn::Linear>(c.hidden_size, all_head_size));
  }
}

std::pair<Tensor, Tensor> DisentangledSelfAttention::forward(const Tensor& h, const Tensor& mask,
                                                             bool output_attentions, const Tensor& relative_pos,
                                                             const Tensor& rel_embeddings) const {
  const int64_t b = h.size(0), s = h.size(1);
  auto heads = [&](const Tensor& x) {  // transpose_for_scores
    return x.view({b, s, num_attention_heads, attention_head_size}).permute({0, 2, 1, 3});
  };
  const Tensor q = heads(query_proj->forward(h)), k = heads(key_proj->forward(h)), v = heads(value_proj->forward(h));
  const int64_t scale_factor = 1 + int64_t(c2p) + int64_t(p2c);
  // scaled_size_sqrt: torch.sqrt(torch.tensor(head_dim, dtype=float) * scale_factor), a float32.
  const float scale = std::sqrt(float(attention_head_size) * float(scale_factor));
  Tensor scores = ops::matmul(q, ops::div(k.transpose(-1, -2), double(scale)));
  if (relative_attention) {
    const Tensor rel = ops::dropout(rel_embeddings, hidden_dropout_prob, training());
    const Tensor bias = disentangled_attention_bias(q, k, relative_pos, rel, scale_factor);
    if (bias.defined()) scores = ops::add(scores, bias);
  }
  scores = ops::masked_fill(scores, ops::logical_not(mask), nn::dtype_min(q.dtype()));
  Tensor probs = ops::softmax(scores, -1);
  const Tensor dropped = ops::dropout(probs, attention_probs_dropout_prob, training());
  const Tensor ctx = ops::matmul(dropped, v).permute({0, 2, 1, 3}).reshape({b, s, all_head_size});
  return {ctx, output_attentions ? probs : Tensor()};
}

Tensor DisentangledSelfAttention::disentangled_attention_bias(const Tensor& q, const Tensor& k,
                                                              const Tensor& relative_pos, const Tensor& rel_embeddings,
                                                              int64_t scale_factor) const {
  const int64_t span = pos_ebd_size;
  const Tensor rel = rel_embeddings.narrow(0, 0, std::min(span * 2, rel_embeddings.size(0)));
  const int64_t n = rel.size(0);
  auto pos_heads = [&](const Tensor& x) {  // [1, H, 2 span, d], broadcast over the batch
    return x.view({1, n, num_attention_heads, attention_head_size}).permute({0, 2, 1, 3});
  };
  const float scale = std::sqrt(float(attention_head_size) * float(scale_factor));
  Tensor score;
  if (c2p) {  // content -> position: q_i . pos_key[clamp(r(i, j) + span)]
    const Tensor pos_key = pos_heads(share_att_key ? key_proj->forward(rel) : pos_key_proj->forward(rel));
    Tensor c2p_att = ops::matmul(q, pos_key.transpose(-1, -2));
    c2p_att = gather_relative(c2p_att, relative_pos, 1, span);
    score = ops::div(c2p_att, double(scale));
  }
  if (p2c) {  // position -> content: k_j . pos_query[clamp(-r(j, i) + span)], transposed to [i, j]
    const Tensor pos_query = pos_heads(share_att_key ? query_proj->forward(rel) : pos_query_proj->forward(rel));
    Tensor p2c_att = ops::matmul(k, pos_query.transpose(-1, -2));
    p2c_att = gather_relative(p2c_att, relative_pos, -1, span).transpose(-1, -2);
    const Tensor term = ops::div(p2c_att, double(scale));
    score = score.defined() ? ops::add(score, term) : term;
  }
  return score;
}

DebertaV2Attention::DebertaV2Attention(const DebertaV2ConfigView& c) {
  self = register_module("self", std::make_shared<DisentangledSelfAttention>(c));
  output = register_module("output", std::make_shared<DebertaV2SelfOutput>(c));
}

std::pair<Tensor, Tensor> DebertaV2Attention::forward(const Tensor& h, const Tensor& mask, bool output_attentions,
                                                      const Tensor& relative_pos, const Tensor& rel_embeddings) const {
  auto [ctx, probs] = self->forward(h, mask, output_attentions, relative_pos, rel_embeddings);
  return {output->forward(ctx, h), probs};
}

DebertaV2Layer::DebertaV2Layer(const DebertaV2ConfigView& c) {
  attention = register_module("attention", std::make_shared<DebertaV2Attention>(c));
  intermediate = register_module("intermediate", std::make_shared<DebertaV2Intermediate>(c));
  output = register_module("output", std::make_shared<DebertaV2Output>(c));
}

std::pair<Tensor, Tensor> DebertaV2Layer::forward(const Tensor& h, const Tensor& mask, bool output_attentions,
                                                  const Tensor& relative_pos, const Tensor& rel_embeddings) const {
  auto [attn, probs] = attention->forward(h, mask, output_attentions, relative_pos, rel_embeddings);
  return {output->forward(intermediate->forward(attn), attn), probs};
}

// ---------------------------------------------------------------- conv layer
DebertaV2Conv1d::DebertaV2Conv1d(int64_t channels, int64_t kernel_size) {
  weight = Tensor::zeros({channels, channels, kernel_size});
  bias = Tensor::zeros({channels});
  register_parameter("weight", &weight);
  register_parameter("bias", &bias);
}

// Cross-correlation with zero padding (kernel - 1) // 2 on both sides: one matmul per kernel tap.
Tensor DebertaV2Conv1d::forward(const Tensor& x) const {
  const int64_t b = x.size(0), s = x.size(1), c = x.size(2), kernel = weight.size(2), pad = (kernel - 1) / 2;
  const int64_t out_len = s + 2 * pad - kernel + 1;
  if (out_len != s)
    throw ValueError("ConvLayer: conv_kernel_size " + std::to_string(kernel) +
                     " changes the sequence length (4.51's masked_fill then fails); use an odd kernel size");
  const Tensor zeros = Tensor::zeros({b, pad, c}, x.dtype());
  const Tensor padded = pad > 0 ? ops::cat({zeros, x, zeros}, 1) : x;
  Tensor out;
  for (int64_t j = 0; j < kernel; ++j) {
    const Tensor term =
        ops::linear(padded.narrow(1, j, s), weight.select(2, j).contiguous(), j == 0 ? bias : Tensor());
    out = out.defined() ? ops::add(out, term) : term;
  }
  return out;
}

ConvLayer::ConvLayer(const DebertaV2ConfigView& c) : conv_act(c.conv_act), hidden_dropout_prob(c.hidden_dropout_prob) {
  if (c.conv_groups != 1)
    throw UnsupportedError("ConvLayer: conv_groups " + std::to_string(c.conv_groups) + " is not supported (only 1)");
  conv = register_module("conv", std::make_shared<DebertaV2Conv1d>(c.hidden_size, c.conv_kernel_size));
  LayerNorm = register_module("LayerNorm", std::make_shared<nn::LayerNorm>(c.hidden_size, c.layer_norm_eps));
}

Tensor ConvLayer::forward(const Tensor& hidden, const Tensor& residual, const Tensor& input_mask) const {
  Tensor out = conv->forward(hidden);
  const Tensor mask = input_mask.to(out.dtype());
  out = ops::masked_fill(out, ops::ne(ops::rsub(mask, 1.0), 0.0).unsqueeze(-1), 0.0);  // (1 - mask).bool()
  out = ops::activation(ops::dropout(out, hidden_dropout_prob, training()), conv_act);
  const Tensor normed = LayerNorm->forward(ops::add(residual, out));
  return ops::mul(normed, mask.unsqueeze(2));
}

// ---------------------------------------------------------------- encoder
DebertaV2Encoder::DebertaV2Encoder(const DebertaV2ConfigView& c)
    : relative_attention(c.relative_attention),
      max_relative_positions(c.max_relative()),
      position_buckets(c.position_buckets) {
  layer = register_module("layer", std::make_shared<nn::ModuleList<DebertaV2Layer>>());
  for (int64_t i = 0; i < c.num_hidden_layers; ++i) layer->push_back(std::make_shared<DebertaV2Layer>(c));
  if (relative_attention)
    rel_embeddings = register_module("rel_embeddings", std::make_shared<nn::Embedding>(c.att_span() * 2, c.hidden_size));
  if (std::find(c.norm_rel_ebd.begin(), c.norm_rel_ebd.end(), "layer_norm") != c.norm_rel_ebd.end())
    LayerNorm = register_module("LayerNorm", std::make_shared<nn::LayerNorm>(c.hidden_size, c.layer_norm_eps));
  if (c.conv_kernel_size > 0) conv = register_module("conv", std::make_shared<ConvLayer>(c));
}

Tensor DebertaV2Encoder::get_rel_embedding() const {
  if (!relative_attention) return Tensor();
  return LayerNorm ? LayerNorm->forward(rel_embeddings->weight) : rel_embeddings->weight;
}

ModelOutput DebertaV2Encoder::forward(const Tensor& hidden, const Tensor& input_mask, bool output_attentions,
                                      bool output_hidden_states) const {
  // get_attention_mask: mask[:, None, None, :] * mask[:, None, :, None], true where both positions are real.
  const int64_t b = input_mask.size(0), s = input_mask.size(1);
  const Tensor m = input_mask.to(DType::Float32);
  const Tensor mask = ops::ne(ops::mul(m.view({b, 1, 1, s}), m.view({b, 1, s, 1})), 0.0);
  const Tensor relative_pos =
      relative_attention ? deberta_build_relative_position(s, s, position_buckets, max_relative_positions) : Tensor();
  const Tensor rel = get_rel_embedding();
  const Tensor embedding_output = hidden;
  ModelOutput out = models_detail::run_layers(
      *layer, hidden, output_hidden_states, output_attentions,
      [=, this](const DebertaV2Layer& l, int64_t i, const Tensor& h) {  // copies: checkpointing calls it in backward
        auto [next, probs] = l.forward(h, mask, output_attentions, relative_pos, rel);
        if (i == 0 && conv) next = conv->forward(embedding_output, next, input_mask);
        return std::pair<Tensor, Tensor>{next, probs};
      },
      active_checkpointing(training()));
  models_detail::finish_hidden_states(out, out.last_hidden_state, output_hidden_states, nullptr);
  return out;
}

// ---------------------------------------------------------------- models
DebertaV2PreTrainedModel::DebertaV2PreTrainedModel(std::shared_ptr<PretrainedConfig> config,
                                                   const std::string& class_name)
    : PreTrainedModel(std::move(config)), config_view(DebertaV2ConfigView::from_config(*config_, class_name)) {}

void DebertaV2PreTrainedModel::init_weights(nn::Module& module) {
  if (nn::init_weights_normal(module, config_view.initializer_range)) return;
  if (auto* legacy = dynamic_cast<BertLMPredictionHead*>(&module)) legacy->bias().zero_();
  if (auto* head = dynamic_cast<DebertaV2LMPredictionHead*>(&module)) head->bias.zero_();
}

DebertaV2Model::DebertaV2Model(std::shared_ptr<PretrainedConfig> config)
    : DebertaV2PreTrainedModel(std::move(config), "DebertaV2Model") {
  embeddings = register_module("embeddings", std::make_shared<DebertaV2Embeddings>(config_view));
  encoder = register_module("encoder", std::make_shared<DebertaV2Encoder>(config_view));
}

ModelOutput DebertaV2Model::forward(const ModelInputs& in) {
  const std::string model = name();
  const auto shape = models_detail::input_shape(in, model);
  models_detail::check_2d(in.token_type_ids, shape, "token_type_ids", model);
  models_detail::check_2d(in.position_ids, shape, "position_ids", model);
  models_detail::check_2d(in.attention_mask, shape, "attention_mask", model);
  if (in.head_mask.defined()) throw ValueError(model + ".forward() takes no head_mask (4.51's has none)");
  const PretrainedConfig& c = config();
  const bool output_attentions = flag(in.output_attentions, c.output_attentions());
  const bool output_hidden_states = flag(in.output_hidden_states, c.output_hidden_states());
  const Tensor mask =
      in.attention_mask.defined() ? in.attention_mask : Tensor::ones({shape.batch, shape.seq}, DType::Int64);
  const Tensor emb = embeddings->forward(in.input_ids, in.token_type_ids, in.position_ids, mask, in.inputs_embeds);
  return encoder->forward(emb, mask, output_attentions, output_hidden_states);
}

DebertaV2HeadModel::DebertaV2HeadModel(std::shared_ptr<PretrainedConfig> config, const std::string& class_name)
    : DebertaV2PreTrainedModel(std::move(config), class_name) {
  deberta = register_module("deberta", std::make_shared<DebertaV2Model>(config_));
}

DebertaV2LMPredictionHead::DebertaV2LMPredictionHead(const DebertaV2ConfigView& c) : transform_act_fn(c.hidden_act) {
  dense = register_module("dense", std::make_shared<nn::Linear>(c.hidden_size, c.hidden_size));
  LayerNorm = register_module("LayerNorm", std::make_shared<nn::LayerNorm>(c.hidden_size, c.layer_norm_eps));
  bias = Tensor::zeros({c.vocab_size});
  register_parameter("bias", &bias);
}

Tensor DebertaV2LMPredictionHead::forward(const Tensor& h, const Tensor& word_embeddings) const {
  const Tensor x = LayerNorm->forward(ops::activation(dense->forward(h), transform_act_fn));
  return ops::add(ops::matmul(x, word_embeddings.t()), bias);
}

DebertaV2OnlyMLMHead::DebertaV2OnlyMLMHead(const DebertaV2ConfigView& c) {
  lm_head = register_module("lm_head", std::make_shared<DebertaV2LMPredictionHead>(c));
}

DebertaV2ForMaskedLM::DebertaV2ForMaskedLM(std::shared_ptr<PretrainedConfig> config)
    : DebertaV2HeadModel(std::move(config), "DebertaV2ForMaskedLM") {
  const auto& c = config_view;
  if (c.legacy) {
    if (c.embedding_size != c.hidden_size)
      throw UnsupportedError("DebertaV2ForMaskedLM: the legacy MLM head with embedding_size (" +
                             std::to_string(c.embedding_size) + ") != hidden_size (" + std::to_string(c.hidden_size) +
                             ") is not supported");
    cls = register_module("cls", std::make_shared<LegacyDebertaV2OnlyMLMHead>(c));
    if (config_->tie_word_embeddings()) cls->predictions->decoder->weight = deberta->embeddings->word_embeddings->weight;
  } else {
    // 4.51's get_output_embeddings is lm_head.dense here, so tie_weights would replace the dense
    // layer by the word embeddings and every forward fail: refused up front instead.
    if (config_->tie_word_embeddings())
      throw ValueError("DebertaV2ForMaskedLM: legacy=false needs tie_word_embeddings=false (4.51 ties "
                       "lm_predictions.lm_head.dense to the word embeddings and its forward fails)");
    lm_predictions = register_module("lm_predictions", std::make_shared<DebertaV2OnlyMLMHead>(c));
  }
}

std::vector<std::string> DebertaV2ForMaskedLM::tied_weights_keys() const {
  if (cls) return {"cls.predictions.decoder.weight", "cls.predictions.decoder.bias"};
  return {};  // the non-legacy head reads the word embeddings directly
}

nn::Module* DebertaV2ForMaskedLM::get_output_embeddings() {
  return cls ? static_cast<nn::Module*>(cls->predictions->decoder.get()) : nullptr;
}

ModelOutput DebertaV2ForMaskedLM::forward(const ModelInputs& in) {
  ModelOutput out = deberta->forward(in);
  out.logits = cls ? cls->forward(out.last_hidden_state)
                   : lm_predictions->lm_head->forward(out.last_hidden_state,
                                                      deberta->embeddings->word_embeddings->weight);
  if (in.labels.defined()) out.loss = ForMaskedLMLoss(out.logits, in.labels, out.logits.size(-1));
  return out;
}

ContextPooler::ContextPooler(const DebertaV2ConfigView& c)
    : pooler_hidden_act(c.pooler_hidden_act), pooler_dropout(c.pooler_dropout) {
  dense = register_module("dense", std::make_shared<nn::Linear>(c.pooler_hidden_size, c.pooler_hidden_size));
}

Tensor ContextPooler::forward(const Tensor& h) const {
  const Tensor token = ops::dropout(h.select(1, 0), pooler_dropout, training());
  return ops::activation(dense->forward(token), pooler_hidden_act);
}

namespace {
// The classifier's dropout: config.cls_dropout, else hidden_dropout_prob.
double cls_dropout(const DebertaV2ConfigView& c) { return c.cls_dropout.value_or(c.hidden_dropout_prob); }
}  // namespace

Tensor deberta_v2_sequence_classification_loss(const Tensor& labels, const Tensor& logits, PretrainedConfig& config) {
  if (config.has("problem_type") && !config.raw_at("problem_type").is_null())
    return ForSequenceClassificationLoss(labels, logits, config);
  const std::string what = "DebertaV2ForSequenceClassification";
  const int64_t n = config.num_labels();
  if (n == 1) {  // MSELoss(logits.view(-1).to(labels.dtype), labels.view(-1)); torch has no integer MSE
    if (!is_floating_point(labels.dtype()))
      throw ValueError(what + ": num_labels 1 (regression) needs float labels, found " +
                       std::string(dtype_name(labels.dtype())));
    const Tensor x = logits.reshape({-1}).to(labels.dtype()), y = labels.reshape({-1});
    if (x.numel() != y.numel())
      throw ShapeError(what + ": labels of shape " + shape_str(labels.sizes()) + " do not match logits of shape " +
                       shape_str(logits.sizes()));
    const Tensor d = ops::sub(x, y);
    return ops::mean(ops::mul(d, d));
  }
  if (labels.dim() == 1 || labels.size(-1) == 1) {  // cross-entropy over the rows labelled >= 0 only
    const std::vector<int64_t> ids = labels.to(DType::Int64).reshape({-1}).to_vector<int64_t>();
    // 4.51 gathers with (labels >= 0).nonzero(), which has one column per label dimension: a
    // [batch, 1] column with any label >= 0 fails there.
    if (labels.dim() > 1 && std::any_of(ids.begin(), ids.end(), [](int64_t x) { return x >= 0; }))
      throw ShapeError(what + ": labels of shape " + shape_str(labels.sizes()) +
                       " (4.51 gathers the labelled rows of [batch] labels only; its gather fails on these)");
    if (int64_t(ids.size()) != logits.size(0))
      throw ShapeError(what + ": " + std::to_string(ids.size()) + " labels for " + std::to_string(logits.size(0)) +
                       " rows of logits");
    std::vector<int64_t> rows, kept;
    for (size_t i = 0; i < ids.size(); ++i)
      if (ids[i] >= 0) rows.push_back(int64_t(i)), kept.push_back(ids[i]);
    if (rows.empty()) return Tensor::zeros({}, logits.dtype());  // torch.tensor(0).to(logits)
    const Tensor picked = ops::index_select(logits, 0, Tensor::from_vector(rows)).reshape({-1, n});
    return ops::cross_entropy(picked.to(DType::Float32), Tensor::from_vector(kept));
  }
  // Label distributions [batch, num_labels]: -(log_softmax(logits) * labels).sum(-1).mean().
  if (labels.sizes() != logits.sizes())
    throw ShapeError(what + ": soft labels of shape " + shape_str(labels.sizes()) + " do not match logits of shape " +
                     shape_str(logits.sizes()));
  return ops::neg(ops::mean(ops::sum(ops::mul(ops::log_softmax(logits, -1), labels.to(logits.dtype())), {-1})));
}

DebertaV2ForSequenceClassification::DebertaV2ForSequenceClassification(std::shared_ptr<PretrainedConfig> config)
    : DebertaV2HeadModel(std::move(config), "DebertaV2ForSequenceClassification") {
  pooler = register_module("pooler", std::make_shared<ContextPooler>(config_view));
  classifier = register_module("classifier",
                               std::make_shared<nn::Linear>(config_view.hidden_size, config_view.num_labels));
}

ModelOutput DebertaV2ForSequenceClassification::forward(const ModelInputs& in) {
  ModelOutput out = deberta->forward(in);
  const Tensor pooled = ops::dropout(pooler->forward(out.last_hidden_state), cls_dropout(config_view), training());
  out.logits = classifier->forward(pooled);
  if (in.labels.defined()) out.loss = deberta_v2_sequence_classification_loss(in.labels, out.logits, *config_);
  return out;
}

DebertaV2ForTokenClassification::DebertaV2ForTokenClassification(std::shared_ptr<PretrainedConfig> config)
    : DebertaV2HeadModel(std::move(config), "DebertaV2ForTokenClassification") {
  classifier = register_module("classifier",
                               std::make_shared<nn::Linear>(config_view.hidden_size, config_view.num_labels));
}

ModelOutput DebertaV2ForTokenClassification::forward(const ModelInputs& in) {
  ModelOutput out = deberta->forward(in);
  out.logits = classifier->forward(ops::dropout(out.last_hidden_state, config_view.hidden_dropout_prob, training()));
  if (in.labels.defined()) out.loss = ForTokenClassification(out.logits, in.labels, config_->num_labels());
  return out;
}

DebertaV2ForQuestionAnswering::DebertaV2ForQuestionAnswering(std::shared_ptr<PretrainedConfig> config)
    : DebertaV2HeadModel(std::move(config), "DebertaV2ForQuestionAnswering") {
  qa_outputs = register_module("qa_outputs",
                               std::make_shared<nn::Linear>(config_view.hidden_size, config_view.num_labels));
}

ModelOutput DebertaV2ForQuestionAnswering::forward(const ModelInputs& in) {
  ModelOutput out = deberta->forward(in);
  models_detail::split_span_logits(out, qa_outputs->forward(out.last_hidden_state), name());
  return out;
}

DebertaV2ForMultipleChoice::DebertaV2ForMultipleChoice(std::shared_ptr<PretrainedConfig> config)
    : DebertaV2HeadModel(std::move(config), "DebertaV2ForMultipleChoice") {
  pooler = register_module("pooler", std::make_shared<ContextPooler>(config_view));
  classifier = register_module("classifier", std::make_shared<nn::Linear>(config_view.hidden_size, 1));
}

ModelOutput DebertaV2ForMultipleChoice::forward(const ModelInputs& in) {
  int64_t num_choices = 0;
  ModelOutput out = deberta->forward(models_detail::flatten_choices(in, name(), num_choices));
  const Tensor pooled = ops::dropout(pooler->forward(out.last_hidden_state), cls_dropout(config_view), training());
  out.logits = classifier->forward(pooled).reshape({-1, num_choices});
  return out;
}

}  // namespace transformers
