// The A/B switches of the CPU kernels (src/ops/cpu/ab_switch.hpp; TRANSFORMERS_SPIN_US in
// core/parallel.cpp) turn an optimisation off for timing runs. tests/CMakeLists.txt runs this whole
// program once per switch set to "0" (ctest models_ab_*), so the parity tests also cover each
// fallback path. Where the library exposes the switch's state, check the run really took it.
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>

#include "ops/cpu/packed_weights.hpp"
#include "transformers/core/cpu_features.hpp"
#include "ops/cpu/sgemm.hpp"

namespace d = transformers::ops::detail;

namespace {
bool env_is_zero(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr && std::strcmp(v, "0") == 0;
}
}  // namespace

TEST(ABSwitches, OffSwitchesAreSeenByTheLibrary) {
  if (env_is_zero("TRANSFORMERS_OWN_GEMM")) EXPECT_FALSE(d::own_sgemm_available());
  if (env_is_zero("TRANSFORMERS_PACKED_WEIGHTS")) EXPECT_FALSE(d::packed_weights_enabled());
  // without the variables both optimisations are on (on a CPU with AVX2; scalar has no own GEMM)
  if (!std::getenv("TRANSFORMERS_PACKED_WEIGHTS")) EXPECT_TRUE(d::packed_weights_enabled());
  if (!std::getenv("TRANSFORMERS_OWN_GEMM") && !std::getenv("TRANSFORMERS_KERNEL") && transformers::cpu_features().avx2 &&
      transformers::cpu_features().fma)
    EXPECT_TRUE(d::own_sgemm_available());
}
