// DataCollatorForLanguageModeling(mlm=True)'s masking and run_clm.py's group_texts. torch's RNG
// stream is not reproduced, so the masking is checked statistically over 64 x 128 tokens: 15 % of
// the eligible tokens selected, of those 80 % [MASK], 10 % a random id, 10 % unchanged (each within
// 4 standard deviations of its binomial), special tokens and padding never selected, labels the
// original id where selected and -100 elsewhere; seeded runs repeat; Python's argument checks.
#include <gtest/gtest.h>

#include <cmath>

#include "common/compare.hpp"
#include "transformers/core/error.hpp"
#include "transformers/training/data_collator.hpp"

using namespace transformers;
using training::Example;
using training::MaskingOptions;

namespace {

constexpr int64_t kVocab = 900, kMask = 4, kPad = 0, kCls = 2, kSep = 3;

training::LanguageModelingBatch batch() {
  // 64 rows of 128 tokens: [CLS] words [SEP] then padding from a row-dependent length on.
  std::vector<Example> rows;
  for (int64_t r = 0; r < 64; ++r) {
    Example e;
    const int64_t len = 96 + r % 33;
    e.input_ids.push_back(kCls);
    for (int64_t j = 1; j + 1 < len; ++j) e.input_ids.push_back(5 + (r * 131 + j * 17) % (kVocab - 5));
    e.input_ids.push_back(kSep);
    rows.push_back(std::move(e));
  }
  return training::collate_for_language_modeling(rows, 0, rows.size(), kPad);
}

MaskingOptions options() { return {.mask_token_id = kMask, .vocab_size = kVocab, .special_ids = {kPad, 1, kCls, kSep, kMask}}; }

void expect_binomial(int64_t hits, int64_t n, double p, const char* what) {
  EXPECT_NEAR(double(hits), double(n) * p, 4 * std::sqrt(double(n) * p * (1 - p))) << what << ": " << hits << " of " << n;
}

}  // namespace

TEST(MlmCollator, MasksFifteenPercentAsEightyTenTen) {
  const training::LanguageModelingBatch before = batch();
  training::LanguageModelingBatch b = before;
  ops::Generator gen(5);
  training::mask_tokens(b, options(), gen);
  const auto ids0 = before.input_ids.to_vector<int64_t>(), ids = b.input_ids.to_vector<int64_t>();
  const auto labels = b.labels.to_vector<int64_t>(), att = before.attention_mask.to_vector<int64_t>();
  int64_t eligible = 0, selected = 0, masked = 0, kept = 0, randomised = 0;
  for (size_t i = 0; i < ids0.size(); ++i) {
    const bool special = ids0[i] == kCls || ids0[i] == kSep || att[i] == 0;
    eligible += !special;
    if (labels[i] == -100) {
      EXPECT_EQ(ids[i], ids0[i]) << i;  // not selected: unchanged
      continue;
    }
    EXPECT_FALSE(special) << "special token or padding selected at " << i;
    EXPECT_EQ(labels[i], ids0[i]) << i;
    ++selected;
    if (ids[i] == kMask) ++masked;
    else if (ids[i] == ids0[i]) ++kept;
    else ++randomised;
    EXPECT_TRUE(ids[i] >= 0 && ids[i] < kVocab) << ids[i];
  }
  EXPECT_EQ(eligible, [] {
    int64_t n = 0;
    for (int64_t r = 0; r < 64; ++r) n += 96 + r % 33 - 2;
    return n;
  }());
  expect_binomial(selected, eligible, 0.15, "selected");
  expect_binomial(masked, selected, 0.8, "[MASK]");
  // A random id equal to the original (1 in 900) counts as kept.
  expect_binomial(randomised, selected, 0.1 * (1 - 1.0 / kVocab), "random");
  expect_binomial(kept, selected, 0.1 + 0.1 / kVocab, "unchanged");
  EXPECT_EQ(b.attention_mask.to_vector<int64_t>(), att);

  training::LanguageModelingBatch again = before;
  ops::Generator gen2(5);
  training::mask_tokens(again, options(), gen2);
  EXPECT_TRUE(testcmp::allclose(again.input_ids, b.input_ids, testcmp::kExact));
  EXPECT_TRUE(testcmp::allclose(again.labels, b.labels, testcmp::kExact));
}

TEST(MlmCollator, ArgumentsAreCheckedAsPythonDoes) {
  training::LanguageModelingBatch b = batch();
  ops::Generator gen(1);
  auto with = [](auto f) {
    MaskingOptions o = options();
    f(o);
    return o;
  };
  const std::vector<MaskingOptions> bad{
      with([](MaskingOptions& o) { o.mlm_probability = 1.5; }),
      with([](MaskingOptions& o) { o.mask_replace_prob = -0.1; }),
      with([](MaskingOptions& o) { o.mask_replace_prob = 0.9, o.random_replace_prob = 0.2; }),
      with([](MaskingOptions& o) { o.mask_token_id = -1; }),
  };
  for (const MaskingOptions& o : bad) EXPECT_THROW(training::mask_tokens(b, o, gen), ValueError);
  EXPECT_EQ(bad.size(), 4u);
  // mask_replace_prob 1: every selected token becomes [MASK].
  training::mask_tokens(b, with([](MaskingOptions& o) { o.mask_replace_prob = 1, o.random_replace_prob = 0; }), gen);
  const auto ids = b.input_ids.to_vector<int64_t>(), labels = b.labels.to_vector<int64_t>();
  int64_t selected = 0;
  for (size_t i = 0; i < ids.size(); ++i)
    if (labels[i] != -100) {
      EXPECT_EQ(ids[i], kMask);
      ++selected;
    }
  EXPECT_GT(selected, 0);
}

TEST(GroupTexts, ConcatenatesAndCutsIntoBlocksDroppingTheRemainder) {
  std::vector<Example> rows(3);
  rows[0].input_ids = {1, 2, 3};
  rows[1].input_ids = {4, 5};
  rows[2].input_ids = {6, 7, 8, 9};
  const auto blocks = training::group_texts(rows, 4);
  ASSERT_EQ(blocks.size(), 2u);
  EXPECT_EQ(blocks[0].input_ids, (std::vector<int64_t>{1, 2, 3, 4}));
  EXPECT_EQ(blocks[1].input_ids, (std::vector<int64_t>{5, 6, 7, 8}));
  EXPECT_EQ(blocks[1].labels, blocks[1].input_ids);  // run_clm: labels = input_ids.copy()
  EXPECT_FALSE(blocks[0].attention_mask.has_value());
  EXPECT_FALSE(training::group_texts(rows, 4, /*copy_labels=*/false)[0].labels.has_value());
  rows[1].attention_mask = std::vector<int64_t>{1, 0};
  EXPECT_EQ(*training::group_texts(rows, 4)[0].attention_mask, (std::vector<int64_t>{1, 1, 1, 1}));
  EXPECT_EQ(*training::group_texts(rows, 4)[1].attention_mask, (std::vector<int64_t>{0, 1, 1, 1}));
  EXPECT_TRUE(training::group_texts(rows, 10).empty());  // 9 tokens: no whole block
  EXPECT_THROW(training::group_texts(rows, 0), ValueError);
}
