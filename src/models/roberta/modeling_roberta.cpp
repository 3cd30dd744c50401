// RoBERTa as transformers 4.51 modeling_roberta.py computes it (see the header for the scope).
#include "transformers/models/roberta/modeling_roberta.hpp"

#include "models/encoder_heads.hpp"
#include "models/model_utils.hpp"
#include "transformers/modeling/loss_utils.hpp"
#include "transformers/ops/dropout.hpp"
#include "transformers/ops/elementwise.hpp"
#include "transformers/ops/reduce.hpp"

namespace transformers {

namespace {

// The base model class of a head class: "XLMRobertaForMaskedLM" -> "XLMRobertaModel".
std::string base_class_of(const std::string& head) { return head.substr(0, head.find("For")) + "Model"; }

}  // namespace

Tensor create_position_ids_from_input_ids(const Tensor& input_ids, int64_t padding_idx, int64_t past) {
  const Tensor mask = ops::ne(input_ids, double(padding_idx));
  const Tensor incremental = ops::mul(ops::add(ops::cumsum(mask, 1), double(past)), mask);
  return ops::add(incremental, double(padding_idx));
}

RobertaEmbeddings::RobertaEmbeddings(const BertConfigView& c) : BertEmbeddings(c) {
  padding_idx = c.pad_token_id;
  // Python re-creates position_embeddings with padding_idx (only initialisation sees it).
  position_embeddings->padding_idx = padding_idx;
}

Tensor RobertaEmbeddings::forward(const Tensor& input_ids, const Tensor& token_type_ids, const Tensor& position_ids,
                                  const Tensor& inputs_embeds, int64_t past) const {
  Tensor pids = position_ids;
  if (!pids.defined()) {
    if (!padding_idx)
      throw ValueError(name() + ": config.pad_token_id is null, and RoBERTa numbers positions from it; "
                       "pass position_ids");
    const int64_t pad = *padding_idx;
    if (input_ids.defined()) {
      pids = create_position_ids_from_input_ids(input_ids, pad, past);
    } else {  // create_position_ids_from_inputs_embeds: padding cannot be seen, so sequential
      const int64_t b = inputs_embeds.size(0), s = inputs_embeds.size(1);
      pids = Tensor::arange(double(pad + 1), double(s + pad + 1)).view({1, s}).expand({b, s});
    }
  }
  return BertEmbeddings::forward(input_ids, token_type_ids, pids, inputs_embeds, past);
}

RobertaModel::RobertaModel(std::shared_ptr<PretrainedConfig> config, bool add_pooling_layer, std::string class_name)
    : BertModel(std::move(config), add_pooling_layer, class_name, "roberta",
                [](const BertConfigView& c) { return std::make_shared<RobertaEmbeddings>(c); }),
      class_name_(std::move(class_name)) {}

RobertaLMHead::RobertaLMHead(const BertConfigView& c) {
  dense = std::make_shared<nn::Linear>(c.hidden_size, c.hidden_size);
  layer_norm = std::make_shared<nn::LayerNorm>(c.hidden_size, c.layer_norm_eps);
  decoder = std::make_shared<nn::Linear>(c.hidden_size, c.vocab_size, /*bias=*/true);
  decoder->bias.zero_();  // nn.Parameter(torch.zeros(vocab_size))
  // The head's own parameter comes first in Python's state_dict; decoder.bias is the same tensor.
  register_parameter("bias", &decoder->bias);
  register_module("dense", dense);
  register_module("layer_norm", layer_norm);
  register_module("decoder", decoder);
}

// `gelu` here is modeling_roberta's import from activations: the exact (erf) form, whatever
// config.hidden_act says.
Tensor RobertaLMHead::forward(const Tensor& x) const {
  return decoder->forward(layer_norm->forward(ops::gelu(dense->forward(x))));
}

RobertaClassificationHead::RobertaClassificationHead(const BertConfigView& c)
    : dropout(c.classifier_dropout.value_or(c.hidden_dropout_prob)) {
  dense = register_module("dense", std::make_shared<nn::Linear>(c.hidden_size, c.hidden_size));
  out_proj = register_module("out_proj", std::make_shared<nn::Linear>(c.hidden_size, c.num_labels));
}

Tensor RobertaClassificationHead::forward(const Tensor& features) const {
  const Tensor x = dense->forward(ops::dropout(features.select(1, 0), dropout, training()));
  return out_proj->forward(ops::dropout(ops::tanh(x), dropout, training()));
}

RobertaHeadModel::RobertaHeadModel(std::shared_ptr<PretrainedConfig> config, std::string class_name,
                                   bool add_pooling_layer)
    : BertPreTrainedModel(std::move(config), class_name, "roberta"), class_name_(std::move(class_name)) {
  roberta = register_module("roberta",
                            std::make_shared<RobertaModel>(config_, add_pooling_layer, base_class_of(class_name_)));
}

RobertaForMaskedLM::RobertaForMaskedLM(std::shared_ptr<PretrainedConfig> config, std::string class_name)
    : RobertaHeadModel(std::move(config), std::move(class_name), /*add_pooling_layer=*/false) {
  lm_head = register_module("lm_head", std::make_shared<RobertaLMHead>(config_view));
  // Constructed tied, as post_init() leaves it (tie_weights re-ties after loading).
  if (config_->tie_word_embeddings()) lm_head->decoder->weight = roberta->embeddings->word_embeddings->weight;
}

ModelOutput RobertaForMaskedLM::forward(const ModelInputs& in) {
  ModelOutput out = roberta->forward(in);
  out.logits = lm_head->forward(out.last_hidden_state);
  if (in.labels.defined()) out.loss = ForMaskedLMLoss(out.logits, in.labels, out.logits.size(-1));
  return out;
}

RobertaForSequenceClassification::RobertaForSequenceClassification(std::shared_ptr<PretrainedConfig> config,
                                                                   std::string class_name)
    : RobertaHeadModel(std::move(config), std::move(class_name), false) {
  classifier = register_module("classifier", std::make_shared<RobertaClassificationHead>(config_view));
}

ModelOutput RobertaForSequenceClassification::forward(const ModelInputs& in) {
  ModelOutput out = roberta->forward(in);
  out.logits = classifier->forward(out.last_hidden_state);
  if (in.labels.defined()) out.loss = ForSequenceClassificationLoss(in.labels, out.logits, *config_);
  return out;
}

RobertaForTokenClassification::RobertaForTokenClassification(std::shared_ptr<PretrainedConfig> config,
                                                             std::string class_name)
    : RobertaHeadModel(std::move(config), std::move(class_name), false) {
  classifier = register_module("classifier",
                               std::make_shared<nn::Linear>(config_view.hidden_size, config_view.num_labels));
}

ModelOutput RobertaForTokenClassification::forward(const ModelInputs& in) {
  ModelOutput out = roberta->forward(in);
  const double p = config_view.classifier_dropout.value_or(config_view.hidden_dropout_prob);
  out.logits = classifier->forward(ops::dropout(out.last_hidden_state, p, training()));
  if (in.labels.defined()) out.loss = ForTokenClassification(out.logits, in.labels, config_->num_labels());
  return out;
}

RobertaForQuestionAnswering::RobertaForQuestionAnswering(std::shared_ptr<PretrainedConfig> config,
                                                         std::string class_name)
    : RobertaHeadModel(std::move(config), std::move(class_name), false) {
  qa_outputs = register_module("qa_outputs",
                               std::make_shared<nn::Linear>(config_view.hidden_size, config_view.num_labels));
}

ModelOutput RobertaForQuestionAnswering::forward(const ModelInputs& in) {
  ModelOutput out = roberta->forward(in);
  models_detail::split_span_logits(out, qa_outputs->forward(out.last_hidden_state), name());
  return out;
}

RobertaForMultipleChoice::RobertaForMultipleChoice(std::shared_ptr<PretrainedConfig> config, std::string class_name)
    : RobertaHeadModel(std::move(config), std::move(class_name), /*add_pooling_layer=*/true) {
  classifier = register_module("classifier", std::make_shared<nn::Linear>(config_view.hidden_size, 1));
}

ModelOutput RobertaForMultipleChoice::forward(const ModelInputs& in) {
  int64_t num_choices = 0;
  ModelOutput out = roberta->forward(models_detail::flatten_choices(in, name(), num_choices));
  out.logits = classifier->forward(ops::dropout(out.pooler_output, config_view.hidden_dropout_prob, training()))
                   .reshape({-1, num_choices});
  return out;
}

}  // namespace transformers
