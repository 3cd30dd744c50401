#pragma once
// Argument checks and dtype classes shared by the op front end and every backend.
#include <string>

#include "transformers/core/tensor.hpp"

namespace transformers::ops::detail {

inline bool is_int_like(DType d) { return !is_floating_point(d); }  // ints and bool
inline int category(DType d) { return d == DType::Bool ? 0 : is_floating_point(d) ? 2 : 1; }

// The type arithmetic runs in: float64 for float64, float32 for the other floats, int64 for ints/bool.
inline DType opmath_dtype(DType d) {
  if (d == DType::Float64) return DType::Float64;
  if (is_floating_point(d)) return DType::Float32;
  return DType::Int64;
}

inline void check_defined(const Tensor& t, const char* op, const char* arg) {
  if (!t.defined()) throw ValueError(std::string(op) + ": argument '" + arg + "' is an undefined tensor");
}
inline void check_float_dtype(const Tensor& t, const char* op) {
  const DType d = t.dtype();
  if (d != DType::Float32 && d != DType::Float64 && d != DType::Float16 && d != DType::BFloat16)
    throw UnsupportedError(std::string(op) + ": expected a float32/float64/float16/bfloat16 tensor, found " +
                           std::string(dtype_name(d)));
}

}  // namespace transformers::ops::detail
