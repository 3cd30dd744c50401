// ModernBertConfig (the __init__ defaults of configuration_modernbert.py, 4.51) and the ModernBert
// model classes in the registry the Auto classes read.
#include "transformers/models/modernbert/modeling_modernbert.hpp"

namespace transformers {

namespace {

// ModernBertModel's parameter count for a config (compared with a checkpoint before building);
// mirrors the module tree of modeling_modernbert.cpp (layer 0 has no attn_norm).
double modernbert_base_model_num_parameters(const PretrainedConfig& c) {
  const double h = double(c.hidden_size()), i = double(c.get<int64_t>("intermediate_size"));
  const double n = double(c.num_hidden_layers());
  const bool nb = c.get<bool>("norm_bias"), ab = c.get<bool>("attention_bias"), mb = c.get<bool>("mlp_bias");
  const double norm = h * (nb ? 2 : 1);
  const double attn = (h * 3 * h + (ab ? 3 * h : 0)) + (h * h + (ab ? h : 0));
  const double mlp = (h * 2 * i + (mb ? 2 * i : 0)) + (i * h + (mb ? h : 0));
  const double layers = n * (attn + mlp + norm) + (n > 0 ? (n - 1) * norm : 0);
  return double(c.vocab_size()) * h + norm + layers + norm;
}

}  // namespace

void register_modernbert() {
  register_config_class({.model_type = "modernbert",
                         .class_name = "ModernBertConfig",
                         .defaults = {{"vocab_size", 50368},
                                      {"hidden_size", 768},
                                      {"intermediate_size", 1152},
                                      {"num_hidden_layers", 22},
                                      {"num_attention_heads", 12},
                                      {"hidden_activation", "gelu"},
                                      {"max_position_embeddings", 8192},
                                      {"initializer_range", 0.02},
                                      {"initializer_cutoff_factor", 2.0},
                                      {"norm_eps", 1e-5},
                                      {"norm_bias", false},
                                      {"pad_token_id", 50283},
                                      {"eos_token_id", 50282},
                                      {"bos_token_id", 50281},
                                      {"cls_token_id", 50281},
                                      {"sep_token_id", 50282},
                                      {"global_rope_theta", 160000.0},
                                      {"attention_bias", false},
                                      {"attention_dropout", 0.0},
                                      {"global_attn_every_n_layers", 3},
                                      {"local_attention", 128},
                                      {"local_rope_theta", 10000.0},
                                      {"embedding_dropout", 0.0},
                                      {"mlp_bias", false},
                                      {"mlp_dropout", 0.0},
                                      {"decoder_bias", true},
                                      {"classifier_pooling", "cls"},
                                      {"classifier_dropout", 0.0},
                                      {"classifier_bias", false},
                                      {"classifier_activation", "gelu"},
                                      {"deterministic_flash_attn", false},
                                      {"sparse_prediction", false},
                                      {"sparse_pred_ignore_index", -100},
                                      {"repad_logits_with_grad", false}},
                         .base_model_num_parameters = modernbert_base_model_num_parameters});

  auto reg = [&]<class M>(const char* cls, std::vector<std::string> autos) {
    register_model_class({"modernbert", cls, std::move(autos),
                          [](std::shared_ptr<PretrainedConfig> c) { return std::make_shared<M>(std::move(c)); }});
  };
  reg.template operator()<ModernBertModel>("ModernBertModel", {"AutoModel"});
  reg.template operator()<ModernBertForMaskedLM>("ModernBertForMaskedLM", {"AutoModelForMaskedLM"});
  reg.template operator()<ModernBertForSequenceClassification>("ModernBertForSequenceClassification",
                                                               {"AutoModelForSequenceClassification"});
  reg.template operator()<ModernBertForTokenClassification>("ModernBertForTokenClassification",
                                                            {"AutoModelForTokenClassification"});
  reg.template operator()<ModernBertForQuestionAnswering>("ModernBertForQuestionAnswering",
                                                          {"AutoModelForQuestionAnswering"});
}

}  // namespace transformers
