// nn blocks shared by the models: KV cache, HF attention masks, head masks, rotary config parsing,
// pruning index math. Model-level parity lives in tests/models/.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <set>

#include "transformers/modeling/configuration_utils.hpp"
#include "transformers/nn/attention.hpp"
#include "transformers/nn/attention_mask.hpp"
#include "transformers/nn/kv_cache.hpp"
#include "transformers/nn/linear.hpp"
#include "transformers/nn/pruning.hpp"
#include "transformers/nn/rotary_embedding.hpp"

using namespace transformers;

namespace {

Tensor filled(const Shape& s, float start) {
  std::vector<float> v(size_t(shape_numel(s)));
  for (size_t i = 0; i < v.size(); ++i) v[i] = start + float(i);
  return Tensor::from_vector(v, s);
}

TEST(Cache, UpdateReturnsFilledViewsWithoutConcatenation) {
  Cache cache({.max_cache_len = 8});
  auto [k1, v1] = cache.update(filled({2, 3, 5, 4}, 0), filled({2, 3, 5, 4}, 1000), 0);
  EXPECT_EQ(shape_str(k1.sizes()), "[2, 3, 5, 4]");
  EXPECT_EQ(cache.get_seq_length(), 5);
  EXPECT_EQ(cache.capacity(), 8);
  auto [k2, v2] = cache.update(filled({2, 3, 1, 4}, 500), filled({2, 3, 1, 4}, 2000), 0);
  EXPECT_EQ(shape_str(k2.sizes()), "[2, 3, 6, 4]");
  EXPECT_TRUE(k1.shares_storage(k2));  // same preallocated block
  EXPECT_EQ(k2.at({1, 2, 4, 3}), k1.at({1, 2, 4, 3}));
  EXPECT_EQ(k2.at({0, 1, 5, 2}), 500 + 1 * 4 + 2);
  EXPECT_EQ(v2.at({1, 0, 5, 0}), 2000 + 3 * 4);
  EXPECT_EQ(cache.get_seq_length(1), 0);  // a layer never updated
}

TEST(Cache, GrowsBeyondCapacityKeepingContents) {
  Cache cache({.max_cache_len = 2});
  cache.update(filled({1, 1, 2, 2}, 0), filled({1, 1, 2, 2}, 0), 0);
  auto [k, v] = cache.update(filled({1, 1, 3, 2}, 10), filled({1, 1, 3, 2}, 10), 0);
  EXPECT_EQ(k.size(2), 5);
  EXPECT_GE(cache.capacity(), 5);
  EXPECT_EQ(k.at({0, 0, 1, 1}), 3);
  EXPECT_EQ(k.at({0, 0, 4, 1}), 15);
}

TEST(Cache, StridedHeadViewsAppendInPlace) {
  // Keys/values as the models hand them over: head views of a fused [B, S, 3*H*D] projection,
  // transposed to [B, H, S, D] (not contiguous); same dtype copies rows, other dtypes convert.
  for (DType dt : {DType::Float32, DType::BFloat16}) {
    SCOPED_TRACE(dtype_name(dt));
    Cache cache({.max_cache_len = 6});
    const int64_t B = 2, H = 3, D = 4;
    auto heads = [&](const Tensor& qkv, int64_t part, int64_t s) {
      return qkv.narrow(2, part * H * D, H * D).view({B, s, H, D}).transpose(1, 2);
    };
    const Tensor p1 = filled({B, 4, 3 * H * D}, 0).to(dt), p2 = filled({B, 1, 3 * H * D}, 5000).to(dt);
    cache.update(heads(p1, 1, 4), heads(p1, 2, 4), 0);
    auto [k, v] = cache.update(heads(p2, 1, 1), heads(p2, 2, 1), 0);
    ASSERT_EQ(shape_str(k.sizes()), "[2, 3, 5, 4]");
    EXPECT_EQ(k.dtype(), dt);
    for (int64_t b = 0; b < B; ++b)
      for (int64_t h = 0; h < H; ++h)
        for (int64_t s = 0; s < 5; ++s)
          for (int64_t d = 0; d < D; ++d) {
            const Tensor& src = s < 4 ? p1 : p2;
            const int64_t si = s < 4 ? s : 0;
            EXPECT_EQ(k.at({b, h, s, d}), src.at({b, si, 1 * H * D + h * D + d}));
            EXPECT_EQ(v.at({b, h, s, d}), src.at({b, si, 2 * H * D + h * D + d}));
          }
  }
  // a bfloat16 state entering a float32 cache converts
  Cache c32;
  c32.update(filled({1, 1, 1, 2}, 1), filled({1, 1, 1, 2}, 1), 0);
  auto [k, v] = c32.update(filled({1, 1, 1, 2}, 3).to(DType::BFloat16), filled({1, 1, 1, 2}, 3).to(DType::BFloat16), 0);
  EXPECT_EQ(k.dtype(), DType::Float32);
  EXPECT_EQ(k.at({0, 0, 1, 1}), 4);
}

TEST(Cache, ReorderCropResetAndErrors) {
  Cache cache;
  cache.update(filled({3, 1, 2, 1}, 0), filled({3, 1, 2, 1}, 0), 0);
  cache.reorder_cache(Tensor::from_vector<int64_t>({2, 2, 0}));
  Tensor k = cache.key_cache(0);
  EXPECT_EQ(k.at({0, 0, 1, 0}), 5);
  EXPECT_EQ(k.at({1, 0, 0, 0}), 4);
  EXPECT_EQ(k.at({2, 0, 1, 0}), 1);
  cache.crop(1);
  EXPECT_EQ(cache.get_seq_length(), 1);
  cache.crop(-1);
  EXPECT_EQ(cache.get_seq_length(), 0);
  cache.batch_repeat_interleave(2);
  EXPECT_EQ(cache.batch_size(), 6);
  cache.reset();
  EXPECT_EQ(cache.get_seq_length(), 0);
  EXPECT_THROW(cache.update(filled({6, 2, 1, 1}, 0), filled({6, 2, 1, 1}, 0), 0), ShapeError);  // heads differ
  EXPECT_THROW(cache.update(filled({1, 1, 1}, 0), filled({1, 1, 1}, 0), 0), ShapeError);
  EXPECT_THROW(cache.update(filled({1, 1, 1, 1}, 0), filled({1, 1, 1, 1}, 0), -1), ValueError);
}

TEST(AttentionMask, ExtendedEncoderAndDecoderMasks) {
  const double mn = -double(std::numeric_limits<float>::max());
  Tensor m = Tensor::from_vector<int64_t>({1, 1, 0}, {1, 3});
  Tensor enc = nn::get_extended_attention_mask(m, 3, false, DType::Float32);
  EXPECT_EQ(shape_str(enc.sizes()), "[1, 1, 1, 3]");
  EXPECT_EQ(enc.at({0, 0, 0, 0}), 0.0);
  EXPECT_EQ(enc.at({0, 0, 0, 2}), mn);
  // Decoder with a 1-token cached prefix: query i sees prefix + keys <= i.
  Tensor m2 = Tensor::from_vector<int64_t>({1, 1, 1}, {1, 3});
  Tensor dec = nn::get_extended_attention_mask(m2, 2, true, DType::Float16);
  EXPECT_EQ(shape_str(dec.sizes()), "[1, 1, 2, 3]");
  EXPECT_EQ(dec.at({0, 0, 0, 1}), 0.0);
  EXPECT_EQ(dec.at({0, 0, 0, 2}), -65504.0);
  EXPECT_EQ(dec.at({0, 0, 1, 2}), 0.0);
  EXPECT_THROW(nn::get_extended_attention_mask(Tensor::ones({3}), 3, false, DType::Float32), ValueError);
  EXPECT_EQ(nn::dtype_min(DType::BFloat16), -3.3895313892515355e38);
}

TEST(AttentionMask, CausalWithPastAndLeftPadding) {
  Tensor m = Tensor::from_vector<int64_t>({0, 1, 1, 1}, {1, 4});
  Tensor c = nn::causal_attention_mask(m, 1, 2, 2, DType::Float32);  // 2 cached + 2 new
  EXPECT_EQ(shape_str(c.sizes()), "[1, 1, 2, 4]");
  EXPECT_LT(c.at({0, 0, 0, 0}), -1e38);  // padding
  EXPECT_EQ(c.at({0, 0, 0, 2}), 0.0);
  EXPECT_LT(c.at({0, 0, 0, 3}), -1e38);  // future
  EXPECT_EQ(c.at({0, 0, 1, 3}), 0.0);
  Tensor nomask = nn::causal_attention_mask(Tensor(), 2, 3, 0, DType::Float32);
  EXPECT_EQ(shape_str(nomask.sizes()), "[2, 1, 3, 3]");
  EXPECT_TRUE(nn::mask_is_all_ones(Tensor::ones({2, 2}, DType::Int64)));
  EXPECT_FALSE(nn::mask_is_all_ones(m));
}

TEST(HeadMask, ShapesAsGetHeadMask) {
  Tensor one = nn::get_head_mask(Tensor::from_vector<float>({1, 0, 1}), 2, DType::Float32);
  EXPECT_EQ(shape_str(one.sizes()), "[2, 1, 3, 1, 1]");
  EXPECT_EQ(nn::layer_head_mask(one, 1).at({0, 1, 0, 0}), 0.0);
  EXPECT_THROW(nn::get_head_mask(Tensor::ones({3, 4}), 2, DType::Float32), ShapeError);
  EXPECT_THROW(nn::get_head_mask(Tensor::ones({1, 2, 4}), 2, DType::Float32), ValueError);
  EXPECT_FALSE(nn::get_head_mask(Tensor(), 2, DType::Float32).defined());
}

// The one mask builder: sdpa drops an all-ones mask (the kernel applies causality), eager keeps
// each model's 4.51 arithmetic.
TEST(AttentionMask, PrepareAttentionMaskFollowsTheImplementation) {
  using nn::AttentionImplementation;
  using nn::EagerMaskStyle;
  const Tensor ones = Tensor::ones({1, 3}, DType::Int64);
  const Tensor padded = Tensor::from_vector<int64_t>({0, 1, 1}, {1, 3});
  nn::AttentionMaskOptions o{.implementation = AttentionImplementation::sdpa, .is_causal = true, .batch = 1,
                             .query_length = 3};
  auto r = nn::prepare_attention_mask(ones, o);
  EXPECT_FALSE(r.mask.defined());
  EXPECT_TRUE(r.is_causal);
  o.past_length = 2;  // 3 queries after 2 cached keys: the kernel's top-left causal mask is wrong
  r = nn::prepare_attention_mask(Tensor::ones({1, 5}, DType::Int64), o);
  ASSERT_TRUE(r.mask.defined());
  EXPECT_EQ(shape_str(r.mask.sizes()), "[1, 1, 3, 5]");
  EXPECT_EQ(r.mask.at({0, 0, 0, 2}), 0.0);  // query 0 sits at position 2
  EXPECT_EQ(r.mask.at({0, 0, 0, 3}), nn::dtype_min(DType::Float32));
  o.past_length = 0;
  o.output_attentions = true;  // sdpa falls back to eager: the model's eager mask
  o.eager_style = EagerMaskStyle::causal_plus_extended;
  // GPT-2: causal and padding are separate terms, so a key both mask is min + min = -inf.
  r = nn::prepare_attention_mask(Tensor::from_vector<int64_t>({1, 1, 0}, {1, 3}), o);
  EXPECT_FALSE(r.is_causal);
  const double mn = nn::dtype_min(DType::Float32);
  EXPECT_EQ(r.mask.at({0, 0, 1, 1}), 0.0);
  EXPECT_EQ(r.mask.at({0, 0, 0, 1}), mn);  // future only
  EXPECT_EQ(r.mask.at({0, 0, 2, 2}), mn);  // padded only
  EXPECT_TRUE(std::isinf(r.mask.at({0, 0, 0, 2})));
  o.eager_style = EagerMaskStyle::cache_position;
  r = nn::prepare_attention_mask(padded, o);
  EXPECT_EQ(r.mask.at({0, 0, 0, 0}), mn);
  EXPECT_EQ(r.mask.at({0, 0, 2, 1}), 0.0);
  // cache_position style takes a 4-D mask as given; the extended style refuses it (4.51's BERT).
  const Tensor four = Tensor::zeros({1, 1, 3, 3});
  EXPECT_EQ(nn::prepare_attention_mask(four, o).mask.data_ptr(), four.data_ptr());
  o.eager_style = EagerMaskStyle::extended;
  EXPECT_THROW(nn::prepare_attention_mask(four, o), ValueError);
  // Encoders under sdpa: no mask when nothing is padded, 0/min per key otherwise.
  nn::AttentionMaskOptions enc{.implementation = AttentionImplementation::sdpa, .batch = 1, .query_length = 3};
  EXPECT_FALSE(nn::prepare_attention_mask(ones, enc).mask.defined());
  EXPECT_EQ(shape_str(nn::prepare_attention_mask(padded, enc).mask.sizes()), "[1, 1, 1, 3]");
}

Tensor wavy(const Shape& s, float phase) {
  std::vector<float> v(size_t(shape_numel(s)));
  for (size_t i = 0; i < v.size(); ++i) v[i] = std::sin(phase + 0.7f * float(i));
  return Tensor::from_vector(v, s);
}

TEST(Attention, EagerAndSdpaAgreeWithGqaAndCausal) {
  Tensor q = wavy({1, 4, 3, 2}, 0), k = wavy({1, 2, 3, 2}, 1), v = wavy({1, 2, 3, 2}, 2);
  nn::AttentionOptions o;
  o.is_causal = true;
  o.implementation = nn::AttentionImplementation::eager;
  auto e = nn::attention_forward(q, k, v, o);
  ASSERT_TRUE(e.attn_weights.defined());
  EXPECT_EQ(e.attn_weights.at({0, 3, 0, 1}), 0.0);  // causal: query 0 never sees key 1
  EXPECT_NEAR(e.attn_weights.at({0, 3, 0, 0}), 1.0, 1e-6);
  o.implementation = nn::AttentionImplementation::sdpa;
  auto s = nn::attention_forward(q, k, v, o);
  EXPECT_FALSE(s.attn_weights.defined());
  auto a = e.attn_output.to_vector<float>(), b = s.attn_output.to_vector<float>();
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i], b[i], 1e-6);
  // Query heads 0 and 1 share kv head 0 (GQA): with equal queries they give equal outputs.
  // The enum is parsed once from the config's string: only "eager" and "sdpa" run here (no silent
  // flash_attention_2 mapping; modeling/attn_implementation.hpp gives 4.51's load-time errors).
  EXPECT_EQ(nn::parse_attention_implementation("eager"), nn::AttentionImplementation::eager);
  EXPECT_EQ(nn::parse_attention_implementation("sdpa"), nn::AttentionImplementation::sdpa);
  EXPECT_THROW(nn::parse_attention_implementation("flash_attention_2"), ValueError);
  EXPECT_THROW(nn::parse_attention_implementation("flex"), ValueError);
  EXPECT_THROW(nn::attention_forward(q, wavy({1, 3, 3, 2}, 0), wavy({1, 3, 3, 2}, 0), {}), ShapeError);
}

