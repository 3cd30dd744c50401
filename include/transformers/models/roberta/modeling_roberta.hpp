#pragma once
// RoBERTa as transformers 4.51 modeling_roberta.py defines it. The encoder is BERT's (4.51 copies
// it module for module: "Copied from ... Bert->Roberta"), so only what differs lives here: the
// embeddings' position ids (counted from padding_idx + 1, padding tokens keep padding_idx), the
// "roberta" base_model_prefix, the LM head (dense + gelu + layer_norm + decoder) and the
// classification head (dense + tanh + out_proj on the first token). XLM-RoBERTa
// (models/xlm_roberta/) is the same model under other class names.
#include <memory>
#include <optional>
#include <string>

#include "transformers/models/bert/modeling_bert.hpp"

namespace transformers {

// Registers RobertaConfig (defaults of configuration_roberta.py) and the Roberta model classes.
void register_roberta();

// create_position_ids_from_input_ids: (cumsum(ids != padding_idx) + past) * (ids != padding_idx)
// + padding_idx, so real tokens count from padding_idx + 1 wherever the padding sits.
Tensor create_position_ids_from_input_ids(const Tensor& input_ids, int64_t padding_idx,
                                          int64_t past_key_values_length = 0);

class RobertaEmbeddings : public BertEmbeddings {
 public:
  explicit RobertaEmbeddings(const BertConfigView& config);
  Tensor forward(const Tensor& input_ids, const Tensor& token_type_ids, const Tensor& position_ids,
                 const Tensor& inputs_embeds, int64_t past_key_values_length) const override;
  std::string name() const override { return "RobertaEmbeddings"; }
  std::optional<int64_t> padding_idx;  // config.pad_token_id
};

class RobertaModel : public BertModel {
 public:
  explicit RobertaModel(std::shared_ptr<PretrainedConfig> config, bool add_pooling_layer = true,
                        std::string class_name = "RobertaModel");
  std::string name() const override { return class_name_; }

 private:
  std::string class_name_;
};

class RobertaLMHead : public nn::Module {
 public:
  explicit RobertaLMHead(const BertConfigView& config);
  Tensor forward(const Tensor& features) const;  // decoder(layer_norm(gelu(dense(x))))
  std::string name() const override { return "RobertaLMHead"; }
  std::shared_ptr<nn::Linear> dense;
  std::shared_ptr<nn::LayerNorm> layer_norm;
  std::shared_ptr<nn::Linear> decoder;  // weight tied to the word embeddings
  // Python's `self.bias`, which is decoder.bias (registered on the same tensor, as in BERT's head).
  Tensor& bias() { return decoder->bias; }
};

class RobertaClassificationHead : public nn::Module {
 public:
  explicit RobertaClassificationHead(const BertConfigView& config);
  // out_proj(dropout(tanh(dense(dropout(features[:, 0]))))), the dropouts in train() only.
  Tensor forward(const Tensor& features) const;
  std::string name() const override { return "RobertaClassificationHead"; }
  std::shared_ptr<nn::Linear> dense, out_proj;
  double dropout;  // config.classifier_dropout, or hidden_dropout_prob when that is None
};

// What every Roberta*For* class shares: `roberta` (the base model) and the delegations to it. The
// class name is kept so XLM-RoBERTa's classes are these with their own names.
class RobertaHeadModel : public BertPreTrainedModel {
 public:
  RobertaHeadModel(std::shared_ptr<PretrainedConfig> config, std::string class_name, bool add_pooling_layer);
  std::string name() const override { return class_name_; }
  nn::Module* base_model() override { return roberta.get(); }
  nn::Module* get_input_embeddings() override { return roberta->get_input_embeddings(); }
  void prune_heads_impl(const std::map<int64_t, std::vector<int64_t>>& h) override { roberta->prune_heads_impl(h); }
  std::shared_ptr<RobertaModel> roberta;

 private:
  std::string class_name_;
};

class RobertaForMaskedLM : public RobertaHeadModel {
 public:
  explicit RobertaForMaskedLM(std::shared_ptr<PretrainedConfig> config, std::string class_name = "RobertaForMaskedLM");
  ModelOutput forward(const ModelInputs& inputs) override;
  std::vector<std::string> tied_weights_keys() const override {
    return {"lm_head.decoder.weight", "lm_head.decoder.bias"};
  }
  nn::Module* get_output_embeddings() override { return lm_head->decoder.get(); }
  std::shared_ptr<RobertaLMHead> lm_head;
};

class RobertaForSequenceClassification : public RobertaHeadModel {
 public:
  explicit RobertaForSequenceClassification(std::shared_ptr<PretrainedConfig> config,
                                            std::string class_name = "RobertaForSequenceClassification");
  ModelOutput forward(const ModelInputs& inputs) override;
  std::shared_ptr<RobertaClassificationHead> classifier;
};

class RobertaForTokenClassification : public RobertaHeadModel {
 public:
  explicit RobertaForTokenClassification(std::shared_ptr<PretrainedConfig> config,
                                         std::string class_name = "RobertaForTokenClassification");
  ModelOutput forward(const ModelInputs& inputs) override;
  std::shared_ptr<nn::Linear> classifier;
};

class RobertaForQuestionAnswering : public RobertaHeadModel {
 public:
  explicit RobertaForQuestionAnswering(std::shared_ptr<PretrainedConfig> config,
                                       std::string class_name = "RobertaForQuestionAnswering");
  ModelOutput forward(const ModelInputs& inputs) override;  // start_logits, end_logits
  std::shared_ptr<nn::Linear> qa_outputs;
};

class RobertaForMultipleChoice : public RobertaHeadModel {
 public:
  explicit RobertaForMultipleChoice(std::shared_ptr<PretrainedConfig> config,
                                    std::string class_name = "RobertaForMultipleChoice");
  // input_ids [batch, num_choices, seq] -> logits [batch, num_choices] (classifier on the pooler).
  ModelOutput forward(const ModelInputs& inputs) override;
  std::shared_ptr<nn::Linear> classifier;
};

}  // namespace transformers
