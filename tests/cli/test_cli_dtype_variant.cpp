// `forward --dtype/--variant` and `convert --dtype/--variant/--format` (issue 18: CLI options
// without a test) against what Hugging Face made: the fixtures' fp16 / bf16 folders were written by
// HF from the same float32 weights, the variant folder holds them as model.v2.safetensors, and
// tests/oracle/make_half_goldens.py saved HF's logits of the half-precision folders.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "cli/cli_runner.hpp"
#include "common/compare.hpp"
#include "transformers/io/checkpoint.hpp"
#include "transformers/io/safetensors.hpp"

using cli_test::run_cli;
using testcmp::allclose;
using namespace transformers;
namespace fs = std::filesystem;

namespace {
const std::string kModels = std::string(TRANSFORMERS_FIXTURES_DIR) + "/hf/models/";
const std::string kData = std::string(TRANSFORMERS_TEST_DATA_DIR) + "/models/";

std::map<std::string, Tensor> tensors(const std::vector<fs::path>& files) {
  std::map<std::string, Tensor> m;
  for (auto& [k, t] : io::load_checkpoint_files(files)) m[k] = t;
  return m;
}

// The fixture's input_ids / attention_mask alone (expected.safetensors also holds a head_mask,
// which forward would apply).
std::string write_inputs(const fs::path& dir) {
  auto e = tensors({kModels + "gpt2/expected.safetensors"});
  const fs::path p = dir / "in.safetensors";
  io::save_safetensors(p, {{"input_ids", e.at("input_ids")}, {"attention_mask", e.at("attention_mask")}});
  return p.string();
}

struct TempDir {
  fs::path path = fs::temp_directory_path() / ("tcpp_cli_dtv_" + std::to_string(::getpid()) + "_" + std::to_string(++n));
  TempDir() { fs::create_directories(path); }
  ~TempDir() { fs::remove_all(path); }
  static inline int n = 0;
};
}  // namespace

TEST(CliDtypeVariant, ForwardVariantReadsTheVariantFile) {
  TempDir d;
  auto r = run_cli({"forward", "--model", kModels + "gpt2/variant", "--variant", "v2", "--inputs", write_inputs(d.path),
                    "--output", (d.path / "o.safetensors").string()});
  ASSERT_EQ(r.status, 0) << r.err;
  auto out = tensors({d.path / "o.safetensors"});
  auto exp = tensors({kModels + "gpt2/expected.safetensors"});
  EXPECT_TRUE(allclose(out.at("logits"), exp.at("logits")));
  // without --variant the folder has no model.safetensors: exit 1, one error line
  auto plain = run_cli({"forward", "--model", kModels + "gpt2/variant", "--inputs", kModels + "gpt2/expected.safetensors",
                        "--output", (d.path / "p.safetensors").string()});
  EXPECT_EQ(plain.status, 1) << plain.err;
}

// --dtype runs the model in that dtype: logits within HF's own eager/sdpa spread (x1.5) of HF's
// logits in that dtype (the bound of tests/models/test_half_goldens.cpp).
TEST(CliDtypeVariant, ForwardDtypeMatchesHuggingFaceHalfRun) {
  const auto hf = tensors({kData + "half_goldens.safetensors"});
  std::ifstream jf(kData + "half_goldens.json");
  const auto facts = nlohmann::json::parse(jf);
  for (auto [sub, dt] : {std::pair{"fp16", "float16"}, std::pair{"bf16", "bfloat16"}}) {
    SCOPED_TRACE(sub);
    TempDir d;
    auto r = run_cli({"forward", "--model", kModels + "gpt2/" + sub, "--dtype", dt, "--attn", "eager", "--inputs",
                      write_inputs(d.path), "--output", (d.path / "o.safetensors").string()});
    ASSERT_EQ(r.status, 0) << r.err;
    const std::string key = std::string("gpt2/") + sub + "/eager/logits";
    const double spread = facts[key]["spread"].get<double>();
    EXPECT_TRUE(allclose(tensors({d.path / "o.safetensors"}).at("logits"), hf.at(key).to(DType::Float32),
                         {.atol = 1.5 * spread}));
  }
}

// convert --dtype bfloat16 --variant v3 --format pytorch writes pytorch_model.v3.bin whose tensors
// are bitwise HF's own bfloat16 conversion of the same weights (the bf16 fixture folder).
TEST(CliDtypeVariant, ConvertDtypeVariantFormatEqualsHuggingFaceConversion) {
  for (const std::string arch : {"gpt2", "llama"}) {
    SCOPED_TRACE(arch);
    TempDir d;
    auto r = run_cli({"convert", "--model", kModels + arch + "/model", "--output", d.path.string(), "--dtype", "bfloat16",
                      "--variant", "v3", "--format", "pytorch"});
    ASSERT_EQ(r.status, 0) << r.err;
    ASSERT_TRUE(fs::exists(d.path / "pytorch_model.v3.bin"));
    EXPECT_FALSE(fs::exists(d.path / "model.safetensors"));
    EXPECT_FALSE(fs::exists(d.path / "model.v3.safetensors"));
    const auto got = tensors({d.path / "pytorch_model.v3.bin"});
    const auto want = tensors({kModels + arch + "/bf16/model.safetensors"});
    for (auto& [k, t] : want) {
      ASSERT_TRUE(got.count(k)) << k;
      EXPECT_EQ(got.at(k).dtype(), DType::BFloat16) << k;
      EXPECT_TRUE(allclose(got.at(k), t, testcmp::kExact)) << k;
    }
    // 4.51 keeps a tied head in a pytorch-format save (save_pretrained(safe_serialization=False) of
    // this GPT-2 writes 29 tensors, lm_head.weight among them; safetensors drops the alias)
    for (auto& [k, t] : got) {
      if (want.count(k)) continue;
      EXPECT_EQ(k, "lm_head.weight");
      const std::string emb = arch == "gpt2" ? "transformer.wte.weight" : "model.embed_tokens.weight";
      EXPECT_TRUE(allclose(t, want.at(emb), testcmp::kExact)) << k << " is not the tied embedding";
    }
  }
}
