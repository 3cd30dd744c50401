// The list of architectures. Adding one = a models/<arch>/ folder exposing register_<arch>() and
// one line in TRANSFORMERS_ARCHITECTURES below (see docs/adding_a_model.md).
#include "transformers/models/register_all.hpp"

#include <mutex>

#define TRANSFORMERS_ARCHITECTURES(X) \
  X(bert)                             \
  X(deberta_v2)                       \
  X(distilbert)                       \
  X(gemma)                            \
  X(gemma2)                           \
  X(gemma3)                           \
  X(gpt2)                             \
  X(llama)                            \
  X(mistral)                          \
  X(mixtral)                          \
  X(modernbert)                       \
  X(mpnet)                            \
  X(olmo2)                            \
  X(phi3)                             \
  X(qwen2)                            \
  X(qwen2_moe)                        \
  X(qwen3)                            \
  X(roberta) X(xlm_roberta)

namespace transformers {

#define TRANSFORMERS_DECLARE_ARCH(arch) void register_##arch();
TRANSFORMERS_ARCHITECTURES(TRANSFORMERS_DECLARE_ARCH)
#undef TRANSFORMERS_DECLARE_ARCH

void register_all_models() {
  static std::once_flag once;
  std::call_once(once, [] {
#define TRANSFORMERS_CALL_ARCH(arch) register_##arch();
    TRANSFORMERS_ARCHITECTURES(TRANSFORMERS_CALL_ARCH)
#undef TRANSFORMERS_CALL_ARCH
  });
}

}  // namespace transformers
