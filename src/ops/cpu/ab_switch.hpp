#pragma once
// The A/B switches of the CPU kernels (TRANSFORMERS_OWN_GEMM, TRANSFORMERS_PACKED_WEIGHTS,
// TRANSFORMERS_SGEMM_PREFETCH, TRANSFORMERS_ATTN_DIRECT_KV): one binary, an optimisation turned off
// by setting its variable to "0", so benchmarks compare both in the same run. Callers read it once
// (a function-local static): the switches are not meant to change while a process runs.
#include <cstdlib>
#include <cstring>

namespace transformers::ops::detail {

inline bool ab_switch_off(const char* name) {
  const char* e = std::getenv(name);
  return e != nullptr && std::strcmp(e, "0") == 0;
}

}  // namespace transformers::ops::detail
