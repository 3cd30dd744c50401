// TensorFlow and Flax checkpoints written by transformers 4.51.3's own TF / Flax classes
// (tests/oracle/make_tf_flax_goldens.py -> tests/data/tfflax/) load through
// from_pretrained({.from_tf / .from_flax}) and give the fixture's PyTorch logits within the float32
// parity bound (issue 25). The oracle's own TF / Flax runs agree with those logits to <= 4.3e-6
// (tests/data/tfflax/oracle_report.json).
#include <regex>

#include "models/parity_util.hpp"
#include "transformers/io/shard_index.hpp"
#include "transformers/io/tf_flax.hpp"
#include "transformers/modeling/auto.hpp"
#include "transformers/modeling/flax_params.hpp"

using namespace transformers;
using namespace parity;

namespace {

fs::path tfflax(const std::string& rel) { return fs::path(TRANSFORMERS_TEST_DATA_DIR) / "tfflax" / rel; }

const char* class_of(const std::string& arch) {
  return arch == "bert" ? "BertForMaskedLM" : arch == "gpt2" ? "GPT2LMHeadModel" : "LlamaForCausalLM";
}

ModelInputs inputs_of(const std::string& arch, const std::map<std::string, Tensor>& exp) {
  ModelInputs in;
  in.input_ids = exp.at("input_ids");
  in.attention_mask = exp.at("attention_mask");
  if (arch == "bert") in.token_type_ids = exp.at("token_type_ids");
  return in;
}

std::shared_ptr<PreTrainedModel> load(const std::string& arch, const std::string& folder, bool tf) {
  register_all_models();
  FromPretrainedOptions o;
  o.attn_implementation = "eager";
  (tf ? o.from_tf : o.from_flax) = true;
  return from_pretrained_class(class_of(arch), tfflax(arch + "/" + folder).string(), o);
}

struct Case {
  std::string arch, folder;
  bool tf;
};

TEST(TfFlaxCheckpoints, LogitsEqualPyTorchFixture) {
  const std::vector<Case> cases = {
      {"bert", "tf", true},     {"bert", "tf_sharded", true},    {"bert", "flax", false},
      {"bert", "flax_sharded", false}, {"gpt2", "tf", true},     {"gpt2", "tf_sharded", true},
      {"gpt2", "flax", false},  {"gpt2", "flax_sharded", false}, {"llama", "flax", false},
      {"llama", "flax_sharded", false}};
  int checked = 0;
  for (const Case& c : cases) {
    SCOPED_TRACE(c.arch + "/" + c.folder);
    const auto exp = load_tensors(fixture(c.arch + "/expected.safetensors"));
    auto model = load(c.arch, c.folder, c.tf);
    EXPECT_TRUE(model->loading_info().missing_keys.empty()) << model->loading_info().to_json().dump();
    EXPECT_TRUE(model->loading_info().unexpected_keys.empty()) << model->loading_info().to_json().dump();
    ModelOutput out = model->forward(inputs_of(c.arch, exp));
    EXPECT_TRUE(allclose(out.logits, exp.at("logits"), kFloat32Parity));
    ++checked;
  }
  EXPECT_EQ(checked, 10);
}

// 4.51 casts bfloat16 Flax params to float32 before loading them (load_flax_weights_in_pytorch_model).
TEST(TfFlaxCheckpoints, FlaxBf16ParamsLoadAsFloat32) {
  int checked = 0;
  for (const std::string arch : {"bert", "gpt2", "llama"}) {
    SCOPED_TRACE(arch);
    const auto exp = load_tensors(tfflax(arch + "/expected_bf16.safetensors"));
    const auto fixture_exp = load_tensors(fixture(arch + "/expected.safetensors"));
    auto model = load(arch, "flax_bf16", false);
    for (auto& [k, p] : model->named_parameters()) EXPECT_EQ(p.dtype(), DType::Float32) << k;
    ModelOutput out = model->forward(inputs_of(arch, fixture_exp));
    // The oracle's logits are Flax's: compare the positions that are not padding.
    const Tensor mask = exp.at("attention_mask");
    const auto m = mask.to(DType::Int64).contiguous();
    const int64_t B = out.logits.sizes()[0], S = out.logits.sizes()[1];
    for (int64_t b = 0; b < B; ++b)
      for (int64_t s = 0; s < S; ++s)
        if (m.data<int64_t>()[b * S + s])
          EXPECT_TRUE(allclose(out.logits.select(0, b).select(0, s), exp.at("logits").select(0, b).select(0, s),
                               kFloat32Parity))
              << b << "," << s;
    ++checked;
  }
  EXPECT_EQ(checked, 3);
}

// A folder with only TF or Flax weights and no flag: 4.51's message (tests/oracle/make_tf_flax_errors.py).
TEST(TfFlaxCheckpoints, FolderWithOnlyFrameworkWeightsNamesTheFlag) {
  register_all_models();
  const json want = read_json(tfflax("errors.json"));
  for (const auto& [key, folder] : {std::pair<std::string, std::string>{"tf_only", "bert/tf"}, {"flax_only", "bert/flax"}}) {
    const std::string dir = tfflax(folder).string();
    try {
      from_pretrained_class("BertForMaskedLM", dir, {});
      ADD_FAILURE() << key << ": loaded without the flag";
    } catch (const FileNotFoundError& e) {
      EXPECT_EQ(std::string(e.what()), std::regex_replace(want.at(key).get<std::string>(), std::regex("\\{dir\\}"), dir));
    }
  }
}

// The flag prefers the framework file when PyTorch weights sit beside it (4.51's order).
TEST(TfFlaxCheckpoints, FlagPrefersFrameworkFileOverSafetensors) {
  register_all_models();
  const fs::path dir = fs::temp_directory_path() / ("tcpp_tfflax_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  fs::copy(tfflax("gpt2/flax"), dir, fs::copy_options::recursive);
  // a safetensors file of other (resized) weights beside it: the flag must not read it
  fs::copy_file(fixture("gpt2/resized_down/model.safetensors"), dir / "model.safetensors");
  FromPretrainedOptions o;
  o.from_flax = true;
  auto model = from_pretrained_class("GPT2LMHeadModel", dir.string(), o);
  EXPECT_EQ(model->get_input_embeddings()->find_parameter("weight")->sizes()[0], 99);
  fs::remove_all(dir);
}

}  // namespace

namespace {

// to_bf16 with the mask of 4.51's docstring (only ("LayerNorm", "scale") paths are kept: its first
// comparison is always true) leaves exactly those parameters float32, as the oracle's Flax run did.
TEST(FlaxParamCasts, ToBf16WithTheDocMaskKeepsExactlyTheMaskedFloat32) {
  int checked = 0;
  for (const std::string arch : {"bert", "gpt2", "llama"}) {
    SCOPED_TRACE(arch);
    const json want = read_json(tfflax(arch + "/to_bf16_mask.json"));
    io::FlaxMsgpackReader r(tfflax(arch + "/flax/flax_model.msgpack"));
    const FlaxParams params = r.tensors();
    const FlaxParams cast = to_bf16(params, [](const std::string& path) {
      const size_t n = path.size(), k = std::string("LayerNorm/scale").size();
      return !(n >= k && path.compare(n - k, k, "LayerNorm/scale") == 0 && (n == k || path[n - k - 1] == '/'));
    });
    std::vector<std::string> f32, bf16;
    for (const auto& [p, t] : cast) (t.dtype() == DType::Float32 ? f32 : bf16).push_back(p);
    std::sort(f32.begin(), f32.end());
    std::sort(bf16.begin(), bf16.end());
    EXPECT_EQ(f32, want.at("float32_after").get<std::vector<std::string>>());
    EXPECT_EQ(bf16, want.at("bfloat16_after").get<std::vector<std::string>>());
    // Values are bf16-rounded; to_fp32 brings every parameter back to float32 (none masked out).
    for (const auto& [p, t] : to_fp32(cast)) EXPECT_EQ(t.dtype(), DType::Float32) << p;
    // to_fp16 without a mask casts all floating parameters.
    for (const auto& [p, t] : to_fp16(params)) EXPECT_EQ(t.dtype(), DType::Float16) << p;
    ++checked;
  }
  EXPECT_EQ(checked, 3);
}

}  // namespace

namespace {

// save_pretrained({.format = "tf" | "flax"}[, .max_shard_size = "30KB"]): the files under
// tests/data/tfflax/cpp_saved/ were written by transformers-cli convert --format tf|flax
// [--max-shard-size 30KB] and loaded by 4.51's TF / Flax classes
// (tests/oracle/check_tf_flax_saved.py: report.json). Here: that report is clean for every case,
// today's writer produces the same files, weights and index, and they load back here.
struct SaveCase {
  std::string arch, folder;  // folder: tf, tf_sharded, flax, flax_sharded
  bool tf() const { return folder.rfind("tf", 0) == 0; }
  bool sharded() const { return folder.find("_sharded") != std::string::npos; }
  std::string weights_name() const { return tf() ? "tf_model.h5" : "flax_model.msgpack"; }
};

const std::vector<SaveCase>& save_cases() {
  static const std::vector<SaveCase> cases = {
      {"bert", "tf"},   {"bert", "tf_sharded"},   {"bert", "flax"},  {"bert", "flax_sharded"},  {"gpt2", "tf"},
      {"gpt2", "tf_sharded"}, {"gpt2", "flax"}, {"gpt2", "flax_sharded"}, {"llama", "flax"}, {"llama", "flax_sharded"}};
  return cases;
}

fs::path scratch(const std::string& tag) {
  const fs::path dir = fs::temp_directory_path() / ("tcpp_tfflax_save_" + std::to_string(::getpid()) + "_" + tag);
  fs::remove_all(dir);
  return dir;
}

// The weight files of a saved folder: the single file, or the index's shards (sorted names).
std::vector<std::string> weight_files(const fs::path& dir, const SaveCase& c) {
  if (!c.sharded()) return {c.weights_name()};
  return io::read_shard_index(dir / (c.weights_name() + ".index.json")).shard_files();
}

TEST(TfFlaxSave, FilesLoadInFourFiftyOnesClassesAndRoundTrip) {
  register_all_models();
  const json report = read_json(tfflax("cpp_saved/report.json"));
  int checked = 0;
  for (const SaveCase& c : save_cases()) {
    SCOPED_TRACE(c.arch + "/" + c.folder);
    const json& r = report.at(c.arch + "/" + c.folder);
    EXPECT_LE(r.at("max_abs_diff").get<double>(), 2e-5);
    EXPECT_TRUE(r.at("missing").empty()) << r.dump();
    EXPECT_TRUE(r.at("unexpected").empty()) << r.dump();

    auto model = from_pretrained_class(class_of(c.arch), fixture(c.arch + "/model").string(), {});
    const fs::path dir = scratch(c.arch + c.folder);
    SavePretrainedOptions so{.format = c.tf() ? "tf" : "flax"};
    if (c.sharded()) so.max_shard_size = std::string("30KB");
    model->save_pretrained(dir.string(), so);
    const fs::path committed_dir = tfflax("cpp_saved/" + c.arch + "/" + c.folder);
    const std::vector<std::string> files = weight_files(committed_dir, c);
    EXPECT_EQ(weight_files(dir, c), files);
    EXPECT_EQ(c.sharded(), files.size() > 1);
    if (c.sharded())
      EXPECT_EQ(read_json(dir / (c.weights_name() + ".index.json")),
                read_json(committed_dir / (c.weights_name() + ".index.json")));
    for (const std::string& file : files) {
      auto now = io::open_checkpoint_file(dir / file);
      auto committed = io::open_checkpoint_file(committed_dir / file);
      EXPECT_EQ(now->keys(), committed->keys()) << file;
      for (const auto& k : committed->keys())
        if (now->contains(k)) EXPECT_TRUE(allclose(now->get_tensor(k), committed->get_tensor(k), testcmp::kExact)) << k;
    }

    FromPretrainedOptions o;
    o.attn_implementation = "eager";
    (c.tf() ? o.from_tf : o.from_flax) = true;
    auto back = from_pretrained_class(class_of(c.arch), dir.string(), o);
    EXPECT_TRUE(back->loading_info().missing_keys.empty()) << back->loading_info().to_json().dump();
    const auto exp = load_tensors(fixture(c.arch + "/expected.safetensors"));
    EXPECT_TRUE(allclose(back->forward(inputs_of(c.arch, exp)).logits, exp.at("logits"), kFloat32Parity));
    fs::remove_all(dir);
    ++checked;
  }
  EXPECT_EQ(checked, 10);
}

// Our files are 4.51's: for the same weights and max_shard_size, the same files, the same index
// (tf_shard_checkpoint walks Keras' weight order, flax_shard_checkpoint the sorted param paths) and
// the same weights under the same names in the same order in each, as the files 4.51's own TF /
// Flax classes wrote (tests/data/tfflax/<arch>/<fw>[_sharded]/, make_tf_flax_goldens.py). (The
// Flax files are even byte-identical; HDF5 files carry timestamps.)
TEST(TfFlaxSave, FilesEqualFourFiftyOnesOwnFiles) {
  register_all_models();
  int checked = 0;
  for (const SaveCase& c : save_cases()) {
    SCOPED_TRACE(c.arch + "/" + c.folder);
    auto model = from_pretrained_class(class_of(c.arch), fixture(c.arch + "/model").string(), {});
    const fs::path dir = scratch("hf" + c.arch + c.folder);
    SavePretrainedOptions so{.format = c.tf() ? "tf" : "flax"};
    if (c.sharded()) so.max_shard_size = std::string("30KB");
    model->save_pretrained(dir.string(), so);
    const fs::path hf = tfflax(c.arch + "/" + c.folder);
    EXPECT_EQ(weight_files(dir, c), weight_files(hf, c));
    const std::string index = c.weights_name() + ".index.json";
    if (c.sharded()) EXPECT_EQ(read_json(dir / index), read_json(hf / index));
    for (const std::string& file : weight_files(hf, c)) {
      auto ours = io::open_checkpoint_file(dir / file);
      auto theirs = io::open_checkpoint_file(hf / file);
      EXPECT_EQ(ours->keys(), theirs->keys()) << file;
      for (const auto& k : theirs->keys())
        if (ours->contains(k)) EXPECT_TRUE(allclose(ours->get_tensor(k), theirs->get_tensor(k), testcmp::kExact)) << k;
    }
    fs::remove_all(dir);
    ++checked;
  }
  EXPECT_EQ(checked, 10);
}

// 4.51's cleanup of a TF / Flax save: files named tf_model.h5* / flax_model.msgpack* that the save
// does not write go (a stale single file would shadow new shards: from_pretrained looks for it
// first), shards of an older save stay, and PyTorch files are not touched (a TF / Flax save into a
// folder holding PyTorch shards used to delete them and leave their index dangling).
TEST(TfFlaxSave, StaleFilesAreRemovedAsFourFiftyOneDoes) {
  register_all_models();
  auto model = from_pretrained_class("GPT2LMHeadModel", fixture("gpt2/model").string(), {});
  const fs::path dir = scratch("stale");
  model->save_pretrained(dir.string(), {.max_shard_size = std::string("30KB")});  // PyTorch shards
  const auto pt = io::read_shard_index(dir / "model.safetensors.index.json").shard_files();
  ASSERT_GT(pt.size(), 1u);
  model->save_pretrained(dir.string(), {.max_shard_size = std::string("30KB"), .format = "flax"});
  for (const auto& f : pt) EXPECT_TRUE(fs::exists(dir / f)) << f;
  EXPECT_TRUE(fs::exists(dir / "flax_model.msgpack.index.json"));
  model->save_pretrained(dir.string(), {.format = "flax"});  // one file: the index goes, shards stay
  EXPECT_TRUE(fs::exists(dir / "flax_model.msgpack"));
  EXPECT_FALSE(fs::exists(dir / "flax_model.msgpack.index.json"));
  EXPECT_TRUE(fs::exists(dir / "flax_model-00001-of-00003.msgpack"));
  model->save_pretrained(dir.string(), {.format = "tf"});
  model->save_pretrained(dir.string(), {.max_shard_size = std::string("30KiB"), .format = "tf"});  // binary unit: TF's parser
  EXPECT_FALSE(fs::exists(dir / "tf_model.h5"));
  EXPECT_TRUE(fs::exists(dir / "tf_model.h5.index.json"));
  for (const auto& f : pt) EXPECT_TRUE(fs::exists(dir / f)) << f;
  FromPretrainedOptions o;
  o.from_tf = true;
  o.attn_implementation = "eager";
  auto back = from_pretrained_class("GPT2LMHeadModel", dir.string(), o);
  const auto exp = load_tensors(fixture("gpt2/expected.safetensors"));
  EXPECT_TRUE(allclose(back->forward(inputs_of("gpt2", exp)).logits, exp.at("logits"), kFloat32Parity));
  EXPECT_THROW(model->save_pretrained(dir.string(), {.max_shard_size = std::string("30 KB "), .format = "tf"}), ValueError);
  fs::remove_all(dir);
}

}  // namespace
