// device_map placement against accelerate's own functions (tests/oracle/make_device_map_goldens.py:
// 4.51's _get_device_map on the meta-device model, checked there against from_pretrained's
// hf_device_map for the fixtures): 15 models (fixtures, decoder families, bench shapes) x 2 dtypes x
// 11 max_memory settings. Models are built from their config without weights (zero pages, never
// touched), so the 1.24B bench shape costs no memory.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "test_helpers.hpp"
#include "transformers/core/alloc_cache.hpp"
#include "transformers/core/error.hpp"
#include "transformers/io/checkpoint.hpp"
#include "transformers/io/offload_folder.hpp"
#include "transformers/io/atomic_file.hpp"
#include "transformers/modeling/auto.hpp"
#include "transformers/modeling/device_map.hpp"
#include "transformers/modeling/modeling_utils.hpp"
#include "transformers/generation/utils.hpp"
#include "transformers/hub/hub.hpp"
#include "transformers/nn/linear.hpp"
#include "transformers/ops/weight_cache.hpp"

using namespace transformers;
using namespace transformers::test;

namespace {

std::filesystem::path repo_root() { return std::filesystem::path(TRANSFORMERS_TEST_DATA_DIR).parent_path().parent_path(); }

std::filesystem::path config_folder(const std::string& where) {
  if (where.rfind("shared:", 0) == 0) return fixtures() / where.substr(7);
  return repo_root() / where;
}

std::shared_ptr<PreTrainedModel> empty_model(const std::string& cls, const std::filesystem::path& folder) {
  auto config = AutoConfig::from_pretrained(folder.string());
  const ModelClassInfo* info = find_model_class(cls);
  if (!info) throw std::runtime_error("class not registered: " + cls);
  auto model = info->factory(config);
  model->tie_weights();
  return model;
}

std::map<std::string, std::string> as_map(const DeviceMap& m) { return {m.begin(), m.end()}; }

std::optional<MaxMemory> max_memory_of(const json& j) {
  MaxMemory mm;
  for (auto& [k, v] : j.items()) {
    if (v.is_string()) mm.emplace_back(k, v.get<std::string>());
    else mm.emplace_back(k, v.get<int64_t>());
  }
  return mm;
}

}  // namespace

TEST(DeviceMap, EqualsAccelerateOnFixturesFamiliesAndBenchShapes) {
  const json cases = read_json(data_dir() / "device_map" / "cases.json");
  ASSERT_EQ(cases["cases"].size(), 30u);
  int compared = 0, refused = 0, with_disk = 0, split = 0;
  for (auto& c : cases["cases"]) {
    const std::string name = c["name"].get<std::string>() + "/" + (c["torch_dtype"].is_null() ? "float32" : c["torch_dtype"].get<std::string>());
    SCOPED_TRACE(name);
    auto model = empty_model(c["class"], config_folder(c["config"]));
    const std::optional<DType> dtype =
        c["torch_dtype"].is_null() ? std::nullopt : std::optional<DType>(dtype_from_name(c["torch_dtype"].get<std::string>()));
    // the sizes accelerate counts (bits here; bool counts 1/8 byte there)
    const auto sizes = compute_module_sizes_bits(*model, dtype);
    ASSERT_FALSE(sizes.empty());
    EXPECT_DOUBLE_EQ(double(sizes[0].second) / 8, c["total_size"].get<double>());
    std::vector<std::string> ns = c["no_split_modules"];
    EXPECT_EQ(get_no_split_modules(*model, "auto"), ns);
    std::vector<std::vector<std::string>> tied = c["tied_parameters"];
    EXPECT_EQ(find_tied_parameters(*model).size(), tied.size());
    for (auto& g : tied) {
      auto got = find_tied_parameters(*model);
      EXPECT_NE(std::find(got.begin(), got.end(), g), got.end());
    }
    for (auto& s : c["settings"]) {
      SCOPED_TRACE(s["device_map"].get<std::string>() + " " + s["max_memory"].dump());
      const json& want = s["expected"];
      if (want.contains("error")) {
        EXPECT_THROW(get_device_map(*model, {.strategy = s["device_map"]}, max_memory_of(s["max_memory"]), dtype),
                     ValueError);
        ++refused;
        continue;
      }
      const DeviceMap got = get_device_map(*model, {.strategy = s["device_map"]}, max_memory_of(s["max_memory"]), dtype);
      std::map<std::string, std::string> expected;
      for (auto& [k, v] : want.items()) expected[k] = v.get<std::string>();
      EXPECT_EQ(as_map(got), expected);
      ++compared;
      for (auto& [k, v] : expected) with_disk += v == "disk" && expected.size() > 1;
      split += expected.size() > 2;
    }
  }
  EXPECT_EQ(compared + refused, 30 * 11);
  EXPECT_EQ(refused, 30);
  EXPECT_GT(with_disk, 100);  // maps that keep part in memory and send part to disk
  EXPECT_GT(split, 60);
}

