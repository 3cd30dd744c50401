// Front end of the lookup, gather, concatenation and ordering ops.
#include "transformers/ops/indexing.hpp"

#include "ops/dispatch.hpp"

namespace transformers::ops {

namespace {
DType first_dtype(const std::vector<Tensor>& ts) {
  for (const Tensor& t : ts)
    if (t.defined()) return t.dtype();
  return DType::Float32;
}
}  // namespace

Tensor embedding(const Tensor& weight, const Tensor& ids) {
  const DType dt = key_dtype(weight, "embedding", "weight");
  return dispatch<OpId::embedding>(dispatch_device("embedding", {&weight, &ids}), dt, weight, ids);
}
Tensor index_select(const Tensor& t, int64_t dim, const Tensor& index) {
  const DType dt = key_dtype(t, "index_select", "input");
  return dispatch<OpId::index_select>(dispatch_device("index_select", {&t, &index}), dt, t, dim, index);
}
Tensor gather(const Tensor& t, int64_t dim, const Tensor& index) {
  const DType dt = key_dtype(t, "gather", "input");
  return dispatch<OpId::gather>(dispatch_device("gather", {&t, &index}), dt, t, dim, index);
}
Tensor cat(const std::vector<Tensor>& tensors, int64_t dim) {
  return dispatch<OpId::cat>(dispatch_device("cat", tensors), first_dtype(tensors), tensors, dim);
}
Tensor stack(const std::vector<Tensor>& tensors, int64_t dim) {
  return dispatch<OpId::stack>(dispatch_device("stack", tensors), first_dtype(tensors), tensors, dim);
}
std::pair<Tensor, Tensor> topk(const Tensor& t, int64_t k, int64_t dim, bool largest, bool sorted) {
  return dispatch_on_input<OpId::topk>(t, k, dim, largest, sorted);
}
std::pair<Tensor, Tensor> sort(const Tensor& t, int64_t dim, bool descending, bool stable) {
  return dispatch_on_input<OpId::sort>(t, dim, descending, stable);
}
Tensor tril(const Tensor& t, int64_t diagonal) { return dispatch_on_input<OpId::tril>(t, diagonal); }
Tensor triu(const Tensor& t, int64_t diagonal) { return dispatch_on_input<OpId::triu>(t, diagonal); }

}  // namespace transformers::ops
