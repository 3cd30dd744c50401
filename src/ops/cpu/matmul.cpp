// Matrix products: float32 -> our own GEMM / GEMV engine (ops/cpu/sgemm.hpp, AVX-512 and AVX2
// levels), OpenBLAS at the scalar level; float64 -> dgemm; 16-bit
// floats -> float32 compute with our GEMV kernels for few rows (decode) and, for many rows, our
// GEMM packing the 16-bit weight straight to float32 panels (AVX-512 / AVX2) or panel conversion
// + sgemm (scalar level); bf16 weights at the avx512bf16 level -> vdpbf16ps on bf16 activations
// (bf16_linear.hpp); float32 weights with an int8 copy (the int8 compute type) -> int8 products
// (int8_linear.hpp); ints -> int64 loops.
#include "transformers/ops/matmul.hpp"

#include <cblas.h>

#include <algorithm>
#include <vector>

#include "ops/cpu/bf16_linear.hpp"
#include "ops/cpu/bf16_matmul.hpp"
#include "ops/cpu/common.hpp"
#include "ops/cpu/kernels.hpp"
#include "ops/cpu/gemm16.hpp"
#include "ops/cpu/int8_linear.hpp"
#include "ops/cpu/packed_weights.hpp"
#include "ops/cpu/quant_gemm.hpp"
#include "ops/cpu/sgemm.hpp"
#include "transformers/core/cpu_features.hpp"
#include "transformers/ops/elementwise.hpp"