TEST(DeviceMap, SizesAsAccelerateParsesThem) {
  EXPECT_EQ(convert_file_size_to_int("600MB"), 600000000);
  EXPECT_EQ(convert_file_size_to_int("1GiB"), int64_t(1) << 30);
  EXPECT_EQ(convert_file_size_to_int("1.5KiB"), 1536);
  EXPECT_EQ(convert_file_size_to_int("5Gb"), 625000000);  // bits
  EXPECT_EQ(convert_file_size_to_int("8kb"), 1000);
  EXPECT_EQ(convert_file_size_to_int("12345"), 12345);
  EXPECT_THROW(convert_file_size_to_int("12 apples"), ValueError);
  EXPECT_THROW(convert_file_size_to_int("MB"), ValueError);
  EXPECT_THROW(convert_file_size_to_int("-1MB"), ValueError);
  EXPECT_THROW(convert_file_size_to_int("1e300GB"), ValueError);
  const MaxMemory mm = parse_max_memory("cpu=600MB,disk=10GB");
  ASSERT_EQ(mm.size(), 2u);
  EXPECT_EQ(get_max_memory(mm), (std::vector<std::pair<std::string, int64_t>>{{"cpu", 600000000}, {"disk", 10000000000}}));
  EXPECT_THROW(parse_max_memory("cpu"), ValueError);
  EXPECT_THROW(parse_max_memory("cpu=lots"), ValueError);
  EXPECT_THROW(get_max_memory(MaxMemory{{"tpu", int64_t(1)}}), ValueError);
  EXPECT_THROW(get_max_memory(MaxMemory{{"0", int64_t(1)}}), UnsupportedError);
  // unset: psutil's available memory, on the cpu
  auto def = get_max_memory(std::nullopt);
  ASSERT_EQ(def.size(), 1u);
  EXPECT_EQ(def[0].first, "cpu");
  EXPECT_GT(def[0].second, 0);
}

