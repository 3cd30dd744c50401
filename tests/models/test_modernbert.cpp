// ModernBERT beyond the oracle cases of test_encoders.cpp (modernbert_*): ModernBertConfig's 4.51
// defaults, its classifier_pooling check, the size check's parameter count against the built model
// for both bias settings, and the inputs 4.51's forward does not take.
#include <gtest/gtest.h>

#include "transformers/modeling/auto.hpp"
#include "transformers/models/modernbert/modeling_modernbert.hpp"
#include "transformers/models/register_all.hpp"

using namespace transformers;

namespace {

std::shared_ptr<PretrainedConfig> tiny(json extra = json::object()) {
  register_all_models();
  json j{{"model_type", "modernbert"}, {"hidden_size", 8}, {"num_attention_heads", 2}, {"num_hidden_layers", 3},
         {"intermediate_size", 6}, {"vocab_size", 10}, {"pad_token_id", 0}, {"local_attention", 4}};
  j.update(extra);
  return std::make_shared<PretrainedConfig>(j);
}

TEST(ModernBertConfig, DefaultsOf451) {
  register_all_models();
  PretrainedConfig c(json{{"model_type", "modernbert"}});
  EXPECT_EQ(c.vocab_size(), 50368);
  EXPECT_EQ(c.hidden_size(), 768);
  EXPECT_EQ(c.get<int64_t>("intermediate_size"), 1152);
  EXPECT_EQ(c.num_hidden_layers(), 22);
  EXPECT_EQ(c.get<int64_t>("global_attn_every_n_layers"), 3);
  EXPECT_EQ(c.get<int64_t>("local_attention"), 128);
  EXPECT_EQ(c.get<double>("global_rope_theta"), 160000.0);
  EXPECT_EQ(c.get<double>("local_rope_theta"), 10000.0);
  EXPECT_EQ(c.get<int64_t>("pad_token_id"), 50283);
  EXPECT_FALSE(c.get<bool>("norm_bias"));
  EXPECT_TRUE(c.get<bool>("decoder_bias"));
  EXPECT_EQ(c.get<std::string>("classifier_pooling"), "cls");
}

TEST(ModernBertConfig, ClassifierPoolingMustBeClsOrMean) {
  EXPECT_THROW(ModernBertForSequenceClassification m(tiny({{"classifier_pooling", "max"}})), ValueError);
}

TEST(ModernBertConfig, BaseModelCountEqualsBuiltModel) {
  for (bool bias : {false, true}) {
    auto config = tiny({{"norm_bias", bias}, {"attention_bias", bias}, {"mlp_bias", bias}});
    ASSERT_TRUE(config->class_info() && config->class_info()->base_model_num_parameters);
    auto model = AutoModel::from_config(config, /*seed=*/0);
    EXPECT_EQ(config->class_info()->base_model_num_parameters(*config), double(model->num_parameters())) << bias;
  }
}

TEST(ModernBertModel, LayerKindsAndRejectedInputs) {
  ModernBertModel m(tiny());
  EXPECT_FALSE((*m.layers)[0].attn->is_local());  // layer_id % global_attn_every_n_layers == 0: global
  EXPECT_TRUE((*m.layers)[1].attn->is_local());
  EXPECT_EQ((*m.layers)[1].attn->local_window, 2);
  EXPECT_EQ((*m.layers)[0].attn_norm, nullptr);  // nn.Identity in layer 0
  ModelInputs in;
  in.input_ids = Tensor::from_vector<int64_t>({1, 5, 6, 2}, {1, 4});
  in.token_type_ids = Tensor::from_vector<int64_t>({0, 0, 0, 0}, {1, 4});
  EXPECT_THROW(m.forward(in), ValueError);
  in.token_type_ids = Tensor();
  EXPECT_EQ(m.forward(in).last_hidden_state.size(1), 4);
  EXPECT_THROW(ModernBertModel(tiny({{"rope_scaling", {{"rope_type", "linear"}, {"factor", 2.0}}}})), UnsupportedError);
}

}  // namespace
