// MPNetConfig (the __init__ defaults of configuration_mpnet.py, 4.51) and the MPNet model classes in
// the registry the Auto classes read.
#include "transformers/models/mpnet/modeling_mpnet.hpp"

namespace transformers {

namespace {

// MPNetModel's parameter count for a config (what from_pretrained compares with a checkpoint before
// building anything); mirrors the module tree of modeling_mpnet.cpp.
double mpnet_base_model_num_parameters(const PretrainedConfig& c) {
  auto size = [&](const char* key) { return double(c.get<int64_t>(key)); };
  const double h = size("hidden_size"), inter = size("intermediate_size");
  const double embeddings = (size("vocab_size") + size("max_position_embeddings")) * h + 2 * h;
  const double layer = 4 * (h * h + h) + 2 * h + (h * inter + inter) + (inter * h + h) + 2 * h;
  const double bias = size("relative_attention_num_buckets") * size("num_attention_heads");
  return embeddings + size("num_hidden_layers") * layer + bias + (h * h + h);
}

}  // namespace

void register_mpnet() {
  register_config_class({.model_type = "mpnet",
                         .class_name = "MPNetConfig",
                         .defaults = {{"vocab_size", 30527},
                                      {"hidden_size", 768},
                                      {"num_hidden_layers", 12},
                                      {"num_attention_heads", 12},
                                      {"intermediate_size", 3072},
                                      {"hidden_act", "gelu"},
                                      {"hidden_dropout_prob", 0.1},
                                      {"attention_probs_dropout_prob", 0.1},
                                      {"max_position_embeddings", 512},
                                      {"initializer_range", 0.02},
                                      {"layer_norm_eps", 1e-12},
                                      {"relative_attention_num_buckets", 32},
                                      {"pad_token_id", 1},
                                      {"bos_token_id", 0},
                                      {"eos_token_id", 2}},
                         .base_model_num_parameters = mpnet_base_model_num_parameters});

  auto reg = [&]<class M>(const char* cls, std::vector<std::string> autos) {
    register_model_class({"mpnet", cls, std::move(autos),
                          [](std::shared_ptr<PretrainedConfig> c) { return std::make_shared<M>(std::move(c)); }});
  };
  reg.template operator()<MPNetModel>("MPNetModel", {"AutoModel"});
  // MODEL_FOR_PRETRAINING_MAPPING and MODEL_WITH_LM_HEAD_MAPPING map mpnet to MPNetForMaskedLM.
  reg.template operator()<MPNetForMaskedLM>("MPNetForMaskedLM",
                                            {"AutoModelForMaskedLM", "AutoModelForPreTraining", "AutoModelWithLMHead"});
  reg.template operator()<MPNetForSequenceClassification>("MPNetForSequenceClassification",
                                                          {"AutoModelForSequenceClassification"});
  reg.template operator()<MPNetForTokenClassification>("MPNetForTokenClassification",
                                                       {"AutoModelForTokenClassification"});
  reg.template operator()<MPNetForQuestionAnswering>("MPNetForQuestionAnswering", {"AutoModelForQuestionAnswering"});
  reg.template operator()<MPNetForMultipleChoice>("MPNetForMultipleChoice", {"AutoModelForMultipleChoice"});
}

}  // namespace transformers