TEST(Rope, BothConfigStylesGiveTheSameFrequencies) {
  json base = {{"hidden_size", 32}, {"num_attention_heads", 4}, {"max_position_embeddings", 64}};
  json v4 = base, v5 = base;
  v4["rope_theta"] = 500.0;
  v4["rope_scaling"] = {{"type", "linear"}, {"factor", 2.0}};
  v5["rope_parameters"] = {{"rope_type", "linear"}, {"rope_theta", 500.0}, {"factor", 2.0}};
  auto p4 = nn::RopeParameters::from_config(PretrainedConfig(v4));
  auto p5 = nn::RopeParameters::from_config(PretrainedConfig(v5));
  EXPECT_EQ(p4.rope_type, "linear");
  EXPECT_EQ(p5.rope_type, "linear");
  EXPECT_EQ(p4.rope_theta, 500.0);
  EXPECT_EQ(p5.rope_theta, 500.0);
  auto f4 = nn::compute_rope_parameters(p4).first.to_vector<float>();
  auto f5 = nn::compute_rope_parameters(p5).first.to_vector<float>();
  EXPECT_EQ(f4, f5);
  ASSERT_EQ(f4.size(), 4u);
  EXPECT_FLOAT_EQ(f4[0], 0.5f);                                      // 1 / theta^0 / factor
  EXPECT_NEAR(f4[1], 1.0 / std::pow(500.0, 2.0 / 8.0) / 2.0, 1e-7);  // head_dim 8
  json bad = base;
  bad["rope_scaling"] = {{"rope_type", "llama3"}, {"factor", 8.0}};
  EXPECT_THROW(nn::RopeParameters::from_config(PretrainedConfig(bad)), ValueError);
}