TEST(DeviceMap, GivenMapsAreChecked) {
  auto model = empty_model("LlamaForCausalLM", fixtures() / "llama" / "model");
  // complete maps pass (the tied embedding and head share a device)
  EXPECT_NO_THROW(check_device_map(*model, {{"model", "cpu"}, {"lm_head", "cpu"}}));
  EXPECT_NO_THROW(check_device_map(*model, {{"", "disk"}}));
  EXPECT_NO_THROW(check_device_map(*model, {{"model.embed_tokens", "cpu"}, {"model.layers.0", "cpu"}, {"model.layers.1", "disk"},
                                            {"model.norm", "disk"}, {"model.rotary_emb", "cpu"}, {"lm_head", "cpu"}}));
  auto msg = [&](const DeviceMap& m) {
    try {
      check_device_map(*model, m);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_NE(msg({{"model", "cpu"}, {"lm_head", "cpu"}, {"model.decoder", "cpu"}}).find("'model.decoder'"), std::string::npos);
  EXPECT_NE(msg({{"model", "cpu"}}).find("'lm_head.weight'"), std::string::npos);
  EXPECT_NE(msg({{"model", "cpu"}, {"lm_head", "0"}}).find("no GPU backend"), std::string::npos);
  EXPECT_THROW(check_device_map(*model, {{"model", "cpu"}, {"lm_head", "0"}}), UnsupportedError);
  EXPECT_NE(msg({{"model", "cpu"}, {"lm_head", "tape"}}).find("'tape'"), std::string::npos);
  // llama's fixture ties lm_head to the embedding: one device for both
  if (!find_tied_parameters(*model).empty())
    EXPECT_NE(msg({{"model", "cpu"}, {"lm_head", "disk"}}).find("tied"), std::string::npos);
  EXPECT_EQ(device_of({{"model", "cpu"}, {"model.layers.1", "disk"}}, "model.layers.1.mlp.up_proj.weight"), "disk");
  EXPECT_EQ(device_of({{"model", "cpu"}, {"model.layers.1", "disk"}}, "model.layers.10.mlp.up_proj.weight"), "cpu");
  EXPECT_THROW(device_of({{"model", "cpu"}}, "lm_head.weight"), ValueError);
  const DeviceMap parsed = parse_device_map_json(R"({"model": "cpu", "lm_head": "disk"})", "map.json");
  EXPECT_EQ(parsed, (DeviceMap{{"model", "cpu"}, {"lm_head", "disk"}}));
  EXPECT_THROW(parse_device_map_json(R"({"model": 0})", "map.json"), UnsupportedError);
  EXPECT_THROW(parse_device_map_json(R"(["cpu"])", "map.json"), ValueError);
  // a strategy for a class without _no_split_modules, and unknown strategies
  EXPECT_THROW(get_device_map(*model, {.strategy = "fastest"}, std::nullopt, std::nullopt), ValueError);
  EXPECT_THROW(get_device_map(*model, {.strategy = "cuda:0"}, std::nullopt, std::nullopt), UnsupportedError);
}

TEST(DeviceMap, FromPretrainedKeepsTheMapAndRefusesWhatCannotLoad) {
  const auto folder = (fixtures() / "llama" / "model").string();
  auto m = from_pretrained_class("LlamaForCausalLM", folder, {.device_map = DeviceMapArg{.strategy = "auto"},
                                                              .max_memory = MaxMemory{{"cpu", int64_t(60000)}}});
  ASSERT_TRUE(m->hf_device_map().has_value());
  std::map<std::string, std::string> got = as_map(*m->hf_device_map());
  // the oracle's llama float32 setting {"cpu": 71092} (0.9 x) and this one both split cpu/disk
  int disk = 0;
  for (auto& [k, v] : got) disk += v == "disk";
  EXPECT_GT(disk, 0);
  EXPECT_LT(size_t(disk), got.size());
  // no map without device_map (Python has no attribute)
  EXPECT_FALSE(from_pretrained_class("LlamaForCausalLM", folder)->hf_device_map().has_value());
  // everything on disk: a clear error (4.51 fails inside safetensors)
  EXPECT_THROW(from_pretrained_class("LlamaForCausalLM", folder, {.device_map = DeviceMapArg{.strategy = "auto"},
                                                                 .max_memory = MaxMemory{{"cpu", "1KB"}}}),
               ValueError);
  // a .bin checkpoint with weights on disk needs an offload_folder (4.51's message)
  const auto bin = (fixtures() / "llama" / "bin").string();
  try {
    from_pretrained_class("LlamaForCausalLM", bin, {.device_map = DeviceMapArg{.strategy = "auto"},
                                                    .max_memory = MaxMemory{{"cpu", int64_t(60000)}}});
    ADD_FAILURE() << "no error";
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("offload_folder"), std::string::npos);
  }
  TempDir off;
  auto b = from_pretrained_class("LlamaForCausalLM", bin, {.device_map = DeviceMapArg{.strategy = "auto"},
                                                           .max_memory = MaxMemory{{"cpu", int64_t(60000)}},
                                                           .offload_folder = (off.path / "offload").string()});
  EXPECT_EQ(as_map(*b->hf_device_map()), got);
  EXPECT_TRUE(std::filesystem::is_directory(off.path / "offload"));
  // DistilBERT has no _no_split_modules: 4.51's ValueError
}

TEST(DeviceMap, DiskOffloadedWeightsGiveTheSameLogitsAndTokens) {
  // the llama fixture with max_memory cpu=60000: the embedding on cpu, the layers, norm and head on
  // disk (views of the checkpoint mapping whose pages are dropped after each use)
  const auto folder = (fixtures() / "llama" / "model").string();
  auto whole = from_pretrained_class("LlamaForCausalLM", folder);
  auto off = from_pretrained_class("LlamaForCausalLM", folder, {.device_map = DeviceMapArg{.strategy = "auto"},
                                                                .max_memory = MaxMemory{{"cpu", int64_t(60000)}}});
  ASSERT_EQ(device_of(*off->hf_device_map(), "model.layers.1.mlp.down_proj.weight"), "disk");
  auto* down = dynamic_cast<nn::Linear*>(off->find_module("model.layers.1.mlp.down_proj"));
  ASSERT_NE(down, nullptr);
  EXPECT_TRUE(bool(down->output_hook));  // released after use
  auto* head = dynamic_cast<nn::Linear*>(whole->find_module("lm_head"));
  EXPECT_FALSE(bool(head->output_hook));  // nothing hooked without a device_map
  ModelInputs in;
  in.input_ids = Tensor::from_vector<int64_t>({5, 17, 33, 42, 9, 71, 60, 3}, {2, 4});
  for (int pass = 0; pass < 2; ++pass) {  // the second pass re-reads the released pages
    const Tensor a = whole->forward(in).logits, b = off->forward(in).logits;
    EXPECT_EQ(a.to_vector<float>(), b.to_vector<float>()) << "pass " << pass;
  }
  GenerationOptions g;
  g.max_new_tokens = 6;
  g.do_sample = false;
  EXPECT_EQ(generate(*whole, in.input_ids, {}, g).sequences.to_vector<int64_t>(),
            generate(*off, in.input_ids, {}, g).sequences.to_vector<int64_t>());
}

TEST(DeviceMap, EverythingOnDiskRunsWhenTheLargestLayerFits) {
  // cpu=30000 is above the llama fixture's largest layer (a decoder layer, 26752 bytes) but leaves
  // accelerate's cpu budget (30000 - 26752) too small for the embedding: the map is all disk, which
  // 4.51 computes and then cannot load; here it runs layer by layer
  const auto folder = (fixtures() / "llama" / "model").string();
  auto off = from_pretrained_class("LlamaForCausalLM", folder, {.device_map = DeviceMapArg{.strategy = "auto"},
                                                                .max_memory = MaxMemory{{"cpu", int64_t(30000)}}});
  EXPECT_EQ(*off->hf_device_map(), (DeviceMap{{"", "disk"}}));
  auto whole = from_pretrained_class("LlamaForCausalLM", folder);
  ModelInputs in;
  in.input_ids = Tensor::from_vector<int64_t>({5, 17, 33, 42, 9, 71, 60, 3}, {2, 4});
  EXPECT_EQ(whole->forward(in).logits.to_vector<float>(), off->forward(in).logits.to_vector<float>());
  // below the largest layer: refused, naming both sizes
  try {
    from_pretrained_class("LlamaForCausalLM", folder, {.device_map = DeviceMapArg{.strategy = "auto"},
                                                       .max_memory = MaxMemory{{"cpu", int64_t(26000)}}});
    ADD_FAILURE() << "no error";
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("26000 bytes is smaller than the largest layer of LlamaForCausalLM (26752 bytes)"),
              std::string::npos)
        << e.what();
  }
}

