// What Phi-3 adds to the shared Llama blocks, beyond the parity of test_llama_family.cpp and
// test_cases.cpp (fused projections, partial rotary, longrope past original_max_position_embeddings):
// Phi3Config's defaults, derivations and rope_scaling checks as 4.51's __init__, the fused module
// names, and the refusal of a cached step that crosses original_max_position_embeddings.
#include "models/parity_util.hpp"
#include "transformers/generation/utils.hpp"
#include "transformers/modeling/auto.hpp"
#include "transformers/models/phi3/modeling_phi3.hpp"

using namespace transformers;
using namespace parity;

namespace {

TEST(Phi3Config, DefaultsOf451) {
  register_all_models();
  PretrainedConfig c(json{{"model_type", "phi3"}});
  EXPECT_EQ(c.vocab_size(), 32064);
  EXPECT_EQ(c.get<int64_t>("num_key_value_heads"), 32);
  EXPECT_EQ(c.get<int64_t>("original_max_position_embeddings"), 4096);
  EXPECT_EQ(c.get<int64_t>("pad_token_id"), 32000);
  EXPECT_EQ(c.get<double>("rms_norm_eps"), 1e-5);
  EXPECT_TRUE(c.raw_at("sliding_window").is_null());
  // num_key_value_heads None -> num_attention_heads; "su" -> "longrope"
  PretrainedConfig d(json{{"model_type", "phi3"},
                          {"num_attention_heads", 4},
                          {"hidden_size", 32},
                          {"rope_scaling", {{"type", "su"}, {"short_factor", {1, 1, 1, 1}}, {"long_factor", {2, 2, 2, 2}}}}});
  EXPECT_EQ(d.get<int64_t>("num_key_value_heads"), 4);
  EXPECT_EQ(d.raw_at("rope_scaling")["type"], "longrope");
}

TEST(Phi3Config, RopeScalingChecksOf451) {
  register_all_models();
  const json cases[] = {
      {{"type", "longrope"}, {"short_factor", {1, 1}}},                                         // two fields
      {{"type", "linear"}, {"short_factor", {1, 1, 1, 1}}, {"long_factor", {1, 1, 1, 1}}},      // type
      {{"type", "longrope"}, {"short_factor", {1, 1}}, {"long_factor", {1, 1, 1, 1}}},          // length
      {{"type", "longrope"}, {"short_factor", {1, 1, 1, 1}}, {"long_factor", "1"}},             // not a list
  };
  for (const json& rs : cases) {
    try {
      PretrainedConfig c(json{{"model_type", "phi3"}, {"num_attention_heads", 4}, {"hidden_size", 32}, {"rope_scaling", rs}});
      FAIL() << rs.dump() << " accepted";
    } catch (const ValueError& e) {
      EXPECT_NE(std::string(e.what()).find("rope_scaling"), std::string::npos) << e.what();
    }
  }
}

TEST(Phi3Model, FusedProjectionNames) {
  Phi3ForCausalLM m(tiny_decoder_config("phi3", {{"pad_token_id", 0}}));  // 32000 is past the tiny vocab
  std::vector<std::string> layer0;
  for (auto& [k, v] : m.state_dict())
    if (k.rfind("model.layers.0.", 0) == 0) layer0.push_back(k.substr(15) + " " + shape_str(v.sizes()));
  EXPECT_EQ(layer0, (std::vector<std::string>{"self_attn.qkv_proj.weight [32, 16]", "self_attn.o_proj.weight [16, 16]",
                                              "mlp.gate_up_proj.weight [16, 16]", "mlp.down_proj.weight [16, 8]",
                                              "input_layernorm.weight [16]", "post_attention_layernorm.weight [16]"}));
}

// A prompt within original_max_position_embeddings (8) generating past it: 4.51 recomputes the
// sequence without its cache at that step; a cached step across it is refused, not mixed.
TEST(Phi3Generate, CachedStepAcrossOriginalLengthIsUnsupported) {
  const fs::path dir = test_data("cases") / "phi3_longrope_partial_window";
  auto model = AutoModelForCausalLM::from_pretrained(dir.string(), {.attn_implementation = "eager"});
  GenerationOptions o;
  o.do_sample = false;
  o.max_new_tokens = 6;
  const Tensor ids = Tensor::from_vector(std::vector<int64_t>{5, 6, 7, 8, 9}, {1, 5});
  try {
    generate(*model, ids, Tensor(), o);
    FAIL() << "generation across original_max_position_embeddings accepted";
  } catch (const UnsupportedError& e) {
    EXPECT_NE(std::string(e.what()).find("original_max_position_embeddings (8)"), std::string::npos) << e.what();
  }
  o.max_new_tokens = 3;  // ends at 8 tokens: within, no switch
  EXPECT_EQ(generate(*model, ids, Tensor(), o).sequences.size(1), 8);
}

}  // namespace
