// BertConfig (the __init__ defaults of configuration_bert.py, 4.51) and the Bert model classes in
// the registry the Auto classes read.
#include "../config_init.hpp"
#include "bert_defaults.hpp"
#include "transformers/models/bert/modeling_bert.hpp"

namespace transformers {

void register_bert() {
  register_config_class({.model_type = "bert",
                         .class_name = "BertConfig",
                         .defaults = models_detail::bert_config_defaults(),
                         .base_model_num_parameters = models_detail::bert_base_model_num_parameters});

  auto reg = [](const char* cls, std::vector<std::string> autos, ModelFactory f) {
    register_model_class({"bert", cls, std::move(autos), std::move(f)});
  };
  reg("BertModel", {"AutoModel"}, [](auto c) { return std::make_shared<BertModel>(c); });
  // MODEL_WITH_LM_HEAD_MAPPING maps bert to BertForMaskedLM; MODEL_FOR_PRETRAINING_MAPPING to BertForPreTraining.
  reg("BertForMaskedLM", {"AutoModelForMaskedLM", "AutoModelWithLMHead"}, [](auto c) { return std::make_shared<BertForMaskedLM>(c); });
  reg("BertForSequenceClassification", {"AutoModelForSequenceClassification"},
      [](auto c) { return std::make_shared<BertForSequenceClassification>(c); });
  reg("BertForTokenClassification", {"AutoModelForTokenClassification"},
      [](auto c) { return std::make_shared<BertForTokenClassification>(c); });
  reg("BertForQuestionAnswering", {"AutoModelForQuestionAnswering"},
      [](auto c) { return std::make_shared<BertForQuestionAnswering>(c); });
  reg("BertForMultipleChoice", {"AutoModelForMultipleChoice"},
      [](auto c) { return std::make_shared<BertForMultipleChoice>(c); });
  reg("BertForNextSentencePrediction", {"AutoModelForNextSentencePrediction"},
      [](auto c) { return std::make_shared<BertForNextSentencePrediction>(c); });
  reg("BertForPreTraining", {"AutoModelForPreTraining"}, [](auto c) { return std::make_shared<BertForPreTraining>(c); });
}

}  // namespace transformers
