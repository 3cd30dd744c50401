// The scalar level of the int8 GEMM, the table of every level, the weight packer and the activation
// quantizer all levels share (int8_gemm.hpp).
#include "ops/cpu/int8_gemm.hpp"

#pragma GCC diagnostic ignored "-Wpsabi"

#include <atomic>
#include <cmath>
#include <cstdlib>
#include <limits>

#include "core/isa/level_table.hpp"
#include "ops/cpu/int8_gemm_impl.hpp"
#include "transformers/core/parallel.hpp"

namespace transformers::ops::detail {

template const Int8Kernels& int8_kernels<KernelLevel::Scalar>();

const Int8Kernels& current_int8_kernels() {
  static const isa::LevelTable<Int8Kernels> table{
      {KernelLevel::Scalar, &int8_kernels<KernelLevel::Scalar>()},
      {KernelLevel::Avx2, &int8_kernels<KernelLevel::Avx2>()},
      {KernelLevel::Avx512Vnni, &int8_kernels<KernelLevel::Avx512Vnni>()},
  };
  return table.current();
}

std::shared_ptr<Int8Weight> int8_quantize_weight(const float* w, int64_t N, int64_t K, int64_t ns, int64_t ks) {
  if (N <= 0 || K <= 0 || K > kInt8MaxK) return nullptr;
  auto out = std::make_shared<Int8Weight>();
  out->N = N;
  out->K = K;
  out->Kp = (K + 3) / 4 * 4;
  const int64_t strips = out->strips(), lanes = strips * kInt8Strip;
  const size_t qbytes = size_t(strips * out->Kp * kInt8Strip);  // a multiple of 64: Kp % 4 == 0
  out->q = std::unique_ptr<int8_t[], void (*)(void*)>(static_cast<int8_t*>(std::aligned_alloc(64, qbytes)), &std::free);
  if (!out->q) return nullptr;
  std::memset(out->q.get(), 0, qbytes);
  out->scale.assign(size_t(lanes), 0.0f);
  out->offset.assign(size_t(lanes), 0);
  const Int8Kernels& k = current_int8_kernels();
  std::atomic<bool> finite{true};
  parallel_for(0, strips, 1, [&](int64_t s0, int64_t s1) {
    if (!k.quantize_channels(w, s0 * kInt8Strip, std::min(N, s1 * kInt8Strip), K, ns, ks, *out)) finite = false;
  });
  return finite.load() ? out : nullptr;
}

bool int8_quantize_rows(const float* x, int64_t M, int64_t K, int64_t ldx, Int8Rows& out) {
  const Int8Kernels& k = current_int8_kernels();
  out.M = M;
  out.Kp = (K + 3) / 4 * 4;
  out.blocked = k.blocked_min_rows > 0 && M >= k.blocked_min_rows;
  const int64_t rows = out.blocked ? (M + kInt8RowBlock - 1) / kInt8RowBlock * kInt8RowBlock : M;
  // resize, not assign: every byte is written by the quantizer, and a reused buffer keeps its pages
  // (the format says which one the quantizer writes; resizing to 0 keeps the others' capacity)
  out.format = k.wide_min_rows > 0 && M >= k.wide_min_rows ? Int8RowFormat::S16 : k.rows;
  const size_t n = size_t(rows * out.Kp);
  out.q.resize(out.format == Int8RowFormat::S8 ? n : 0);
  out.q16.resize(out.format == Int8RowFormat::S16 ? n : 0);
  out.u.resize(out.format == Int8RowFormat::U8 ? n : 0);
  out.scale.resize(size_t(rows));
  // Blocks of 16 rows per task (the blocked layout's unit; a row-major quantizer splits anywhere).
  std::atomic<bool> finite{true};
  const int64_t blocks = (rows + kInt8RowBlock - 1) / kInt8RowBlock;
  parallel_for(0, blocks, std::max<int64_t>(1, 32768 / std::max<int64_t>(K, 1) / kInt8RowBlock), [&](int64_t b0, int64_t b1) {
    if (!k.quantize_rows(x, b0 * kInt8RowBlock, std::min(rows, b1 * kInt8RowBlock), K, ldx, out)) finite = false;
  });
  return finite.load();
}

void int8_gemm(const Int8Weight& w, const Int8Rows& x, const float* bias, float* y, int64_t ldy) {
  const Int8Kernels& k = current_int8_kernels();
  // Tasks of 3 strips (48 channels: the VNNI kernel's block), so blocks are not split.
  const int64_t strips = w.strips(), tasks = (strips + 2) / 3;
  parallel_for(0, tasks, 1, [&](int64_t t0, int64_t t1) {
    k.gemm(w, x, bias, y, ldy, 3 * t0, std::min(strips, 3 * t1));
  });
}

}  // namespace transformers::ops::detail