TEST(DeviceMap, DiskWeightsKeepNoPackedCopy) {
  // The CPU GEMM keeps a packed copy of every read-only (mapped) weight it multiplies. For weights on
  // disk that copy made the whole model resident again: Llama-1B bf16 with cpu=600MB peaked at 2.96 GB
  // instead of 0.54 GB. The disk hook drops it with the pages.
  const auto folder = (fixtures() / "llama" / "model").string();
  auto off = from_pretrained_class("LlamaForCausalLM", folder, {.device_map = DeviceMapArg{.strategy = "auto"},
                                                                .max_memory = MaxMemory{{"cpu", int64_t(30000)}}});
  ASSERT_EQ(*off->hf_device_map(), (DeviceMap{{"", "disk"}}));
  auto whole = from_pretrained_class("LlamaForCausalLM", folder);
  ModelInputs in;
  in.input_ids = Tensor::from_vector<int64_t>({5, 17, 33, 42, 9, 71, 60, 3}, {2, 4});
  const int64_t before = ops::packed_weight_bytes();
  off->forward(in);
  EXPECT_EQ(ops::packed_weight_bytes(), before);
  whole->forward(in);  // the same mapped weights in memory: packed once and kept
  EXPECT_GT(ops::packed_weight_bytes(), before);
}

TEST(DeviceMap, CastLoadInRowBlocksEqualsWholeCast) {
  // low_cpu_mem_usage's streaming cast: a checkpoint tensor over 16 MiB (a 70000 x 64 float32
  // embedding, 17.9 MB) is converted in row blocks whose file pages are released; the values must be
  // exactly those of one whole conversion
  auto config = AutoConfig::for_model("llama", {{"vocab_size", 70000}, {"hidden_size", 64}, {"intermediate_size", 64},
                                                {"num_hidden_layers", 1}, {"num_attention_heads", 4},
                                                {"num_key_value_heads", 4}, {"tie_word_embeddings", true}});
  TempDir dir;
  auto_from_config("AutoModelForCausalLM", config, 7)->save_pretrained(dir.str());
  auto f32 = auto_from_pretrained("AutoModelForCausalLM", dir.str());
  auto bf16 = auto_from_pretrained("AutoModelForCausalLM", dir.str(), {.torch_dtype = DType::BFloat16, .low_cpu_mem_usage = true});
  const Tensor* a = f32->find_parameter("model.embed_tokens.weight");
  const Tensor* b = bf16->find_parameter("model.embed_tokens.weight");
  ASSERT_TRUE(a && b);
  ASSERT_GT(a->nbytes(), size_t(16) << 20);
  EXPECT_EQ(b->dtype(), DType::BFloat16);
  EXPECT_EQ(a->to(DType::BFloat16).to_vector<float>(), b->to_vector<float>());
}

