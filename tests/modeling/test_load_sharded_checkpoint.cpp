// nn::Module::load_state_dict copies into the model's tensors as torch does, so tied weights stay
// tied (issue 18 item 4), and load_sharded_checkpoint matches transformers 4.51.3
// (tests/oracle/make_sharded_checkpoint_goldens.py) on the sharded fixtures (issue 18 item 5).
#include <gtest/gtest.h>

#include <filesystem>
#include <map>

#include "test_helpers.hpp"
#include "transformers/io/checkpoint.hpp"
#include "transformers/modeling/auto.hpp"
#include "transformers/ops/elementwise.hpp"

namespace {

using namespace transformers;
namespace fs = std::filesystem;

std::shared_ptr<PreTrainedModel> build(const fs::path& folder) {
  ensure_models_registered();
  auto config = AutoConfig::from_pretrained(folder.string());
  const ModelClassInfo* info = find_model_class(config->architectures().at(0));
  if (!info) throw std::runtime_error("no class " + config->architectures().at(0));
  return build_model_from_config(info->factory, config, 0);
}

// The output embedding's weight and the input embedding's weight are one tensor.
bool tied(PreTrainedModel& m) {
  Tensor* out = m.get_output_embeddings()->find_parameter("weight");
  Tensor* in = m.get_input_embeddings()->find_parameter("weight");
  return out->storage() == in->storage() && out->storage_offset() == in->storage_offset();
}

bool equal(const Tensor& a, const Tensor& b) {
  return a.sizes() == b.sizes() && a.to(DType::Float64).to_vector<double>() == b.to(DType::Float64).to_vector<double>();
}

std::map<std::string, Tensor> as_map(const io::NamedTensors& named) { return {named.begin(), named.end()}; }

TEST(LoadStateDict, KeepsTiedWeightsTied) {
  const fs::path gpt2 = test::fixtures() / "gpt2" / "model";
  const auto ck = as_map(io::open_checkpoint(gpt2).tensors);  // holds transformer.wte.weight, no lm_head
  // A model built from the config (writable tensors) and one loaded from the file (read-only
  // mapped tensors, which are replaced rather than written).
  for (const bool mapped : {false, true}) {
    SCOPED_TRACE(mapped ? "from_pretrained" : "from config");
    auto m = mapped ? AutoModelForCausalLM::from_pretrained(gpt2.string()) : build(gpt2);
    ASSERT_TRUE(tied(*m));
    std::map<std::string, Tensor> state = ck;
    state["transformer.wte.weight"] = ck.at("transformer.wte.weight") * 2.0;
    m->load_state_dict(state, /*strict=*/false);
    EXPECT_TRUE(tied(*m)) << "lm_head.weight no longer shares the input embedding";
    EXPECT_TRUE(equal(*m->find_parameter("lm_head.weight"), state["transformer.wte.weight"]));
    // both names given (a .bin holds both): still one tensor, the last value wins as with copy_
    state["lm_head.weight"] = ck.at("transformer.wte.weight") * 3.0;
    m->load_state_dict(state, /*strict=*/false);
    EXPECT_TRUE(tied(*m));
    EXPECT_TRUE(equal(*m->find_parameter("transformer.wte.weight"), state["lm_head.weight"]) ||
                equal(*m->find_parameter("transformer.wte.weight"), state["transformer.wte.weight"]));
  }
}

TEST(LoadStateDict, CopiesValuesIntoTheExistingTensor) {
  const fs::path gpt2 = test::fixtures() / "gpt2" / "model";
  auto m = build(gpt2);
  Tensor* slot = m->find_parameter("transformer.h.0.ln_1.weight");
  const void* before = slot->storage()->data();
  const Tensor value = Tensor::full(slot->sizes(), 0.5, DType::Float64);  // converted to the slot's float32
  m->load_state_dict({{"transformer.h.0.ln_1.weight", value}}, /*strict=*/false);
  EXPECT_EQ(slot->storage()->data(), before);
  EXPECT_EQ(slot->dtype(), DType::Float32);
  EXPECT_TRUE(equal(*slot, value));
}

TEST(LoadShardedCheckpoint, MatchesTransformers451) {
  const json golden = test::read_json(std::filesystem::path(TRANSFORMERS_TEST_DATA_DIR) / "sharded_checkpoint" / "load_sharded.json");
  ASSERT_EQ(golden["cases"].size(), 18u);
  test::TempDir tmp;
  int checked = 0;
  for (const auto& c : golden["cases"]) {
    const std::string model_type = c["model_type"], which = c["case"];
    const bool prefer_safe = c["prefer_safe"];
    SCOPED_TRACE(model_type + " " + which + (prefer_safe ? " prefer_safe" : ""));
    fs::path folder = test::fixtures() / model_type / which;
    if (which == "both") {  // both sets of files in one folder, as the oracle made it
      folder = tmp.path / model_type;
      if (!fs::exists(folder)) {
        fs::create_directories(folder);
        for (const char* sub : {"sharded", "bin_sharded"})
          for (const auto& e : fs::directory_iterator(test::fixtures() / model_type / sub))
            fs::copy_file(e.path(), folder / e.path().filename(), fs::copy_options::overwrite_existing);
      }
    }
    auto m = build(folder);
    const nn::LoadStateDictResult r = load_sharded_checkpoint(*m, folder.string(), /*strict=*/false, prefer_safe);
    EXPECT_EQ(json(r.missing_keys), c["missing_keys"]);
    EXPECT_EQ(json(r.unexpected_keys), c["unexpected_keys"]);
    if (!c["lm_head_tied_after_load"].is_null()) EXPECT_EQ(tied(*m), c["lm_head_tied_after_load"].get<bool>());
    // every tensor the chosen index names now holds the checkpoint's values
    const bool safe = fs::exists(folder / "model.safetensors.index.json"), bin = fs::exists(folder / "pytorch_model.bin.index.json");
    const std::string index = safe && (prefer_safe || !bin) ? "model.safetensors.index.json" : "pytorch_model.bin.index.json";
    for (const auto& [name, t] : io::open_checkpoint(folder / index).tensors)
      EXPECT_TRUE(equal(*m->find_tensor(name), t)) << name;
    if (c["strict_raises"].get<bool>()) {
      try {
        load_sharded_checkpoint(*build(folder), folder.string(), /*strict=*/true, prefer_safe);
        ADD_FAILURE() << "strict load did not raise";
      } catch (const KeyError& e) {
        for (const auto& k : c["missing_keys"])
          EXPECT_NE(std::string(e.what()).find("\"" + k.get<std::string>() + "\""), std::string::npos) << e.what();
      }
    } else {
      EXPECT_NO_THROW(load_sharded_checkpoint(*build(folder), folder.string(), /*strict=*/true, prefer_safe));
    }
    ++checked;
  }
  EXPECT_EQ(checked, 18);
}

TEST(LoadShardedCheckpoint, AFolderWithoutIndexIsAValueError) {
  auto m = build(test::fixtures() / "gpt2" / "model");
  try {
    load_sharded_checkpoint(*m, (test::fixtures() / "gpt2" / "model").string());
    FAIL() << "no error";
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("model.safetensors.index.json"), std::string::npos) << e.what();
  }
}

}  // namespace
