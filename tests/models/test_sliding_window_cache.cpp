// The KV cache of sliding-window layers (issue #22): a local layer keeps only the window - 1 newest
// tokens (4.51's SlidingWindowCache / HybridCache local layers never hold more than the window),
// while greedy decoding past the window still gives transformers 4.51.3's tokens. The oracle tokens
// are generate.safetensors' sequences_eager row 0 (an unpadded prompt) of the tiny checkpoints from
// tests/oracle/make_decoder_family_cases.py, make_moe_cases.py, make_gemma3_cases.py and
// make_qwen2_moe_cases.py; each decodes 8 tokens past a 5-10 token prompt with windows of 3-5.
#include "models/parity_util.hpp"
#include "transformers/modeling/auto.hpp"
#include "transformers/nn/kv_cache.hpp"

using namespace transformers;
using namespace parity;

namespace {

class SlidingWindowCache : public ::testing::TestWithParam<const char*> {};

TEST_P(SlidingWindowCache, LocalLayersStayWithinTheWindowAndTokensEqualTransformers) {
  const fs::path dir = test_data("cases") / GetParam();
  const auto g = load_tensors(dir / "generate.safetensors");
  auto model = AutoModelForCausalLM::from_pretrained(dir.string(), {.attn_implementation = "eager"});
  const int64_t window = model->config().get<int64_t>("sliding_window");
  const Tensor prompt = g.at("input_ids").narrow(0, 0, 1);
  const std::vector<int64_t> want = g.at("sequences_eager").select(0, 0).to_vector<int64_t>();
  std::vector<int64_t> tokens = prompt.select(0, 0).to_vector<int64_t>();

  Cache cache;
  ModelInputs in;
  in.input_ids = prompt;
  in.past_key_values = &cache;
  in.use_cache = true;
  int64_t local = 0, global = 0;
  while (tokens.size() < want.size()) {
    const Tensor logits = model->forward(in).logits;
    const std::vector<float> last = logits.select(1, logits.size(1) - 1).select(0, 0).to_vector<float>();
    tokens.push_back(int64_t(std::max_element(last.begin(), last.end()) - last.begin()));
    const int64_t seen = int64_t(tokens.size()) - 1;
    ASSERT_EQ(cache.get_seq_length(), seen);
    for (int64_t l = 0; l < cache.num_layers(); ++l) {
      if (cache.sliding_window(l) == 0) {
        ++global;
        EXPECT_EQ(cache.key_cache(l).size(2), seen) << "global layer " << l;
        continue;
      }
      ++local;
      EXPECT_EQ(cache.sliding_window(l), window);
      EXPECT_EQ(cache.key_cache(l).size(2), std::min(seen, window - 1)) << "layer " << l << " after " << seen;
      EXPECT_LE(cache.capacity(l), 2 * window) << "layer " << l << " after " << seen;
    }
    in.input_ids = Tensor::from_vector(std::vector<int64_t>{tokens.back()}, {1, 1});
  }
  EXPECT_GT(local, 0);
  EXPECT_EQ(tokens, want);
}

INSTANTIATE_TEST_SUITE_P(Cases, SlidingWindowCache,
                         ::testing::Values("mistral_window3_headdim", "qwen2_window4_use_sliding",
                                           "gemma2_window4_softcap", "gemma3_pattern3_local_rope_left_pad",
                                           "phi3_longrope_partial_window", "mixtral_top3_window4_headdim_tied",
                                           "qwen2_moe_step2_mlp_only_window4_norm_topk"),
                         [](const auto& info) { return std::string(info.param); });

Tensor rows(int64_t first, int64_t n) {  // keys [1, 1, n, 2] holding first, first + 1, ...
  std::vector<float> v;
  for (int64_t i = 0; i < n; ++i) v.insert(v.end(), {float(first + i), float(first + i)});
  return Tensor::from_vector(v, {1, 1, n, 2});
}

// A long prefill, then single steps: the layer returns the kept tokens plus the new ones, in order,
// and its block shrinks back to 2 * window; crop can only give back what the window still holds.
TEST(SlidingWindowCache, KeepsTheNewestWindowMinusOneTokens) {
  Cache cache({.max_cache_len = 64});
  cache.set_sliding_window(0, 4);
  auto [k, v] = cache.update(rows(0, 10), rows(0, 10), 0);
  EXPECT_EQ(k.size(2), 10);  // the prefill attends all of its own keys
  EXPECT_EQ(cache.key_cache(0).reshape({-1}).to_vector<float>(), rows(7, 3).reshape({-1}).to_vector<float>());
  EXPECT_EQ(cache.capacity(0), 8);  // the prefill's block of 10 was given back for 2 * window
  for (int64_t t = 10; t < 30; ++t) {
    auto [kk, vv] = cache.update(rows(t, 1), rows(t, 1), 0);
    EXPECT_EQ(kk.reshape({-1}).to_vector<float>(), rows(t - 3, 4).reshape({-1}).to_vector<float>()) << t;
    EXPECT_LE(cache.capacity(0), 8);
  }
  EXPECT_EQ(cache.get_seq_length(0), 30);
  cache.crop(30);  // nothing to drop
  EXPECT_EQ(cache.get_seq_length(0), 30);
  EXPECT_THROW(cache.crop(29), ValueError);  // the next query (position 29) would need position 26, which is gone
  Cache young;
  young.set_sliding_window(0, 4);
  young.update(rows(0, 2), rows(0, 2), 0);
  young.crop(1);  // nothing was dropped yet: a crop is exact
  EXPECT_EQ(young.get_seq_length(0), 1);
  EXPECT_EQ(young.key_cache(0).size(2), 1);
  EXPECT_THROW(cache.set_sliding_window(0, 5), ValueError);  // the layer already holds tokens
  EXPECT_THROW(cache.set_sliding_window(1, 0), ValueError);
}

}  // namespace
