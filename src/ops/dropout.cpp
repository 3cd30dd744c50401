// Dropout as a composition: a keep mask scaled by 1 / (1 - p), multiplied in (recorded by mul).
#include "transformers/ops/dropout.hpp"

#include <cstring>
#include <string>

#include "ops/op_utils.hpp"
#include "transformers/core/parallel.hpp"
#include "transformers/ops/elementwise.hpp"

namespace transformers::ops {

namespace {
// SplitMix64's output function: element i of a call draws from mix(key + (i + 1) * golden), a
// counter-based stream, so the mask is the same whatever the thread count or chunking, and is
// filled on the pool (one serial draw per element, the old way, took ~0.4 s of a BERT-base
// training step: 38 M draws).
inline uint64_t mix(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}
constexpr uint64_t kGolden = 0x9e3779b97f4a7c15ULL;

// mask[i] = keep ? kept : 0 in the mask's element type (kept: 1 / (1 - p) rounded once to it).
template <typename T>
void fill_mask(T* mask, int64_t n, uint64_t key, double p, T kept) {
  // keep when a 53-bit uniform draw u in [0, 1) is >= p, as with Generator::uniform
  parallel_for(0, n, 1 << 15, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) {
      const double u = double(mix(key + uint64_t(i + 1) * kGolden) >> 11) * (1.0 / 9007199254740992.0);
      mask[i] = u < p ? T(0) : kept;
    }
  });
}
}  // namespace

Tensor dropout(const Tensor& input, double p, bool training, Generator& gen) {
  detail::check_defined(input, "dropout", "input");
  if (!(p >= 0.0 && p <= 1.0))
    throw ValueError("dropout probability has to be between 0 and 1, but got " + std::to_string(p));
  if (!training || p == 0.0) return input;
  detail::check_float_dtype(input, "dropout");
  if (p == 1.0) return mul(input, 0.0);
  const double scale = 1.0 / (1.0 - p);
  // One draw from the generator per call (the key); the mask in the input's dtype, its kept value
  // 1 / (1 - p) rounded once to that dtype (as torch's bernoulli_(1 - p).div_(1 - p) in it).
  const uint64_t key = gen.engine()();
  Tensor mask = Tensor::empty(input.sizes(), input.dtype(), input.device());
  const int64_t n = mask.numel();
  switch (input.dtype()) {
    case DType::Float64: fill_mask(mask.data<double>(), n, key, p, scale); break;
    case DType::Float32: fill_mask(mask.data<float>(), n, key, p, float(scale)); break;
    default: {  // 16-bit floats: the element's bits
      const Tensor kept = Tensor::scalar(scale, DType::Float64).to(input.dtype());
      uint16_t bits;
      std::memcpy(&bits, kept.data_ptr(), 2);
      fill_mask(static_cast<uint16_t*>(mask.data_ptr()), n, key, p, bits);
    }
  }
  return mul(input, mask);
}

Tensor dropout(const Tensor& input, double p, bool training) {
  return dropout(input, p, training, default_generator());
}

}  // namespace transformers::ops
