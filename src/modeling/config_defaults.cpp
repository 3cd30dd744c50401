// Generated from transformers 4.51.3 (tests/oracle/make_config_goldens.py checks they stay equal):
// PretrainedConfig().to_dict() without "transformers_version", whose generation parameters are
// PretrainedConfig._get_global_generation_defaults(). Data, not code.
#include "transformers/io/json_file.hpp"
#include "transformers/modeling/configuration_utils.hpp"

namespace transformers {

const json& global_generation_defaults() {
  static const json j = json::parse(R"json(
{
  "max_length": 20,
  "min_length": 0,
  "do_sample": false,
  "early_stopping": false,
  "num_beams": 1,
  "num_beam_groups": 1,
  "diversity_penalty": 0.0,
  "temperature": 1.0,
  "top_k": 50,
  "top_p": 1.0,
  "typical_p": 1.0,
  "repetition_penalty": 1.0,
  "length_penalty": 1.0,
  "no_repeat_ngram_size": 0,
  "encoder_no_repeat_ngram_size": 0,
  "bad_words_ids": null,
  "num_return_sequences": 1,
  "output_scores": false,
  "return_dict_in_generate": false,
  "forced_bos_token_id": null,
  "forced_eos_token_id": null,
  "remove_invalid_values": false,
  "exponential_decay_length_penalty": null,
  "suppress_tokens": null,
  "begin_suppress_tokens": null
}
)json");
  return j;
}

const json& base_config_defaults() {
  // In PretrainedConfig.__init__'s order: the attributes before the generation parameters, those,
  // and the attributes after them.
  static const json j = [] {
    json out = json::parse(R"json(
{
  "return_dict": true,
  "output_hidden_states": false,
  "output_attentions": false,
  "torchscript": false,
  "torch_dtype": null,
  "use_bfloat16": false,
  "tf_legacy_loss": false,
  "pruned_heads": {},
  "tie_word_embeddings": true,
  "chunk_size_feed_forward": 0,
  "is_encoder_decoder": false,
  "is_decoder": false,
  "cross_attention_hidden_size": null,
  "add_cross_attention": false,
  "tie_encoder_decoder": false
}
)json");
    io::update_ordered(out, global_generation_defaults());
    io::update_ordered(out, json::parse(R"json(
{
  "architectures": null,
  "finetuning_task": null,
  "id2label": {
    "0": "LABEL_0",
    "1": "LABEL_1"
  },
  "label2id": {
    "LABEL_0": 0,
    "LABEL_1": 1
  },
  "tokenizer_class": null,
  "prefix": null,
  "bos_token_id": null,
  "pad_token_id": null,
  "eos_token_id": null,
  "sep_token_id": null,
  "decoder_start_token_id": null,
  "task_specific_params": null,
  "problem_type": null,
  "_name_or_path": "",
  "_attn_implementation_autoset": false,
  "model_type": ""
}
)json"));
    return out;
  }();
  return j;
}

}  // namespace transformers
