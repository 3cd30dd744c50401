// Tensor::to on tensors large enough to be split over the thread pool gives exactly the scalar
// per-element conversion (torch's rounding), at the seams between chunks too.
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <vector>

#include "transformers/core/parallel.hpp"
#include "transformers/core/tensor.hpp"

using namespace transformers;

TEST(TensorTo, LargeContiguousCastsMatchTheScalarConversion) {
  const int saved = get_num_threads();
  set_num_threads(2);
  const size_t n = (size_t(3) << 20) + 13;  // several chunks, and a length no vector width divides
  std::vector<uint32_t> bits(n);
  std::mt19937 rng(99);
  const uint32_t special[] = {0x7fc00000u, 0xffc00001u, 0x7f800001u, 0x7f800000u, 0xff800000u, 0x7f7fffffu,
                              0x00000001u, 0x80000001u, 0x3f808000u, 0x3f818000u, 0x477ff000u, 0x33000001u};
  for (size_t i = 0; i < n; ++i) bits[i] = i % 5 == 0 ? special[(i / 5) % std::size(special)] : uint32_t(rng());
  Tensor f = Tensor::empty({int64_t(n)}, DType::Float32);
  std::memcpy(f.mutable_data_ptr(), bits.data(), n * 4);

  for (DType to : {DType::BFloat16, DType::Float16}) {
    SCOPED_TRACE(std::string(dtype_name(to)));
    const Tensor h = f.to(to);
    const auto* got = static_cast<const uint16_t*>(h.data_ptr());
    size_t bad = 0;
    for (size_t i = 0; i < n; ++i) {
      float x;
      std::memcpy(&x, &bits[i], 4);
      bad += got[i] != (to == DType::BFloat16 ? float_to_bf16(x) : float_to_fp16(x));
    }
    EXPECT_EQ(bad, 0u);
    // and back: 16-bit -> float32 is exact
    const Tensor back = h.to(DType::Float32);
    const auto* fb = static_cast<const float*>(back.data_ptr());
    bad = 0;
    for (size_t i = 0; i < n; ++i) {
      const float want = to == DType::BFloat16 ? bf16_to_float(got[i]) : fp16_to_float(got[i]);
      bad += std::memcmp(&fb[i], &want, 4) != 0;
    }
    EXPECT_EQ(bad, 0u);
  }
  set_num_threads(saved);
}
