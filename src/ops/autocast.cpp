// torch.autocast state and casts (autocast.hpp).
#include "transformers/ops/autocast.hpp"

#include "transformers/core/error.hpp"

namespace transformers::ops {

namespace {
thread_local std::optional<DType> current;
}  // namespace

std::optional<DType> autocast_dtype() { return current; }

AutocastGuard::AutocastGuard(std::optional<DType> dtype) : previous_(current) {
  if (dtype && *dtype != DType::BFloat16 && *dtype != DType::Float16)
    throw ValueError("autocast: dtype must be bfloat16 or float16, found " + std::string(dtype_name(*dtype)));
  current = dtype;
}

AutocastGuard::~AutocastGuard() { current = previous_; }

Tensor autocast_lower(const Tensor& t) {
  if (!current || !t.defined() || !t.is_floating_point() || t.dtype() == DType::Float64 || t.dtype() == *current)
    return t;
  return t.to(*current);
}

Tensor autocast_float32(const Tensor& t) {
  if (!current || !t.defined() || (t.dtype() != DType::BFloat16 && t.dtype() != DType::Float16)) return t;
  return t.to(DType::Float32);
}

}  // namespace transformers::ops