namespace transformers::ops::cpu {

namespace {

// BLAS view of a 2-D matrix: row-major with leading dim `ld`, or its transpose.
struct BlasMat {
  Tensor keep;  // keeps a copy alive when one was needed
  const void* ptr = nullptr;
  bool trans = false;
  int64_t ld = 1;
};

BlasMat blas_view(const Tensor& m) {
  const int64_t rows = m.size(0), cols = m.size(1), s0 = m.stride(0), s1 = m.stride(1);
  BlasMat b;
  if ((cols == 1 || s1 == 1) && (rows == 1 || s0 >= std::max<int64_t>(1, cols))) {
    b.ptr = m.data_ptr();
    b.ld = rows == 1 ? std::max<int64_t>(1, cols) : s0;
    return b;
  }
  if ((rows == 1 || s0 == 1) && (cols == 1 || s1 >= std::max<int64_t>(1, rows))) {
    b.ptr = m.data_ptr();
    b.trans = true;
    b.ld = cols == 1 ? std::max<int64_t>(1, rows) : s1;
    return b;
  }
  b.keep = m.clone();
  b.ptr = b.keep.data_ptr();
  b.ld = std::max<int64_t>(1, cols);
  return b;
}

// The engine's view of a BLAS matrix: element (r, c) at ptr[r*rs + c*cs].
detail::GemmOperand operand(const BlasMat& m, detail::BKind kind = detail::BKind::F32) {
  detail::GemmOperand o;
  o.p = m.ptr;
  o.rs = m.trans ? 1 : m.ld;
  o.cs = m.trans ? m.ld : 1;
  o.kind = kind;
  return o;
}

// Our engine for y[M,N] (ldy) = x[M,K] @ B (+ bias): the GEMV for few rows when x has unit column
// stride, else the GEMM. False when this kernel level has no own kernel.
bool own_product(int64_t M, int64_t N, int64_t K, const detail::GemmOperand& x, const detail::GemmOperand& B, float* y,
                 int64_t ldy, const float* bias) {
  if (M <= detail::kGemvMaxRows && x.cs == 1 &&
      detail::sgemv(M, N, K, static_cast<const float*>(x.p), x.rs, B, y, ldy, bias))
    return true;
  return detail::sgemm(M, N, K, x, B, y, ldy, bias, false);
}

// c[M,N] (contiguous rows, ldc) = a[M,K] @ b[K,N] for 2-D views of one float dtype or int64.
void gemm2d(const Tensor& a, const Tensor& b, void* c, int64_t ldc) {
  const int64_t M = a.size(0), K = a.size(1), N = b.size(1);
  if (M == 0 || N == 0) return;
  const DType dt = a.dtype();
  if (K == 0) {
    for (int64_t i = 0; i < M; ++i)
      std::memset(static_cast<char*>(c) + i * ldc * int64_t(dtype_size(dt)), 0, size_t(N) * dtype_size(dt));
    return;
  }
  if (dt == DType::Float32 || dt == DType::Float64) {
    const BlasMat A = blas_view(a), B = blas_view(b);
    const auto ta = A.trans ? CblasTrans : CblasNoTrans, tb = B.trans ? CblasTrans : CblasNoTrans;
    if (dt == DType::Float32 && own_product(M, N, K, operand(A), operand(B), static_cast<float*>(c), ldc, nullptr))
      return;
    if (dt == DType::Float32)
      cblas_sgemm(CblasRowMajor, ta, tb, int(M), int(N), int(K), 1.0f, static_cast<const float*>(A.ptr), int(A.ld),
                  static_cast<const float*>(B.ptr), int(B.ld), 0.0f, static_cast<float*>(c), int(ldc));
    else
      cblas_dgemm(CblasRowMajor, ta, tb, int(M), int(N), int(K), 1.0, static_cast<const double*>(A.ptr), int(A.ld),
                  static_cast<const double*>(B.ptr), int(B.ld), 0.0, static_cast<double*>(c), int(ldc));
    return;
  }
  // int64: plain loops (torch supports integer matmul on CPU; not a hot path)
  const Tensor ac = a.contiguous(), bc = b.contiguous();
  const int64_t* pa = ac.data<int64_t>();
  const int64_t* pb = bc.data<int64_t>();
  int64_t* pc = static_cast<int64_t*>(c);
  for (int64_t i = 0; i < M; ++i) {
    for (int64_t j = 0; j < N; ++j) pc[i * ldc + j] = 0;
    for (int64_t k = 0; k < K; ++k) {
      const int64_t av = pa[i * K + k];
      for (int64_t j = 0; j < N; ++j) pc[i * ldc + j] += av * pb[k * N + j];
    }
  }
}

// The dtype products are computed in.
DType compute_dtype(DType d) {
  if (d == DType::Float32 || d == DType::Float16 || d == DType::BFloat16) return DType::Float32;
  if (d == DType::Float64) return DType::Float64;
  if (d == DType::Bool) throw UnsupportedError("matmul: bool tensors are not supported");
  return DType::Int64;
}

// a [..., M, K] @ b [..., K, N] with broadcast batch dims; both already in the compute dtype.
Tensor batched(const Tensor& a, const Tensor& b) {
  const int64_t M = a.size(-2), K = a.size(-1), N = b.size(-1);
  if (b.size(-2) != K)
    throw ShapeError("matmul: mat1 and mat2 shapes cannot be multiplied (" + shape_str(a.sizes()) + " and " +
                     shape_str(b.sizes()) + "): expected b.size(-2) == " + std::to_string(K));
  const Shape ab(a.sizes().begin(), a.sizes().end() - 2), bb(b.sizes().begin(), b.sizes().end() - 2);
  const Shape batch = broadcast_shapes(ab, bb);
  Shape ash = batch, bsh = batch, osh = batch;
  ash.insert(ash.end(), {M, K});
  bsh.insert(bsh.end(), {K, N});
  osh.insert(osh.end(), {M, N});
  const Tensor ae = a.expand(ash), be = b.expand(bsh);
  Tensor out = Tensor::empty(osh, a.dtype());
  const int64_t nb = shape_numel(batch);
  const size_t nd = batch.size();
  const int64_t es = int64_t(dtype_size(a.dtype()));
  auto slice = [&](int64_t i) {
    int64_t rem = i, oa = ae.storage_offset(), ob = be.storage_offset();
    for (size_t d = nd; d-- > 0;) {
      const int64_t id = rem % batch[d];
      rem /= batch[d];
      oa += id * ae.stride(int64_t(d));
      ob += id * be.stride(int64_t(d));
    }
    const Tensor a2 = ae.as_strided({M, K}, {ae.stride(-2), ae.stride(-1)}, oa);
    const Tensor b2 = be.as_strided({K, N}, {be.stride(-2), be.stride(-1)}, ob);
    gemm2d(a2, b2, static_cast<char*>(out.data_ptr()) + i * M * N * es, N);
  };
  // Many small float32 products (eager attention's per-head q.k^T and p.v): one slice per task,
  // each on one thread (our engine runs inline inside the pool), instead of every slice waking the
  // pool. OpenBLAS paths keep the serial loop (BLAS threads inside pool workers would oversubscribe).
  if (a.dtype() == DType::Float32 && nb > 1 && detail::own_sgemm_available() && M * N * K < (int64_t(1) << 22)) {
    parallel_for(0, nb, 1, [&](int64_t i0, int64_t i1) {
      for (int64_t i = i0; i < i1; ++i) slice(i);
    });
  } else {
    for (int64_t i = 0; i < nb; ++i) slice(i);
  }
  return out;
}

void check_pair(const Tensor& a, const Tensor& b, const char* op) {
  detail::check_defined(a, op, "input");
  detail::check_defined(b, op, "other");
  if (a.dim() == 0 || b.dim() == 0)
    throw ShapeError(std::string(op) + ": both arguments need at least 1 dimension, found shapes " +
                     shape_str(a.sizes()) + " and " + shape_str(b.sizes()));
}

// y [M, N] float32 = x [M, K] float32 @ w16 [N, K]^T (+ bias); our kernels, float32 accumulation.
void linear16(const Tensor& x, const Tensor& w, const float* bias, float* y) {
  const int64_t M = x.size(0), K = x.size(1), N = w.size(0);
  const bool bf16 = w.dtype() == DType::BFloat16;
  const float* px = x.data<float>();
  const uint16_t* pw = static_cast<const uint16_t*>(w.data_ptr());
  const int64_t ldw = w.stride(0);
  // Many rows: our GEMM (AVX-512 / AVX2) widens the 16-bit weight while packing it.
  if (M > 16 && detail::sgemm(M, N, K, detail::GemmOperand{px, K, 1, detail::BKind::F32},
                              detail::GemmOperand{pw, 1, ldw, bf16 ? detail::BKind::BF16 : detail::BKind::F16}, y, N,
                              bias, false))
    return;
  // Few rows (decode): the engine's GEMV (AVX-512 / AVX2), which prefetches the next rows.
  if (detail::sgemv(M, N, K, px, K, detail::GemmOperand{pw, 1, ldw, bf16 ? detail::BKind::BF16 : detail::BKind::F16}, y, N, bias))
    return;
  if (M <= 16) {
    // Decode-shaped: stream the weight once, parallel over output features.
    parallel_for(0, N, 64, [&](int64_t n0, int64_t n1) { detail::gemv16(px, M, K, pw, ldw, bf16, bias, y, N, n0, n1); });
    return;
  }
  // Many rows: convert a panel of weight rows to float32, then sgemm it (BLAS threads inside).
  // Panels of >= 512 rows (up to 16 MiB of float32) keep each sgemm call large enough to run at speed.
  const int64_t panel = std::min<int64_t>(N, std::max<int64_t>(512, (int64_t(4) << 20) / std::max<int64_t>(K, 1)));
  std::vector<float> wf(size_t(std::min(panel, N) * K));
  for (int64_t n0 = 0; n0 < N; n0 += panel) {
    const int64_t nb = std::min(panel, N - n0);
    parallel_for(0, nb, 16, [&](int64_t r0, int64_t r1) {
      detail::convert16_rows(pw + n0 * ldw, ldw, bf16, wf.data(), K, K, r0, r1);
    });
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, int(M), int(nb), int(K), 1.0f, px, int(K), wf.data(), int(K),
                0.0f, y + n0, int(N));
  }
  if (bias)
    for (int64_t m = 0; m < M; ++m)
      for (int64_t n = 0; n < N; ++n) y[m * N + n] += bias[n];
}

}  // namespace

