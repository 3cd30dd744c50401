// FlaxPreTrainedModel.to_bf16 / to_fp16 / to_fp32 (4.51 _cast_floating_to), see flax_params.hpp.
#include "transformers/modeling/flax_params.hpp"

namespace transformers {

namespace {
FlaxParams cast_floating_to(const FlaxParams& params, DType dtype, const FlaxParamMask& mask) {
  FlaxParams out;
  out.reserve(params.size());
  for (const auto& [path, t] : params) {
    const bool cast = t.is_floating_point() && (!mask || mask(path));
    out.emplace_back(path, cast && t.dtype() != dtype ? t.to(dtype) : t);
  }
  return out;
}
}  // namespace

FlaxParams to_bf16(const FlaxParams& params, const FlaxParamMask& mask) {
  return cast_floating_to(params, DType::BFloat16, mask);
}
FlaxParams to_fp16(const FlaxParams& params, const FlaxParamMask& mask) {
  return cast_floating_to(params, DType::Float16, mask);
}
FlaxParams to_fp32(const FlaxParams& params, const FlaxParamMask& mask) {
  return cast_floating_to(params, DType::Float32, mask);
}

}  // namespace transformers
