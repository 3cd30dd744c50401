// FlaxPreTrainedModel's _do_init=False + init_weights(rng, input_shape, params) against 4.51 on
// the bert fixture's Flax checkpoint without the MLM transform
// (tests/oracle/make_flax_init_weights.py -> tests/data/tfflax/bert/flax_missing/ and
// tests/data/tfflax/bert/flax_init_weights.json).
#include "models/parity_util.hpp"
#include "transformers/io/tf_flax.hpp"
#include "transformers/modeling/auto.hpp"
#include "transformers/modeling/flax_init.hpp"

using namespace transformers;
using namespace parity;

namespace {

TEST(FlaxInitWeights, MissingParamsAreFilledAsFourFiftyOneDoes) {
  register_all_models();
  const fs::path data = fs::path(TRANSFORMERS_TEST_DATA_DIR) / "tfflax/bert";
  const json want = read_json(data / "flax_init_weights.json");
  auto model = from_pretrained_class("BertForMaskedLM", fixture("bert/model").string(), {});
  const FlaxParams params = io::FlaxMsgpackReader(data / "flax_missing/flax_model.msgpack").tensors();

  EXPECT_EQ(flax_missing_keys(*model, params), want.at("missing_keys").get<std::vector<std::string>>());
  // a model whose parameters come only from the given state: the incomplete tree is refused
  EXPECT_THROW(load_flax_params(*model, params), KeyError);

  const FlaxParams full = init_weights(*model, 0, {1, 1}, &params);
  ASSERT_EQ(full.size(), want.at("init_weights").size());
  std::map<std::string, Tensor> given(params.begin(), params.end());
  for (const auto& [path, t] : full) {
    SCOPED_TRACE(path);
    ASSERT_TRUE(want.at("init_weights").contains(path));
    const json& w = want.at("init_weights").at(path);
    EXPECT_EQ(std::vector<int64_t>(t.sizes().begin(), t.sizes().end()), w.at("shape").get<std::vector<int64_t>>());
    EXPECT_EQ(std::string(dtype_name(t.dtype())), w.at("dtype").get<std::string>());
    if (given.count(path)) EXPECT_TRUE(t.is_same(given.at(path)));  // kept as given
  }
  // without params: a fresh initialisation of every required param, the same for the same seed
  const FlaxParams fresh = init_weights(*model, 7);
  EXPECT_EQ(fresh.size(), full.size());
  const FlaxParams again = init_weights(*model, 7);
  for (size_t i = 0; i < fresh.size(); ++i) EXPECT_TRUE(allclose(fresh[i].second, again[i].second, testcmp::kExact));
  EXPECT_THROW(init_weights(*model, 0, {1, 0}, &params), ValueError);

  // loading the completed tree: the checkpoint's weights where given, the fresh ones elsewhere
  const LoadingInfo info = load_flax_params(*model, full);
  EXPECT_TRUE(info.missing_keys.empty()) << info.to_json().dump();
  EXPECT_TRUE(info.unexpected_keys.empty()) << info.to_json().dump();
  EXPECT_TRUE(allclose(*model->find_parameter("bert.embeddings.word_embeddings.weight"),
                       given.at("bert/embeddings/word_embeddings/embedding"), testcmp::kExact));
  const auto filled = std::find_if(full.begin(), full.end(), [](const auto& p) { return p.first == "cls/predictions/transform/dense/kernel"; });
  ASSERT_NE(filled, full.end());
  EXPECT_TRUE(allclose(*model->find_parameter("cls.predictions.transform.dense.weight"), filled->second.t(), testcmp::kExact));
}

}  // namespace
