#pragma once
// What the config classes of src/models compute beyond their defaults (private to src/models; the
// register_<arch>() functions put these into ConfigClassInfo).
#include <initializer_list>

#include "transformers/modeling/configuration_utils.hpp"

namespace transformers::models_detail {

// LlamaConfig.__init__'s defaults (configuration_llama.py, 4.51): the table the Llama-like config
// classes (Mistral, Qwen2, Qwen3) start from.
const json& llama_config_defaults();
// Qwen2Config.__init__'s defaults (Llama's with Qwen2's changes), the base of Qwen3's.
const json& qwen2_config_defaults();
// GemmaConfig.__init__'s defaults (Llama's with Gemma's changes), the base of Gemma2Config's.
const json& gemma_config_defaults();

// The defaults of a config class whose __init__ repeats another class's arguments with some
// changes (4.51's Qwen2Config and LlamaConfig, Qwen3Config and Qwen2Config): `base` without the arguments the class does not
// have (`dropped`), with `changed` set over it (a changed key keeps its place, a new one is added).
json defaults_from(const json& base, const json& changed, std::initializer_list<const char*> dropped = {});

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
// MixtralModel: Llama's tree without biases, each MLP replaced by a router gate and
// num_local_experts expert MLPs (w1, w2, w3).
double mixtral_base_model_num_parameters(const PretrainedConfig& c);

}  // namespace transformers::models_detail
