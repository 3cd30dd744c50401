// The attn_implementation check of 4.51's PreTrainedModel.__init__ / from_pretrained
// (_autoset_attn_implementation), with its messages, so a bad value fails when the model is built
// instead of at the first forward.
#include "transformers/core/quote.hpp"
#include "transformers/modeling/attn_implementation.hpp"

namespace transformers {

namespace {

std::string unsupported_value_message(const std::string& requested, const AttentionSupport& s) {
  std::string m = "Specified `attn_implementation=\"" + requested +
                  "\"` is not supported. The only possible arguments are `attn_implementation=\"eager\"` (manual "
                  "attention implementation)";
  if (s.flash_attention_2)
    m += ", `\"attn_implementation=flash_attention_2\"` (implementation using flash attention 2)";
  if (s.sdpa)
    m += ", `\"attn_implementation=sdpa\"` (implementation using torch.nn.functional.scaled_dot_product_attention)";
  if (s.flex_attention)
    m += ", `\"attn_implementation=flex_attention\"` (implementation using torch's flex_attention)";
  return m + ".";
}

}  // namespace

nn::AttentionImplementation autoset_attn_implementation(const PretrainedConfig& config, const std::string& class_name,
                                                        const AttentionSupport& support) {
  using nn::AttentionImplementation;
  if (!config.has("_attn_implementation") || config.raw_at("_attn_implementation").is_null())
    return support.sdpa ? AttentionImplementation::sdpa : AttentionImplementation::eager;
  const json& v = config.raw_at("_attn_implementation");
  if (!v.is_string())
    throw ValueError("config key 'attn_implementation': expected a string (\"eager\" or \"sdpa\"), found " + quote_input(v.dump()));
  const std::string requested = v.get<std::string>();
  if (requested == "eager") return AttentionImplementation::eager;
  if (requested == "sdpa") {
    if (!support.sdpa)
      throw ValueError(class_name +
                       " does not support an attention implementation through torch.nn.functional.scaled_dot_product_"
                       "attention yet. Load the model with attn_implementation=\"eager\".");
    return AttentionImplementation::sdpa;
  }
  if (requested == "flash_attention_2") {
    if (!support.flash_attention_2)
      throw ValueError(class_name + " does not support Flash Attention 2.0 yet. Load the model with "
                                    "attn_implementation=\"sdpa\" (the fused streaming kernel) or \"eager\".");
    throw UnsupportedError(
        "FlashAttention2 has been toggled on, but it cannot be used: transformers.cpp has no flash_attn kernels "
        "(4.51 raises ImportError without the flash_attn package). Use attn_implementation=\"sdpa\" (the fused "
        "streaming kernel, same results) or \"eager\".");
  }
  if (requested == "flex_attention") {
    if (!support.flex_attention)
      throw ValueError(class_name +
                       " does not support an attention implementation through torch's flex_attention. Load the model "
                       "with attn_implementation=\"eager\" or \"sdpa\".");
    throw UnsupportedError("attn_implementation=\"flex_attention\" is not implemented in transformers.cpp; use "
                           "attn_implementation=\"sdpa\" (the fused streaming kernel) or \"eager\".");
  }
  throw ValueError(unsupported_value_message(requested, support));
}

}  // namespace transformers
