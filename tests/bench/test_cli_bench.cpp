// `transformers-cli bench --json` on the tiny fixture models: the keys of the CLI contract are all
// there with sane values, the settings are echoed, the counts agree with what Hugging Face reported
// for the same checkpoints (facts.json), and bad arguments give the contract's exit statuses. Speed
// itself is never asserted (benchmarks do not fail on speed).
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "cli/cli_runner.hpp"

using cli_test::run_cli;
using nlohmann::json;

namespace {

const std::string kModels = std::string(TRANSFORMERS_FIXTURES_DIR) + "/hf/models";

json facts(const std::string& arch) {
  std::ifstream f(kModels + "/facts.json");
  return json::parse(f)[arch]["utils"];
}

json bench_json(const std::vector<std::string>& extra) {
  std::vector<std::string> args = {"bench", "--threads", "1", "--reps", "1", "--json"};
  args.insert(args.end(), extra.begin(), extra.end());
  auto r = run_cli(args);
  EXPECT_EQ(r.status, 0) << r.err;
  return r.status == 0 ? json::parse(r.out) : json::object();
}

void expect_common_keys(const json& j) {
  for (const char* k : {"load_ms", "peak_rss_bytes", "weights_bytes", "prefill_tokens_per_s", "decode_tokens_per_s",
                        "forward_ms", "threads", "batch", "prompt_len", "gen_len", "dtype", "attn", "reps"})
    EXPECT_TRUE(j.contains(k)) << k;
  EXPECT_GE(j["load_ms"].get<double>(), 0.0);
  EXPECT_GT(j["forward_ms"].get<double>(), 0.0);
  EXPECT_GT(j["prefill_tokens_per_s"].get<double>(), 0.0);
  EXPECT_GE(j["peak_rss_bytes"].get<int64_t>(), j["rss_after_load_bytes"].get<int64_t>());
  ASSERT_TRUE(j.contains("rss_end_bytes"));
  EXPECT_GT(j["rss_end_bytes"].get<int64_t>(), 0);
  EXPECT_LE(j["rss_end_bytes"].get<int64_t>(), j["peak_rss_bytes"].get<int64_t>());
  EXPECT_EQ(j["threads"].get<int>(), 1);
}

}  // namespace

TEST(CliBench, CausalLmJsonKeys) {
  const json j = bench_json({"--model", kModels + "/gpt2/model", "--batch", "2", "--prompt-len", "5", "--gen-len", "3"});
  ASSERT_FALSE(j.empty());
  expect_common_keys(j);
  EXPECT_EQ(j["kind"], "causal-lm");
  EXPECT_EQ(j["batch"].get<int64_t>(), 2);
  EXPECT_EQ(j["prompt_len"].get<int64_t>(), 5);
  EXPECT_EQ(j["gen_len"].get<int64_t>(), 3);
  EXPECT_EQ(j["dtype"], "float32");
  const json f = facts("gpt2");
  EXPECT_EQ(j["num_parameters"].get<int64_t>(), f["num_parameters"].get<int64_t>());
  EXPECT_EQ(j["weights_bytes"].get<int64_t>(), f["memory_footprint_no_buffers"].get<int64_t>());
  ASSERT_TRUE(j["decode_tokens_per_s"].is_number());
  EXPECT_GT(j["decode_tokens_per_s"].get<double>(), 0.0);
  // tokens/s are the batch's tokens over the best time
  EXPECT_NEAR(j["prefill_tokens_per_s"].get<double>(), 2 * 5 / (j["forward_ms"].get<double>() / 1e3),
              1e-6 * j["prefill_tokens_per_s"].get<double>());
  EXPECT_NEAR(j["decode_tokens_per_s"].get<double>(), 2 / (j["decode_ms_per_token"].get<double>() / 1e3),
              1e-6 * j["decode_tokens_per_s"].get<double>());
}

TEST(CliBench, DtypeAndAttnAreApplied) {
  const json j = bench_json({"--model", kModels + "/gpt2/model", "--prompt-len", "4", "--gen-len", "1", "--dtype",
                             "bfloat16", "--attn", "eager"});
  ASSERT_FALSE(j.empty());
  EXPECT_EQ(j["dtype"], "bfloat16");
  EXPECT_EQ(j["attn"], "eager");
  EXPECT_EQ(j["weights_bytes"].get<int64_t>(), facts("gpt2")["num_parameters"].get<int64_t>() * 2);
}

TEST(CliBench, EncoderHasNoDecode) {
  const json j = bench_json({"--model", kModels + "/bert/model", "--prompt-len", "7", "--gen-len", "4"});
  ASSERT_FALSE(j.empty());
  expect_common_keys(j);
  EXPECT_EQ(j["kind"], "encoder");
  EXPECT_TRUE(j["decode_tokens_per_s"].is_null());
  EXPECT_EQ(j["gen_len"].get<int64_t>(), 0);
  EXPECT_EQ(j["num_parameters"].get<int64_t>(), facts("bert")["num_parameters"].get<int64_t>());
}

TEST(CliBench, PeaksAlone) {
  auto r = run_cli({"bench", "--peaks", "--threads", "1", "--json"});
  ASSERT_EQ(r.status, 0) << r.err;
  const json j = json::parse(r.out);
  for (const char* k : {"triad_gb_per_s", "fma_gflops", "gemm_gflops"}) {
    ASSERT_TRUE(j.contains(k)) << k;
    EXPECT_GT(j[k].get<double>(), 0.0) << k;
  }
}

TEST(CliBench, BadArguments) {
  EXPECT_EQ(run_cli({"bench"}).status, 2);  // neither --model nor --peaks
  EXPECT_EQ(run_cli({"bench", "--model", kModels + "/gpt2/model", "--batch", "0"}).status, 2);
  auto r = run_cli({"bench", "--model", "/nonexistent/model/folder", "--json"});
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err.rfind("error: ", 0), 0u) << r.err;
}