TEST(DeviceMap, CastLoadConvertsATiedPairStoredOnceOnce) {
  // torch.save of tied weights stores the embedding and lm_head as one storage (so does our .bin
  // writer). A cast load converted it once per key and tie_weights dropped one copy: the peak held
  // the converted embedding twice (Llama-1B float32 .bin as bf16: +525 MB, 1.23x the bf16 model).
  // Counted here as large allocations (the cache's hits + misses; the layers' tensors are all below
  // its 64 KiB threshold, the 2.6 MB embedding is not).
  if (!alloc_cache_stats().enabled) GTEST_SKIP() << "allocation cache compiled out (sanitizer build)";
  auto config = AutoConfig::for_model("llama", {{"vocab_size", 20000}, {"hidden_size", 64}, {"intermediate_size", 64},
                                                {"num_hidden_layers", 1}, {"num_attention_heads", 4},
                                                {"num_key_value_heads", 4}, {"tie_word_embeddings", true}});
  TempDir dir;
  auto_from_config("AutoModelForCausalLM", config, 7)->save_pretrained(dir.str(), {.safe_serialization = false});
  {
    auto r = io::open_checkpoint_file(dir.path / "pytorch_model.bin");
    const Tensor e = r->get_tensor("model.embed_tokens.weight"), h = r->get_tensor("lm_head.weight");
    ASSERT_EQ(e.data_ptr(), h.data_ptr());  // one storage in the file
  }
  // the same weights as model.safetensors, which holds the embedding only (the head is tied to it):
  // its load converts the embedding once; the .bin load must not allocate more
  TempDir st;
  auto_from_config("AutoModelForCausalLM", config, 7)->save_pretrained(st.str());
  auto large_allocations = [](const std::string& folder) {
    const AllocCacheStats before = alloc_cache_stats();
    auto m = auto_from_pretrained("AutoModelForCausalLM", folder, {.torch_dtype = DType::BFloat16, .low_cpu_mem_usage = true});
    const AllocCacheStats after = alloc_cache_stats();
    return std::make_pair(m, after.hits + after.misses - before.hits - before.misses);
  };
  const auto [m, from_bin] = large_allocations(dir.str());
  const auto [m2, from_safetensors] = large_allocations(st.str());
  EXPECT_EQ(from_bin, from_safetensors);
  EXPECT_TRUE(m->find_parameter("lm_head.weight")->is_same(*m->find_parameter("model.embed_tokens.weight")));
  EXPECT_EQ(m->find_parameter("lm_head.weight")->dtype(), DType::BFloat16);
}

