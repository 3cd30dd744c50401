// MPNet and DeBERTa-v2 beyond the oracle cases of test_encoders.cpp: the relative position buckets
// against 4.51's own functions over the whole range real checkpoints use (recorded by
// tests/oracle/make_encoder_cases.py in the base cases' expected.safetensors), the config defaults
// of 4.51, and the inputs the models refuse.
#include <tuple>

#include "models/parity_util.hpp"
#include "transformers/modeling/auto.hpp"
#include "transformers/models/deberta_v2/modeling_deberta_v2.hpp"
#include "transformers/models/mpnet/modeling_mpnet.hpp"

using namespace transformers;
using namespace parity;

namespace {

fs::path encoders_dir() { return test_data("encoders"); }

// MPNetEncoder.relative_position_bucket for j - i = -600..600: exact, logarithmic and clamped buckets,
// both directions (its float32 log truncated at the same boundaries as torch's).
TEST(MPNetRelativeBuckets, EqualTransformers451) {
  const auto e = load_tensors(encoders_dir() / "mpnet_masked_lm" / "expected.safetensors");
  const auto rel = e.at("relative_position").to_vector<int64_t>();
  const auto want = e.at("buckets").to_vector<int64_t>();
  ASSERT_EQ(rel.size(), 1201u);
  size_t differ = 0;
  for (size_t i = 0; i < rel.size(); ++i) differ += mpnet_relative_position_bucket(rel[i]) != want[i];
  EXPECT_EQ(differ, 0u);
  EXPECT_EQ(mpnet_relative_position_bucket(-16), 10);  // spot checks of the table itself
  EXPECT_EQ(mpnet_relative_position_bucket(16), 26);
}

TEST(MPNetConfig, DefaultsOf451) {
  register_all_models();
  PretrainedConfig c(json{{"model_type", "mpnet"}});
  EXPECT_EQ(c.vocab_size(), 30527);
  EXPECT_EQ(c.get<int64_t>("relative_attention_num_buckets"), 32);
  EXPECT_EQ(c.get<int64_t>("pad_token_id"), 1);
  EXPECT_EQ(c.get<int64_t>("bos_token_id"), 0);
  EXPECT_EQ(c.get<int64_t>("eos_token_id"), 2);
  EXPECT_EQ(c.get<double>("layer_norm_eps"), 1e-12);
  EXPECT_FALSE(c.has("type_vocab_size"));
}

std::shared_ptr<PretrainedConfig> tiny(const std::string& model_type, json extra = json::object()) {
  return tiny_encoder_config(model_type, std::move(extra));
}

TEST(MPNetModel, RejectsTokenTypeIds) {
  MPNetModel m(tiny("mpnet"));
  ModelInputs in;
  in.input_ids = Tensor::from_vector<int64_t>({0, 5, 6, 2}, {1, 4});
  in.token_type_ids = Tensor::from_vector<int64_t>({0, 0, 0, 0}, {1, 4});
  EXPECT_THROW(m.forward(in), ValueError);
  in.token_type_ids = Tensor();
  EXPECT_EQ(m.forward(in).last_hidden_state.size(1), 4);
}

// The parameter count from_pretrained checks before building equals the built MPNetModel's.
TEST(MPNetConfig, BaseModelCountEqualsBuiltModel) {
  auto config = load_config(encoders_dir() / "mpnet_masked_lm");
  ASSERT_TRUE(config->class_info() && config->class_info()->base_model_num_parameters);
  auto model = AutoModel::from_config(config, /*seed=*/0);
  EXPECT_EQ(config->class_info()->base_model_num_parameters(*config), double(model->num_parameters()));
}

// make_log_bucket_position for i - j = -1100..1100 with deberta-v3's (256, 512) and the oracle
// config's (8, 24): every bucket equal (float32 log and ceil at the same boundaries as torch).
TEST(DebertaV2LogBuckets, EqualTransformers451) {
  const auto e = load_tensors(encoders_dir() / "debertav2_masked_lm" / "expected.safetensors");
  const auto rel = e.at("relative_position").to_vector<int64_t>();
  ASSERT_EQ(rel.size(), 2201u);
  for (auto [key, buckets, max_pos] : {std::tuple{"log_buckets_256_512", 256, 512}, std::tuple{"log_buckets_8_24", 8, 24}}) {
    const auto want = e.at(key).to_vector<int64_t>();
    size_t differ = 0;
    for (size_t i = 0; i < rel.size(); ++i) differ += deberta_log_bucket_position(rel[i], buckets, max_pos) != want[i];
    EXPECT_EQ(differ, 0u) << key;
  }
}

TEST(DebertaV2Config, DefaultsAndDerivedAttributesOf451) {
  register_all_models();
  PretrainedConfig c(json{{"model_type", "deberta-v2"}, {"hidden_size", 64}, {"pos_att_type", "P2C| c2p"}});
  EXPECT_EQ(c.vocab_size(), 128100);
  EXPECT_EQ(c.get<double>("layer_norm_eps"), 1e-7);
  EXPECT_EQ(c.get<int64_t>("type_vocab_size"), 0);
  EXPECT_EQ(c.get<int64_t>("max_relative_positions"), -1);
  EXPECT_TRUE(c.get<bool>("legacy"));
  EXPECT_EQ(c.get<int64_t>("pooler_hidden_size"), 64);  // kwargs.get("pooler_hidden_size", hidden_size)
  EXPECT_EQ(c.raw_at("pos_att_type"), json::array({"p2c", "c2p"}));  // the old string form, as a list
}

// legacy=false with tied embeddings: 4.51 ties lm_head.dense to the word embeddings and fails in
// forward; refused at construction here. head_mask: 4.51's DebertaV2Model.forward has no such argument.
TEST(DebertaV2Model, RefusesWhat451CannotRun) {
  EXPECT_THROW(DebertaV2ForMaskedLM m(tiny("deberta-v2", {{"legacy", false}})), ValueError);
  DebertaV2ForMaskedLM untied(tiny("deberta-v2", {{"legacy", false}, {"tie_word_embeddings", false}}));
  DebertaV2Model m(tiny("deberta-v2", {{"relative_attention", true}, {"pos_att_type", "c2p"}}));
  ModelInputs in;
  in.input_ids = Tensor::from_vector<int64_t>({1, 5, 6, 2}, {1, 4});
  EXPECT_EQ(m.forward(in).last_hidden_state.size(1), 4);
  in.head_mask = Tensor::ones({2});
  EXPECT_THROW(m.forward(in), ValueError);
}

}  // namespace
