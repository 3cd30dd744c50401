#pragma once
// BertConfig.__init__'s defaults (configuration_bert.py, 4.51); RobertaConfig and XLMRobertaConfig
// take the same arguments with other vocab_size / pad / bos / eos defaults (private to src/models).
#include "transformers/modeling/configuration_utils.hpp"

namespace transformers::models_detail {

inline json bert_config_defaults() {
  return {{"vocab_size", 30522},
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
         {"classifier_dropout", nullptr}};
}

}  // namespace transformers::models_detail
