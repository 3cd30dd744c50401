// Dispatch of the vectorised float32 math loops by kernel level (scalar: callers' own loops).
#include "ops/cpu/vec_math.hpp"

#include "ops/cpu/softmax_kernels.hpp"
#include "transformers/core/cpu_features.hpp"

namespace transformers::ops::detail {

bool vec_unary_avx2(int op, float* out, const float* x, int64_t n);
bool vec_unary_avx512(int op, float* out, const float* x, int64_t n);
bool softmax_row_avx2(float* out, const float* x, int64_t n, bool log);
bool softmax_row_avx512(float* out, const float* x, int64_t n, bool log);

bool vec_unary(int op, float* out, const float* x, int64_t n) {
  switch (kernel_level()) {
    case KernelLevel::Avx512: return vec_unary_avx512(op, out, x, n);
    case KernelLevel::Avx2: return vec_unary_avx2(op, out, x, n);
    default: return false;
  }
}

bool softmax_row_f32(float* out, const float* x, int64_t n, bool log) {
  switch (kernel_level()) {
    case KernelLevel::Avx512: return softmax_row_avx512(out, x, n, log);
    case KernelLevel::Avx2: return softmax_row_avx2(out, x, n, log);
    default: return false;
  }
}

}  // namespace transformers::ops::detail
