// `transformers-cli embed --input FILE --batch-size N --output FILE.npy|.safetensors` against
// SentenceTransformer.encode(texts, batch_size=6) of sentence-transformers 3.4.1 saved by numpy.save
// (tests/oracle/make_embed_file_case.py, tests/data/sentence_file/): 40 texts of mixed length (an
// empty one, padded ones, truncated ones) through the mean + Dense + Normalize case folder. The .npy
// header equals numpy's byte for byte, the rows (in input order after length-sorted batching) are
// within 1e-5 for several batch sizes, the safetensors file holds the same rows; bad arguments exit
// 1 or 2.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "cli/cli_runner.hpp"
#include "common/compare.hpp"
#include "transformers/io/safetensors.hpp"

using cli_test::run_cli;
namespace fs = std::filesystem;

namespace {

const fs::path kData = fs::path(TRANSFORMERS_TEST_DATA_DIR);
const fs::path kCase = kData / "sentence_file";
const fs::path kModel = kData / "sentence" / "mean_dense_tanh_normalize_lower";

std::string read_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

// The float32 data of a format 1.0 .npy file's bytes.
std::vector<double> read_npy_bytes(const std::string& b) {
  if (b.size() < 10) return {};
  const size_t header_end = 10 + size_t(uint8_t(b[8])) + 256 * size_t(uint8_t(b[9]));
  std::vector<double> v;
  for (size_t off = header_end; off + 4 <= b.size(); off += 4) {
    float f;
    std::memcpy(&f, b.data() + off, 4);
    v.push_back(f);
  }
  return v;
}

// (header bytes, float32 data) of a format 1.0 .npy file.
std::pair<std::string, std::vector<double>> read_npy(const fs::path& p) {
  const std::string b = read_bytes(p);
  if (b.size() < 10) return {};
  const size_t header_end = 10 + size_t(uint8_t(b[8])) + 256 * size_t(uint8_t(b[9]));
  return {b.substr(0, header_end), read_npy_bytes(b)};
}

fs::path tmp(const std::string& name) {
  return fs::temp_directory_path() / ("tcpp_embedfile_" + std::to_string(::getpid()) + "_" + name);
}

TEST(EmbedFile, NpyEqualsSentenceTransformersEncode) {
  const auto [want_header, want] = read_npy(kCase / "expected.npy");
  ASSERT_EQ(want.size(), 40u * 12u);
  for (const char* bs : {"6", "1", "64"}) {  // the oracle's batch size, one per text, all in one
    const fs::path out = tmp(std::string("e") + bs + ".npy");
    auto r = run_cli({"embed", "--model", kModel.string(), "--input", (kCase / "input.txt").string(), "--batch-size", bs,
                      "--output", out.string()});
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_NE(r.out.find("wrote 40 embeddings (12-dimensional)"), std::string::npos) << r.out;
    const auto [header, got] = read_npy(out);
    EXPECT_EQ(header, want_header) << "batch size " << bs;
    EXPECT_TRUE(testcmp::allclose(got, want, {.atol = 1e-5, .rtol = 0})) << "batch size " << bs;
    fs::remove(out);
  }
}

// embed runs whole batches side by side, one per thread (EncodeOptions::batches_in_parallel): each
// row must land in its own place and equal the row of a one-thread run bit for bit (a batch's rows
// do not depend on how many threads ran it, nor on which batch ran beside it).
TEST(EmbedFile, BatchesSideBySideGiveTheOneThreadRows) {
  std::vector<std::string> outputs;
  for (const char* threads : {"1", "2"}) {
    const fs::path out = tmp(std::string("t") + threads + ".npy");
    auto r = run_cli({"embed", "--model", kModel.string(), "--input", (kCase / "input.txt").string(), "--batch-size", "3",
                      "--threads", threads, "--output", out.string()});
    ASSERT_EQ(r.status, 0) << r.err;
    outputs.push_back(read_bytes(out));
    fs::remove(out);
  }
  EXPECT_EQ(outputs[0].size(), outputs[1].size());
  EXPECT_TRUE(outputs[0] == outputs[1]);
  EXPECT_TRUE(testcmp::allclose(read_npy_bytes(outputs[1]), read_npy(kCase / "expected.npy").second, {.atol = 1e-5, .rtol = 0}));
}

TEST(EmbedFile, SafetensorsHoldsTheSameRows) {
  const fs::path out = tmp("e.safetensors");
  auto r = run_cli({"embed", "--json", "--model", kModel.string(), "--input", (kCase / "input.txt").string(), "--output",
                    out.string()});
  ASSERT_EQ(r.status, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["count"], 40);
  EXPECT_EQ(j["dimension"], 12);
  const auto tensors = transformers::io::load_safetensors(out);
  ASSERT_EQ(tensors.size(), 1u);
  EXPECT_EQ(tensors[0].first, "embeddings");
  const auto& t = tensors[0].second;
  ASSERT_EQ(t.sizes(), (transformers::Shape{40, 12}));
  std::vector<double> got(t.data<float>(), t.data<float>() + 40 * 12);
  EXPECT_TRUE(testcmp::allclose(got, read_npy(kCase / "expected.npy").second, {.atol = 1e-5, .rtol = 0}));
  fs::remove(out);
}

TEST(EmbedFile, BadArgumentsExitOneOrTwo) {
  const std::string input = (kCase / "input.txt").string();
  auto r = run_cli({"embed", "--model", kModel.string(), "--input", input, "--output", tmp("e.csv").string()});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find(".npy or .safetensors"), std::string::npos) << r.err;
  r = run_cli({"embed", "--model", kModel.string(), "--input", tmp("missing.txt").string()});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("missing.txt"), std::string::npos) << r.err;
  { std::ofstream(tmp("empty.txt")); }
  r = run_cli({"embed", "--model", kModel.string(), "--input", tmp("empty.txt").string()});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("empty file"), std::string::npos) << r.err;
  fs::remove(tmp("empty.txt"));
  EXPECT_EQ(run_cli({"embed", "--model", kModel.string(), "--input", input, "a text"}).status, 2);  // both
  EXPECT_EQ(run_cli({"embed", "--model", kModel.string()}).status, 2);                            // neither
  EXPECT_EQ(run_cli({"embed", "--model", kModel.string(), "--input", input, "--batch-size", "0"}).status, 2);
}

}  // namespace
