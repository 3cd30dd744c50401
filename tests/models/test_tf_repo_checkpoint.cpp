// load_repo_checkpoint on the checkpoint folder 4.51's TF model wrote (_save_checkpoint of
// TFBertForMaskedLM with the bert fixture's weights and a legacy Adam state, epoch 3:
// tests/oracle/make_tf_repo_checkpoint.py -> tests/data/tfflax/bert/repo_checkpoint/).
#include "models/parity_util.hpp"
#include "transformers/modeling/auto.hpp"
#include "transformers/modeling/tf_repo_checkpoint.hpp"

using namespace transformers;
using namespace parity;

namespace {

fs::path repo() { return fs::path(TRANSFORMERS_TEST_DATA_DIR) / "tfflax/bert/repo_checkpoint"; }

// A model of other weights (the resized fixture's config, re-initialised) that the checkpoint fills.
std::shared_ptr<PreTrainedModel> fresh_bert() {
  register_all_models();
  FromPretrainedOptions o;
  o.attn_implementation = "eager";
  return from_pretrained_class("BertForMaskedLM", fixture("bert/base").string(), o);
}

TEST(TfRepoCheckpoint, WeightsPartLoadsAndTheNumpyPickleIsRefused) {
  const auto exp = load_tensors(fixture("bert/expected.safetensors"));
  ModelInputs in;
  in.input_ids = exp.at("input_ids");
  in.attention_mask = exp.at("attention_mask");
  in.token_type_ids = exp.at("token_type_ids");

  // 4.51's pickle: numpy arrays in the optimizer state -> SecurityError, and the model is untouched
  auto model = fresh_bert();
  const Tensor before = model->forward(in).logits.clone();
  try {
    load_repo_checkpoint(*model, repo().string());
    ADD_FAILURE() << "the numpy pickle was accepted";
  } catch (const SecurityError& e) {
    EXPECT_NE(std::string(e.what()).find("extra_data.pickle"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("numpy"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(allclose(model->forward(in).logits, before, testcmp::kExact));

  // the weights part: the fixture's logits
  const RepoCheckpoint c = load_repo_checkpoint(*model, repo().string(), {.extra_data = false});
  EXPECT_FALSE(c.epoch.has_value());
  EXPECT_TRUE(c.loading_info.missing_keys.empty()) << c.loading_info.to_json().dump();
  EXPECT_TRUE(c.loading_info.unexpected_keys.empty()) << c.loading_info.to_json().dump();
  EXPECT_TRUE(allclose(model->forward(in).logits, exp.at("logits"), kFloat32Parity));
}

TEST(TfRepoCheckpoint, PlainPickleGivesTheEpochAndMissingFilesAreFourFiftyOnesErrors) {
  auto model = fresh_bert();
  const fs::path dir = fs::temp_directory_path() / ("tcpp_repo_ckpt_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir / "checkpoint");
  try {
    load_repo_checkpoint(*model, dir.string());
    ADD_FAILURE() << "no weights.h5";
  } catch (const FileNotFoundError& e) {
    EXPECT_EQ(std::string(e.what()), "Could not find checkpoint file weights.h5 in repo " + dir.string() + "!");
  }
  fs::copy_file(repo() / "checkpoint/weights.h5", dir / "checkpoint/weights.h5");
  try {
    load_repo_checkpoint(*model, dir.string(), {.extra_data = false});
    ADD_FAILURE() << "no extra_data.pickle";
  } catch (const FileNotFoundError& e) {
    EXPECT_EQ(std::string(e.what()), "Could not find checkpoint file extra_data.pickle in repo " + dir.string() + "!");
  }
  fs::copy_file(repo() / "extra_data_plain.pickle", dir / "checkpoint/extra_data.pickle");
  EXPECT_EQ(load_repo_checkpoint(*model, dir.string()).epoch, 3);
  EXPECT_THROW(load_repo_checkpoint(*model, (dir / "nope").string()), UnsupportedError);
  fs::remove_all(dir);
}

}  // namespace
