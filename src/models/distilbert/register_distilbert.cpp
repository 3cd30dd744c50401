// DistilBertConfig (the __init__ defaults and attribute_map of configuration_distilbert.py, 4.51)
// and the DistilBert model classes in the registry the Auto classes read.
#include "transformers/models/distilbert/modeling_distilbert.hpp"

namespace transformers {

namespace {

// DistilBertModel's parameter count for a config (what from_pretrained compares with a checkpoint
// before building anything); mirrors the module tree of modeling_distilbert.cpp.
double distilbert_base_model_num_parameters(const PretrainedConfig& c) {
  const double d = double(c.get<int64_t>("dim")), h = double(c.get<int64_t>("hidden_dim"));
  const double embeddings =
      (double(c.get<int64_t>("vocab_size")) + double(c.get<int64_t>("max_position_embeddings"))) * d + 2 * d;
  const double layer = 4 * (d * d + d) + 2 * d + (d * h + h) + (h * d + d) + 2 * d;
  return embeddings + double(c.get<int64_t>("n_layers")) * layer;
}

}  // namespace

void register_distilbert() {
  register_config_class({.model_type = "distilbert",
                         .class_name = "DistilBertConfig",
                         .defaults = {{"vocab_size", 30522},
                                      {"max_position_embeddings", 512},
                                      {"sinusoidal_pos_embds", false},
                                      {"n_layers", 6},
                                      {"n_heads", 12},
                                      {"dim", 768},
                                      {"hidden_dim", 3072},
                                      {"dropout", 0.1},
                                      {"attention_dropout", 0.1},
                                      {"activation", "gelu"},
                                      {"initializer_range", 0.02},
                                      {"qa_dropout", 0.1},
                                      {"seq_classif_dropout", 0.2},
                                            {"pad_token_id", 0}},
                         .attribute_map = {{"hidden_size", "dim"}, {"num_attention_heads", "n_heads"}, {"num_hidden_layers", "n_layers"}},
                         .base_model_num_parameters = distilbert_base_model_num_parameters});

  auto reg = [&]<class M>(const char* cls, std::vector<std::string> autos) {
    register_model_class({"distilbert", cls, std::move(autos),
                          [](std::shared_ptr<PretrainedConfig> c) { return std::make_shared<M>(std::move(c)); }});
  };
  reg.template operator()<DistilBertModel>("DistilBertModel", {"AutoModel"});
  // MODEL_FOR_PRETRAINING_MAPPING and MODEL_WITH_LM_HEAD_MAPPING map distilbert to DistilBertForMaskedLM.
  reg.template operator()<DistilBertForMaskedLM>("DistilBertForMaskedLM",
                                                 {"AutoModelForMaskedLM", "AutoModelForPreTraining", "AutoModelWithLMHead"});
  reg.template operator()<DistilBertForSequenceClassification>("DistilBertForSequenceClassification",
                                                               {"AutoModelForSequenceClassification"});
  reg.template operator()<DistilBertForTokenClassification>("DistilBertForTokenClassification",
                                                            {"AutoModelForTokenClassification"});
  reg.template operator()<DistilBertForQuestionAnswering>("DistilBertForQuestionAnswering",
                                                          {"AutoModelForQuestionAnswering"});
  reg.template operator()<DistilBertForMultipleChoice>("DistilBertForMultipleChoice", {"AutoModelForMultipleChoice"});
}

}  // namespace transformers
