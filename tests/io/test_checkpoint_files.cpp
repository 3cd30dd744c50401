// io::load_checkpoint_files (issue 18: public API without a test): the shards of one checkpoint,
// safetensors or torch pickle, read into one list in file order; HF saved the fixture's
// single-file and sharded forms of the same weights, so the union of the shards must equal the
// single file tensor for tensor, bitwise. A name in two files is a FormatError naming the file.
#include <algorithm>
#include <map>

#include "io/io_test_util.hpp"
#include "transformers/core/error.hpp"
#include "transformers/io/checkpoint.hpp"

using namespace transformers;
using namespace iotest;

namespace {

std::vector<fs::path> files_with(const fs::path& dir, const std::string& suffix) {
  std::vector<fs::path> out;
  for (auto& e : fs::directory_iterator(dir))
    if (e.path().filename().string().size() > suffix.size() && e.path().string().ends_with(suffix))
      out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

std::map<std::string, Tensor> as_map(const io::NamedTensors& v) {
  std::map<std::string, Tensor> m;
  for (auto& [k, t] : v) EXPECT_TRUE(m.emplace(k, t).second) << "duplicate " << k;
  return m;
}

}  // namespace

TEST(LoadCheckpointFiles, ShardsEqualTheSingleFile) {
  for (const char* arch : {"bert", "gpt2", "llama"}) {
    SCOPED_TRACE(arch);
    const auto single = as_map(io::load_checkpoint_files({models_dir() / arch / "model/model.safetensors"}));
    ASSERT_FALSE(single.empty());
    const auto st = files_with(models_dir() / arch / "sharded", ".safetensors");
    const auto bin = files_with(models_dir() / arch / "bin_sharded", ".bin");
    ASSERT_GE(st.size(), 2u);
    ASSERT_GE(bin.size(), 2u);
    for (const auto& files : {st, bin}) {
      const auto m = as_map(io::load_checkpoint_files(files));
      for (auto& [k, t] : single) {
        ASSERT_TRUE(m.count(k)) << k;
        EXPECT_TRUE(same_tensor(m.at(k), t)) << k;
      }
      // torch pickles keep tied aliases that safetensors drops (BERT's decoder weight and bias):
      // any extra name must hold the very values of a tensor of the single file
      if (files == st) EXPECT_EQ(m.size(), single.size());
      for (auto& [k, t] : m) {
        if (single.count(k)) continue;
        bool alias = false;
        for (auto& [k2, t2] : single) alias = alias || (t.sizes() == t2.sizes() && same_tensor(t, t2));
        EXPECT_TRUE(alias) << "extra tensor " << k << " is no alias of the single file's tensors";
      }
    }
    // file order: the first file's tensors come first
    const auto first = io::open_checkpoint_file(st.front());
    const io::NamedTensors got = io::load_checkpoint_files(st);
    EXPECT_EQ(got.front().first, first->keys().front());
    // one shard alone holds only part of the weights
    EXPECT_LT(io::load_checkpoint_files({st.front()}).size(), single.size());
  }
}

TEST(LoadCheckpointFiles, NameInTwoFilesIsAFormatError) {
  const fs::path f = models_dir() / "gpt2/model/model.safetensors";
  try {
    io::load_checkpoint_files({f, f});
    FAIL() << "expected FormatError";
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find(f.string()), std::string::npos) << e.what();
  }
  EXPECT_THROW(io::load_checkpoint_files({models_dir() / "gpt2/model/no_such.safetensors"}), Error);
  EXPECT_TRUE(io::load_checkpoint_files({}).empty());
}
