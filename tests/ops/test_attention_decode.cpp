// Decode-shaped attention (1..4 query rows) over a 16-bit KV cache: the fused kernel reads the
// bfloat16 / float16 cache rows in place (no float32 copy). Checked against a float64 reference and,
// exactly, against the same attention computed from float32 copies of the inputs (widening a 16-bit
// value is exact, so reading in place must give the same bits).
#include <cmath>
#include <string>

#include "attention_ref.hpp"
#include "op_test_util.hpp"
#include "transformers/ops/attention.hpp"
#include "transformers/ops/elementwise.hpp"

using namespace optest;
namespace ops = transformers::ops;

namespace {

// Tolerances (attn_tol): output rounding to the dtype dominates (half an ulp: 2^-9 bfloat16, 2^-12 float16, relative),
// plus float32 accumulation and the ~2 ulp exp approximation; outputs are weighted means of values
// in [-2, 2]. The shared per-dtype tolerances cover that (bfloat16 1.6e-2 rel + 1e-2 abs,
// float16 2e-3 rel + 1e-3 abs); float32 gets 1e-4 / 2e-5 for the exp approximation and sum order.
struct Case {
  int64_t B, H, Hkv, Lq, Lk, D, Dv;
  int mask;  // 0 none, 1 causal, 2 padding (bool, leading keys of batch row 1 masked), 3 additive
};

std::string label(DType dt, const Case& c) {
  return name(dt) + " B" + std::to_string(c.B) + " H" + std::to_string(c.H) + "/" + std::to_string(c.Hkv) + " Lq" +
         std::to_string(c.Lq) + " Lk" + std::to_string(c.Lk) + " D" + std::to_string(c.D) + "/" + std::to_string(c.Dv) +
         " mask" + std::to_string(c.mask);
}

// The cache layout of a decode step: K / V are the filled part of a longer preallocated block
// [B, Hkv, capacity, D] (a strided view), the query a transposed projection [B, Lq, H, D].
void run_case(DType dt, const Case& c) {
  SCOPED_TRACE(label(dt, c));
  const int64_t cap = c.Lk + 7;
  const Tensor kc = random({c.B, c.Hkv, cap, c.D}, dt), vc = random({c.B, c.Hkv, cap, c.Dv}, dt);
  const Tensor k = kc.slice(2, 0, c.Lk), v = vc.slice(2, 0, c.Lk);
  const Tensor q = random({c.B, c.Lq, c.H, c.D}, dt).transpose(1, 2);
  Tensor mask;
  if (c.mask == 2) {
    // left padding: batch row 1 (or 0 when B == 1) cannot see its first 5 keys; with Lk <= 5 that
    // row's queries see nothing and must give zeros
    Tensor keep = Tensor::ones({c.B, 1, c.Lq, c.Lk}, DType::Bool);
    keep.select(0, c.B - 1).slice(-1, 0, std::min<int64_t>(5, c.Lk)).fill_(0);
    mask = keep;
  } else if (c.mask == 3) {
    mask = random({c.B, 1, c.Lq, c.Lk}, dt, -3, 1);
  }
  const double scale = 1 / std::sqrt(double(c.D));
  const ops::SdpaOptions o{.attn_mask = mask, .is_causal = c.mask == 1, .enable_gqa = c.H != c.Hkv};
  const Tensor got = ops::scaled_dot_product_attention(q, k, v, o);
  ASSERT_EQ(got.dtype(), dt);
  EXPECT_TRUE(close(got, ref_sdpa(q, k, v, mask, c.mask == 1, scale), attn_tol(dt)));
  if (dt != DType::Float32) {
    // same kernel from float32 copies: bit-identical before and after rounding to the dtype
    const Tensor m32 = mask.defined() && mask.dtype() != DType::Bool ? mask.to(DType::Float32) : mask;
    const ops::SdpaOptions o32{.attn_mask = m32, .is_causal = c.mask == 1, .enable_gqa = c.H != c.Hkv};
    const Tensor want = ops::scaled_dot_product_attention(q.to(DType::Float32), k.to(DType::Float32),
                                                          v.to(DType::Float32), o32)
                            .to(dt);
    EXPECT_TRUE(close(got, Ref::of(want), Tol{0, 0}));
  }
}

}  // namespace

TEST(AttentionDecode, SixteenBitCacheReadInPlace) {
  std::vector<Case> cases;
  // cache lengths around the 16-lane vectors and the 64-key blocks, incl. non-multiples of 16
  for (int64_t Lk : {1, 3, 15, 16, 17, 64, 65, 129, 200})
    for (int64_t Lq : {1, 2, 3, 4})
      if (Lq <= Lk || Lk > 4) cases.push_back({2, 4, 4, Lq, Lk, 64, 64, int(cases.size() % 4)});
  // GQA (Llama-like: 4 query heads per kv head), head dims that leave vector tails, Dv != D
  cases.push_back({1, 8, 2, 1, 77, 64, 64, 0});
  cases.push_back({2, 8, 2, 3, 50, 64, 64, 2});
  cases.push_back({2, 6, 3, 4, 33, 40, 24, 3});
  cases.push_back({1, 2, 1, 2, 21, 8, 72, 1});
  cases.push_back({2, 2, 2, 1, 4, 16, 16, 2});  // padding hides every key of batch row 1
  for_each_level([&] {
    for (DType dt : {DType::BFloat16, DType::Float16, DType::Float32})
      for (const Case& c : cases) run_case(dt, c);
  });
}

// A NaN in a cached key reaches only the head that reads it (torch propagates it there).
TEST(AttentionDecode, NanInSixteenBitCache) {
  for_each_level([&] {
    for (DType dt : {DType::BFloat16, DType::Float16}) {
      SCOPED_TRACE(name(dt));
      Tensor kc = random({1, 2, 40, 16}, dt);
      kc.select(1, 0).select(1, 20).fill_(NAN);
      const Tensor k = kc.slice(2, 0, 33), v = random({1, 2, 33, 16}, dt), q = random({1, 2, 1, 16}, dt);
      const std::vector<double> out = ops::scaled_dot_product_attention(q, k, v).to_vector<double>();
      for (int64_t d = 0; d < 16; ++d) {
        EXPECT_TRUE(std::isnan(out[size_t(d)])) << d;
        EXPECT_TRUE(std::isfinite(out[size_t(16 + d)])) << d;
      }
    }
  });
}
