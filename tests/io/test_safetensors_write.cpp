// safetensors writer: byte-for-byte equal to Python safetensors (oracle files in tests/data/io made by
// tests/oracle/io_safetensors_oracle.py, and every Hugging Face fixture re-serialised), atomic writes.
#include "io_test_util.hpp"
#include "transformers/io/safetensors.hpp"

using namespace transformers;
using namespace iotest;

namespace {
// The recipe of io_safetensors_oracle.py.
Tensor base(int64_t n, DType dt) {
  std::vector<float> v(static_cast<size_t>(n), 0.0f);
  for (int64_t i = 0; i < n; ++i) v[size_t(i)] = float(i - n / 2) * 0.25f;
  return Tensor::from_vector(v).to(dt);
}
template <typename T>
Tensor ints(int64_t n, int64_t mult, int64_t off) {
  std::vector<T> v(static_cast<size_t>(n), T{});
  for (int64_t i = 0; i < n; ++i) v[size_t(i)] = T(i * mult - off);
  return Tensor::from_vector(v);
}
io::NamedTensors mixed() {
  std::vector<bool> mask(7);
  for (size_t i = 0; i < 7; ++i) mask[i] = i % 3 == 0;
  return {
      {"z.weight", base(6, DType::Float32).view({2, 3})},
      {"a.weight", base(6, DType::Float16).view({3, 2})},
      {"b16", base(5, DType::BFloat16)},
      {"d", base(3, DType::Float64)},
      {"ids", ints<int64_t>(4, 1000000007, 5)},
      {"i32", ints<int32_t>(3, 70000, 1)},
      {"i16", ints<int16_t>(3, 300, 7)},
      {"i8", ints<int8_t>(5, 20, 50)},
      {"u8", ints<uint8_t>(4, 60, 0)},
      {"mask", Tensor::from_vector(mask)},
      {"f8a", base(4, DType::Float8E4M3)},
      {"f8b", base(4, DType::Float8E5M2)},
      {"scalar", Tensor::scalar(2.5)},
      {"empty", Tensor::zeros({0, 3})},
      {"caf\xc3\xa9.\xce\xb2", base(2, DType::Float32)},
      {"q\"uote\\slash\ttab\nnl\x01", base(1, DType::Float32)},
  };
}
}  // namespace

TEST(SafetensorsWrite, BytesEqualPythonOracle) {
  EXPECT_EQ(io::safetensors_serialize(mixed(), {{"format", "pt"}}), read_file(data_dir() / "st_mixed.safetensors"));
  EXPECT_EQ(io::safetensors_serialize(mixed()), read_file(data_dir() / "st_mixed_nometa.safetensors"));
  EXPECT_EQ(io::safetensors_serialize({}), read_file(data_dir() / "st_empty.safetensors"));
  EXPECT_EQ(io::safetensors_serialize({}, {{"format", "pt"}}), read_file(data_dir() / "st_meta_only.safetensors"));
  EXPECT_EQ(io::safetensors_serialize({}).size(), 16u);  // spec §1.4 example
}

TEST(SafetensorsWrite, EveryFixtureFileReserialisesToTheSameBytes) {
  int files = 0;
  for (const auto& arch : fs::directory_iterator(models_dir())) {
    if (!arch.is_directory()) continue;
    for (const auto& e : fs::recursive_directory_iterator(arch.path())) {
      if (e.path().extension() != ".safetensors") continue;
      SCOPED_TRACE(e.path().string());
      io::SafetensorsReader r(e.path());
      const std::string ours = io::safetensors_serialize(r.tensors(), r.metadata());
      EXPECT_TRUE(ours == read_file(e.path()));
      ++files;
    }
  }
  EXPECT_GE(files, 30);
}

TEST(SafetensorsWrite, SaveIsAtomicAndRoundTrips) {
  TempDir dir;
  const auto file = dir.path / "model.safetensors";
  write_file(file, "old contents");
  io::save_safetensors(file, mixed(), {{"format", "pt"}});
  EXPECT_EQ(read_file(file), read_file(data_dir() / "st_mixed.safetensors"));
  // nothing but the target is left in the folder
  int n = 0;
  for (const auto& e : fs::directory_iterator(dir.path)) { (void)e; ++n; }
  EXPECT_EQ(n, 1);
  // a failing save leaves the previous file untouched and no temporary behind
  io::NamedTensors bad = mixed();
  bad.push_back({"z.weight", Tensor::zeros({1})});
  EXPECT_THROW(io::save_safetensors(file, bad), ValueError);
  EXPECT_EQ(read_file(file), read_file(data_dir() / "st_mixed.safetensors"));
  const auto back = io::load_safetensors(file);
  const auto want = mixed();
  ASSERT_EQ(back.size(), want.size());
  std::map<std::string, Tensor> m(back.begin(), back.end());
  for (const auto& [k, t] : want) EXPECT_TRUE(same_tensor(m.at(k), t)) << k;
}

TEST(SafetensorsWrite, NonContiguousTensorsAreWrittenInLogicalOrder) {
  const Tensor t = Tensor::from_vector(std::vector<float>{1, 2, 3, 4, 5, 6}, {2, 3}).t();
  const auto r = io::SafetensorsReader::from_bytes(io::safetensors_serialize({{"t", t}}));
  EXPECT_EQ(r->get_tensor("t").to_vector<float>(), (std::vector<float>{1, 4, 2, 5, 3, 6}));
}

TEST(SafetensorsWrite, RefusesWhatPythonRefuses) {
  const Tensor a = Tensor::zeros({4});
  EXPECT_THROW(io::safetensors_serialize({{"__metadata__", a}}), ValueError);
  EXPECT_THROW(io::safetensors_serialize({{"a", a}, {"a", Tensor::zeros({4})}}), ValueError);
  EXPECT_THROW(io::safetensors_serialize({{"bad\xff", a}}), ValueError);
  // tied weights: same storage under two names
  EXPECT_THROW(io::safetensors_serialize({{"wte", a}, {"lm_head", a}}), ValueError);
  EXPECT_THROW(io::safetensors_serialize({{"x", a.narrow(0, 0, 2)}, {"y", a.narrow(0, 2, 2)}}), ValueError);
  EXPECT_THROW(io::save_safetensors("/nonexistent-dir/x.safetensors", {{"a", a}}), EnvironmentError);
}
