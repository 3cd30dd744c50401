#pragma once
// What the config classes of src/models compute beyond their defaults (private to src/models; the
// register_<arch>() functions put these into ConfigClassInfo).
#include "transformers/modeling/configuration_utils.hpp"

namespace transformers::models_detail {

// LlamaConfig.__init__'s derived attributes (num_key_value_heads, head_dim, rope_scaling's rope_type).
void llama_derive_attributes(PretrainedConfig& c);
void mistral_derive_attributes(PretrainedConfig& c);

// The parameter count of BertModel (with pooler) / GPT2Model / LlamaModel for a config, as
// num_parameters() of the built model would report it; double so absurd sizes cannot overflow.
double bert_base_model_num_parameters(const PretrainedConfig& c);
double gpt2_base_model_num_parameters(const PretrainedConfig& c);
double llama_base_model_num_parameters(const PretrainedConfig& c);
// Qwen2Model: q/k/v biased, o_proj and the MLP not. Qwen3Model: Llama's tree (attention_bias on all
// four projections) plus q_norm / k_norm over head_dim in every layer.
double qwen2_base_model_num_parameters(const PretrainedConfig& c);
double qwen3_base_model_num_parameters(const PretrainedConfig& c);
// Gemma2Model: Llama's tree plus pre/post feed-forward norms in every layer.
double gemma2_base_model_num_parameters(const PretrainedConfig& c);

}  // namespace transformers::models_detail