Tensor matmul(const Tensor& a0, const Tensor& b0) {
  check_pair(a0, b0, "matmul");
  const DType rt = result_type(a0, b0);
  // Two bf16 matrices (rows folded from a's batch dims), or batches of them with equal batch dims:
  // vdpbf16ps at the avx512bf16 level, no float32 copies (the backward of autocast's bf16 Linear /
  // Conv1D products; attention's per-head products under autocast, forward and backward).
  if (a0.dtype() == DType::BFloat16 && b0.dtype() == DType::BFloat16 && a0.dim() >= 2 && b0.dim() == 2 &&
      a0.size(-1) == b0.size(0)) {
    const Tensor a2 = a0.dim() == 2 ? a0 : a0.reshape({-1, a0.size(-1)});
    if (Tensor r = detail::matmul_bf16_native(a2, b0); r.defined()) {
      if (a0.dim() == 2) return r;
      Shape osh(a0.sizes().begin(), a0.sizes().end() - 1);
      osh.push_back(b0.size(1));
      return r.view(osh);
    }
  }
  if (Tensor r = detail::bmm_bf16_native(a0, b0); r.defined()) return r;
  const DType c = compute_dtype(rt);
  Tensor a = a0.to(c), b = b0.to(c);
  Tensor out;
  if (a.dim() == 1 && b.dim() == 1) {
    if (a.size(0) != b.size(0))
      throw ShapeError("matmul: 1-D tensors of different sizes " + shape_str(a.sizes()) + " and " + shape_str(b.sizes()));
    out = batched(a.unsqueeze(0), b.unsqueeze(1)).reshape({});
  } else if (a.dim() == 1) {
    out = batched(a.unsqueeze(0), b).squeeze(-2);
  } else if (b.dim() == 1) {
    if (a.size(-1) != b.size(0))
      throw ShapeError("matmul: shapes " + shape_str(a.sizes()) + " and " + shape_str(b.sizes()) + " cannot be multiplied");
    out = batched(a, b.unsqueeze(1)).squeeze(-1);
  } else if (b.dim() == 2 && a.dim() > 2) {
    // Fold a's batch dims into rows: one big GEMM.
    const int64_t K = a.size(-1);
    Shape osh(a.sizes().begin(), a.sizes().end() - 1);
    osh.push_back(b.size(1));
    out = batched(a.reshape({shape_numel(Shape(a.sizes().begin(), a.sizes().end() - 1)), K}), b).view(osh);
  } else {
    out = batched(a, b);
  }
  return out.to(rt);
}

