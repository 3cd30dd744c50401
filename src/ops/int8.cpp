// Front end of the int8 compute type (transformers/ops/int8.hpp): the CPU backend's int8 copies.
#include "transformers/ops/int8.hpp"

#include "ops/cpu/int8_linear.hpp"

namespace transformers::ops {

bool quantize_weight_int8(const Tensor& w, bool kn_layout) {
  if (!w.defined() || w.dim() != 2 || w.dtype() != DType::Float32 || w.device() != Device::CPU) return false;
  // Output channels along dim 0 for nn.Linear [out, in], along dim 1 for Conv1D [in, out].
  const int64_t N = kn_layout ? w.size(1) : w.size(0), K = kn_layout ? w.size(0) : w.size(1);
  const int64_t ns = kn_layout ? w.stride(1) : w.stride(0), ks = kn_layout ? w.stride(0) : w.stride(1);
  auto q = detail::int8_quantize_weight(w.data<float>(), N, K, ns, ks);
  detail::set_int8_weight(w, kn_layout, q);
  return q != nullptr;
}

bool has_int8_weight(const Tensor& w, bool kn_layout) { return detail::int8_weight(w, kn_layout) != nullptr; }

int64_t int8_weight_bytes(const Tensor& w) { return detail::int8_weight_bytes(w); }

}  // namespace transformers::ops
