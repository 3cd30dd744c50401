// cross_entropy as a composition of recorded ops: -log_softmax(input)[target] over the counted
// targets, with the ignored ones masked to 0 (they still read class 0 so gather stays in range).
#include "transformers/ops/loss.hpp"

#include <string>
#include <vector>

#include "ops/op_utils.hpp"
#include "transformers/ops/autocast.hpp"
#include "transformers/ops/elementwise.hpp"
#include "transformers/ops/indexing.hpp"
#include "transformers/ops/reduce.hpp"
#include "transformers/ops/softmax.hpp"

namespace transformers::ops {

Tensor cross_entropy(const Tensor& input, const Tensor& target, const CrossEntropyOptions& opts) {
  detail::check_defined(input, "cross_entropy", "input");
  detail::check_defined(target, "cross_entropy", "target");
  detail::check_float_dtype(input, "cross_entropy");
  if (is_floating_point(target.dtype()) || target.dtype() == DType::Bool)
    throw ValueError("cross_entropy: expected integer class indices as target, found " +
                     std::string(dtype_name(target.dtype())) + " (class probabilities are not supported)");
  // on autocast's float32 list: a bf16 input is upcast first
  const Tensor in32 = autocast_float32(input);
  const Tensor x = in32.dim() == 1 ? in32.unsqueeze(0) : in32;
  const Tensor t = target.dim() == 0 ? target.unsqueeze(0) : target;
  if (x.dim() != 2 || t.dim() != 1 || t.size(0) != x.size(0))
    throw ShapeError("cross_entropy: expected input [N, C] and target [N], found input " + shape_str(input.sizes()) +
                     " and target " + shape_str(target.sizes()));
  const int64_t n = x.size(0), c = x.size(1);
  const std::vector<int64_t> ids = t.to_vector<int64_t>();
  std::vector<int64_t> safe(size_t(n), 0);
  std::vector<double> counted(size_t(n), 0.0);
  int64_t count = 0;
  for (int64_t i = 0; i < n; ++i) {
    const int64_t id = ids[size_t(i)];
    if (id == opts.ignore_index) continue;
    if (id < 0 || id >= c)
      throw ValueError("cross_entropy: target " + std::to_string(id) + " at position " + std::to_string(i) +
                       " is out of bounds for " + std::to_string(c) + " classes (ignore_index " +
                       std::to_string(opts.ignore_index) + ")");
    safe[size_t(i)] = id;
    counted[size_t(i)] = 1.0;
    ++count;
  }
  const Tensor logp = log_softmax(x, 1);
  const Tensor picked = gather(logp, 1, Tensor::from_vector(safe, {n, 1})).view({n});
  const Tensor losses = neg(mul(picked, Tensor::from_vector(counted, {n}).to(x.dtype())));
  switch (opts.reduction) {
    case Reduction::none: return input.dim() == 1 ? losses.view({}) : losses;
    case Reduction::sum: return sum(losses);
    case Reduction::mean: break;
  }
  return div(sum(losses), double(count));
}

}  // namespace transformers::ops
