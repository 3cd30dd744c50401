#pragma once
// The int8 compute type (issue 27, CTranslate2's compute_type "int8"): y = x @ W^T + bias with W
// [N, K] quantized symmetrically per output channel at load (w[n][k] ~= sw[n] * qw[n][k], |qw| <=
// 127, sw[n] = max_k |w[n][k]| / 127) and x quantized the same way per row at run time (x[m][k] ~=
// sx[m] * qx[m][k]). The int32 dot product sum_k qx * qw is exact at every level; the result is
// float(dot) * (sx[m] * sw[n]) + bias[n] in one fused multiply-add, so every level gives the same
// bits. The error against the float product of the dequantized weight is the activation rounding:
// at most sx[m] / 2 * sum_k |sw[n] * qw[n][k]| (tests/ops/test_int8_gemm.cpp).
//
// Packed weight layout (one for all levels): strips of kInt8Strip = 16 output channels, N padded
// with zero channels; inside a strip, for each group g of 4 k, 16 dwords (one per channel c) holding
// qw[c][4g..4g+3] — what vpdpbusd multiplies against one broadcast dword of activations. K is padded
// to a multiple of 4 with zeros.
//
// Levels: scalar loops; AVX2 (vpmaddwd of int16 activations by the weights widened to int16 in
// registers); AVX-512 VNNI (vpdpbusd on u8 = qx + 128 against s8 weights, the 128 * sum_k qw
// offset subtracted in int32). The plain avx512 level runs the AVX2 kernels.
#include <cstdint>
#include <memory>
#include <vector>

#include "transformers/core/cpu_features.hpp"

namespace transformers::ops::detail {

inline constexpr int64_t kInt8Strip = 16;
// K above this could overflow the int32 dot of u8 (<= 255) by s8 (<= 127) products.
inline constexpr int64_t kInt8MaxK = int64_t(1) << 16;

struct Int8Weight {
  int64_t N = 0, K = 0, Kp = 0;  // Kp: K rounded up to 4
  std::unique_ptr<int8_t[], void (*)(void*)> q{nullptr, nullptr};  // packed, strips * Kp * 16 bytes
  std::vector<float> scale;      // [strips * 16], 0 on padding channels
  std::vector<int32_t> offset;   // [strips * 16]: 128 * sum_k qw[n][k] (the u8 activations' shift)
  int64_t strips() const { return (N + kInt8Strip - 1) / kInt8Strip; }
  const int8_t* strip(int64_t s) const { return q.get() + s * Kp * kInt8Strip; }
  // qw[n][k] read back from the packed layout (tests, the float64 reference).
  int8_t at(int64_t n, int64_t k) const {
    return strip(n / kInt8Strip)[(k / 4) * 4 * kInt8Strip + (n % kInt8Strip) * 4 + k % 4];
  }
  int64_t bytes() const { return strips() * Kp * kInt8Strip + strips() * kInt8Strip * 8; }
};

// Quantizes W(n, k) = w[n*ns + k*ks] (float32). nullptr when a weight is not finite (the caller
// keeps the float product, where NaN and infinity propagate) or K > kInt8MaxK.
std::shared_ptr<Int8Weight> int8_quantize_weight(const float* w, int64_t N, int64_t K, int64_t ns, int64_t ks);

// Activations quantized per row, x[m][k] ~= scale[m] * qx[m][k], each row Kp long (K padding: qx
// = 0), in the form the level's kernels read (`format`):
// - q: signed bytes, row-major [M][Kp] (scalar; AVX2 for a single row, decode);
// - q16: the same values as int16, row-major [M][Kp] (AVX2 from 2 rows: vpmaddwd against the
//   weights widened in registers, so each row's 4 values of a group are one broadcast qword);
// - u: u8 = qx + 128 (VNNI), row-major [M][Kp], or, when `blocked` (M >= the level's
//   blocked_min_rows), in blocks of kInt8RowBlock rows: block b, group g (4 k) holds the 16 rows'
//   dwords u[16b + r][4g..4g+3], r = 0..15, one vector of activations per group for the GEMM whose
//   lanes run over rows (int8_gemm_impl.hpp). Rows past M in the last block hold qx = 0, scale 0.
inline constexpr int64_t kInt8RowBlock = 16;
enum class Int8RowFormat : uint8_t { S8, S16, U8 };
struct Int8Rows {
  int64_t M = 0, Kp = 0;
  Int8RowFormat format = Int8RowFormat::S8;
  bool blocked = false;
  std::vector<int8_t> q;
  std::vector<int16_t> q16;
  std::vector<uint8_t> u;
  std::vector<float> scale;  // [M], or [M rounded up to kInt8RowBlock] when blocked
};
// false when a value is not finite (the caller computes in float). Split over the pool by rows;
// `out` keeps its capacity from call to call (no page faults for a reused one).
bool int8_quantize_rows(const float* x, int64_t M, int64_t K, int64_t ldx, Int8Rows& out);

struct Int8Kernels {
  // y[m*ldy + n] for every row m and the channels of strips [s0, s1); bias may be nullptr.
  void (*gemm)(const Int8Weight& w, const Int8Rows& x, const float* bias, float* y, int64_t ldy, int64_t s0,
               int64_t s1);
  // Rows [m0, m1) of `out` (sized and laid out by int8_quantize_rows; in the blocked layout m0 and m1
  // are multiples of kInt8RowBlock or m1 is the padded row count); false on a non-finite value.
  bool (*quantize_rows)(const float* x, int64_t m0, int64_t m1, int64_t K, int64_t ldx, Int8Rows& out);
  // Channels [n0, n1) of W(n, k) = w[n*ns + k*ks] into `out` (sized, zeroed; n0 a multiple of
  // kInt8Strip): qw, scale and offset; false on a non-finite value.
  bool (*quantize_channels)(const float* w, int64_t n0, int64_t n1, int64_t K, int64_t ns, int64_t ks,
                            Int8Weight& out);
  Int8RowFormat rows;        // what the kernels read: q (scalar, AVX2 below wide_min_rows) or u (VNNI)
  int64_t blocked_min_rows;  // from this many rows on the activations are blocked (0: never)
  int64_t wide_min_rows;     // from this many rows on they are q16 (0: never)
};
template <KernelLevel L>
const Int8Kernels& int8_kernels();
extern template const Int8Kernels& int8_kernels<KernelLevel::Scalar>();
extern template const Int8Kernels& int8_kernels<KernelLevel::Avx2>();
extern template const Int8Kernels& int8_kernels<KernelLevel::Avx512Vnni>();
// The set of the current kernel level (TRANSFORMERS_KERNEL / force_kernel_level lower it).
const Int8Kernels& current_int8_kernels();

// y [M, N] (ldy) for all rows, split over the pool by strips.
void int8_gemm(const Int8Weight& w, const Int8Rows& x, const float* bias, float* y, int64_t ldy);

}  // namespace transformers::ops::detail
