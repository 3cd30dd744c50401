#pragma once
// The fused attention tile (attention_kernel.hpp), written once over the level's vector Vec<L>
// (core/isa/vec.hpp) and built per level (isa_kernels.cpp, isa_kernels_avx2.cpp,
// isa_kernels_avx512.cpp). Loops are written so the compiler vectorises them over keys (scores,
// exp) and over the value dim (P @ V); the K block is transposed into scratch once per tile so
// score loops run over contiguous keys.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

#include "core/isa/vec.hpp"
#include "ops/cpu/attention_kernel.hpp"
#include "transformers/core/dtype.hpp"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpsabi"

namespace transformers::ops::detail {
namespace {

template <KernelLevel L>
struct AttnKernel {

// exp(x) for x <= 0 (scores minus their running max): Cody-Waite reduction and a degree-6
// polynomial, ~2 ulp; -inf and very negative x give 0. Branch-free so loops over it vectorise.
static float exp_nonpos(float x) {
  const float xc = x < -87.0f ? -87.0f : x;
  const float t = xc * 1.44269504088896341f;
  const float n = (t + 12582912.0f) - 12582912.0f;  // round to nearest integer
  const float r = (xc - n * 0.693145751953125f) - n * 1.428606765330187045e-06f;
  float p = 1.0f / 720.0f;
  p = p * r + 1.0f / 120.0f;
  p = p * r + 1.0f / 24.0f;
  p = p * r + 1.0f / 6.0f;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  const int32_t e = (int32_t(n) + 127) << 23;
  float scale;
  std::memcpy(&scale, &e, 4);
  const float res = p * scale;
  return x < -87.0f ? 0.0f : res;
}

// Four query rows x CV vectors of accumulators stay in registers.
using V = isa::Vec<L>;
using vf = typename V::T;
using vi = typename V::I;
static constexpr int64_t VW = V::kWidth;
static constexpr int64_t CV = VW == 16 ? 4 : 2;
static vf loadu(const float* p) { return V::load(p); }
static void storeu(float* p, vf v) { V::store(p, v); }

// exp_nonpos on VW lanes: the same operations lane by lane. The softmax over a score row is
// written in explicit vectors: its max and sum reductions were scalar chains of dependent ops
// (without -ffast-math the compiler may not reorder a float reduction), which made causal sdpa at
// 512 tokens slower than its QK^T and P.V multiply-adds.
[[gnu::always_inline]] static vf splat(float x) { return V::set1(x); }
[[gnu::always_inline]] static vf vexp_nonpos(vf x) {
  const vf lo = splat(-87.0f);
  const vf xc = x < lo ? lo : x;
  const vf t = xc * 1.44269504088896341f;
  const vf n = (t + 12582912.0f) - 12582912.0f;
  const vf r = (xc - n * 0.693145751953125f) - n * 1.428606765330187045e-06f;
  vf p = splat(1.0f / 720.0f);
  p = p * r + 1.0f / 120.0f;
  p = p * r + 1.0f / 24.0f;
  p = p * r + 1.0f / 6.0f;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  const vi e = (__builtin_convertvector(n, vi) + 127) << 23;
  const vf res = p * (vf)e;
  return x < lo ? vf{} : res;
}
[[gnu::always_inline]] static float hmax(vf x) {
  float m = x[0];
  for (int64_t l = 1; l < VW; ++l) m = x[l] > m ? x[l] : m;
  return m;
}

// Readers of K / V elements: load() gives VW consecutive elements as float32 lanes, at() one.
// Widening 16-bit values is exact, so every reader gives the same scores as a float32 copy would.
struct KvF32 {
  using T = float;
  static vf load(const float* p) { return loadu(p); }
  static float at(const float* p) { return *p; }
};
struct KvBF16 {  // bfloat16 = the high half of a float32: zero-extend and shift
  using T = uint16_t;
  static vf load(const uint16_t* p) { return V::load_bf16(p); }
  static float at(const uint16_t* p) { return bf16_to_float(*p); }
};
struct KvF16 {  // float16: vcvtph2ps where the level has F16C, the core's scalar conversion otherwise
  using T = uint16_t;
  static vf load(const uint16_t* p) { return V::load_f16(p); }
  static float at(const uint16_t* p) { return fp16_to_float(*p); }
};

// s[r][jc..jc + NC*VW) = q_r . kt[:, jc..) for four rows (rows past the tile point at zeros); kt
// rows are ld floats apart.
template <int NC>
static void scores4_block(const float* const q[4], const float* kt, int64_t D, int64_t ld, int64_t jc,
                          float* const s[4]) {
  vf acc[4][NC] = {};
  for (int64_t d = 0; d < D; ++d) {
    vf kv[NC];
    for (int c = 0; c < NC; ++c) kv[c] = loadu(kt + d * ld + jc + c * VW);
    for (int r = 0; r < 4; ++r) {
      const float qv = q[r][d];
      for (int c = 0; c < NC; ++c) acc[r][c] += qv * kv[c];
    }
  }
  for (int r = 0; r < 4; ++r)
    for (int c = 0; c < NC; ++c) storeu(s[r] + jc + c * VW, acc[r][c]);
}
// The scores of keys [0, width) (width a multiple of VW): only the vectors that hold keys of the
// block, so a short sequence (an encoder batch of ~24 tokens) does not pay for the block's
// padding to kAttnBlockK (64) keys: 2.7x the multiply-adds at 24 keys.
static void scores4(const float* const q[4], const float* kt, int64_t D, int64_t ld, int64_t width, float* const s[4]) {
  int64_t jc = 0;
  for (; jc + VW * CV <= width; jc += VW * CV) scores4_block<CV>(q, kt, D, ld, jc, s);
  switch ((width - jc) / VW) {
    case 1: return scores4_block<1>(q, kt, D, ld, jc, s);
    case 2: return scores4_block<2>(q, kt, D, ld, jc, s);
    case 3: return scores4_block<3>(q, kt, D, ld, jc, s);
    default: return;
  }
}

// acc_r[0..Dv) += sum_j p_r[j] * v_j[0..Dv) for R <= 4 rows (a decode tile has one: no
// multiply-adds spent on padding rows).
// Columns [dc, dc + NC*VW) of pv_rows.
template <class KV, int R, int NC>
static void pv_block(const float* const p[4], const typename KV::T* v, int64_t v_rs, int64_t bk, int64_t dc,
                     float* const acc[4]) {
  vf a[R][NC];
  for (int r = 0; r < R; ++r)
    for (int c = 0; c < NC; ++c) a[r][c] = loadu(acc[r] + dc + c * VW);
  for (int64_t j = 0; j < bk; ++j) {
    vf vv[NC];
    for (int c = 0; c < NC; ++c) vv[c] = KV::load(v + j * v_rs + dc + c * VW);
    for (int r = 0; r < R; ++r) {
      const float pj = p[r][j];
      for (int c = 0; c < NC; ++c) a[r][c] += pj * vv[c];
    }
  }
  for (int r = 0; r < R; ++r)
    for (int c = 0; c < NC; ++c) storeu(acc[r] + dc + c * VW, a[r][c]);
}
template <class KV, int R>
static void pv_rows(const float* const p[4], const typename KV::T* v, int64_t v_rs, int64_t bk, int64_t Dv, float* const acc[4]) {
  int64_t dc = 0;
  for (; dc + VW * CV <= Dv; dc += VW * CV) pv_block<KV, R, CV>(p, v, v_rs, bk, dc, acc);
  // The value dim's remaining whole vectors (a head dim of 32 at AVX-512 is two: it ran the scalar
  // loop below before), then its scalar tail.
  switch ((Dv - dc) / VW) {
    case 1: pv_block<KV, R, 1>(p, v, v_rs, bk, dc, acc); dc += VW; break;
    case 2: pv_block<KV, R, 2>(p, v, v_rs, bk, dc, acc); dc += 2 * VW; break;
    case 3: pv_block<KV, R, 3>(p, v, v_rs, bk, dc, acc); dc += 3 * VW; break;
    default: break;
  }
  for (; dc < Dv; ++dc)
    for (int r = 0; r < R; ++r) {
      float x = acc[r][dc];
      for (int64_t j = 0; j < bk; ++j) x += p[r][j] * KV::at(v + j * v_rs + dc);
      acc[r][dc] = x;
    }
}
template <class KV>
static void pv(int rows, const float* const p[4], const typename KV::T* v, int64_t v_rs, int64_t bk, int64_t Dv,
               float* const acc[4]) {
  switch (rows) {
    case 1: return pv_rows<KV, 1>(p, v, v_rs, bk, Dv, acc);
    case 2: return pv_rows<KV, 2>(p, v, v_rs, bk, Dv, acc);
    case 3: return pv_rows<KV, 3>(p, v, v_rs, bk, Dv, acc);
    default: return pv_rows<KV, 4>(p, v, v_rs, bk, Dv, acc);
  }
}

// s[j] = q . k_j for j < bk, keys read in place (the decode path: one query row, no transpose).
template <class KV>
static void scores_dot(const float* q, const typename KV::T* k, int64_t k_rs, int64_t bk, int64_t D, float* s) {
  for (int64_t j = 0; j < bk; ++j) {
    const typename KV::T* kr = k + j * k_rs;
    vf acc = {};
    int64_t d = 0;
    for (; d + VW <= D; d += VW) acc += loadu(q + d) * KV::load(kr + d);
    float x = V::hsum(acc);
    for (; d < D; ++d) x += q[d] * KV::at(kr + d);
    s[j] = x;
  }
}


template <class KV>
static void tile(const AttnTile& a) {
  using T = typename KV::T;
  const T* kp = static_cast<const T*>(a.k);
  const T* vp = static_cast<const T*>(a.v);
  constexpr int64_t BK = kAttnBlockK;
  const int64_t D = a.D, Dv = a.Dv, nq = a.nq;
  float* kt = a.scratch;             // [D][BK]
  float* s = kt + D * BK;            // [nq][BK]
  float* acc = s + nq * BK;          // [nq][Dv]
  float* mrow = acc + nq * Dv;       // running max per row
  float* lrow = mrow + nq;           // running sum per row
  // rows past the tile read zeros and write into a dummy row (keeps the 4-row kernels branch-free)
  float* zeros = lrow + nq;          // max(D, BK) zeros
  float* dummy = zeros + (D > BK ? D : BK);  // max(Dv, BK) floats
  for (int64_t d = 0; d < (D > BK ? D : BK); ++d) zeros[d] = 0.0f;
  const float ninf = -std::numeric_limits<float>::infinity();
  for (int64_t i = 0; i < nq; ++i) {
    mrow[i] = ninf;
    lrow[i] = 0.0f;
    for (int64_t d = 0; d < Dv; ++d) acc[i * Dv + d] = 0.0f;
  }
  // With a causal mask no row of the tile sees keys beyond q0 + nq - 1.
  const int64_t kend = a.causal ? (a.q0 + nq < a.Lk ? a.q0 + nq : a.Lk) : a.Lk;
  for (int64_t k0 = 0; k0 < kend; k0 += BK) {
    const int64_t bk = kend - k0 < BK ? kend - k0 : BK;
    const int64_t bkp = (bk + VW - 1) / VW * VW;  // the block's keys rounded up to whole vectors
    if (nq < 4) {
      // few query rows (decode): dot products straight from K, no transposed copy
      for (int64_t i = 0; i < nq; ++i) scores_dot<KV>(a.q + i * a.q_rs, kp + k0 * a.k_rs, a.k_rs, bk, D, s + i * BK);
    } else {
      for (int64_t j = 0; j < bk; ++j) {
        const T* kr = kp + (k0 + j) * a.k_rs;
        for (int64_t d = 0; d < D; ++d) kt[d * BK + j] = KV::at(kr + d);
      }
      for (int64_t j = bk; j < bkp; ++j)
        for (int64_t d = 0; d < D; ++d) kt[d * BK + j] = 0.0f;
    }
    // scores for the whole tile, four query rows at a time
    for (int64_t i0 = 0; nq >= 4 && i0 < nq; i0 += 4) {
      const float* qr[4];
      float* sr[4];
      for (int r = 0; r < 4; ++r) {
        const bool real = i0 + r < nq;
        qr[r] = real ? a.q + (i0 + r) * a.q_rs : zeros;
        sr[r] = real ? s + (i0 + r) * BK : dummy;
      }
      scores4(qr, kt, D, BK, bkp, sr);
    }
    for (int64_t i = 0; i < nq; ++i) {
      float* si = s + i * BK;
      for (int64_t j = 0; j < bk; ++j) si[j] *= a.scale;
      if (a.mask) {
        const float* mr = a.mask + i * a.m_rs + k0 * a.m_cs;
        for (int64_t j = 0; j < bk; ++j) si[j] += mr[j * a.m_cs];
      }
      if (a.causal) {
        const int64_t lim = a.q0 + i - k0;  // keys j <= lim are visible
        for (int64_t j = lim + 1 < 0 ? 0 : lim + 1; j < bk; ++j) si[j] = ninf;
      }
      // keys [bk, bkp) padded with -inf: the max and exp loops below then run whole vectors
      // (exp gives 0 there, and P.V reads only keys < bk)
      for (int64_t j = bk; j < bkp; ++j) si[j] = ninf;
      float bm = ninf;
      bool nan = false;
      {
        vf vm = splat(ninf);
        vi vn = {};
        int64_t j = 0;
        for (; j + VW <= bkp; j += VW) {
          const vf x = loadu(si + j);
          vm = x > vm ? x : vm;
          vn |= x != x;
        }
        bm = hmax(vm);
        for (int64_t l = 0; l < VW; ++l) nan = nan || vn[l] != 0;
        for (; j < bk; ++j) {
          bm = si[j] > bm ? si[j] : bm;
          nan = nan || si[j] != si[j];
        }
      }
      if (nan) bm = std::numeric_limits<float>::quiet_NaN();  // NaN propagates like torch
      if (bm == ninf) {  // nothing visible in this block for this row: contributes nothing
        for (int64_t j = 0; j < bk; ++j) si[j] = 0.0f;
        continue;
      }
      const float mnew = mrow[i] > bm ? mrow[i] : bm;
      const float alpha = exp_nonpos(mrow[i] - mnew);
      float ls = 0.0f;
      {
        const vf vmn = splat(mnew);
        vf vs = {};
        int64_t j = 0;
        for (; j + VW <= bkp; j += VW) {
          const vf e = vexp_nonpos(loadu(si + j) - vmn);
          storeu(si + j, e);
          vs += e;
        }
        ls = V::hsum(vs);
        for (; j < bk; ++j) ls += (si[j] = exp_nonpos(si[j] - mnew));
      }
      lrow[i] = lrow[i] * alpha + ls;
      mrow[i] = mnew;
      float* ai = acc + i * Dv;
      if (alpha != 1.0f)
        for (int64_t d = 0; d < Dv; ++d) ai[d] *= alpha;
    }
    // acc += P V for the whole tile
    for (int64_t i0 = 0; i0 < nq; i0 += 4) {
      const float* pr[4];
      float* ar[4];
      for (int r = 0; r < 4; ++r) {
        const bool real = i0 + r < nq;
        pr[r] = real ? s + (i0 + r) * BK : zeros;
        ar[r] = real ? acc + (i0 + r) * Dv : dummy;
      }
      pv<KV>(int(nq - i0 < 4 ? nq - i0 : 4), pr, vp + k0 * a.v_rs, a.v_rs, bk, Dv, ar);
    }
  }
  for (int64_t i = 0; i < nq; ++i) {
    float* o = a.out + i * a.o_rs;
    // A row that saw no key (all masked) gives zeros, as torch's CPU kernels do.
    const float inv = lrow[i] > 0.0f ? 1.0f / lrow[i] : 0.0f;
    const float* ai = acc + i * Dv;
    if (mrow[i] != mrow[i]) {
      for (int64_t d = 0; d < Dv; ++d) o[d] = mrow[i];
      continue;
    }
    for (int64_t d = 0; d < Dv; ++d) o[d] = ai[d] * inv;
  }
}

static void run(const AttnTile& a) {
  switch (a.kv) {
    case KvType::BFloat16: return tile<KvBF16>(a);
    case KvType::Float16: return tile<KvF16>(a);
    default: return tile<KvF32>(a);
  }
}
};

}  // namespace
}  // namespace transformers::ops::detail

#pragma GCC diagnostic pop
