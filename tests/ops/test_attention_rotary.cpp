// Rotary embedding and attention (fused SDPA and eager) against double references.
#include <cmath>
#include <limits>

#include "attention_ref.hpp"
#include "op_test_util.hpp"
#include "transformers/ops/attention.hpp"
#include "transformers/ops/elementwise.hpp"
#include "transformers/ops/rotary.hpp"

using namespace optest;
namespace ops = transformers::ops;

TEST(Rotary, HalvesConvention) {
  for (DType dt : float_dtypes())
    for (bool batched_cos : {true, false}) {
      SCOPED_TRACE(name(dt));
      const int64_t B = 2, H = 3, S = 5, D = 8;
      const Tensor x = random({B, H, S, D}, dt), cs = random(batched_cos ? Shape{B, S, D} : Shape{S, D}, dt, -1, 1),
                   sn = random(batched_cos ? Shape{B, S, D} : Shape{S, D}, dt, -1, 1);
      const Tensor got = ops::apply_rotary_pos_emb(noncontig(x), cs, sn);
      EXPECT_EQ(got.dtype(), dt);
      Ref want(Shape{B, H, S, D});
      for (int64_t b = 0; b < B; ++b)
        for (int64_t h = 0; h < H; ++h)
          for (int64_t s = 0; s < S; ++s)
            for (int64_t d = 0; d < D; ++d) {
              const double rot = d < D / 2 ? -x.at({b, h, s, d + D / 2}) : x.at({b, h, s, d - D / 2});
              const std::vector<int64_t> ci = batched_cos ? std::vector<int64_t>{b, s, d} : std::vector<int64_t>{s, d};
              want.v[size_t(((b * H + h) * S + s) * D + d)] = x.at({b, h, s, d}) * cs.at(ci) + rot * sn.at(ci);
            }
      Tol tl = tol_for(dt);
      tl.rtol *= 2;
      tl.atol *= 2;
      EXPECT_TRUE(close(got, want, tl));
    }
  EXPECT_THROW(ops::apply_rotary_pos_emb(Tensor::ones({1, 1, 2, 3}), Tensor::ones({1, 2, 3}), Tensor::ones({1, 2, 3})), transformers::ShapeError);
}


TEST(Attention, SdpaMatchesReference) {
  struct C { int64_t B, H, Hkv, Lq, Lk, D, Dv; int mask; bool causal; };  // mask: 0 none, 1 bool, 2 additive
  const std::vector<C> cases = {
      {1, 2, 2, 1, 1, 8, 8, 0, false},      {2, 4, 2, 5, 7, 16, 16, 0, false},   {1, 2, 2, 70, 70, 32, 32, 0, true},
      {2, 3, 3, 9, 130, 8, 12, 1, false},   {1, 4, 1, 33, 33, 64, 64, 2, false}, {1, 2, 2, 3, 5, 8, 8, 0, true},
      {1, 2, 2, 6, 4, 8, 8, 0, true},       {1, 1, 1, 1, 200, 64, 64, 2, false}, {2, 2, 2, 40, 40, 4, 4, 1, false},
      // tiles taller than 32 query rows (many heads, non-causal) with a partial last tile
      {1, 12, 12, 130, 128, 64, 64, 2, false}, {2, 2, 2, 100, 77, 16, 16, 1, false}, {1, 12, 4, 128, 128, 64, 64, 0, false},
      // causal over several 64-key blocks and 32-row tiles, the last block 8 keys wide (a partial
      // vector at every level's width); key blocks whose width is not a multiple of 8 or 16 (the
      // vectorised max / exp / sum over a score row and its scalar tail)
      {1, 2, 2, 200, 200, 64, 64, 0, true}, {1, 2, 2, 37, 83, 16, 16, 2, false}, {1, 3, 3, 45, 45, 8, 8, 0, true},
  };
  for_each_level([&] {
    for (DType dt : float_dtypes())
      for (const auto& c : cases) {
        SCOPED_TRACE(name(dt) + " B" + std::to_string(c.B) + " H" + std::to_string(c.H) + "/" + std::to_string(c.Hkv) + " Lq" +
                     std::to_string(c.Lq) + " Lk" + std::to_string(c.Lk) + " D" + std::to_string(c.D) + " mask" + std::to_string(c.mask) +
                     (c.causal ? " causal" : ""));
        // q built as [B, Lq, H, D] then transposed: the usual non-contiguous layout from a projection
        const Tensor q = random({c.B, c.Lq, c.H, c.D}, dt).transpose(1, 2);
        const Tensor k = random({c.B, c.Hkv, c.Lk, c.D}, dt), v = random({c.B, c.Hkv, c.Lk, c.Dv}, dt);
        Tensor mask;
        if (c.mask == 1) {
          mask = ops::gt(random({c.B, 1, c.Lq, c.Lk}, DType::Float32, -1, 3), 0.0);
          mask.select(2, 0).fill_(0);  // a fully masked query row: torch gives zeros
        } else if (c.mask == 2) {
          mask = random({c.Lq, c.Lk}, dt, -3, 1);  // additive, broadcast over B and H
        }
        const double scale = c.mask == 2 ? 0.3 : 1 / std::sqrt(double(c.D));
        ops::SdpaOptions o{.attn_mask = mask, .is_causal = c.causal, .enable_gqa = c.H != c.Hkv};
        if (c.mask == 2) o.scale = 0.3;
        const Tensor got = ops::scaled_dot_product_attention(q, k, v, o);
        EXPECT_EQ(got.dtype(), dt);
        EXPECT_TRUE(close(got, ref_sdpa(q, k, v, mask, c.causal, scale), attn_tol(dt)));
      }
  });
}