Tensor bmm(const Tensor& a, const Tensor& b) {
  check_pair(a, b, "bmm");
  if (a.dim() != 3 || b.dim() != 3 || a.size(0) != b.size(0))
    throw ShapeError("bmm: expected [B,M,K] and [B,K,N] with equal B, found " + shape_str(a.sizes()) + " and " +
                     shape_str(b.sizes()));
  return matmul(a, b);
}

Tensor linear(const Tensor& x0, const Tensor& weight, const Tensor& bias) {
  detail::check_defined(x0, "linear", "input");
  detail::check_defined(weight, "linear", "weight");
  if (weight.dim() != 2)
    throw ShapeError("linear: weight must be 2-D [out_features, in_features], found " + shape_str(weight.sizes()));
  if (x0.dim() == 0 || x0.size(-1) != weight.size(1))
    throw ShapeError("linear: input's last dim must equal in_features " + std::to_string(weight.size(1)) +
                     ", found input shape " + shape_str(x0.sizes()) + " for weight " + shape_str(weight.sizes()));
  const int64_t N = weight.size(0), K = weight.size(1);
  if (bias.defined() && (bias.dim() != 1 || bias.size(0) != N))
    throw ShapeError("linear: bias must have shape [" + std::to_string(N) + "], found " + shape_str(bias.sizes()));
  const DType wt = weight.dtype();
  if (is_quantized(wt)) return detail::linear_quantized(x0, weight, bias);  // GGUF blocks kept as stored
  // A weight with an int8 copy (the int8 compute type, transformers/ops/int8.hpp): int8 products.
  if (wt == DType::Float32)
    if (Tensor r = detail::linear_int8(x0, weight, false, bias); r.defined()) return r;
  Shape osh(x0.sizes().begin(), x0.sizes().end() - 1);
  osh.push_back(N);
  if (wt != DType::Float32 && wt != DType::Float16 && wt != DType::BFloat16) {
    Tensor y = matmul(x0.to(wt), weight.t());
    return bias.defined() ? add(y, bias) : y;
  }
  // PyTorch requires x and weight to share a dtype; we convert x to the weight's dtype (rounding
  // it like the model's own cast would) and compute in float32.
  const Tensor xq = x0.dtype() == wt ? x0 : x0.to(wt);
  // bf16 at the avx512bf16 level: vdpbf16ps on bf16 activations (bf16_linear.hpp).
  if (wt == DType::BFloat16)
    if (Tensor r = detail::linear_bf16_native(xq, weight, false, bias); r.defined()) return r;
  const int64_t M = shape_numel(Shape(x0.sizes().begin(), x0.sizes().end() - 1));
  const Tensor x = xq.reshape({M, K}).contiguous().to(DType::Float32);
  Tensor yf = Tensor::empty({M, N}, DType::Float32);
  const Tensor bf = bias.defined() ? bias.to(wt).to(DType::Float32).contiguous() : Tensor();
  const float* pb = bf.defined() ? bf.data<float>() : nullptr;
  float* py = yf.data<float>();
  if (M > 0 && N > 0) {
    if (K == 0) {
      for (int64_t m = 0; m < M; ++m)
        for (int64_t n = 0; n < N; ++n) py[m * N + n] = pb ? pb[n] : 0.0f;
    } else if (wt == DType::Float32) {
      const BlasMat W = blas_view(weight);  // [N, K]; usually row-major, so W^T = Trans
      const float* pw = static_cast<const float*>(W.ptr);
      // B(k, n) = W(n, k): W's transpose as the engine's B.
      const BlasMat Bt{Tensor(), W.ptr, !W.trans, W.ld};
      const detail::GemmOperand xa{x.data<float>(), K, 1, detail::BKind::F32};
      // More rows than the GEMV takes: the weight's panels packed once and cached (read-only
      // weights; packed_weights.hpp), so a batched decode step reads each weight once, pre-packed.
      const float* packed = M > detail::kGemvMaxRows ? detail::packed_weight(weight, operand(Bt), K, N, M) : nullptr;
      if (packed && detail::sgemm_prepacked(M, N, K, xa, packed, py, N, pb, false))
        ;  // done by our engine, weight packed once
      else if (own_product(M, N, K, xa, operand(Bt), py, N, pb))
        ;  // done by our engine
      else if (M == 1) {
        if (pb) std::memcpy(py, pb, size_t(N) * 4);
        cblas_sgemv(CblasRowMajor, W.trans ? CblasTrans : CblasNoTrans, W.trans ? int(K) : int(N),
                    W.trans ? int(N) : int(K), 1.0f, pw, int(W.ld), x.data<float>(), 1, pb ? 1.0f : 0.0f, py, 1);
      } else {
        if (pb)
          for (int64_t m = 0; m < M; ++m) std::memcpy(py + m * N, pb, size_t(N) * 4);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, W.trans ? CblasNoTrans : CblasTrans, int(M), int(N), int(K), 1.0f,
                    x.data<float>(), int(K), pw, int(W.ld), pb ? 1.0f : 0.0f, py, int(N));
      }
    } else {
      const Tensor w = weight.stride(1) == 1 && weight.stride(0) >= K ? weight : weight.contiguous();
      linear16(x, w, pb, py);
    }
  }
  return yf.view(osh).to(wt);
}

