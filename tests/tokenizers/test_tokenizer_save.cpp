// PreTrainedTokenizerFast::save_pretrained writes what transformers 4.51.3 writes for every fixture
// tokenizer (tests/oracle/make_tokenizer_save_goldens.py): tokenizer_config.json and
// special_tokens_map.json byte for byte, tokenizer.json as loaded (4.51 writes it unchanged too).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "transformers/core/error.hpp"
#include "transformers/tokenizers/auto_tokenizer.hpp"

namespace {

namespace fs = std::filesystem;
using namespace transformers;

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

struct TempDir {
  fs::path path;
  TempDir() {
    std::random_device rd;
    path = fs::temp_directory_path() / ("ttok-save-" + std::to_string(rd()) + std::to_string(rd()));
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

const fs::path kFixtures = fs::path(TRANSFORMERS_FIXTURES_DIR) / "hf" / "tokenizers";
const fs::path kGoldens = fs::path(TRANSFORMERS_TEST_DATA_DIR) / "tokenizers" / "saved";

TEST(TokenizerSave, WritesTheFilesOf451ForEveryFixture) {
  int checked = 0;
  for (const auto& e : fs::directory_iterator(kGoldens)) {
    const std::string name = e.path().filename().string();
    SCOPED_TRACE(name);
    auto tok = AutoTokenizer::from_pretrained(kFixtures / name);
    TempDir d;
    const auto written = tok.save_pretrained(d.path);
    EXPECT_EQ(written.size(), 3u);
    EXPECT_EQ(read_file(d.path / "tokenizer_config.json"), read_file(e.path() / "tokenizer_config.json"));
    EXPECT_EQ(read_file(d.path / "special_tokens_map.json"), read_file(e.path() / "special_tokens_map.json"));
    const fs::path tj = fs::exists(e.path() / "tokenizer.json") ? e.path() / "tokenizer.json" : kFixtures / name / "tokenizer.json";
    EXPECT_EQ(read_file(d.path / "tokenizer.json"), read_file(tj));
    // and the saved folder loads back to the same tokenizer
    auto again = AutoTokenizer::from_pretrained(d.path);
    EXPECT_EQ(again.encode("Hello world, this is a test."), tok.encode("Hello world, this is a test."));
    EXPECT_EQ(again.pad_token, tok.pad_token);
    ++checked;
  }
  EXPECT_EQ(checked, 5);
}

TEST(TokenizerSave, AChangedTokenizerIsRefusedNotWrittenStale) {
  auto tok = AutoTokenizer::from_pretrained(kFixtures / "gpt2_bpe");
  tok.backend_tokenizer().add_tokens({AddedToken{.content = "<new-token>"}});
  TempDir d;
  EXPECT_THROW(tok.save_pretrained(d.path), UnsupportedError);
  EXPECT_FALSE(fs::exists(d.path / "tokenizer.json"));
}

}  // namespace
