// Front end of the reductions (the kernels check dims and dtypes).
#include "transformers/ops/reduce.hpp"

#include "ops/dispatch.hpp"

namespace transformers::ops {

Tensor sum(const Tensor& t, std::vector<int64_t> dims, bool keepdim) {
  return dispatch_on_input<OpId::sum>(t, std::move(dims), keepdim);
}
Tensor mean(const Tensor& t, std::vector<int64_t> dims, bool keepdim) {
  return dispatch_on_input<OpId::mean>(t, std::move(dims), keepdim);
}
std::pair<Tensor, Tensor> max(const Tensor& t, int64_t dim, bool keepdim) { return dispatch_on_input<OpId::max>(t, dim, keepdim); }
std::pair<Tensor, Tensor> min(const Tensor& t, int64_t dim, bool keepdim) { return dispatch_on_input<OpId::min>(t, dim, keepdim); }
Tensor amax(const Tensor& t, int64_t dim, bool keepdim) { return dispatch_on_input<OpId::amax>(t, dim, keepdim); }
Tensor amin(const Tensor& t, int64_t dim, bool keepdim) { return dispatch_on_input<OpId::amin>(t, dim, keepdim); }
Tensor argmax(const Tensor& t, int64_t dim, bool keepdim) { return dispatch_on_input<OpId::argmax>(t, dim, keepdim); }
Tensor argmin(const Tensor& t, int64_t dim, bool keepdim) { return dispatch_on_input<OpId::argmin>(t, dim, keepdim); }
Tensor var(const Tensor& t, std::vector<int64_t> dims, int64_t correction, bool keepdim) {
  return dispatch_on_input<OpId::var>(t, std::move(dims), correction, keepdim);
}
Tensor cumsum(const Tensor& t, int64_t dim) { return dispatch_on_input<OpId::cumsum>(t, dim); }

}  // namespace transformers::ops
