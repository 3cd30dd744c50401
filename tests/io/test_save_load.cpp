// Writers and the entry points: .bin files torch.load(weights_only=True) accepts (checked by
// tests/oracle/io_torch_writer_check.py on the committed ours_*.bin files, which this test
// regenerates byte for byte), sharding/index exactly as save_pretrained, open_checkpoint on every
// fixture folder, and index files pointing outside their folder.
#include <cstdlib>

#include "io_test_util.hpp"
#include "transformers/io/checkpoint.hpp"
#include "transformers/io/safetensors.hpp"
#include "transformers/io/shard_index.hpp"
#include "transformers/io/torch_pickle.hpp"

using namespace transformers;
using namespace iotest;

namespace {
const char* kArchs[] = {"bert", "gpt2", "llama"};
std::map<std::string, Tensor> as_map(const io::NamedTensors& v) { return {v.begin(), v.end()}; }

Tensor base(int64_t n, DType dt) {
  std::vector<float> v(static_cast<size_t>(n), 0.0f);
  for (int64_t i = 0; i < n; ++i) v[size_t(i)] = float(i - n / 2) * 0.25f;
  return Tensor::from_vector(v).to(dt);
}
// The recipe of io_torch_writer_check.py.
io::NamedTensors views_recipe() {
  const Tensor w = base(12, DType::Float32).view({3, 4});
  return {{"embed.weight", w}, {"lm_head.weight", w}, {"row1", w.select(0, 1)}, {"wt", w.t()},
          {"cols", w.slice(1, 0, 4, 2)}, {"other", base(5, DType::Float16)}};
}
io::NamedTensors dtypes_recipe() {
  io::NamedTensors v;
  for (DType dt : {DType::Float32, DType::Float16, DType::BFloat16, DType::Float64, DType::Float8E4M3, DType::Float8E5M2})
    v.emplace_back(std::string(dtype_name(dt)), base(6, dt).view({2, 3}));
  v.emplace_back("int64", Tensor::from_vector(std::vector<int64_t>{-5, 1000000002, 2000000009, 3000000016}));
  v.emplace_back("bool", Tensor::from_vector(std::vector<bool>{true, false, false, true}));
  v.emplace_back("scalar", Tensor::scalar(2.5));
  v.emplace_back("empty", Tensor::zeros({0, 3}));
  return v;
}

void check_written(const std::string& name, const io::NamedTensors& recipe) {
  TempDir dir;
  io::save_torch(dir.path / name, recipe);
  if (std::getenv("TRANSFORMERS_IO_REGENERATE")) io::save_torch(data_dir() / name, recipe);
  // deterministic: the same bytes as the committed file Python checked
  EXPECT_EQ(read_file(dir.path / name), read_file(data_dir() / name)) << name;
  io::TorchReader r(dir.path / name);
  std::vector<std::string> keys;
  for (const auto& [k, t] : recipe) keys.push_back(k);
  EXPECT_EQ(r.keys(), keys);
  for (const auto& [k, t] : recipe) {
    const Tensor got = r.get_tensor(k);
    EXPECT_TRUE(same_tensor(got, t)) << k;
    EXPECT_EQ(got.strides(), t.strides()) << k;
    EXPECT_EQ(got.storage_offset(), t.storage_offset()) << k;
  }
}
}  // namespace

TEST(TorchWrite, ViewsAndTiesRoundTripAndMatchCheckedFile) {
  check_written("ours_views.bin", views_recipe());
  io::TorchReader r(data_dir() / "ours_views.bin");
  EXPECT_TRUE(r.get_tensor("embed.weight").shares_storage(r.get_tensor("lm_head.weight")));
  EXPECT_TRUE(r.get_tensor("embed.weight").shares_storage(r.get_tensor("wt")));
  EXPECT_FALSE(r.get_tensor("embed.weight").shares_storage(r.get_tensor("other")));
}

TEST(TorchWrite, EveryDTypeRoundTripsAndMatchesCheckedFile) { check_written("ours_dtypes.bin", dtypes_recipe()); }

TEST(TorchWrite, FixtureBinReWrittenReadsTheSame) {
  for (const char* arch : kArchs) {
    TempDir dir;
    const auto src = io::load_torch(models_dir() / arch / "bin" / "pytorch_model.bin");
    io::save_torch(dir.path / "pytorch_model.bin", src);
    io::TorchReader r(dir.path / "pytorch_model.bin");
    ASSERT_EQ(r.keys().size(), src.size());
    for (const auto& [k, t] : src) EXPECT_TRUE(same_tensor(r.get_tensor(k), t)) << k;
  }
}

