// Truncated and bit-flipped copies of every kind of fixture file a user loads. Each copy must
// either load (a flip inside tensor data or a JSON string can leave a valid file) or be refused
// with a typed transformers::Error; a truncation must always be refused. Anything else (another
// exception type, a signal, an ASan report under scripts/sanitize) fails the test.
#include <gtest/gtest.h>

#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "loaders.hpp"
#include "reliability_util.hpp"

namespace reliability {
namespace {

struct Case {
  std::string name;                 // for messages
  fs::path source;                  // the file to mutate
  std::string target_name;          // its name in the scratch folder
  std::vector<fs::path> companions;  // unmodified files copied beside it
  // Loads the scratch folder (or the mutated file in it).
  std::function<void(const fs::path& dir, const fs::path& file)> load;
};

void run_case(const Case& c, uint32_t seed, Tally& tally) {
  ASSERT_TRUE(fs::exists(c.source)) << c.source;
  TempDir dir;
  for (const auto& comp : c.companions) fs::copy_file(comp, dir.path / comp.filename());
  const std::string original = read_file(c.source);
  const fs::path file = dir.path / c.target_name;
  // The unmodified file loads: the loader and its companions are right, so refusals below are
  // caused by the mutation.
  write_file(file, original);
  Result ok = run_loader([&] { c.load(dir.path, file); });
  ASSERT_EQ(ok.outcome, Outcome::Accepted) << c.name << " (unmodified): " << ok.what;
  for (const Mutation& m : mutations(original, seed)) {
    write_file(file, m.bytes);
    Result r = run_loader([&] { c.load(dir.path, file); });
    EXPECT_NE(r.outcome, Outcome::UntypedError) << c.name << ", " << m.label << ": " << r.what;
    if (m.truncation) EXPECT_EQ(r.outcome, Outcome::TypedError) << c.name << ", " << m.label << " was accepted";
    if (r.outcome != Outcome::UntypedError) tally.add(r.outcome);
  }
}

void run_all(const std::vector<Case>& cases, const char* what) {
  Tally tally;
  uint32_t seed = 1234;
  for (const auto& c : cases) run_case(c, seed++, tally);
  std::printf("[reliability] %s: %d mutated files, %d refused with a typed error, %d accepted\n", what,
              tally.accepted + tally.typed, tally.typed, tally.accepted);
}

auto file_loader() {
  return [](const fs::path&, const fs::path& f) { load_checkpoint_file(f); };
}

TEST(MutatedFixtures, CheckpointFiles) {
  std::vector<Case> cases;
  for (const char* arch : {"gpt2", "llama", "bert"}) {
    cases.push_back({std::string(arch) + " model.safetensors", models() / arch / "model" / "model.safetensors",
                     "model.safetensors", {}, file_loader()});
    cases.push_back({std::string(arch) + " pytorch_model.bin", models() / arch / "bin" / "pytorch_model.bin",
                     "pytorch_model.bin", {}, file_loader()});
  }
  cases.push_back({"gpt2 bf16 safetensors", models() / "gpt2" / "bf16" / "model.safetensors", "model.safetensors", {},
                   file_loader()});
  cases.push_back({"llama shard 2", models() / "llama" / "sharded" / "model-00002-of-00003.safetensors",
                   "model-00002-of-00003.safetensors", {}, file_loader()});
  cases.push_back({"gpt2 .bin shard 3", models() / "gpt2" / "bin_sharded" / "pytorch_model-00003-of-00003.bin",
                   "pytorch_model-00003-of-00003.bin", {}, file_loader()});
  cases.push_back({"legacy torch file", models() / "legacy" / "legacy_format.bin", "legacy.bin", {}, file_loader()});
  cases.push_back({"zip torch file with views", models() / "legacy" / "zip_format.bin", "zip.bin", {}, file_loader()});
  cases.push_back({"gpt2 expected.safetensors", models() / "gpt2" / "expected.safetensors", "expected.safetensors", {},
                   file_loader()});
  run_all(cases, "checkpoint files");
}

TEST(MutatedFixtures, ShardIndexes) {
  std::vector<Case> cases;
  for (const char* arch : {"gpt2", "llama"}) {
    const fs::path st = models() / arch / "sharded";
    cases.push_back({std::string(arch) + " model.safetensors.index.json", st / "model.safetensors.index.json",
                     "model.safetensors.index.json",
                     {st / "model-00001-of-00003.safetensors", st / "model-00002-of-00003.safetensors",
                      st / "model-00003-of-00003.safetensors"},
                     [](const fs::path& d, const fs::path&) { load_checkpoint(d); }});
    const fs::path bin = models() / arch / "bin_sharded";
    cases.push_back({std::string(arch) + " pytorch_model.bin.index.json", bin / "pytorch_model.bin.index.json",
                     "pytorch_model.bin.index.json",
                     {bin / "pytorch_model-00001-of-00003.bin", bin / "pytorch_model-00002-of-00003.bin",
                      bin / "pytorch_model-00003-of-00003.bin"},
                     [](const fs::path& d, const fs::path&) { load_checkpoint(d); }});
  }
  run_all(cases, "shard indexes");
}

TEST(MutatedFixtures, ConfigsAndGenerationConfigs) {
  std::vector<Case> cases;
  for (const char* arch : {"gpt2", "llama", "bert"}) {
    cases.push_back({std::string(arch) + " config.json", models() / arch / "model" / "config.json", "config.json", {},
                     [](const fs::path& d, const fs::path&) { load_config(d); }});
  }
  cases.push_back({"bert cls3 config.json", models() / "bert" / "cls3" / "config.json", "config.json", {},
                   [](const fs::path& d, const fs::path&) { load_config(d); }});
  for (const char* arch : {"gpt2", "llama"}) {
    cases.push_back({std::string(arch) + " generation_config.json", models() / arch / "model" / "generation_config.json",
                     "generation_config.json", {},
                     [](const fs::path& d, const fs::path&) { load_generation_config(d); }});
  }
  run_all(cases, "configs");
}

const char* kTokenizerFixtures[] = {"gpt2_bpe", "bert_wordpiece", "unigram_metaspace", "llama2_bytefallback",
                                    "llama3_regex_bpe"};

TEST(MutatedFixtures, TokenizerJson) {
  std::vector<Case> cases;
  for (const char* name : kTokenizerFixtures)
    cases.push_back({std::string(name) + " tokenizer.json", tokenizers() / name / "tokenizer.json", "tokenizer.json", {},
                     [](const fs::path&, const fs::path& f) { load_tokenizer_json(f); }});
  run_all(cases, "tokenizer.json");
}

TEST(MutatedFixtures, TokenizerConfigJson) {
  std::vector<Case> cases;
  for (const char* name : kTokenizerFixtures)
    cases.push_back({std::string(name) + " tokenizer_config.json", tokenizers() / name / "tokenizer_config.json",
                     "tokenizer_config.json", {tokenizers() / name / "tokenizer.json"},
                     [](const fs::path& d, const fs::path&) { load_auto_tokenizer(d); }});
  run_all(cases, "tokenizer_config.json");
}

}  // namespace
}  // namespace reliability
