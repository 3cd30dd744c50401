#include "modeling/load_cast.hpp"

#include "ops/cpu/gemm16.hpp"
#include "transformers/core/parallel.hpp"

namespace transformers::detail {

Tensor cast_for_load(const Tensor& t, DType dtype) {
  if (t.dtype() == dtype) return t;
  if (!t.is_contiguous()) return t.to(dtype);
  const DType from = t.dtype();
  const bool pair = (from == DType::Float32 && (dtype == DType::BFloat16 || dtype == DType::Float16)) ||
                    (dtype == DType::Float32 && (from == DType::BFloat16 || from == DType::Float16));
  if (!pair) return t.to(dtype);
  Tensor out = Tensor::empty(t.sizes(), dtype);
  const char* s = static_cast<const char*>(t.data_ptr());
  char* d = static_cast<char*>(out.data_ptr());
  const int64_t ss = int64_t(dtype_size(from)), ds = int64_t(dtype_size(dtype));
  // Chunks of 64 Ki elements: large enough to amortise the pool hand-off, small enough that both
  // threads share the destination's first-touch page faults (most of the cost on a fresh buffer).
  parallel_for(0, t.numel(), int64_t(1) << 16, [&](int64_t b, int64_t e) {
    if (!ops::detail::convert_fast(s + b * ss, from, d + b * ds, dtype, e - b))
      convert_contiguous(s + b * ss, from, d + b * ds, dtype, e - b);
  });
  return out;
}

}  // namespace transformers::detail