TEST(DeviceMap, OffloadFolderHoldsWhatFourFiftyOneWritesAndForwardEqualsInMemory) {
  // tests/oracle/make_offload_folder_goldens.py: the llama fixture with layer 1, the norm and the head
  // on disk. From the float32 .bin (as float32 and cast to bfloat16) 4.51 writes accelerate's layout:
  // our index.json must be its text and every .dat its bytes (the oracle also checked that
  // accelerate's OffloadedWeightsLoader / load_offloaded_weights read our folder, see
  // accelerate_reads_cpp.json). From model.safetensors cast to bfloat16 4.51 writes nothing (accelerate
  // casts from the checkpoint on every use); here the cast weights are written once as .dat too.
  const json g = read_json(data_dir() / "device_map" / "offload" / "goldens.json");
  DeviceMap map;
  for (auto& [k, v] : g["device_map"].items()) map.emplace_back(k, v.get<std::string>());
  std::vector<int64_t> ids;
  for (auto& row : g["input_ids"])
    for (auto& v : row) ids.push_back(v.get<int64_t>());
  ModelInputs in;
  in.input_ids = Tensor::from_vector<int64_t>(ids, {2, int64_t(ids.size() / 2)});
  ASSERT_EQ(g["cases"].size(), 3u);
  int byte_compared = 0, dat_files = 0;
  for (auto& [name, c] : g["cases"].items()) {
    SCOPED_TRACE(name);
    const auto ckpt = (fixtures() / c["checkpoint"].get<std::string>()).string();
    const DType dtype = dtype_from_name(c["torch_dtype"].get<std::string>());
    TempDir off;
    auto m = from_pretrained_class("LlamaForCausalLM", ckpt, {.torch_dtype = dtype, .device_map = DeviceMapArg{.map = map},
                                                              .offload_folder = off.str()});
    std::set<std::string> written;
    for (auto& f : std::filesystem::directory_iterator(off.path)) written.insert(f.path().filename().string());
    if (!c["written"].is_null()) {
      EXPECT_EQ(read_text(off.path / "index.json"), c["written"]["index_json"].get<std::string>());
      for (auto& [k, sha] : c["written"]["dat_sha256"].items()) {
        EXPECT_EQ(hub::sha256_file_hex((off.path / (k + ".dat")).string()), sha.get<std::string>()) << k;
        written.erase(k + ".dat");
        ++byte_compared;
      }
      written.erase("index.json");
      EXPECT_TRUE(written.empty()) << "files 4.51 does not write: " << *written.begin();
    } else {
      const json index = read_json(off.path / "index.json");
      EXPECT_EQ(index.size(), 11u);  // layer 1's 9 weights, the norm, the head
      for (auto& [k, e] : index.items()) {
        EXPECT_EQ(e["dtype"], "bfloat16");
        EXPECT_TRUE(written.count(k + ".dat")) << k;
        ++dat_files;
      }
    }
    // the disk weights are views of their .dat file and give their pages back after use
    auto* down = dynamic_cast<nn::Linear*>(m->find_module("model.layers.1.mlp.down_proj"));
    ASSERT_NE(down, nullptr);
    EXPECT_TRUE(down->weight.storage()->read_only());
    EXPECT_TRUE(bool(down->output_hook));
    auto whole = from_pretrained_class("LlamaForCausalLM", ckpt, {.torch_dtype = dtype});
    for (int pass = 0; pass < 2; ++pass)
      EXPECT_EQ(whole->forward(in).logits.to_vector<float>(), m->forward(in).logits.to_vector<float>()) << "pass " << pass;
  }
  EXPECT_EQ(byte_compared, 22);
  EXPECT_EQ(dat_files, 11);
  // safetensors in the load dtype: read from the checkpoint's own mapping, nothing written (as 4.51)
  TempDir off;
  from_pretrained_class("LlamaForCausalLM", (fixtures() / "llama" / "model").string(),
                        {.device_map = DeviceMapArg{.map = map}, .offload_folder = off.str()});
  EXPECT_TRUE(std::filesystem::is_empty(off.path));
}

TEST(DeviceMap, OffloadFolderWriterRefusesBadNamesAndMergesTheIndex) {
  TempDir d;
  nlohmann::ordered_json index = nlohmann::ordered_json::object();
  EXPECT_THROW(io::offload_weight(Tensor::ones({2}), DType::Float32, "../w", d.path, index), ValueError);
  EXPECT_THROW(io::offload_weight(Tensor::ones({2}), DType::Float8E4M3, "w", d.path, index), UnsupportedError);
  EXPECT_TRUE(index.empty());
  // a 0-d tensor is stored as one element with shape [] (accelerate's offload_weight)
  const Tensor s = io::offload_weight(Tensor::scalar(3.0), DType::Float32, "s", d.path, index);
  EXPECT_EQ(std::filesystem::file_size(d.path / "s.dat"), 4u);
  EXPECT_EQ(s.to_vector<float>(), std::vector<float>{3.0f});
  EXPECT_TRUE(s.storage()->read_only());
  // an index already in the folder keeps its entries (save_offload_index updates it)
  io::write_file_atomic(d.path / "index.json", R"({"old": {"dtype": "float16", "shape": [1]}})");
  io::save_offload_index(index, d.path);
  EXPECT_EQ(read_text(d.path / "index.json"),
            "{\n  \"old\": {\n    \"dtype\": \"float16\",\n    \"shape\": [\n      1\n    ]\n  },\n"
            "  \"s\": {\n    \"dtype\": \"float32\",\n    \"shape\": []\n  }\n}");
  io::write_file_atomic(d.path / "index.json", "[1]");
  EXPECT_THROW(io::save_offload_index(index, d.path), FormatError);
}
