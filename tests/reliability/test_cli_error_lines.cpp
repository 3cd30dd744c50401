// The CLI's error line for hostile JSON files and file kinds (docs/CLI.md: exit 1 and exactly one
// line on stderr starting with `error: `): a value nested 100k deep, a FIFO or device named as a
// file, bytes of the file that would split the line or drive the terminal, values of 60 KB, and
// values of the wrong type that nlohmann reported as a bare "[json.exception.type_error.302]".
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <cmath>
#include <string>
#include <tuple>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/cli_runner.hpp"
#include "fifo_releaser.hpp"
#include "io/json_text.hpp"
#include "reliability_util.hpp"
#include "transformers/core/quote.hpp"
#include "transformers/io/safetensors.hpp"

namespace reliability {
namespace {

using cli_test::CliResult;
using cli_test::run_cli;
using namespace transformers;

// Exit 1, one line of printable valid UTF-8 starting with "error: ", holding every needle.
void expect_one_error_line(const CliResult& r, const std::string& what, const std::vector<std::string>& needles) {
  EXPECT_EQ(r.status, 1) << what << ": " << r.err;
  EXPECT_EQ(r.err.rfind("error: ", 0), 0u) << what << ": " << r.err;
  ASSERT_FALSE(r.err.empty()) << what;
  EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << what << ": more than one line: " << r.err;
  const std::string line = r.err.substr(0, r.err.size() - 1);
  EXPECT_TRUE(transformers::io::detail::is_valid_utf8(line)) << what << ": " << line;
  for (unsigned char c : line) EXPECT_FALSE(c < 0x20 || c == 0x7f) << what << ": control byte " << int(c) << " in " << line;
  EXPECT_LE(line.size(), transformers::kErrorLineMaxBytes + 64) << what;
  EXPECT_EQ(line.find("[json.exception"), std::string::npos) << what << ": " << line;
  for (const auto& n : needles) EXPECT_NE(line.find(n), std::string::npos) << what << ": '" << n << "' not in: " << line;
}

// A copy of the gpt2 fixture folder whose `name` holds `text`.
struct Gpt2Folder {
  TempDir d;
  explicit Gpt2Folder(const std::string& name = "", const std::string& text = "") {
    for (const auto& e : fs::directory_iterator(models() / "gpt2" / "model"))
      fs::copy_file(e.path(), d.path / e.path().filename());
    if (!name.empty()) write_file(d.path / name, text);
  }
  std::string path() const { return d.path.string(); }
};

TEST(CliErrorLines, DeeplyNestedJsonGivesOneErrorLine) {
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  {
    Gpt2Folder f("config.json", R"({"model_type": "gpt2", "a": )" + deep + "}");
    expect_one_error_line(run_cli({"inspect", f.path(), "--json"}), "inspect, deep config.json",
                          {"config.json", "deeper than 512"});
  }
  {
    Gpt2Folder f("generation_config.json", R"({"max_length": 5, "a": )" + deep + "}");
    expect_one_error_line(run_cli({"generate", "--model", f.path(), "--input-ids", "1,2", "--max-new-tokens", "1"}),
                          "generate, deep generation_config.json", {"generation_config.json", "deeper than 512"});
  }
  {
    TempDir d;
    write_file(d.path / "tokenizer.json", R"({"version": "1.0", "a": )" + deep + "}");
    expect_one_error_line(run_cli({"tokenize", "--tokenizer", (d.path / "tokenizer.json").string(), "--text", "a"}),
                          "tokenize, deep tokenizer.json", {"tokenizer.json", "deeper than 512"});
  }
  {
    Gpt2Folder f;
    // 20k deep: the whole command line must stay under the kernel's 128 KiB limit for one argument.
    const std::string deep_arg = std::string(20000, '[') + std::string(20000, ']');
    expect_one_error_line(
        run_cli({"prune", "--model", f.path(), "--output", f.path() + "/out", "--heads", "{\"0\": " + deep_arg + "}"}),
        "prune --heads deep", {"heads to prune", "deeper than 512"});
  }
}

TEST(CliErrorLines, FifoAndDeviceArgumentsAreRefusedWithoutBlocking) {
  TempDir d;
  const fs::path fifo = d.path / "model.safetensors";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  auto t0 = Clock::now();
  {
    FifoReleaser release(fifo, std::chrono::milliseconds(4000));
    expect_one_error_line(run_cli({"inspect", fifo.string(), "--json"}), "inspect FIFO", {"model.safetensors", "FIFO"});
  }
  EXPECT_LT(seconds_since(t0), 3.5) << "inspect blocked on the FIFO";
  fs::create_symlink("/dev/zero", d.path / "tokenizer.json");
  t0 = Clock::now();
  expect_one_error_line(run_cli({"tokenize", "--tokenizer", (d.path / "tokenizer.json").string(), "--text", "a"}),
                        "tokenize /dev/zero", {"tokenizer.json", "character device"});
  EXPECT_LT(seconds_since(t0), 3.5) << "tokenizer.json -> /dev/zero was read";
}

TEST(CliErrorLines, QuotedFileBytesCannotForgeLinesOrDriveTheTerminal) {
  // A newline, "error: " and an escape sequence inside a value, and invalid UTF-8 in a parse error.
  const std::vector<std::pair<std::string, std::string>> configs = {
      {"model_type with a newline", "{\"model_type\": \"gpt2\\nerror: forged\\u001b[2J\"}"},
      {"raw newline and ESC in a string", "{\"model_type\": \"gpt2\nerror: forged\x1b[2J\"}"},
      {"invalid UTF-8", "{\"model_type\": \"gpt2\xff\xfe\"}"},
      {"60 KB value", "{\"model_type\": \"" + std::string(60000, 'x') + "\"}"},
  };
  for (const auto& [what, text] : configs) {
    Gpt2Folder f("config.json", text);
    expect_one_error_line(run_cli({"inspect", f.path(), "--json"}), what, {});
  }
}

TEST(CliErrorLines, WrongTypesInGenerationConfigNameTheKey) {
  // do_sample as a string and bad_words_ids as a list of strings used to end as nlohmann's bare
  // "[json.exception.type_error.302] type must be boolean, but is string".
  for (const auto& [key, value] : std::vector<std::pair<std::string, std::string>>{
           {"do_sample", "\"yes\""}, {"bad_words_ids", "[[\"a\"]]"}, {"exponential_decay_length_penalty", "[\"a\", 1]"}}) {
    Gpt2Folder f("generation_config.json", "{\"" + key + "\": " + value + "}");
    expect_one_error_line(run_cli({"generate", "--model", f.path(), "--input-ids", "1,2", "--max-new-tokens", "1"}),
                          "generation_config.json " + key, {key});
  }
}

TEST(CliErrorLines, NonNumericRopeFactorsNameTheKey) {
  TempDir d;
  for (const auto& e : fs::directory_iterator(models() / "llama" / "model"))
    fs::copy_file(e.path(), d.path / e.path().filename());
  auto cfg = nlohmann::json::parse(read_file(d.path / "config.json"));
  cfg["rope_parameters"] = {{"rope_type", "longrope"}, {"rope_theta", 10000.0},
                            {"long_factor", {"a", "b", "c", "d"}}, {"short_factor", {"a", "b", "c", "d"}},
                            {"original_max_position_embeddings", 32}};
  write_file(d.path / "config.json", cfg.dump());
  expect_one_error_line(run_cli({"generate", "--model", d.path.string(), "--input-ids", "1,2", "--max-new-tokens", "1"}),
                        "longrope factors as strings", {"rope_scaling", "long_factor", "'\"a\"'"});
}

TEST(CliErrorLines, WarningBeforeAFailureLeavesOneLine) {
  // forward --attentions with sdpa warns (falling back to eager) during the forward; the output then
  // cannot be written (its path is a folder): stderr used to hold the warning and the error.
  TempDir d;
  auto expected = io::load_safetensors((models() / "gpt2" / "expected.safetensors").string());
  io::NamedTensors inputs;
  for (const char* k : {"input_ids", "attention_mask"})
    for (const auto& [name, t] : expected)
      if (name == k) inputs.emplace_back(name, t);
  ASSERT_EQ(inputs.size(), 2u);
  io::save_safetensors((d.path / "in.safetensors").string(), inputs);
  const std::string model = (models() / "gpt2" / "model").string();
  fs::create_directory(d.path / "taken");
  auto fail = run_cli({"forward", "--model", model, "--inputs", (d.path / "in.safetensors").string(), "--output",
                       (d.path / "taken").string(), "--attn", "sdpa", "--attentions"});
  expect_one_error_line(fail, "forward --attentions into a folder", {"taken"});
  // A run that succeeds still shows the warning.
  auto ok = run_cli({"forward", "--model", model, "--inputs", (d.path / "in.safetensors").string(), "--output",
                     (d.path / "out.safetensors").string(), "--attn", "sdpa", "--attentions"});
  EXPECT_EQ(ok.status, 0) << ok.err;
  // Through the library logger, as Python prints it: the bare message.
  EXPECT_NE(ok.err.find("scaled_dot_product_attention does not support output_attentions=True"), std::string::npos) << ok.err;
}

TEST(CliErrorLines, ForwardInputErrorsNameTheInputsFile) {
  // A token id beyond the vocabulary used to be reported without saying where it came from.
  TempDir d;
  io::save_safetensors(d.path / "ids.safetensors",
                       {{"input_ids", Tensor::from_vector(std::vector<int64_t>{1, 2, 3000}, {1, 3})}});
  auto r = run_cli({"forward", "--model", (models() / "gpt2" / "model").string(), "--inputs",
                    (d.path / "ids.safetensors").string(), "--output", (d.path / "out.safetensors").string()});
  expect_one_error_line(r, "forward with an id out of range", {"--inputs", "ids.safetensors", "3000"});
}

TEST(CliErrorLines, ForwardInputsOfAWrongTypeOrShapeNameTheFileAndTensor) {
  // Float ids (NaN, 1e30: no int64 exists, the conversion was undefined behaviour), bool ids, a float
  // mask and masks longer or shorter than input_ids used to run (exit 0, masks read against the
  // wrong keys); each is now exit 1 naming the --inputs file and the tensor.
  TempDir d;
  const Tensor ids = Tensor::from_vector(std::vector<int64_t>{1, 2, 3}, {1, 3});
  const std::vector<std::tuple<std::string, io::NamedTensors, std::string>> cases = {
      {"nan_ids", {{"input_ids", Tensor::from_vector(std::vector<float>{1.0f, NAN, 3.0f}, {1, 3})}}, "input_ids"},
      {"huge_ids", {{"input_ids", Tensor::from_vector(std::vector<float>{1.0f, 1e30f, 3.0f}, {1, 3})}}, "input_ids"},
      {"bool_ids", {{"input_ids", Tensor::from_vector(std::vector<bool>{true, false, true}, {1, 3})}}, "input_ids"},
      {"float_mask", {{"input_ids", ids}, {"attention_mask", Tensor::from_vector(std::vector<float>{1, 0.5f, 1}, {1, 3})}},
       "attention_mask"},
      {"long_mask", {{"input_ids", ids}, {"attention_mask", Tensor::from_vector(std::vector<int64_t>{1, 1, 0, 1, 1}, {1, 5})}},
       "attention_mask"},
      {"short_mask", {{"input_ids", ids}, {"attention_mask", Tensor::from_vector(std::vector<int64_t>{1, 0}, {1, 2})}},
       "attention_mask"},
  };
  int runs = 0;
  for (const char* arch : {"gpt2", "llama", "bert"})
    for (const auto& [name, tensors, tensor] : cases) {
      const fs::path in = d.path / (name + ".safetensors");
      io::save_safetensors(in, tensors);
      auto r = run_cli({"forward", "--model", (models() / arch / "model").string(), "--inputs", in.string(), "--output",
                        (d.path / "out.safetensors").string()});
      expect_one_error_line(r, std::string(arch) + " " + name, {name + ".safetensors", tensor});
      ++runs;
    }
  EXPECT_EQ(runs, 18);
}

TEST(CliErrorLines, GenerateAttentionMaskOfAnotherLengthNamesTheFlag) {
  // Reported as the library's "generate: attention_mask ..." without the flag before; now refused
  // before the model is loaded.
  for (const auto& [ids, mask] : std::vector<std::pair<std::string, std::string>>{
           {"1,2,3", "1,1"}, {"1,2,3", "1,1,1,1"}, {"1,2,3;4,5,6", "1,1,1"}}) {
    auto r = run_cli({"generate", "--model", (models() / "gpt2" / "model").string(), "--input-ids", ids,
                      "--attention-mask", mask, "--max-new-tokens", "1"});
    expect_one_error_line(r, "--attention-mask " + mask, {"--attention-mask", "--input-ids"});
  }
}

TEST(CliErrorLines, IntegerWeightsForAFloatParameterNameTheTensorAndFile) {
  // 4.51 refuses them at load ("Only Tensors of floating point and complex dtype can require
  // gradients"); int64 / uint8 weights used to be loaded as they were and a bool one failed in the
  // first matmul naming neither the tensor nor the file.
  const std::string name = "transformer.h.0.attn.c_proj.weight";
  for (DType dt : {DType::Int64, DType::UInt8, DType::Bool}) {
    Gpt2Folder f;
    io::NamedTensors weights = io::load_safetensors(f.d.path / "model.safetensors");
    int replaced = 0;
    for (auto& [n, t] : weights)
      if (n == name) {
        t = Tensor::zeros(t.sizes(), dt);  // not a conversion: a float outside uint8's range would be UB
        ++replaced;
      }
    ASSERT_EQ(replaced, 1);
    io::save_safetensors(f.d.path / "model.safetensors", weights, {{"format", "pt"}});
    expect_one_error_line(run_cli({"generate", "--model", f.path(), "--input-ids", "1,2", "--max-new-tokens", "1"}),
                          std::string("weight as ") + std::string(dtype_name(dt)),
                          {name, "model.safetensors", std::string(dtype_name(dt)), "floating point"});
  }
}

}  // namespace
}  // namespace reliability
