// Front end of softmax / log_softmax.
#include "transformers/ops/softmax.hpp"

#include "ops/dispatch.hpp"

namespace transformers::ops {

Tensor softmax(const Tensor& t, int64_t dim, std::optional<DType> dtype) {
  return dispatch_on_input<OpId::softmax>(t, dim, dtype);
}
Tensor log_softmax(const Tensor& t, int64_t dim, std::optional<DType> dtype) {
  return dispatch_on_input<OpId::log_softmax>(t, dim, dtype);
}

}  // namespace transformers::ops
