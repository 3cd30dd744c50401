// Front end of ops::fused_linear (transformers/ops/fused_linear.hpp): the CPU backend's fused
// kernel when the call qualifies, else the unfused ops (which check the arguments and record
// autograd as usual).
#include "transformers/ops/fused_linear.hpp"

#include "ops/cpu/fused_linear.hpp"
#include "ops/dispatch.hpp"
#include "transformers/core/autograd.hpp"
#include "transformers/ops/autocast.hpp"
#include "transformers/ops/bnb.hpp"
#include "transformers/ops/elementwise.hpp"
#include "transformers/ops/int8.hpp"
#include "transformers/ops/matmul.hpp"

namespace transformers::ops {

namespace {

// Whether the CPU kernel computes exactly what the unfused ops would for this call.
bool fusable(const Tensor& x, const Tensor& weight, const Tensor& bias, const FusedLinearOptions& o) {
  if (!x.defined() || !weight.defined() || weight.dim() != 2 || x.dim() == 0 || x.size(-1) != weight.size(1))
    return false;  // the unfused ops report the error
  if (!o.activation.empty() && o.activation != "gelu") return false;
  if (autocast_dtype() || bnb_state(weight) || has_int8_weight(weight)) return false;
  const bool grad = autograd::is_grad_enabled();
  auto ok = [&](const Tensor& t) { return t.dtype() == DType::Float32 && !(grad && t.requires_grad()); };
  if (!ok(x) || !ok(weight)) return false;
  if (bias.defined() && (!ok(bias) || bias.dim() != 1 || bias.size(0) != weight.size(0))) return false;
  if (o.residual.defined()) {
    if (!ok(o.residual) || o.residual.dim() != x.dim()) return false;
    for (int64_t d = 0; d + 1 < x.dim(); ++d)
      if (o.residual.size(d) != x.size(d)) return false;
    if (o.residual.size(-1) != weight.size(0)) return false;
  }
  return dispatch_device("fused_linear", {&x, &weight, &bias, &o.residual}) == Device::CPU;
}

}  // namespace

Tensor fused_linear(const Tensor& x, const Tensor& weight, const Tensor& bias, const FusedLinearOptions& options) {
  if (fusable(x, weight, bias, options))
    if (Tensor y = detail::linear_epilogue_f32(x, weight, bias, options.activation == "gelu", options.residual);
        y.defined())
      return y;
  Tensor y = linear(x, weight, bias);
  if (!options.activation.empty()) y = activation(y, options.activation);
  return options.residual.defined() ? add(y, options.residual) : y;
}

}  // namespace transformers::ops
