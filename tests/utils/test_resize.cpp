// resize_token_embeddings against the shared fixtures (made by Hugging Face:
// resized_up = resize(V+3, pad_to_multiple_of=8, mean_resizing=False), resized_down = resize(V-7))
// and the 4.51 mean-resizing statistics of tests/oracle/make_utils_goldens.py. Kept rows and
// shrunk checkpoints are compared exactly (resizing copies values); new random rows are checked by
// their distribution, since our generator is not torch's.
#include <cmath>

#include "transformers/modeling/resize.hpp"
#include "transformers/nn/embedding.hpp"
#include "utils/utils_test_helpers.hpp"

using namespace transformers;
using namespace utils_test;

namespace {

struct Arch {
  const char* name;
  const char* embed_key;  // input embedding in the saved checkpoint
  bool tied;
};
const Arch kArchs[] = {{"bert", "bert.embeddings.word_embeddings.weight", true},
                       {"gpt2", "transformer.wte.weight", true},
                       {"llama", "model.embed_tokens.weight", false}};

class Resize : public ::testing::TestWithParam<Arch> {
 protected:
  std::string arch() const { return GetParam().name; }
  std::shared_ptr<PreTrainedModel> load(const char* sub = "model") { return load_model(fixture(arch() + "/" + sub)); }
};

double mean_of(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return s / double(v.size());
}
double std_of(const std::vector<double>& v) {  // unbiased, like torch.std
  const double m = mean_of(v);
  double s = 0;
  for (double x : v) s += (x - m) * (x - m);
  return std::sqrt(s / double(v.size() - 1));
}

TEST_P(Resize, UpWithPaddingReproducesFixture) {
  auto model = load();
  const Tensor old = input_embedding_module(*model).weight.clone();
  const int64_t V = old.size(0);
  nn::Embedding& e = resize_token_embeddings(*model, {.new_num_tokens = V + 3, .pad_to_multiple_of = 8,
                                                      .mean_resizing = false, .seed = 7});
  const auto& f = fixture_facts()[arch()];
  EXPECT_EQ(e.weight.sizes(), f["resize_up_shape"].get<Shape>());
  EXPECT_EQ(&e, model->get_input_embeddings());  // the module object is kept
  EXPECT_EQ(model->config().vocab_size(), f["resize_up_config_vocab"].get<int64_t>());
  EXPECT_TRUE(same_values(e.weight.narrow(0, 0, V), old));
  auto ref = load_tensors(fixture(arch() + "/resized_up/model.safetensors"));
  EXPECT_TRUE(same_values(e.weight.narrow(0, 0, V), ref.at(GetParam().embed_key).narrow(0, 0, V)));
  // new rows: model init N(0, initializer_range = 0.02); 5 x 32 values
  const double sd = std_of(e.weight.narrow(0, V, e.weight.size(0) - V).to_vector<double>());
  EXPECT_GT(sd, 0.012);
  EXPECT_LT(sd, 0.03);
  auto* head = output_linear_module(*model);
  ASSERT_NE(head, nullptr);
  EXPECT_EQ(head->weight.sizes(), f["resize_up_output_shape"].get<Shape>());
  EXPECT_EQ(head->weight.is_same(e.weight), f["resize_up_tied"].get<bool>());
  if (!GetParam().tied) {
    EXPECT_TRUE(same_values(head->weight.narrow(0, 0, V), ref.at("lm_head.weight").narrow(0, 0, V)));
    const double hsd = std_of(head->weight.narrow(0, V, 5).to_vector<double>());
    EXPECT_GT(hsd, 0.012);
    EXPECT_LT(hsd, 0.03);
  }
  if (arch() == "bert")  // the tied head's bias is zero-padded like HF's
    EXPECT_TRUE(same_values(*model->find_parameter("cls.predictions.bias"), ref.at("cls.predictions.bias")));

  // Saved: the same tensor names, shapes and file size as Hugging Face's resized_up folder.
  TempDir d;
  model->save_pretrained(d.str());
  auto saved = load_tensors(d.path / "model.safetensors");
  ASSERT_EQ(saved.size(), ref.size());
  for (auto& [k, t] : ref) {
    ASSERT_TRUE(saved.count(k)) << k;
    EXPECT_EQ(saved.at(k).sizes(), t.sizes()) << k;
  }
  EXPECT_EQ(int64_t(fs::file_size(d.path / "model.safetensors")),
            f["files_resized_up"]["model.safetensors"].get<int64_t>());
  EXPECT_EQ(read_json(d.path / "config.json")["vocab_size"].get<int64_t>(), 104);
  // and it loads back with the new vocabulary
  auto back = load_model(d.path);
  EXPECT_TRUE(same_values(input_embedding_module(*back).weight, e.weight));
}

TEST_P(Resize, DownReproducesFixtureExactly) {
  auto model = load();
  const int64_t V = input_embedding_module(*model).num_embeddings();
  resize_token_embeddings(*model, {.new_num_tokens = V - 7});
  const auto& f = fixture_facts()[arch()];
  EXPECT_EQ(input_embedding_module(*model).weight.sizes(), f["resize_down_shape"].get<Shape>());
  EXPECT_EQ(model->config().vocab_size(), V - 7);
  auto ref = load_tensors(fixture(arch() + "/resized_down/model.safetensors"));
  auto sd = model->state_dict();
  std::map<std::string, Tensor> mine(sd.begin(), sd.end());
  for (auto& [k, t] : ref) {
    ASSERT_TRUE(mine.count(k)) << k;
    EXPECT_TRUE(same_values(mine.at(k), t)) << k;
  }
  auto exp = load_tensors(fixture(arch() + "/expected.safetensors"));
  ModelInputs in;  // HF ran it with the fixture's attention mask and no token_type_ids
  in.input_ids = exp.at("resized_down_input_ids");
  in.attention_mask = exp.at("attention_mask");
  const Tensor logits = model->forward(in).logits;
  // float32 vs HF's float32 (logits ~5) at the models' parity bound (tests/common/compare.hpp)
  EXPECT_TRUE(allclose(logits, exp.at("resized_down_logits")));
  EXPECT_EQ(logits.size(-1), V - 7);
}

TEST_P(Resize, MeanResizingHasThe451Statistics) {
  auto model = load();
  const Tensor old = input_embedding_module(*model).weight.clone();
  const int64_t V = old.size(0), D = old.size(1);
  const Tensor old_head = output_linear_module(*model)->weight.clone();
  resize_token_embeddings(*model, {.new_num_tokens = V + 5, .seed = 1});
  const auto& g = golden_facts()[arch()]["resize_mean"];
  const Tensor e = input_embedding_module(*model).weight;
  ASSERT_EQ(e.size(0), g["new_rows"].get<int64_t>() + V);
  EXPECT_EQ(model->config().vocab_size(), g["config_vocab"].get<int64_t>());
  // old rows' mean: deterministic, so it must equal HF's (float32 summation order: 1e-6)
  std::vector<double> mu(size_t(D), 0.0);
  auto w = old.to_vector<double>();
  for (int64_t r = 0; r < V; ++r)
    for (int64_t j = 0; j < D; ++j) mu[size_t(j)] += w[size_t(r * D + j)] / double(V);
  double norm = 0;
  for (double m : mu) norm += m * m;
  EXPECT_NEAR(std::sqrt(norm), g["old_mean_norm"].get<double>(), 1e-6);
  EXPECT_NEAR(std::sqrt(norm), fixture_facts()[arch()]["resize_mean_old_mean_norm"].get<double>(), 1e-6);
  // new rows = mu + noise of std sqrt(1e-9 * var) ~ 8e-6: the largest deviation HF saw was ~2.5e-5
  auto nr = e.narrow(0, V, 5).to_vector<double>();
  double dev = 0, dev2 = 0;
  for (int64_t r = 0; r < 5; ++r)
    for (int64_t j = 0; j < D; ++j) {
      const double x = nr[size_t(r * D + j)] - mu[size_t(j)];
      dev = std::max(dev, std::fabs(x));
      dev2 += x * x;
    }
  EXPECT_LT(dev, 10 * g["max_abs_dev_from_mean"].get<double>());
  const double noise_sd = std::sqrt(dev2 / double(5 * D));
  EXPECT_GT(noise_sd, 0.25 * g["expected_dev_std"].get<double>());  // really sampled, not the mean alone
  EXPECT_LT(noise_sd, 4 * g["expected_dev_std"].get<double>());
  // the std over all new values is dominated by mu's spread: HF 0.0222 (ours and theirs differ by noise only)
  EXPECT_NEAR(std_of(nr), g["new_rows_std_all"].get<double>(), 2e-4);
  EXPECT_NEAR(std_of(nr), fixture_facts()[arch()]["resize_mean_new_std"].get<double>(), 1e-3);
  auto* head = output_linear_module(*model);
  EXPECT_EQ(head->weight.is_same(e), g["tied"].get<bool>());
  if (!g["tied"].get<bool>()) {
    // the untied head's new rows around the head's own row mean
    auto hw = old_head.to_vector<double>();
    auto hn = head->weight.narrow(0, V, 5).to_vector<double>();
    double hdev = 0;
    for (int64_t j = 0; j < D; ++j) {
      double m = 0;
      for (int64_t r = 0; r < V; ++r) m += hw[size_t(r * D + j)] / double(V);
      for (int64_t r = 0; r < 5; ++r) hdev = std::max(hdev, std::fabs(hn[size_t(r * D + j)] - m));
    }
    EXPECT_LT(hdev, 10 * g["head_max_abs_dev_from_mean"].get<double>());
    EXPECT_TRUE(same_values(head->weight.narrow(0, 0, V), old_head));
  }
}

TEST_P(Resize, PaddingOnlyAndNoArguments) {
  auto model = load();
  const auto& g = golden_facts()[arch()];
  EXPECT_EQ(resize_token_embeddings(*model, {.pad_to_multiple_of = 16}).num_embeddings(),
            g["resize_pad_only_rows"].get<int64_t>());
  EXPECT_EQ(model->config().vocab_size(), 112);
  // neither argument: the embedding as it is, config untouched
  model->config().set("vocab_size", 5);
  EXPECT_EQ(resize_token_embeddings(*model).num_embeddings(), g["resize_none_rows"].get<int64_t>());
  EXPECT_EQ(model->config().vocab_size(), 5);
  EXPECT_THROW(resize_token_embeddings(*model, {.new_num_tokens = 10, .pad_to_multiple_of = 0}), ValueError);
  EXPECT_THROW(resize_token_embeddings(*model, {.new_num_tokens = 0}), ValueError);
  EXPECT_EQ(input_embedding_module(*model).num_embeddings(), 112);  // failures change nothing
}

TEST_P(Resize, SeedMakesNewRowsReproducible) {
  auto a = load(), b = load(), c = load();
  for (bool mean : {true, false}) {
    resize_token_embeddings(*a, {.new_num_tokens = 110 + mean, .mean_resizing = mean, .seed = 42});
    resize_token_embeddings(*b, {.new_num_tokens = 110 + mean, .mean_resizing = mean, .seed = 42});
    resize_token_embeddings(*c, {.new_num_tokens = 110 + mean, .mean_resizing = mean, .seed = 43});
    EXPECT_TRUE(same_values(input_embedding_module(*a).weight, input_embedding_module(*b).weight));
    EXPECT_FALSE(same_values(input_embedding_module(*a).weight, input_embedding_module(*c).weight));
  }
}

INSTANTIATE_TEST_SUITE_P(Fixtures, Resize, ::testing::ValuesIn(kArchs),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(ResizeBert, TiedBiasPaddedThenTruncatedAs451) {
  auto model = load_model(fixture("bert/model"));
  resize_token_embeddings(*model, {.new_num_tokens = 103, .mean_resizing = false});
  EXPECT_TRUE(same_values(*model->find_parameter("cls.predictions.decoder.bias"), goldens().at("bert.bias_after_grow")));
  resize_token_embeddings(*model, {.new_num_tokens = 89});
  EXPECT_TRUE(same_values(*model->find_parameter("cls.predictions.decoder.bias"), goldens().at("bert.bias_after_shrink")));
  // "cls.predictions.bias" is the same tensor as decoder.bias (Python's self.decoder.bias = self.bias)
  EXPECT_TRUE(model->find_parameter("cls.predictions.bias")->is_same(*model->find_parameter("cls.predictions.decoder.bias")));
}

TEST(ResizeBert, PaddingIdxDroppedWhenItsRowIsCut) {
  auto model = load_model(fixture("bert/model"));
  nn::Embedding& e = input_embedding_module(*model);
  e.padding_idx = 50;
  resize_token_embeddings(*model, {.new_num_tokens = 60});
  EXPECT_EQ(e.padding_idx, std::optional<int64_t>(50));
  resize_token_embeddings(*model, {.new_num_tokens = 50});
  EXPECT_FALSE(e.padding_idx.has_value());
}

TEST(MeanResizedRows, CovarianceScaledBy1e9) {
  // 400 rows of N(0, diag(1, 4, 9)) with a correlation: the sample of 4000 new rows must have
  // covariance 1e-9 * Sigma (within the sampling error of 4000 draws: 10%).
  ops::Generator g(3);
  Tensor old = ops::randn({400, 3}, g);
  auto v = old.to_vector<float>();
  for (int r = 0; r < 400; ++r) {
    v[r * 3 + 1] = 2 * v[r * 3 + 1] + v[r * 3];
    v[r * 3 + 2] = 3 * v[r * 3 + 2] + 0.5f;
  }
  old = Tensor::from_vector(v, {400, 3});
  double mu[3] = {0, 0, 0}, sig[3][3] = {};
  for (int r = 0; r < 400; ++r)
    for (int j = 0; j < 3; ++j) mu[j] += v[r * 3 + j] / 400.0;
  for (int r = 0; r < 400; ++r)
    for (int i = 0; i < 3; ++i)
      for (int j = 0; j < 3; ++j) sig[i][j] += (v[r * 3 + i] - mu[i]) * (v[r * 3 + j] - mu[j]) / 400.0;
  Tensor rows = mean_resized_rows(old, 4000, g);
  auto n = rows.to_vector<double>();
  double c[3][3] = {};
  for (int r = 0; r < 4000; ++r)
    for (int i = 0; i < 3; ++i)
      for (int j = 0; j < 3; ++j) c[i][j] += (n[r * 3 + i] - mu[i]) * (n[r * 3 + j] - mu[j]) / 4000.0;
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j <= i; ++j) EXPECT_NEAR(c[i][j] / 1e-9, sig[i][j], 0.1 * std::sqrt(sig[i][i] * sig[j][j])) << i << j;
}

TEST(MeanResizedRows, NotPositiveDefiniteFallsBackToTheMean) {
  // 2 rows in 4 dims: the covariance has rank 1, Cholesky fails, every new row is the mean.
  Tensor old = Tensor::from_vector(std::vector<float>{1, 2, 3, 4, 3, 2, 1, 0}, {2, 4});
  ops::Generator g(1);
  Tensor rows = mean_resized_rows(old, 3, g);
  const std::vector<float> want = {2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2};
  EXPECT_EQ(rows.to_vector<float>(), want);
}

}  // namespace
