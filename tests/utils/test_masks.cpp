// get_extended_attention_mask / invert_attention_mask / get_head_mask / estimate_tokens /
// floating_point_ops / num_parameters against transformers 4.51 (tests/oracle/make_utils_goldens.py).
// Masks are exact: they hold 0 and finfo(dtype).min only (compared after the cast to float32 the
// oracle stored them in).
#include "transformers/modeling/masks.hpp"
#include "utils/utils_test_helpers.hpp"

using namespace transformers;
using namespace utils_test;

namespace {

std::shared_ptr<PreTrainedModel> bert_base(bool decoder, std::optional<DType> dt = std::nullopt) {
  FromPretrainedOptions o;
  if (decoder) o.config_overrides = {{"is_decoder", true}};
  if (dt) o.torch_dtype = *dt;
  return from_pretrained_class("BertModel", fixture("bert/base").string(), o);
}

const Tensor& g(const std::string& k) { return goldens().at(k); }

TEST(ExtendedAttentionMask, EncoderDecoderAndDtypes) {
  auto enc = bert_base(false), dec = bert_base(true);
  const Tensor m2 = g("mask.input2d"), m3 = g("mask.input3d");
  for (auto [name, dt] : {std::pair{"float32", DType::Float32}, {"float16", DType::Float16}, {"bfloat16", DType::BFloat16}}) {
    const std::string n = name;
    Tensor e = get_extended_attention_mask(*enc, m2, m2.sizes(), dt);
    EXPECT_EQ(e.dtype(), dt);
    EXPECT_TRUE(same_values(e.to(DType::Float32), g("mask.enc2d." + n))) << n;
    EXPECT_TRUE(same_values(get_extended_attention_mask(*dec, m2, m2.sizes(), dt).to(DType::Float32), g("mask.dec2d." + n))) << n;
    EXPECT_TRUE(same_values(get_extended_attention_mask(*dec, m2, {2, 5}, dt).to(DType::Float32), g("mask.dec2d_past." + n))) << n;
    EXPECT_TRUE(same_values(get_extended_attention_mask(*enc, m3, {2, 2}, dt).to(DType::Float32), g("mask.enc3d." + n))) << n;
    EXPECT_TRUE(same_values(get_extended_attention_mask(*dec, m3, {2, 2}, dt).to(DType::Float32), g("mask.dec3d." + n))) << n;
  }
  EXPECT_EQ(get_extended_attention_mask(*dec, m2, {2, 5}).sizes(), (Shape{2, 1, 5, 7}));
  EXPECT_THROW(get_extended_attention_mask(*enc, Tensor::ones({2, 2, 2, 2}), {2, 2}), ValueError);
  EXPECT_EQ(golden_facts()["mask_rank4"], "ValueError");
  EXPECT_THROW(get_extended_attention_mask(*dec, m2, {2, 9}), ValueError);  // mask shorter than input
}

TEST(ExtendedAttentionMask, DefaultDtypeIsTheModels) {
  auto half = bert_base(false, DType::Float16);
  const Tensor m2 = g("mask.input2d");
  Tensor e = get_extended_attention_mask(*half, m2, m2.sizes());
  EXPECT_EQ(e.dtype(), DType::Float16);
  EXPECT_TRUE(same_values(e.to(DType::Float32), g("mask.default_dtype_fp16")));
  Tensor inv = invert_attention_mask(*half, m2);
  EXPECT_EQ(inv.dtype(), DType::Float16);
  EXPECT_TRUE(same_values(inv.to(DType::Float32), g("mask.inverted2d_fp16")));
}

TEST(InvertAttentionMask, TwoAndThreeDims) {
  auto enc = bert_base(false);
  EXPECT_TRUE(same_values(invert_attention_mask(*enc, g("mask.input2d")), g("mask.inverted2d")));
  EXPECT_TRUE(same_values(invert_attention_mask(*enc, g("mask.input3d")), g("mask.inverted3d")));
  EXPECT_THROW(invert_attention_mask(*enc, Tensor::ones({3})), ValueError);
}

TEST(HeadMask, OneAndTwoDimsToFiveDims) {
  auto enc = bert_base(false);
  Tensor a = get_head_mask(*enc, g("head_mask.input1d"), 2);
  EXPECT_EQ(a.sizes(), (Shape{2, 1, 4, 1, 1}));
  EXPECT_TRUE(same_values(a, g("head_mask.from1d")));
  EXPECT_TRUE(same_values(get_head_mask(*enc, g("head_mask.input2d"), 2), g("head_mask.from2d")));
  EXPECT_FALSE(get_head_mask(*enc, Tensor(), 2).defined());  // Python: [None, None]
  EXPECT_EQ(golden_facts()["head_mask"]["none"], json::array({true, true}));
  EXPECT_EQ(get_head_mask(*enc, g("head_mask.input1d"), 2, true).sizes(), (Shape{2, 1, 4, 1, 1, 1}));
  EXPECT_THROW(get_head_mask(*enc, Tensor::ones({2, 2, 4}), 2), ValueError);
  EXPECT_EQ(golden_facts()["head_mask"]["rank3"], "AssertionError");
  auto half = bert_base(false, DType::Float16);
  Tensor h = get_head_mask(*half, g("head_mask.input2d"), 2);
  EXPECT_EQ(h.dtype(), DType::Float16);
  EXPECT_EQ(golden_facts()["head_mask"]["fp16_dtype"], "torch.float16");
  EXPECT_TRUE(same_values(h.to(DType::Float32), g("head_mask.from2d_fp16")));
}

class Counts : public ::testing::TestWithParam<const char*> {};

TEST_P(Counts, TokensFlopsAndParameters) {
  const std::string arch = GetParam();
  auto model = load_model(fixture(arch + "/model"));
  const json& gf = golden_facts()[arch];
  const json& ff = fixture_facts()[arch]["utils"];
  const Tensor ids = fixture_inputs(arch).input_ids;
  EXPECT_EQ(estimate_tokens(*model, {{"input_ids", ids}}), gf["estimate_tokens"].get<int64_t>());
  EXPECT_EQ(estimate_tokens(*model, {{"attention_mask", ids}}), gf["estimate_tokens_missing"].get<int64_t>());
  EXPECT_EQ(floating_point_ops(*model, {{"input_ids", ids}}), gf["floating_point_ops"].get<int64_t>());
  EXPECT_EQ(floating_point_ops(*model, {{"input_ids", ids}}, false), gf["floating_point_ops_with_embeddings"].get<int64_t>());
  EXPECT_EQ(model->num_parameters(), ff["num_parameters"].get<int64_t>());
  EXPECT_EQ(model->num_parameters(true), ff["num_parameters_trainable"].get<int64_t>());
  EXPECT_EQ(model->num_parameters(false, true), ff["num_parameters_no_embeddings"].get<int64_t>());
  EXPECT_EQ(model->num_parameters(), gf["num_parameters"].get<int64_t>());
  EXPECT_EQ(model->get_memory_footprint(false), ff["memory_footprint_no_buffers"].get<int64_t>());
}

INSTANTIATE_TEST_SUITE_P(Fixtures, Counts, ::testing::Values("bert", "gpt2", "llama"));

}  // namespace
