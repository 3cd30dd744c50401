// Front end of the dtype conversion.
#include "transformers/ops/cast.hpp"

#include "ops/dispatch.hpp"

namespace transformers::ops {

Tensor cast(const Tensor& t, DType dtype, const CastOptions& opts) {
  const DType dt = key_dtype(t, "cast", "input");
  if (dt == dtype) return t;
  return dispatch<OpId::cast>(dispatch_device("cast", {&t}), dt, t, dtype, opts.prefault);
}

}  // namespace transformers::ops
