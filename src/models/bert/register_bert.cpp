// BertConfig (the __init__ defaults of configuration_bert.py, 4.51) and the Bert model classes in
// the registry the Auto classes read.
#include "../config_init.hpp"
#include "transformers/models/bert/modeling_bert.hpp"

namespace transformers {

void register_bert() {
  register_config_class({.model_type = "bert",
                         .class_name = "BertConfig",
                         .defaults = {{"vocab_size", 30522},
                                      {"hidden_size", 768},
                                      {"num_hidden_layers", 12},
                                      {"num_attention_heads", 12},
                                      {"intermediate_size", 3072},
                                      {"hidden_act", "gelu"},
                                      {"hidden_dropout_prob", 0.1},
                                      {"attention_probs_dropout_prob", 0.1},
                                      {"max_position_embeddings", 512},
                                      {"type_vocab_size", 2},
                                      {"initializer_range", 0.02},
                                      {"layer_norm_eps", 1e-12},
                                      {"pad_token_id", 0},
                                      {"position_embedding_type", "absolute"},
                                      {"use_cache", true},
                                      {"classifier_dropout", nullptr}},
                         .base_model_num_parameters = models_detail::bert_base_model_num_parameters});

  auto reg = [](const char* cls, std::vector<std::string> autos, ModelFactory f) {
    register_model_class({"bert", cls, std::move(autos), std::move(f)});
  };
  reg("BertModel", {"AutoModel"}, [](auto c) { return std::make_shared<BertModel>(c); });
  reg("BertForMaskedLM", {"AutoModelForMaskedLM"}, [](auto c) { return std::make_shared<BertForMaskedLM>(c); });
  reg("BertForSequenceClassification", {"AutoModelForSequenceClassification"},
      [](auto c) { return std::make_shared<BertForSequenceClassification>(c); });
  reg("BertForTokenClassification", {"AutoModelForTokenClassification"},
      [](auto c) { return std::make_shared<BertForTokenClassification>(c); });
}

}  // namespace transformers
