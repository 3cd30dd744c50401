// llama.cpp as the peer of our GGUF files (issue 21): tests/oracle/make_gguf_llama_cpp.py wrote the
// tiny Llama fixture (Hugging Face's weights, ../shared/fixtures) with `convert --format gguf` in
// f16, bf16, q8_0 and q4_0 (tests/data/modeling/gguf/llama_cpp/), had llama.cpp (llama-cpp-python,
// built from source) load each file and take 10 greedy steps from three prompts, and recorded those
// tokens, the margin of its two best logits at each step and each file's sha256 in report.json. Our
// runtime loads the same files, as 4.51 loads them (dequantized) and with keep_quantized (the native
// kernels, int8 activations as llama.cpp's own Q8_0 / Q4_0 dot products use), and must take the same
// steps, parting from llama.cpp only at a near tie of llama.cpp's logits.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "transformers/generation/utils.hpp"
#include "transformers/hub/hub.hpp"
#include "transformers/modeling/auto.hpp"

using namespace transformers;
namespace fs = std::filesystem;

// The oracle's NEAR_TIE: llama.cpp rounds activations (f16 for f16 weights, Q8 blocks for Q8_0 /
// Q4_0) where 4.51 and we keep float32, so a step whose two best logits lie this close may go
// either way (the random model's logits reach ~5).
constexpr double kNearTie = 0.05;

TEST(GGUFLlamaCpp, OurFilesGiveLlamaCppsGreedyTokensDequantizedAndKeptQuantized) {
  const fs::path dir = fs::path(TRANSFORMERS_TEST_DATA_DIR) / "modeling" / "gguf" / "llama_cpp";
  std::ifstream in(dir / "report.json");
  const auto report = nlohmann::json::parse(in);
  const int64_t n = report["new_tokens"].get<int64_t>();
  int checked = 0, full = 0;
  for (const std::string quant : {"f16", "bf16", "q8_0", "q4_0"}) {
    const auto& entry = report["files"][quant];
    const fs::path file = dir / ("tiny_llama_" + quant + ".gguf");
    // the very bytes llama.cpp read
    ASSERT_EQ(hub::sha256_file_hex(file.string()), entry["sha256"].get<std::string>()) << quant;
    for (const bool keep : {false, true}) {
      auto model = AutoModelForCausalLM::from_pretrained(dir.string(), {.gguf_file = file.string(), .keep_quantized = keep});
      for (const auto& r : entry["results"]) {
        const auto prompt = r["prompt"].get<std::vector<int64_t>>();
        const Tensor ids = Tensor::from_vector(prompt, {1, int64_t(prompt.size())});
        const GenerateOutput out =
            generate(*model, ids, {}, {.max_new_tokens = n, .min_new_tokens = n, .do_sample = false});
        auto seq = out.sequences.select(0, 0).to_vector<int64_t>();
        seq.erase(seq.begin(), seq.begin() + int64_t(prompt.size()));
        const auto theirs = r["llama_cpp"].get<std::vector<int64_t>>();
        const auto margins = r["llama_cpp_top2_margins"].get<std::vector<double>>();
        ASSERT_EQ(seq.size(), theirs.size());
        size_t agree = 0;
        while (agree < seq.size() && seq[agree] == theirs[agree]) ++agree;
        // equal throughout, or parting only where llama.cpp's own two best logits are a near tie, and
        // no earlier than the oracle run found
        const std::string what = quant + (keep ? " kept quantized" : " dequantized") + ", agree " + std::to_string(agree);
        EXPECT_GE(agree, r[keep ? "agree_keep_quantized" : "agree_dequantized"].get<size_t>()) << what;
        if (agree < seq.size()) EXPECT_LT(margins[agree], kNearTie) << what;
        full += agree == seq.size();
        ++checked;
      }
    }
  }
  EXPECT_EQ(checked, 4 * 2 * 3);
  EXPECT_GE(full, 19);  // the oracle run: 19 of 24 sequences equal throughout, 5 part at a near tie
}
