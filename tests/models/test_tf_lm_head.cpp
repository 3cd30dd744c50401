// TFPreTrainedModel's LM-head bias methods (get_lm_head, get_output_layer_with_bias,
// get_prefix_bias_name, get_bias, set_bias) against what 4.51's TF classes answer
// (tests/oracle/make_tf_lm_head.py -> tests/data/tfflax/tf_lm_head.json and
// tests/data/tfflax/bert/tf_lm_head.safetensors).
#include "models/parity_util.hpp"
#include "transformers/core/logging.hpp"
#include "transformers/modeling/auto.hpp"
#include "transformers/modeling/tf_lm_head.hpp"

using namespace transformers;
using namespace parity;

namespace {

const json& oracle() {
  static const json j = read_json(fs::path(TRANSFORMERS_TEST_DATA_DIR) / "tfflax/tf_lm_head.json");
  return j;
}

// Every class we register that 4.51 has a TF class for, built from the oracle's small config. The
// deprecated two warn as 4.51 does: a FutureWarning each, shown once (Python's default filter shows
// a warning once per call site); no other test calls them before this one.
TEST(TfLmHead, EveryClassAnswersAsFourFiftyOnesTfClass) {
  register_all_models();
  const json& classes = oracle().at("classes");
  std::vector<std::string> seen;
  const int id = logging::add_handler([&](const logging::LogRecord& r) {
    if (r.name == "transformers.modeling_tf_utils") seen.push_back("FutureWarning: " + r.message);
  });
  int checked = 0, with_head = 0;
  for (const std::string& cls : registered_model_classes()) {
    if (!classes.contains(cls)) continue;
    SCOPED_TRACE(cls);
    const json& want = classes.at(cls);
    const ModelClassInfo* info = find_model_class(cls);
    ASSERT_NE(info, nullptr);
    auto model = build_model_from_config(
        info->factory, PretrainedConfig::from_dict(oracle().at("configs").at(want.at("model_type").get<std::string>())), 0);
    nn::Module* head = get_lm_head(*model);
    EXPECT_EQ(head != nullptr, !want.at("lm_head").is_null());
    EXPECT_EQ(get_output_layer_with_bias(*model), head);
    const auto prefix = get_prefix_bias_name(*model);
    EXPECT_EQ(prefix ? json(*prefix) : json(nullptr), want.at("prefix_bias_name"));
    const auto bias = get_bias(*model);
    ASSERT_EQ(bias.has_value(), !want.at("bias").is_null());
    if (bias) {
      ASSERT_EQ(bias->size(), want.at("bias").size());
      const Tensor& b = bias->at("bias");
      EXPECT_EQ(std::vector<int64_t>(b.sizes().begin(), b.sizes().end()),
                want.at("bias").at("bias").at("shape").get<std::vector<int64_t>>());
      // The TF variable is "<prefix>/bias:0".
      EXPECT_EQ(*prefix + "/bias:0", want.at("bias").at("bias").at("name").get<std::string>());
      ++with_head;
    }
    ++checked;
  }
  logging::remove_handler(id);
  // 31 of our classes have a 4.51 TF class (of its 36 for these model types); 5 of them an LM head
  // with a bias: BERT MLM and pre-training, RoBERTa / XLM-R MLM, DistilBERT MLM.
  EXPECT_EQ(checked, 31);
  EXPECT_EQ(with_head, 5);
  EXPECT_EQ(seen, oracle().at("classes").at("BertModel").at("warnings").get<std::vector<std::string>>());
}

// On the bert fixture: get_bias is the checkpoint's bias as TF holds it, and after set_bias the
// logits are TF's logits with the new bias; a longer bias sets config.vocab_size as TF does.
TEST(TfLmHead, BertFixtureBiasAndSetBiasEqualTf) {
  register_all_models();
  const auto tf = load_tensors(fs::path(TRANSFORMERS_TEST_DATA_DIR) / "tfflax/bert/tf_lm_head.safetensors");
  const auto exp = load_tensors(fixture("bert/expected.safetensors"));
  FromPretrainedOptions o;
  o.attn_implementation = "eager";
  auto model = from_pretrained_class("BertForMaskedLM", fixture("bert/model").string(), o);
  EXPECT_TRUE(allclose(get_bias(*model)->at("bias"), tf.at("bias"), testcmp::kExact));
  set_bias(*model, {{"bias", tf.at("set_bias").clone()}});
  // the decoder reads the same tensor (decoder.bias is the head's bias)
  EXPECT_TRUE(model->find_parameter("cls.predictions.decoder.bias")->is_same(get_bias(*model)->at("bias")));
  ModelInputs in;
  in.input_ids = exp.at("input_ids");
  in.attention_mask = exp.at("attention_mask");
  in.token_type_ids = exp.at("token_type_ids");
  EXPECT_TRUE(allclose(model->forward(in).logits, tf.at("logits_after_set_bias"), kFloat32Parity));
  const json& f = oracle().at("fixture");
  EXPECT_EQ(model->config().vocab_size(), f.at("vocab_size_before").get<int64_t>());
  const int64_t more = f.at("vocab_size_after_set_bias_plus_3").get<int64_t>();
  set_bias(*model, {{"bias", Tensor::zeros({more}, DType::Float32)}});
  EXPECT_EQ(model->config().vocab_size(), more);
  EXPECT_THROW(set_bias(*model, {{"weight", Tensor::zeros({more}, DType::Float32)}}), KeyError);
  EXPECT_THROW(set_bias(*model, {{"bias", Tensor::zeros({2, more}, DType::Float32)}}), ValueError);
  // no LM head: nothing to set, nothing returned
  auto gpt2 = from_pretrained_class("GPT2LMHeadModel", fixture("gpt2/model").string(), {});
  EXPECT_FALSE(get_bias(*gpt2).has_value());
  EXPECT_EQ(get_lm_head(*gpt2), nullptr);
  set_bias(*gpt2, {{"bias", Tensor::zeros({3}, DType::Float32)}});
  EXPECT_EQ(gpt2->config().vocab_size(), 99);
}

}  // namespace
