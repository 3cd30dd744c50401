// One loaded tokenizer used by several threads at once must encode and decode exactly as
// sequential calls do. Run it under scripts/sanitize (ASan) or a TSan build to catch races that
// happen not to change the output.
#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "reliability_util.hpp"
#include "transformers/tokenizers/auto_tokenizer.hpp"

namespace reliability {
namespace {

using namespace transformers;
constexpr int kThreads = 4;
constexpr int kRounds = 3;

TEST(Concurrency, TokenizersEncodeAndDecodeFromSeveralThreads) {
  for (const char* name : {"gpt2_bpe", "bert_wordpiece", "unigram_metaspace", "llama2_bytefallback", "llama3_regex_bpe"}) {
    const fs::path dir = tokenizers() / name;
    auto tok = AutoTokenizer::from_pretrained(dir);
    const auto cases = nlohmann::json::parse(read_file(dir / "expected.json"));
    std::vector<std::string> texts;
    for (const auto& c : cases["cases"]) texts.push_back(c["text"].get<std::string>());
    ASSERT_FALSE(texts.empty()) << name;
    std::vector<std::vector<int64_t>> want;
    std::vector<std::string> want_text;
    for (const auto& t : texts) {
      want.push_back(tok.encode(t));
      want_text.push_back(tok.decode(want.back()));
    }
    std::atomic<int> mismatches{0}, errors{0};
    std::vector<std::thread> threads;
    for (int th = 0; th < kThreads; ++th)
      threads.emplace_back([&, th] {
        for (int r = 0; r < kRounds; ++r)
          for (size_t i = 0; i < texts.size(); ++i) {
            const size_t k = (i + size_t(th) * 7) % texts.size();  // threads walk the texts out of step
            try {
              auto ids = tok.encode(texts[k]);
              if (ids != want[k] || tok.decode(ids) != want_text[k]) ++mismatches;
            } catch (...) {
              ++errors;
            }
          }
      });
    for (auto& t : threads) t.join();
    EXPECT_EQ(errors.load(), 0) << name;
    EXPECT_EQ(mismatches.load(), 0) << name << ": concurrent encode/decode differs from sequential";
  }
}

}  // namespace
}  // namespace reliability