TEST(Attention, SdpaEdgeCasesAndErrors) {
  const Tensor q = random({1, 2, 3, 4}, DType::Float32), k = random({1, 2, 5, 4}, DType::Float32), v = random({1, 2, 5, 4}, DType::Float32);
  EXPECT_THROW(ops::scaled_dot_product_attention(q, random({1, 1, 5, 4}, DType::Float32), random({1, 1, 5, 4}, DType::Float32)), transformers::ShapeError);
  EXPECT_THROW(ops::scaled_dot_product_attention(q, k, v, {.attn_mask = Tensor::ones({3, 5}, DType::Bool), .is_causal = true}), transformers::ValueError);
  EXPECT_THROW(ops::scaled_dot_product_attention(q, k, v, {.attn_mask = Tensor::ones({4, 5}, DType::Bool)}), transformers::ShapeError);
  EXPECT_THROW(ops::scaled_dot_product_attention(q, k.to(DType::BFloat16), v), transformers::ValueError);
  EXPECT_EQ(ops::scaled_dot_product_attention(random({1, 2, 0, 4}, DType::Float32), k, v).sizes(), (Shape{1, 2, 0, 4}));
  const Tensor z = ops::scaled_dot_product_attention(q, random({1, 2, 0, 4}, DType::Float32), random({1, 2, 0, 4}, DType::Float32));
  EXPECT_EQ(ops::abs(z).to_vector<double>(), std::vector<double>(24, 0.0));
  // NaN in a query propagates to its row
  Tensor qn = q.clone();
  qn.select(2, 1).select(1, 0).fill_(NAN);
  const Tensor r = ops::scaled_dot_product_attention(qn, k, v);
  EXPECT_TRUE(std::isnan(r.at({0, 0, 1, 0})));
  EXPECT_FALSE(std::isnan(r.at({0, 0, 0, 0})));
  // NaN in one key reaches every row that sees it, at each lane position of the vectorised row
  // max (key 20: inside a vector at every width; key 37: the scalar tail of a 16-wide level)
  for_each_level([&] {
    for (const int64_t bad : {int64_t(20), int64_t(37)}) {
      const Tensor q4 = random({1, 1, 6, 8}, DType::Float32), v4 = random({1, 1, 40, 8}, DType::Float32);
      Tensor k4 = random({1, 1, 40, 8}, DType::Float32);
      k4.select(2, bad).select(1, 0).fill_(NAN);
      const Tensor full = ops::scaled_dot_product_attention(q4, k4, v4);
      for (int64_t i = 0; i < 6; ++i) EXPECT_TRUE(std::isnan(full.at({0, 0, i, 3}))) << "key " << bad << " row " << i;
    }
  });
}

TEST(Attention, EagerReturnsProbabilities) {
  for (DType dt : float_dtypes()) {
    SCOPED_TRACE(name(dt));
    const Tensor q = random({2, 3, 4, 8}, dt), k = random({2, 3, 6, 8}, dt), v = random({2, 3, 6, 5}, dt);
    const Tensor mask = random({2, 1, 1, 6}, dt, -4, 0);
    Ref probs;
    const Ref want = ref_sdpa(q, k, v, mask, false, 1 / std::sqrt(8.0), &probs);
    const auto [out, p] = ops::eager_attention(q, k, v, mask);
    EXPECT_EQ(p.sizes(), (Shape{2, 3, 4, 6}));
    EXPECT_EQ(p.dtype(), dt);
    Tol tl = tol_for(dt);
    tl.atol *= 2;
    EXPECT_TRUE(close(p, probs, tl));
    // The eager path rounds probs to dt before probs @ v (as HF's .to(dtype) does), which the float64
    // reference does not: that adds at most u_dt * sum_j p_j |v_j| <= u_dt * max|v| = 2 u_dt (|v| <= 2).
    Tol to = attn_tol(dt);
    if (dt == DType::Float16) to.atol += 2 * std::ldexp(1.0, -11);
    if (dt == DType::BFloat16) to.atol += 2 * std::ldexp(1.0, -8);
    EXPECT_TRUE(close(out, want, to));
    // head_mask [H] zeroes a head
    const Tensor hm = Tensor::from_vector<float>({1.f, 0.f, 1.f}).to(dt);
    const auto [out2, p2] = ops::eager_attention(q, k, v, mask, std::nullopt, hm);
    EXPECT_EQ(ops::abs(p2.select(1, 1)).to_vector<double>(), std::vector<double>(2 * 4 * 6, 0.0));
    EXPECT_EQ(ops::abs(out2.select(1, 1)).to_vector<double>(), std::vector<double>(2 * 4 * 5, 0.0));
    EXPECT_TRUE(close(out2.select(1, 0).contiguous(), Ref::of(out.select(1, 0).contiguous()), Tol{0, 0}));
  }
  // bool masks: true = attend
  const Tensor q = random({1, 1, 2, 4}, DType::Float32), k = random({1, 1, 3, 4}, DType::Float32), v = random({1, 1, 3, 4}, DType::Float32);
  const Tensor m = Tensor::from_vector<bool>({true, false, true, true, true, false}, {2, 3});
  const auto [o, p] = ops::eager_attention(q, k, v, m);
  EXPECT_EQ(p.at({0, 0, 0, 1}), 0.0);
  EXPECT_EQ(p.at({0, 0, 1, 2}), 0.0);
  EXPECT_TRUE(close(o, ref_sdpa(q, k, v, m, false, 0.5), attn_tol(DType::Float32)));
}
