#pragma once
// RobertaConfig and XLMRobertaConfig have the same __init__ (only vocab_size's default differs) and
// their model classes are the same modules: one registration for both (private to src/models).
#include <cstdint>
#include <memory>
#include <string>

#include "transformers/modeling/modeling_utils.hpp"

namespace transformers::models_detail {

// Registers `<prefix>Config` for `model_type` with RobertaConfig's defaults and this vocab_size.
void register_roberta_config(const std::string& model_type, const std::string& prefix, int64_t vocab_size);

// Registers the family's model classes (each built from a config alone) for `model_type`.
template <class Model, class MaskedLM, class SequenceClassification, class TokenClassification,
          class QuestionAnswering, class MultipleChoice>
void register_roberta_models(const std::string& model_type, const std::string& prefix) {
  auto reg = [&]<class M>(const std::string& head, std::vector<std::string> autos) {
    register_model_class({model_type, prefix + head, std::move(autos),
                          [](std::shared_ptr<PretrainedConfig> c) { return std::make_shared<M>(std::move(c)); }});
  };
  reg.template operator()<Model>("Model", {"AutoModel"});
  // MODEL_FOR_PRETRAINING_MAPPING and MODEL_WITH_LM_HEAD_MAPPING map roberta / xlm-roberta to their *ForMaskedLM.
  reg.template operator()<MaskedLM>("ForMaskedLM", {"AutoModelForMaskedLM", "AutoModelForPreTraining", "AutoModelWithLMHead"});
  reg.template operator()<SequenceClassification>("ForSequenceClassification", {"AutoModelForSequenceClassification"});
  reg.template operator()<TokenClassification>("ForTokenClassification", {"AutoModelForTokenClassification"});
  reg.template operator()<QuestionAnswering>("ForQuestionAnswering", {"AutoModelForQuestionAnswering"});
  reg.template operator()<MultipleChoice>("ForMultipleChoice", {"AutoModelForMultipleChoice"});
}

}  // namespace transformers::models_detail
