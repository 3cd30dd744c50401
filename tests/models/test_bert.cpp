// BERT parity with Hugging Face on the tiny fixture models (/work/shared/fixtures/hf/models/bert).
// Tolerances: float32 outputs within the suite's float32 parity bound of HF's float32 run (2e-5 +
// 1e-5 relative, tests/common/compare.hpp; observed <= 4e-6 at logit scale ~6: any wrong op, mask,
// layout or epsilon is far larger) and within 1e-5 relative to the float64 run, which HF's own
// float32 run meets at ~5e-7.
#include "models/parity_util.hpp"
#include "transformers/models/bert/modeling_bert.hpp"
#include "transformers/nn/kv_cache.hpp"

using namespace transformers;
using namespace parity;

namespace {

struct BertFixture : ::testing::Test {
  std::map<std::string, Tensor> exp = load_tensors(fixture("bert/expected.safetensors"));
  ModelInputs inputs() {
    ModelInputs in;
    in.input_ids = exp.at("input_ids");
    in.attention_mask = exp.at("attention_mask");
    in.token_type_ids = exp.at("token_type_ids");
    return in;
  }
};

TEST_F(BertFixture, StateDictKeysEqualHuggingFace) {
  auto model = load_model<BertForMaskedLM>(fixture("bert/model"), "BertForMaskedLM", "eager");
  auto facts = read_json(fixture("facts.json"));
  std::set<std::string> want = facts["bert"]["state_dict_keys"].get<std::set<std::string>>();
  std::set<std::string> got;
  for (auto& [k, v] : model->state_dict()) got.insert(k);
  EXPECT_EQ(got, want);
  // Tied: decoder weight is the word embedding, decoder bias is predictions.bias.
  EXPECT_TRUE(model->cls->predictions->decoder->weight.is_same(model->bert->embeddings->word_embeddings->weight));
  EXPECT_TRUE(model->find_parameter("cls.predictions.bias") == model->find_parameter("cls.predictions.decoder.bias"));
  // Parameters counted once, as num_parameters does.
  int64_t n = 0;
  for (auto& p : model->parameters()) n += p.numel();
  EXPECT_EQ(n, facts["bert"]["utils"]["num_parameters"].get<int64_t>());
}

TEST_F(BertFixture, EagerLogitsHiddenStatesAttentions) {
  auto model = load_model<BertForMaskedLM>(fixture("bert/model"), "BertForMaskedLM", "eager");
  ModelInputs in = inputs();
  in.output_hidden_states = true;
  in.output_attentions = true;
  ModelOutput out = model->forward(in);
  Diff d = diff(out.logits, exp.at("logits"));
  EXPECT_TRUE(allclose(out.logits, exp.at("logits")));
  Diff d64 = diff(out.logits, exp.at("logits_f64"));
  EXPECT_LE(d64.max_abs, 1e-5 * d64.max_ref) << "max |err| vs float64 " << d64.max_abs;
  ASSERT_EQ(out.hidden_states.size(), 3u);
  EXPECT_TRUE(allclose(stack(out.hidden_states), exp.at("hidden_states")));
  ASSERT_EQ(out.attentions.size(), 2u);
  EXPECT_TRUE(allclose(stack(out.attentions), exp.at("attentions"), {.atol = 1e-5}));
  std::printf("bert eager: max|err| %.3g vs f32, %.3g vs f64\n", d.max_abs, d64.max_abs);
}

TEST_F(BertFixture, SdpaLogits) {
  auto model = load_model<BertForMaskedLM>(fixture("bert/model"), "BertForMaskedLM", "sdpa");
  ModelOutput out = model->forward(inputs());
  EXPECT_TRUE(allclose(out.logits, exp.at("logits_sdpa")));
  Diff d64 = diff(out.logits, exp.at("logits_f64"));
  EXPECT_LE(d64.max_abs, 1e-5 * d64.max_ref);
  EXPECT_TRUE(out.attentions.empty());
}

TEST_F(BertFixture, SdpaWithOutputAttentionsFallsBackToEager) {
  auto model = load_model<BertForMaskedLM>(fixture("bert/model"), "BertForMaskedLM", "sdpa");
  ModelInputs in = inputs();
  in.output_attentions = true;
  ModelOutput out = model->forward(in);
  ASSERT_EQ(out.attentions.size(), 2u);
  EXPECT_TRUE(allclose(stack(out.attentions), exp.at("attentions"), {.atol = 1e-5}));
}

// The fixtures' head_mask_logits come from 5.x, which ignores head_mask; 4.51's are in hf451/.
TEST_F(BertFixture, HeadMask) {
  auto hf451 = load_tensors(test_data("hf451/bert.safetensors"));
  for (const char* attn : {"eager", "sdpa"}) {
    auto model = load_model<BertForMaskedLM>(fixture("bert/model"), "BertForMaskedLM", attn);
    ModelInputs in = inputs();
    in.head_mask = hf451.at("head_mask");
    ModelOutput out = model->forward(in);
    EXPECT_TRUE(allclose(out.logits, hf451.at("head_mask_logits"))) << attn;
    // A head mask that changes nothing must not be a no-op check: logits differ from unmasked ones.
    EXPECT_GT(max_abs_diff(out.logits, exp.at("logits")), 1e-3);
  }
}

TEST_F(BertFixture, BaseModelWithPooler) {
  auto model = load_model<BertModel>(fixture("bert/base"), "BertModel", "sdpa");
  ModelOutput out = model->forward(inputs());
  EXPECT_TRUE(allclose(out.last_hidden_state, exp.at("base_last_hidden_state")));
  EXPECT_TRUE(allclose(out.pooler_output, exp.at("base_pooler_output")));
}

TEST_F(BertFixture, SequenceClassificationCls3) {
  auto hf451 = load_tensors(test_data("hf451/bert.safetensors"));
  auto model = load_model<BertForSequenceClassification>(fixture("bert/cls3"), "BertForSequenceClassification", "sdpa");
  ModelOutput out = model->forward(inputs());
  EXPECT_EQ(shape_str(out.logits.sizes()), "[2, 3]");
  EXPECT_TRUE(allclose(out.logits, hf451.at("cls3_logits")));
}

TEST_F(BertFixture, InputsEmbedsEqualsInputIds) {
  auto model = load_model<BertForMaskedLM>(fixture("bert/model"), "BertForMaskedLM", "eager");
  ModelInputs in = inputs();
  in.inputs_embeds = model->bert->embeddings->word_embeddings->forward(in.input_ids);
  in.input_ids = Tensor();
  EXPECT_TRUE(allclose(model->forward(in).logits, exp.at("logits")));
  in.input_ids = exp.at("input_ids");
  EXPECT_THROW(model->forward(in), ValueError);
}

TEST_F(BertFixture, DefaultTokenTypeIdsAreZeros) {
  auto model = load_model<BertForMaskedLM>(fixture("bert/model"), "BertForMaskedLM", "eager");
  ModelInputs a = inputs(), b = inputs();
  a.token_type_ids = Tensor::zeros({2, 7}, DType::Int64);
  b.token_type_ids = Tensor();
  EXPECT_EQ(max_abs_diff(model->forward(a).logits, model->forward(b).logits), 0.0);
}

TEST_F(BertFixture, PruneHeadsKeepsShapesConsistent) {
  auto model = load_model<BertForMaskedLM>(fixture("bert/model"), "BertForMaskedLM", "eager");
  model->prune_heads_impl({{0, {1, 3}}, {1, {0}}});
  auto& att0 = *(*model->bert->encoder->layer)[0].attention;
  EXPECT_EQ(att0.self->num_attention_heads, 2);
  EXPECT_EQ(att0.self->query->weight.size(0), 16);
  EXPECT_EQ(att0.output->dense->weight.size(1), 16);
  EXPECT_EQ((*model->bert->encoder->layer)[1].attention->self->num_attention_heads, 3);
  ModelInputs in = inputs();
  in.output_attentions = true;
  ModelOutput out = model->forward(in);
  EXPECT_EQ(out.attentions[0].size(1), 2);
  EXPECT_EQ(out.attentions[1].size(1), 3);
  // Pruning head 1 again is a no-op; head 9 does not exist.
  att0.prune_heads({1});
  EXPECT_EQ(att0.self->num_attention_heads, 2);
  EXPECT_THROW(att0.prune_heads({9}), ValueError);
}

TEST(BertConfig, DefaultsAndUnsupportedOptions) {
  register_all_models();
  auto c = std::make_shared<PretrainedConfig>(json{{"model_type", "bert"}, {"num_hidden_layers", 1}});
  EXPECT_EQ(c->hidden_size(), 768);
  EXPECT_EQ(c->get<std::string>("hidden_act"), "gelu");
  EXPECT_DOUBLE_EQ(c->get<double>("layer_norm_eps"), 1e-12);
  auto rel = std::make_shared<PretrainedConfig>(
      json{{"model_type", "bert"}, {"num_hidden_layers", 1}, {"position_embedding_type", "relative_key"}});
  EXPECT_THROW(BertModel m(rel), UnsupportedError);
  auto bad = std::make_shared<PretrainedConfig>(
      json{{"model_type", "bert"}, {"num_hidden_layers", 1}, {"hidden_size", 30}, {"num_attention_heads", 4}});
  EXPECT_THROW(BertModel m(bad), ValueError);
}

}  // namespace