TEST(ShardIndex, SizeParsers) {
  EXPECT_EQ(io::parse_size_to_int("5GB"), 5'000'000'000);
  EXPECT_EQ(io::parse_size_to_int("30KB"), 30'000);
  EXPECT_EQ(io::parse_size_to_int("1.5GB"), 1'500'000'000);
  EXPECT_EQ(io::parse_size_to_int(" 5 gb "), 5'000'000'000);
  EXPECT_EQ(io::parse_size_to_int("5Gb"), 5'000'000'000);
  EXPECT_EQ(io::parse_size_to_int("2TB"), 2'000'000'000'000);
  EXPECT_THROW(io::parse_size_to_int("5GiB"), ValueError);
  EXPECT_THROW(io::parse_size_to_int("100B"), ValueError);
  EXPECT_THROW(io::parse_size_to_int("xGB"), ValueError);
  EXPECT_THROW(io::parse_size_to_int(""), ValueError);
  EXPECT_EQ(io::convert_file_size_to_int("5GiB"), int64_t(5) << 30);
  EXPECT_EQ(io::convert_file_size_to_int("500MiB"), int64_t(500) << 20);
  EXPECT_EQ(io::convert_file_size_to_int("5GB"), 5'000'000'000);
  EXPECT_EQ(io::convert_file_size_to_int("5Gb"), 625'000'000);
  EXPECT_EQ(io::convert_file_size_to_int("8kb"), 1'000);
  EXPECT_THROW(io::convert_file_size_to_int("1.5GB"), ValueError);
  EXPECT_THROW(io::convert_file_size_to_int("5TB"), ValueError);
}

TEST(ShardIndex, VariantNames) {
  EXPECT_EQ(io::add_variant("model.safetensors", "fp16"), "model.fp16.safetensors");
  EXPECT_EQ(io::add_variant("pytorch_model.bin", "v2"), "pytorch_model.v2.bin");
  EXPECT_EQ(io::add_variant("model.safetensors.index.json", "fp16"), "model.safetensors.index.fp16.json");
  EXPECT_EQ(io::add_variant("model.safetensors", ""), "model.safetensors");
}

TEST(ShardIndex, SplitAlgorithm) {
  // spec example (limit 10): a=2, b=12, c=2 -> shard 1 = {b}, shard 2 = {a, c}
  const io::NamedTensors sd = {{"a", Tensor::zeros({2}, DType::UInt8)}, {"b", Tensor::zeros({12}, DType::UInt8)},
                               {"c", Tensor::zeros({2}, DType::UInt8)}};
  const auto s = io::split_state_dict_into_shards(sd, 10);
  ASSERT_EQ(s.filename_to_tensors.size(), 2u);
  EXPECT_EQ(s.filename_to_tensors[0].first, "model-00001-of-00002.safetensors");
  EXPECT_EQ(s.filename_to_tensors[0].second, std::vector<std::string>{"b"});
  EXPECT_EQ(s.filename_to_tensors[1].second, (std::vector<std::string>{"a", "c"}));
  EXPECT_EQ(s.total_size, 16);
  // exactly max is not oversized; one shard gets the plain name
  const auto one = io::split_state_dict_into_shards({{"x", Tensor::zeros({10}, DType::UInt8)}}, 10, "pytorch_model{suffix}.bin");
  EXPECT_FALSE(one.is_sharded());
  EXPECT_EQ(one.filename_to_tensors[0].first, "pytorch_model.bin");
  // a view counts its whole storage, ties are counted once and follow their first name
  const Tensor w = Tensor::zeros({4, 4}, DType::UInt8);
  const auto t = io::split_state_dict_into_shards(
      {{"w", w}, {"row", w.select(0, 1)}, {"z", Tensor::zeros({10}, DType::UInt8)}, {"tied", w}}, 20);
  EXPECT_EQ(t.total_size, 26);
  ASSERT_EQ(t.filename_to_tensors.size(), 2u);
  EXPECT_EQ(t.filename_to_tensors[0].second, (std::vector<std::string>{"w", "row", "tied"}));
}

TEST(ShardIndex, SaveStateDictReproducesFixtureShards) {
  for (const char* arch : kArchs) {
    SCOPED_TRACE(arch);
    // safetensors: the same three shard files, byte for byte, and the same weight_map
    TempDir dir;
    const auto model = io::load_safetensors(models_dir() / arch / "model" / "model.safetensors");
    // state_dict() order as transformers builds the model (io_state_dict_order.py); tied names
    // were dropped from the safetensors file
    std::ifstream in(data_dir() / "state_dict_order.json");
    const auto order = nlohmann::json::parse(in)[arch].get<std::vector<std::string>>();
    const auto bin = io::load_torch(models_dir() / arch / "bin" / "pytorch_model.bin");
    const auto mm = as_map(model);
    io::NamedTensors ordered;
    for (const auto& k : order)
      if (mm.count(k)) ordered.emplace_back(k, mm.at(k));
    ASSERT_EQ(ordered.size(), mm.size());
    const auto res = io::save_state_dict(dir.path, ordered, {.max_shard_size = "30KB"});
    ASSERT_EQ(res.files.size(), 3u);
    for (const auto& f : res.files)
      EXPECT_TRUE(read_file(dir.path / f) == read_file(models_dir() / arch / "sharded" / f)) << f;
    const auto ours = io::read_shard_index(dir.path / "model.safetensors.index.json");
    const auto theirs = io::read_shard_index(models_dir() / arch / "sharded" / "model.safetensors.index.json");
    std::map<std::string, std::string> a(ours.weight_map.begin(), ours.weight_map.end()),
        b(theirs.weight_map.begin(), theirs.weight_map.end());
    EXPECT_EQ(a, b);
    EXPECT_EQ(ours.metadata["total_size"], theirs.metadata["total_size"]);

    // .bin: tied weights keep both names; the index text equals the fixture's
    TempDir bdir;
    const auto bres = io::save_state_dict(bdir.path, bin, {.max_shard_size = "30KB", .safe_serialization = false});
    ASSERT_EQ(bres.index_file.value_or(""), "pytorch_model.bin.index.json");
    EXPECT_EQ(read_file(bdir.path / "pytorch_model.bin.index.json"),
              read_file(models_dir() / arch / "bin_sharded" / "pytorch_model.bin.index.json"));
    const auto back = io::open_checkpoint(bdir.path, {.use_safetensors = false});
    EXPECT_EQ(back.format, "pytorch");
    const auto bm = as_map(back.tensors);
    ASSERT_EQ(bm.size(), bin.size());
    for (const auto& [k, t] : bin) EXPECT_TRUE(same_tensor(bm.at(k), t)) << k;
  }
}

TEST(ShardIndex, VariantsAndStaleShardCleanup) {
  TempDir dir;
  const io::NamedTensors sd = {{"a", Tensor::zeros({8})}, {"b", Tensor::ones({8})}};
  write_file(dir.path / "model-00001-of-00009.safetensors", "stale");
  write_file(dir.path / "model.fp16-00001-of-00002.safetensors", "stale variant");
  write_file(dir.path / "model.safetensors.index.json.keep", "not a shard");
  auto r = io::save_state_dict(dir.path, sd, {.max_shard_size = int64_t(40), .variant = "v2"});
  const std::vector<std::string> want = {"model.v2-00001-of-00002.safetensors", "model.v2-00002-of-00002.safetensors"};
  EXPECT_EQ(r.files, want);
  EXPECT_EQ(r.index_file.value_or(""), "model.safetensors.index.v2.json");
  // "model.v2" does not prefix "model-0000..." so nothing else goes; a non-variant save removes both stale files
  EXPECT_TRUE(fs::exists(dir.path / "model-00001-of-00009.safetensors"));
  auto ck = io::open_checkpoint(dir.path, {.variant = "v2"});
  EXPECT_EQ(ck.tensors.size(), 2u);
  EXPECT_TRUE(ck.index.has_value());
  io::save_state_dict(dir.path, sd);
  EXPECT_FALSE(fs::exists(dir.path / "model-00001-of-00009.safetensors"));
  EXPECT_FALSE(fs::exists(dir.path / "model.fp16-00001-of-00002.safetensors"));
  EXPECT_FALSE(fs::exists(dir.path / "model.v2-00001-of-00002.safetensors")) << "'model' prefixes variant shards too";
  EXPECT_TRUE(fs::exists(dir.path / "model.safetensors"));
  EXPECT_TRUE(fs::exists(dir.path / "model.safetensors.index.json.keep"));
}

TEST(OpenCheckpoint, EveryFixtureFolder) {
  for (const char* arch : kArchs) {
    SCOPED_TRACE(arch);
    const auto model = as_map(io::open_checkpoint(models_dir() / arch / "model").tensors);
    for (const char* folder : {"model", "sharded", "bin", "bin_sharded", "variant", "fp16", "bf16"}) {
      SCOPED_TRACE(folder);
      const auto ck = io::open_checkpoint(models_dir() / arch / folder, {.variant = std::string(folder) == "variant" ? "v2" : ""});
      const auto m = as_map(ck.tensors);
      EXPECT_GE(m.size(), model.size());
      for (const auto& [k, t] : model) {
        ASSERT_TRUE(m.count(k)) << k;
        const std::string f = folder;
        const Tensor want = f == "fp16" ? t.to(DType::Float16) : f == "bf16" ? t.to(DType::BFloat16) : t;
        EXPECT_TRUE(same_tensor(m.at(k), want)) << k;
      }
    }
  }
  EXPECT_THROW(io::open_checkpoint(models_dir() / "gpt2" / "model", {.use_safetensors = false}), FileNotFoundError);
  EXPECT_THROW(io::open_checkpoint(models_dir() / "gpt2" / "variant"), FileNotFoundError);
  EXPECT_THROW(io::open_checkpoint(models_dir() / "evil"), SecurityError);
}

TEST(OpenCheckpoint, IndexEscapingTheFolderIsRefused) {
  TempDir dir;
  const auto sub = dir.path / "ckpt";
  fs::create_directories(sub);
  io::save_safetensors(dir.path / "outside.safetensors", {{"a", Tensor::zeros({2})}});
  io::save_safetensors(sub / "inside.safetensors", {{"a", Tensor::zeros({2})}});
  auto index_with = [&](const std::string& shard) {
    write_file(sub / "model.safetensors.index.json",
               R"({"metadata":{"total_size":8},"weight_map":{"a":")" + shard + R"("}})");
  };
  for (const std::string bad : {"../outside.safetensors", "/etc/passwd", "sub/../../outside.safetensors", "./x"}) {
    index_with(bad);
    EXPECT_THROW(io::open_checkpoint(sub), SecurityError) << bad;
  }
  fs::create_symlink(dir.path / "outside.safetensors", sub / "link.safetensors");
  index_with("link.safetensors");
  EXPECT_THROW(io::open_checkpoint(sub), SecurityError);
  index_with("inside.safetensors");
  EXPECT_EQ(io::open_checkpoint(sub).tensors.size(), 1u);
  // malformed indexes
  for (const std::string bad : {"[]", "{}", R"({"weight_map":[]})", R"({"weight_map":{"a":1}})",
                                R"({"weight_map":{"a":"inside.safetensors","a":"inside.safetensors"}})", "{"}) {
    write_file(sub / "model.safetensors.index.json", bad);
    EXPECT_THROW(io::open_checkpoint(sub), FormatError) << bad;
  }
  // an index naming a tensor its shard does not hold
  write_file(sub / "model.safetensors.index.json", R"({"weight_map":{"zz":"inside.safetensors"}})");
  EXPECT_THROW(io::open_checkpoint(sub), FormatError);
  // a missing shard
  write_file(sub / "model.safetensors.index.json", R"({"weight_map":{"a":"missing.safetensors"}})");
  EXPECT_THROW(io::open_checkpoint(sub), FileNotFoundError);
}

TEST(OpenCheckpoint, IndexTextMatchesPython) {
  // json.dumps(indent=2, sort_keys=True) + "\n": re-serialising the fixture index gives its bytes
  for (const char* arch : kArchs) {
    const auto p = models_dir() / arch / "bin_sharded" / "pytorch_model.bin.index.json";
    EXPECT_EQ(io::shard_index_json(io::read_shard_index(p)), read_file(p));
    const auto q = models_dir() / arch / "sharded" / "model.safetensors.index.json";
    EXPECT_EQ(io::shard_index_json(io::read_shard_index(q)), read_file(q));
  }
}