TEST(Rope, DynamicGrowsAndResets) {
  json c = {{"hidden_size", 8}, {"num_attention_heads", 1}, {"max_position_embeddings", 4},
            {"rope_scaling", {{"rope_type", "dynamic"}, {"factor", 2.0}}}};
  nn::RotaryEmbedding rope(nn::RopeParameters::from_config(PretrainedConfig(c)));
  const auto base = rope.inv_freq.to_vector<float>();
  Tensor x = Tensor::zeros({1});
  rope.forward(x, Tensor::arange(8).view({1, 8}));
  EXPECT_LT(rope.inv_freq.to_vector<float>()[1], base[1]);  // larger base -> lower frequencies
  rope.forward(x, Tensor::arange(2).view({1, 2}));
  EXPECT_EQ(rope.inv_freq.to_vector<float>(), base);
  auto [cos, sin] = rope.forward(Tensor::zeros({1}, DType::BFloat16), Tensor::arange(3).view({1, 3}));
  EXPECT_EQ(cos.dtype(), DType::BFloat16);
  EXPECT_EQ(shape_str(sin.sizes()), "[1, 3, 8]");
}

TEST(Pruning, IndicesAndLayers) {
  auto [heads, index] = nn::find_pruneable_heads_and_indices({1, 3}, 4, 2, {});
  EXPECT_EQ(heads, (std::set<int64_t>{1, 3}));
  EXPECT_EQ(index.to_vector<int64_t>(), (std::vector<int64_t>{0, 1, 4, 5}));
  // Head 2 (original numbering) after 1 and 3 are gone: it is now row block 1 of 2.
  auto [h2, i2] = nn::find_pruneable_heads_and_indices({2, 3}, 2, 2, {1, 3});
  EXPECT_EQ(h2, (std::set<int64_t>{2}));
  EXPECT_EQ(i2.to_vector<int64_t>(), (std::vector<int64_t>{0, 1}));
  nn::Linear l(3, 4);
  l.weight = filled({4, 3}, 0);
  l.bias = filled({4}, 100);
  auto rows = nn::prune_linear_layer(l, Tensor::from_vector<int64_t>({1, 3}), 0);
  EXPECT_EQ(shape_str(rows->weight.sizes()), "[2, 3]");
  EXPECT_EQ(rows->weight.at({1, 0}), 9);
  EXPECT_EQ(rows->bias.at({1}), 103);
  auto cols = nn::prune_linear_layer(l, Tensor::from_vector<int64_t>({2}), 1);
  EXPECT_EQ(shape_str(cols->weight.sizes()), "[4, 1]");
  EXPECT_EQ(cols->bias.numel(), 4);
  nn::Conv1D c(6, 2);
  auto cc = nn::prune_conv1d_layer(c, Tensor::from_vector<int64_t>({0, 5}), 1);
  EXPECT_EQ(shape_str(cc->weight.sizes()), "[2, 2]");
  EXPECT_EQ(cc->bias.numel(), 2);
}

}  // namespace
