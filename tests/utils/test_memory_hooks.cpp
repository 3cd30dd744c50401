// add_memory_hooks semantics: readings are the process RSS, diff accumulates post - pre over
// forwards, reset_memory_hooks_state zeroes all three.
#include <cstring>
#include <vector>

#include "transformers/modeling/memory_hooks.hpp"
#include "utils/utils_test_helpers.hpp"

using namespace transformers;
using namespace utils_test;

namespace {

TEST(MemoryHooks, RssGrowsWhenPagesAreTouched) {
  const int64_t before = process_rss_bytes();
  ASSERT_GT(before, 0);
  std::vector<char> big(64 << 20);
  std::memset(big.data(), 1, big.size());
  EXPECT_GE(process_rss_bytes() - before, int64_t(48) << 20);  // most of the 64 MiB is resident now
  EXPECT_EQ(big[12345], 1);
}

TEST(MemoryHooks, DiffAccumulatesAndResets) {
  auto model = load_model(fixture("gpt2/model"));
  MemoryHooks hooks(*model);
  EXPECT_EQ(hooks.state().mem_rss_diff, 0);
  const ModelInputs in = fixture_inputs("gpt2");
  const Tensor logits = hooks.forward(in).logits;
  EXPECT_EQ(logits.size(-1), 99);
  const MemoryHookState first = hooks.state();
  EXPECT_GT(first.mem_rss_pre_forward, 0);
  EXPECT_GT(first.mem_rss_post_forward, 0);
  EXPECT_EQ(first.mem_rss_diff, first.mem_rss_post_forward - first.mem_rss_pre_forward);
  hooks.forward(in);
  const MemoryHookState second = hooks.state();
  EXPECT_EQ(second.mem_rss_diff, first.mem_rss_diff + second.mem_rss_post_forward - second.mem_rss_pre_forward);
  hooks.reset_memory_hooks_state();
  EXPECT_EQ(hooks.state().mem_rss_pre_forward, 0);
  EXPECT_EQ(hooks.state().mem_rss_post_forward, 0);
  EXPECT_EQ(hooks.state().mem_rss_diff, 0);
}

}  // namespace
