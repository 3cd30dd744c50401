#pragma once
// XLM-RoBERTa (modeling_xlm_roberta.py, 4.51): RoBERTa's modules under the XLMRoberta* names, which
// config.json's "architectures" and the Auto classes use. model_type "xlm-roberta".
#include "transformers/models/roberta/modeling_roberta.hpp"

namespace transformers {

// Registers XLMRobertaConfig and the XLMRoberta model classes.
void register_xlm_roberta();

struct XLMRobertaModel : RobertaModel {
  explicit XLMRobertaModel(std::shared_ptr<PretrainedConfig> c, bool add_pooling_layer = true)
      : RobertaModel(std::move(c), add_pooling_layer, "XLMRobertaModel") {}
};
struct XLMRobertaForMaskedLM : RobertaForMaskedLM {
  explicit XLMRobertaForMaskedLM(std::shared_ptr<PretrainedConfig> c)
      : RobertaForMaskedLM(std::move(c), "XLMRobertaForMaskedLM") {}
};
struct XLMRobertaForSequenceClassification : RobertaForSequenceClassification {
  explicit XLMRobertaForSequenceClassification(std::shared_ptr<PretrainedConfig> c)
      : RobertaForSequenceClassification(std::move(c), "XLMRobertaForSequenceClassification") {}
};
struct XLMRobertaForTokenClassification : RobertaForTokenClassification {
  explicit XLMRobertaForTokenClassification(std::shared_ptr<PretrainedConfig> c)
      : RobertaForTokenClassification(std::move(c), "XLMRobertaForTokenClassification") {}
};
struct XLMRobertaForQuestionAnswering : RobertaForQuestionAnswering {
  explicit XLMRobertaForQuestionAnswering(std::shared_ptr<PretrainedConfig> c)
      : RobertaForQuestionAnswering(std::move(c), "XLMRobertaForQuestionAnswering") {}
};
struct XLMRobertaForMultipleChoice : RobertaForMultipleChoice {
  explicit XLMRobertaForMultipleChoice(std::shared_ptr<PretrainedConfig> c)
      : RobertaForMultipleChoice(std::move(c), "XLMRobertaForMultipleChoice") {}
};

}  // namespace transformers