Tensor addmm_conv1d(const Tensor& x, const Tensor& weight, const Tensor& bias) {
  detail::check_defined(x, "addmm_conv1d", "input");
  detail::check_defined(weight, "addmm_conv1d", "weight");
  if (weight.dim() != 2)
    throw ShapeError("addmm_conv1d: weight must be 2-D [in, out] (GPT-2 Conv1D), found " + shape_str(weight.sizes()));
  const DType wdt = weight.dtype();
  const int64_t K = weight.size(0), N = weight.size(1);
  const int64_t M = x.dim() > 0 ? shape_numel(Shape(x.sizes().begin(), x.sizes().end() - 1)) : 0;
  if (wdt == DType::Float32 && x.dim() > 0 && x.size(-1) == K && (!bias.defined() || (bias.dim() == 1 && bias.size(0) == N)))
    if (Tensor r = detail::linear_int8(x, weight, true, bias); r.defined()) return r;  // int8 compute type
  if (wdt == DType::BFloat16 && x.dim() > 0 && x.size(-1) == K && (!bias.defined() || (bias.dim() == 1 && bias.size(0) == N)))
    if (Tensor r = detail::linear_bf16_native(x.to(wdt), weight, true, bias); r.defined()) return r;
  if ((wdt == DType::BFloat16 || wdt == DType::Float16) && x.dim() > 0 && x.size(-1) == K && M > 0 && M <= 16 &&
      N > 0 && K > 0 && (!bias.defined() || (bias.dim() == 1 && bias.size(0) == N)) && weight.stride(1) == 1) {
    // Decode-shaped 16-bit Conv1D: read the [in, out] weight in place (no transposed copy).
    const Tensor xf = x.to(wdt).reshape({M, K}).contiguous().to(DType::Float32);
    const Tensor bf = bias.defined() ? bias.to(wdt).contiguous().to(DType::Float32) : Tensor();
    Tensor yf = Tensor::empty({M, N}, DType::Float32);
    const float* px = xf.data<float>();
    const float* pb = bf.defined() ? bf.data<float>() : nullptr;
    const uint16_t* pw = static_cast<const uint16_t*>(weight.data_ptr());
    float* py = yf.data<float>();
    const int64_t ldw = weight.stride(0);
    const bool b16 = wdt == DType::BFloat16;
    // Few rows (the engine's GEMV, AVX-512 / AVX2): one pass over the weight split over columns,
    // bias folded in. Otherwise (5-16 rows, or the scalar level) column blocks of our 16-bit kernels.
    if (!detail::sgemv(M, N, K, px, K, detail::GemmOperand{pw, ldw, 1, b16 ? detail::BKind::BF16 : detail::BKind::F16},
                       py, N, pb))
      parallel_for(0, (N + 63) / 64, 1, [&](int64_t c0, int64_t c1) {
        detail::gemv16_kn(px, M, K, pw, ldw, b16, pb, py, N, c0 * 64, std::min(N, c1 * 64));
      });
    Shape osh(x.sizes().begin(), x.sizes().end() - 1);
    osh.push_back(N);
    return yf.view(osh).to(wdt);
  }
  if ((wdt == DType::BFloat16 || wdt == DType::Float16) && detail::own_sgemm_available() && x.dim() > 0 &&
      x.size(-1) == K && M > 16 && N > 0 && K > 0 && (!bias.defined() || (bias.dim() == 1 && bias.size(0) == N)) &&
      weight.stride(1) == 1 && weight.stride(0) >= N) {
    // Many rows: our GEMM reads the [in, out] 16-bit weight in place, widening it while packing.
    const Tensor xf = x.to(wdt).reshape({M, K}).contiguous().to(DType::Float32);
    const Tensor bf = bias.defined() ? bias.to(wdt).contiguous().to(DType::Float32) : Tensor();
    Tensor yf = Tensor::empty({M, N}, DType::Float32);
    const detail::GemmOperand A{xf.data<float>(), K, 1, detail::BKind::F32};
    const detail::GemmOperand B{weight.data_ptr(), weight.stride(0), 1,
                                wdt == DType::BFloat16 ? detail::BKind::BF16 : detail::BKind::F16};
    if (detail::sgemm(M, N, K, A, B, yf.data<float>(), N, bf.defined() ? bf.data<float>() : nullptr, false)) {
      Shape osh(x.sizes().begin(), x.sizes().end() - 1);
      osh.push_back(N);
      return yf.view(osh).to(wdt);
    }
  }
  // Otherwise reuse linear's kernels on the transposed view (float32: sgemm reads it in place;
  // 16-bit with many rows: made contiguous [out, in] once per call, amortised over the rows).
  const Tensor wt = weight.t();
  return linear(x, wt.dtype() == DType::Float32 ? wt : wt.contiguous(), bias);
}

}  // namespace transformers::ops::cpu