namespace {
// fp16 / bf16 folders run in their own dtype; bound: HF's own error in that dtype + 25% (see
// test_decoders.cpp and tests/data/models/dtype_error.json).
TEST(BertHalfPrecision, NoWorseThanHuggingFace) {
  auto exp = load_tensors(fixture("bert/expected.safetensors"));
  auto errs = read_json(test_data("dtype_error.json"));
  for (auto [sub, dt] : {std::pair{"fp16", DType::Float16}, std::pair{"bf16", DType::BFloat16}}) {
    for (const char* attn : {"eager", "sdpa"}) {
      auto model = load_model<BertForMaskedLM>(fixture(std::string("bert/") + sub), "BertForMaskedLM", attn, dt);
      ModelInputs in;
      in.input_ids = exp.at("input_ids");
      in.attention_mask = exp.at("attention_mask");
      in.token_type_ids = exp.at("token_type_ids");
      ModelOutput out = model->forward(in);
      EXPECT_EQ(out.logits.dtype(), dt);
      const double e = max_abs_diff(out.logits.to(DType::Float32), exp.at("logits"));
      const double hf = std::max(errs[std::string("bert/") + sub + "/eager"]["max_abs_err"].get<double>(),
                                 errs[std::string("bert/") + sub + "/sdpa"]["max_abs_err"].get<double>());
      EXPECT_LE(e, 1.25 * hf) << sub << " " << attn;
      std::printf("bert %s %s: max|err| vs f32 %.3g (HF %.3g)\n", sub, attn, e, hf);
    }
  }
}
}  // namespace
