// RobertaConfig / XLMRobertaConfig (the __init__ defaults of configuration_roberta.py and
// configuration_xlm_roberta.py, 4.51) and their model classes in the registry the Auto classes read.
#include "../bert/bert_defaults.hpp"
#include "../config_init.hpp"
#include "roberta_family.hpp"
#include "transformers/models/roberta/modeling_roberta.hpp"

namespace transformers {

namespace models_detail {

void register_roberta_config(const std::string& model_type, const std::string& prefix, int64_t vocab_size) {
  register_config_class(
      {.model_type = model_type,
       .class_name = prefix + "Config",
       .defaults = defaults_from(bert_config_defaults(),
                                 {{"vocab_size", vocab_size}, {"pad_token_id", 1}, {"bos_token_id", 0}, {"eos_token_id", 2}}),
       .base_model_num_parameters = bert_base_model_num_parameters});  // RobertaModel has BertModel's shapes
}

}  // namespace models_detail

void register_roberta() {
  models_detail::register_roberta_config("roberta", "Roberta", 50265);
  models_detail::register_roberta_models<RobertaModel, RobertaForMaskedLM, RobertaForSequenceClassification,
                                         RobertaForTokenClassification, RobertaForQuestionAnswering,
                                         RobertaForMultipleChoice>("roberta", "Roberta");
}

}  // namespace transformers
