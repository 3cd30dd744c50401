// XLM-RoBERTa: in 4.51 a copy of RoBERTa under other names (modeling_xlm_roberta.py, "Copied from
// ... Roberta->XLMRoberta"), whose config differs only in vocab_size's default (30522).
#include "../roberta/roberta_family.hpp"
#include "transformers/models/xlm_roberta/modeling_xlm_roberta.hpp"

namespace transformers {

void register_xlm_roberta() {
  models_detail::register_roberta_config("xlm-roberta", "XLMRoberta", 30522);
  models_detail::register_roberta_models<XLMRobertaModel, XLMRobertaForMaskedLM, XLMRobertaForSequenceClassification,
                                         XLMRobertaForTokenClassification, XLMRobertaForQuestionAnswering,
                                         XLMRobertaForMultipleChoice>("xlm-roberta", "XLMRoberta");
}

}  // namespace transformers
