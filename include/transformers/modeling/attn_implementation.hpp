#pragma once
// PreTrainedModel._autoset_attn_implementation (4.51): which attention a model class runs, decided
// once when the model is built from its config, with 4.51's errors for values it refuses.
#include <string>

#include "transformers/modeling/configuration_utils.hpp"
#include "transformers/nn/attention.hpp"

namespace transformers {

// A model class's _supports_flash_attn_2 / _supports_sdpa / _supports_flex_attn (4.51).
struct AttentionSupport {
  bool flash_attention_2 = false;
  bool sdpa = true;
  bool flex_attention = false;
};

// config._attn_implementation for `class_name`:
// - unset: "sdpa" when the class supports it, else "eager" (4.51's default on CPU);
// - "eager" / "sdpa": that one ("sdpa" on a class without it: ValueError, as 4.51);
// - "flash_attention_2": ValueError "<class> does not support Flash Attention 2.0 yet" when the
//   class has no support, else UnsupportedError (4.51 raises ImportError without the flash_attn
//   package; this library has no flash kernels; "sdpa" is the fused kernel);
// - "flex_attention": ValueError when the class has no support (4.51's text), else
//   UnsupportedError (not implemented here);
// - anything else: ValueError with 4.51's text listing the values the class accepts.
nn::AttentionImplementation autoset_attn_implementation(const PretrainedConfig& config, const std::string& class_name,
                                                        const AttentionSupport& support);

}  // namespace transformers
