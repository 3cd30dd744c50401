// Classification losses from labels against torch + transformers 4.51.3
// (tests/oracle/make_cls_cases.py -> cls_grads.safetensors, cls_cases.json): BERT sequence
// classification with problem_type inferred as single-label (integer labels), regression
// (num_labels 1) and multi-label (float labels), BERT token classification (-100 on padding) and
// Llama sequence classification (last non-pad token pooled): the loss (relative 1e-5), the
// problem_type set on the config, and every parameter's gradient (1e-5 relative to its norm). The
// freshly initialised head weights come from the oracle so both sides start from one model.
#include <gtest/gtest.h>

#include <fstream>

#include "common/compare.hpp"
#include "training/training_helpers.hpp"
#include "transformers/modeling/loss_utils.hpp"

using namespace transformers;
namespace fs = std::filesystem;

namespace {

json cases() {
  std::ifstream f(fs::path(TRANSFORMERS_TEST_DATA_DIR) / "training/cls_cases.json");
  return json::parse(f);
}

std::shared_ptr<PreTrainedModel> load(const json& c, const std::map<std::string, Tensor>& g, const std::string& name) {
  register_all_models();
  const fs::path path = fs::path(TRANSFORMERS_FIXTURES_DIR) / "hf/models" / c.at("arch").get<std::string>() / "model";
  auto model = from_pretrained_class(c.at("class").get<std::string>(), path.string(),
                                     {.num_labels = c.at("num_labels").get<int64_t>()});
  std::map<std::string, Tensor> init;
  const std::string prefix = name + ".init.";
  for (auto& [k, v] : g)
    if (k.starts_with(prefix)) init[k.substr(prefix.size())] = v;
  EXPECT_EQ(init.size(), c.at("initialised").size()) << name;
  const auto res = model->load_state_dict(init, /*strict=*/false);
  EXPECT_TRUE(res.unexpected_keys.empty()) << name;
  model->train();  // the fixtures' dropout probabilities are 0
  return model;
}

ModelInputs batch(const std::map<std::string, Tensor>& g, const std::string& arch) {
  ModelInputs in;
  in.input_ids = g.at(arch + ".input_ids");
  in.attention_mask = g.at(arch + ".attention_mask");
  if (g.count(arch + ".token_type_ids")) in.token_type_ids = g.at(arch + ".token_type_ids");
  return in;
}

}  // namespace

TEST(ClassificationLoss, EveryProblemTypeAndItsGradientsEqualPyTorch) {
  const auto g = training_test::golden("cls_grads.safetensors");
  const json all = cases();
  int cases_run = 0;
  for (auto& [name, c] : all.items()) {
    auto model = load(c, g, name);
    ModelInputs in = batch(g, c.at("arch").get<std::string>());
    in.labels = g.at(name + ".labels");
    const Tensor loss = model->forward(in).loss;
    ASSERT_TRUE(loss.defined()) << name;
    EXPECT_TRUE(testcmp::allclose(loss.reshape({1}), g.at(name + ".loss"), {.atol = 0, .rtol = 1e-5})) << name;
    EXPECT_EQ(model->config().raw().value("problem_type", json()), c.at("problem_type")) << name;
    loss.backward();
    double worst = 0;
    const int checked = training_test::expect_gradients_equal(*model, g, name + ".grad.", worst);
    EXPECT_EQ(checked, c.at("parameters").get<int>()) << name;
    std::printf("%s: loss %.6f, %d gradients, worst %.3g\n", name.c_str(), loss.item(), checked, worst);
    ++cases_run;
  }
  EXPECT_EQ(cases_run, 5);
}

TEST(ClassificationLoss, LabelsThatDoNotFitTheLogitsAreNamed) {
  const auto g = training_test::golden("cls_grads.safetensors");
  const json all = cases();
  auto expect_error = [&](const std::string& name, const Tensor& labels, const std::string& needle, auto tag) {
    auto model = load(all.at(name), g, name);
    ModelInputs in = batch(g, all.at(name).at("arch").get<std::string>());
    in.labels = labels;
    try {
      model->forward(in);
      ADD_FAILURE() << name << ": expected an error";
    } catch (const decltype(tag)& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  // Three integer labels for two rows.
  expect_error("bert_single", Tensor::from_vector(std::vector<int64_t>{0, 1, 2}, {3}), "labels of shape [3]",
               ShapeError(""));
  // Class 3 of three.
  expect_error("bert_single", Tensor::from_vector(std::vector<int64_t>{0, 3}, {2}), "3", ValueError(""));
  // Multi-label targets of the wrong width.
  expect_error("bert_multi", Tensor::from_vector(std::vector<float>{1, 0, 1, 0}, {2, 2}), "labels of shape [2, 2]",
               ShapeError(""));
  // Token labels must be class ids.
  expect_error("bert_token", Tensor::from_vector(std::vector<float>(14, 0.f), {2, 7}), "integer class ids",
               UnsupportedError(""));
}
