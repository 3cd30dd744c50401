#pragma once
// TFPreTrainedModel's LM-head bias methods, which have a meaning without TensorFlow: the output
// layer that carries a vocabulary bias of its own (4.51's TF classes of BERT's MLM / pre-training /
// causal LM heads, RoBERTa's and XLM-RoBERTa's lm_head, DistilBERT's vocab_projector).
//
//   auto model = AutoModelForMaskedLM::from_pretrained("bert-folder");
//   nn::Module* head = get_lm_head(*model);          // cls.predictions (TF: TFBertLMPredictionHead)
//   auto bias = get_bias(*model);                    // {"bias": [vocab]}, the head's own bias
//   get_prefix_bias_name(*model);                    // "tf_bert_for_masked_lm/mlm___cls/predictions"
//   set_bias(*model, {{"bias", new_bias}});          // and config.vocab_size = new_bias.size(0)
//
// A class whose TF counterpart has no such head (GPT-2, Mistral, the classification heads): as
// 4.51, get_lm_head / get_output_layer_with_bias return nullptr, get_bias and
// get_prefix_bias_name nullopt, set_bias does nothing.
#include <map>
#include <optional>
#include <string>

#include "transformers/modeling/modeling_utils.hpp"

namespace transformers {

using TfBias = std::map<std::string, Tensor>;

// The LM head layer (the module holding the bias), or nullptr.
nn::Module* get_lm_head(PreTrainedModel& model);
// Deprecated in 4.51 (a FutureWarning, once): get_lm_head.
nn::Module* get_output_layer_with_bias(PreTrainedModel& model);
// Deprecated in 4.51 (a FutureWarning, once): the head's TF name scope, "<TF model name>/<head path>",
// the model name being Keras' default for the TF class (tf_bert_for_masked_lm).
std::optional<std::string> get_prefix_bias_name(PreTrainedModel& model);
// {"bias": the head's bias parameter} (the tensor itself, not a copy), or nullopt.
std::optional<TfBias> get_bias(PreTrainedModel& model);
// Replaces the head's bias by value["bias"] (KeyError when absent; ValueError unless it is a 1-D
// floating tensor) and sets config.vocab_size to its length, as the TF heads' set_bias. Tied
// names of the bias (BERT's decoder.bias) see the new tensor; the decoder weight is not resized
// (4.51 resizes it separately, in resize_token_embeddings).
void set_bias(PreTrainedModel& model, const TfBias& value);

}  // namespace transformers
