// scaled_dot_product_attention (fused, streaming softmax over key blocks) and the eager path that
// keeps the probabilities.
#include "transformers/ops/attention.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <string>
#include <vector>

#include "ops/cpu/attention_kernel.hpp"
#include "ops/cpu/isa_kernels.hpp"
#include "ops/cpu/ab_switch.hpp"
#include "ops/cpu/common.hpp"
#include "ops/cpu/kernels.hpp"
#include "ops/reference/kernels.hpp"
#include "ops/cpu/half_ops.hpp"
#include "transformers/ops/elementwise.hpp"
#include "transformers/ops/matmul.hpp"
#include "transformers/ops/softmax.hpp"

namespace transformers::ops::cpu {

namespace {

// Float32 view with a unit last stride (copy only when needed). 16-bit rows with a unit last
// stride (a KV cache's filled part is such a strided view) are widened row by row into a
// contiguous float32 tensor: no 16-bit clone of the whole cache before the conversion.
Tensor f32_rows(const Tensor& t) {
  if ((t.dtype() == DType::BFloat16 || t.dtype() == DType::Float16) && t.dim() == 4 && t.stride(3) == 1 &&
      !t.is_contiguous()) {
    Tensor f = Tensor::empty(t.sizes(), DType::Float32);
    const int64_t B = t.size(0), H = t.size(1), L = t.size(2), D = t.size(3);
    const uint16_t* ps = static_cast<const uint16_t*>(t.data_ptr());
    float* pd = f.data<float>();
    for (int64_t b = 0; b < B; ++b)
      for (int64_t h = 0; h < H; ++h)
        for (int64_t i = 0; i < L; ++i)
          detail::half_to_float(ps + b * t.stride(0) + h * t.stride(1) + i * t.stride(2), t.dtype(),
                                pd + ((b * H + h) * L + i) * D, D);
    return f;
  }
  Tensor f = t.dtype() == DType::Float32 ? t : t.contiguous().to(DType::Float32);
  if (f.size(-1) > 1 && f.stride(-1) != 1) f = f.contiguous();
  return f;
}

// Additive float32 mask broadcast to [B,H,Lq,Lk] (a strided view; bool -> 0 / -inf).
Tensor additive_mask(const Tensor& m, const Shape& shape, const char* op) {
  Tensor f;
  if (m.dtype() == DType::Bool) {
    f = where(m, Tensor::scalar(0.0f), Tensor::scalar(-std::numeric_limits<float>::infinity()));
  } else if (m.is_floating_point()) {
    f = m.to(DType::Float32);
  } else {
    throw ValueError(std::string(op) + ": attn_mask must be bool or floating point, found " + std::string(dtype_name(m.dtype())));
  }
  if (broadcast_shapes(f.sizes(), shape) != shape)
    throw ShapeError(std::string(op) + ": attn_mask of shape " + shape_str(m.sizes()) + " does not broadcast to " +
                     shape_str(shape));
  return f.expand(shape);
}

// Query rows up to which a 16-bit K / V is read in place (see scaled_dot_product_attention).
constexpr int64_t kDirectKvRows = 4;
// TRANSFORMERS_ATTN_DIRECT_KV=0 restores the float32 copy of a 16-bit cache (for A/B timing).
bool direct_kv_disabled() {
  static const bool off = detail::ab_switch_off("TRANSFORMERS_ATTN_DIRECT_KV");
  return off;
}

}  // namespace

Tensor scaled_dot_product_attention(const Tensor& q0, const Tensor& k0, const Tensor& v0, const SdpaOptions& opts) {
  // Arguments checked by the front end (ops/attention.cpp).
  const char* op = "scaled_dot_product_attention";
  // float64 is for checking, not speed: the reference backend's plain double loop.
  if (q0.dtype() == DType::Float64) return reference::scaled_dot_product_attention_on(Device::CPU, q0, k0, v0, opts);
  const int64_t B = q0.size(0), H = q0.size(1), Lq = q0.size(2), D = q0.size(3);
  const int64_t Hkv = k0.size(1), Lk = k0.size(2), Dv = v0.size(3);
  const int64_t group = Hkv ? H / Hkv : 1;
  const float scale = float(opts.scale ? *opts.scale : 1.0 / std::sqrt(double(D)));
  Tensor out = Tensor::empty({B, H, Lq, Dv}, DType::Float32);
  if (out.numel() == 0) return out.to(q0.dtype());
  if (Lk == 0) {
    out.zero_();
    return out.to(q0.dtype());
  }
  const Tensor mask = opts.attn_mask.defined() ? additive_mask(opts.attn_mask, {B, H, Lq, Lk}, op) : Tensor();
  // Written as [B, Lq, H, Dv] and returned as its [B, H, Lq, Dv] permuted view (torch's CPU
  // flash kernel does the same): the models' transpose(1, 2).reshape back to [B, Lq, H * Dv] is
  // then a free view instead of a copy of the whole output per layer.
  Tensor out_bshd = Tensor::empty({B, Lq, H, Dv}, DType::Float32);
  // Decode (a few query rows) over a 16-bit cache: the tile reads the K / V rows in place and
  // widens them in registers. Widening the whole cache to float32 first cost more than the
  // attention itself (GPT-2 shape, 12 heads, Lk 129, one thread: ~100 us per layer against ~30 us
  // for a float32 cache; read in place ~30 us).
  // Longer queries keep the float32 copy: each K/V row is then read by many query rows.
  const bool half_kv = (k0.dtype() == DType::BFloat16 || k0.dtype() == DType::Float16) && Lq <= kDirectKvRows &&
                       !direct_kv_disabled() && (D <= 1 || k0.stride(3) == 1) && (Dv <= 1 || v0.stride(3) == 1);
  const Tensor q = f32_rows(q0), k = half_kv ? k0 : f32_rows(k0), v = half_kv ? v0 : f32_rows(v0);
  using detail::KvType;
  const KvType kv = !half_kv ? KvType::Float32 : k0.dtype() == DType::BFloat16 ? KvType::BFloat16 : KvType::Float16;
  const int64_t kv_elem = kv == KvType::Float32 ? 4 : 2;  // bytes per K / V element
  const float* pm = mask.defined() ? static_cast<const float*>(mask.data_ptr()) : nullptr;
  // Query rows per tile: 32, or up to 64 / 128 when the tiles still number 4 per thread (BERT at
  // seq 128: 12 heads x one 128-row tile). Each tile transposes every K block it reads, so taller
  // tiles transpose K fewer times (op timing at seq 128, best of 30 in 4 alternations: 32 rows
  // 0.58 ms, 64 rows 0.53, 128 rows 0.48). Causal attention keeps 32 rows: a taller tile would
  // compute more masked-out scores along the diagonal.
  int64_t BQ = std::min<int64_t>(Lq, 32);
  if (!opts.is_causal)
    for (const int64_t bq : {int64_t(128), int64_t(64)})
      if (B * H * ((Lq + bq - 1) / bq) >= 4 * int64_t(get_num_threads())) {
        BQ = std::max(BQ, std::min(Lq, bq));
        break;
      }
  const int64_t qblocks = (Lq + BQ - 1) / BQ;
  const auto fn = detail::current_isa_kernels().attn_tile;
  const float* pq = static_cast<const float*>(q.data_ptr());
  const char* pk = static_cast<const char*>(k.data_ptr());
  const char* pv = static_cast<const char*>(v.data_ptr());
  float* po = out_bshd.data<float>();
  // Grain: at least ~64K multiply-adds per task, so a decode step over a short cache runs inline
  // instead of waking the pool for a few microseconds of work.
  const int64_t task_macs = std::max<int64_t>(1, BQ * Lk * (D + Dv));
  const int64_t grain = std::max<int64_t>(1, (int64_t(1) << 16) / task_macs);
  parallel_for(0, B * H * qblocks, grain, [&](int64_t t0, int64_t t1) {
    // per-thread scratch reused across calls (the tile initialises what it reads)
    thread_local std::vector<float> scratch;
    const size_t need = size_t(detail::attn_scratch_floats(BQ, D, Dv));
    if (scratch.size() < need) scratch.resize(need);
    for (int64_t t = t0; t < t1; ++t) {
      const int64_t bh = t / qblocks, qb = t % qblocks;
      const int64_t b = bh / H, h = bh % H, hk = h / group;
      const int64_t i0 = qb * BQ;
      detail::AttnTile a;
      a.q = pq + b * q.stride(0) + h * q.stride(1) + i0 * q.stride(2);
      a.q_rs = q.stride(2);
      a.nq = std::min(BQ, Lq - i0);
      a.q0 = i0;
      a.k = pk + (b * k.stride(0) + hk * k.stride(1)) * kv_elem;
      a.k_rs = k.stride(2);
      a.v = pv + (b * v.stride(0) + hk * v.stride(1)) * kv_elem;
      a.v_rs = v.stride(2);
      a.kv = kv;
      a.Lk = Lk;
      a.D = D;
      a.Dv = Dv;
      a.mask = pm ? pm + b * mask.stride(0) + h * mask.stride(1) + i0 * mask.stride(2) : nullptr;
      a.m_rs = pm ? mask.stride(2) : 0;
      a.m_cs = pm ? mask.stride(3) : 0;
      a.causal = opts.is_causal;
      a.scale = scale;
      a.out = po + ((b * Lq + i0) * H + h) * Dv;
      a.o_rs = H * Dv;
      a.scratch = scratch.data();
      fn(a);
    }
  });
  return out_bshd.to(q0.dtype()).permute({0, 2, 1, 3});
}

}  // namespace transformers::ops::cpu
