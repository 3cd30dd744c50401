// DebertaV2Config (the __init__ defaults and derived attributes of configuration_deberta_v2.py, 4.51)
// and the DebertaV2 model classes in the registry the Auto classes read.
#include "transformers/models/deberta_v2/modeling_deberta_v2.hpp"

namespace transformers {

namespace {

// What DebertaV2Config.__init__ computes: pooler_hidden_size = kwargs.get("pooler_hidden_size",
// hidden_size), and a string pos_att_type ("p2c|c2p", backwards compatibility) as its list.
void deberta_v2_derive_attributes(PretrainedConfig& c) {
  if (!c.has("pooler_hidden_size")) c.set("pooler_hidden_size", c.raw_at("hidden_size"));
  if (c.has("pos_att_type") && c.raw_at("pos_att_type").is_string()) {
    json list = json::array();
    for (auto& part : DebertaV2ConfigView::split_bar_list(c.raw_at("pos_att_type").get<std::string>()))
      list.push_back(part);
    c.set("pos_att_type", list);
  }
}

}  // namespace

void register_deberta_v2() {
  register_config_class({.model_type = "deberta-v2",
                         .class_name = "DebertaV2Config",
                         .defaults = {{"vocab_size", 128100},
                                      {"hidden_size", 1536},
                                      {"num_hidden_layers", 24},
                                      {"num_attention_heads", 24},
                                      {"intermediate_size", 6144},
                                      {"hidden_act", "gelu"},
                                      {"hidden_dropout_prob", 0.1},
                                      {"attention_probs_dropout_prob", 0.1},
                                      {"max_position_embeddings", 512},
                                      {"type_vocab_size", 0},
                                      {"initializer_range", 0.02},
                                      {"layer_norm_eps", 1e-7},
                                      {"relative_attention", false},
                                      {"max_relative_positions", -1},
                                      {"pad_token_id", 0},
                                      {"position_biased_input", true},
                                      {"pos_att_type", nullptr},
                                      {"pooler_dropout", 0},
                                      {"pooler_hidden_act", "gelu"},
                                      {"legacy", true}},
                         .derive_attributes = deberta_v2_derive_attributes});

  auto reg = [&]<class M>(const char* cls, std::vector<std::string> autos) {
    register_model_class({"deberta-v2", cls, std::move(autos),
                          [](std::shared_ptr<PretrainedConfig> c) { return std::make_shared<M>(std::move(c)); }});
  };
  reg.template operator()<DebertaV2Model>("DebertaV2Model", {"AutoModel"});
  // MODEL_FOR_PRETRAINING_MAPPING and MODEL_WITH_LM_HEAD_MAPPING map deberta-v2 to DebertaV2ForMaskedLM.
  reg.template operator()<DebertaV2ForMaskedLM>("DebertaV2ForMaskedLM",
                                                {"AutoModelForMaskedLM", "AutoModelForPreTraining", "AutoModelWithLMHead"});
  reg.template operator()<DebertaV2ForSequenceClassification>("DebertaV2ForSequenceClassification",
                                                              {"AutoModelForSequenceClassification"});
  reg.template operator()<DebertaV2ForTokenClassification>("DebertaV2ForTokenClassification",
                                                           {"AutoModelForTokenClassification"});
  reg.template operator()<DebertaV2ForQuestionAnswering>("DebertaV2ForQuestionAnswering",
                                                         {"AutoModelForQuestionAnswering"});
  reg.template operator()<DebertaV2ForMultipleChoice>("DebertaV2ForMultipleChoice", {"AutoModelForMultipleChoice"});
}

}  // namespace transformers
