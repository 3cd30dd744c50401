// Gemma 3 text (Gemma3TextConfig, Gemma3ForCausalLM): what it adds to Gemma 2 in the module tree and
// the config, against transformers 4.51.3. Its logits (eager and sdpa, sequences longer than the
// window), hidden states, greedy generate, save/load and resize run in test_llama_family.cpp and
// test_cases.cpp on the checkpoints of tests/oracle/make_gemma3_cases.py, which also pin the local
// rope base: the local layers of gemma3_* rotate with rope_local_base_freq, the global ones with
// rope_theta (and rope_scaling), and attn_logit_softcapping is ignored as 4.51 does (the eager logits of
// gemma3_pattern2_linear_rope_softcap are 0.3 off when it is applied).
#include "models/parity_util.hpp"
#include "transformers/modeling/auto.hpp"
#include "transformers/models/gemma3/modeling_gemma3.hpp"

using namespace transformers;
using namespace parity;

namespace {

TEST(Gemma3TextConfig, DefaultsOf451) {
  register_all_models();
  PretrainedConfig c(json{{"model_type", "gemma3_text"}});
  EXPECT_EQ(c.vocab_size(), 262208);
  EXPECT_EQ(c.get<int64_t>("head_dim"), 256);
  EXPECT_EQ(c.get<int64_t>("sliding_window_pattern"), 6);
  EXPECT_DOUBLE_EQ(c.get<double>("rope_local_base_freq"), 10000.0);
  EXPECT_DOUBLE_EQ(c.get<double>("rope_theta"), 1e6);
  EXPECT_TRUE(c.raw_at("attn_logit_softcapping").is_null());
  EXPECT_TRUE(c.raw_at("final_logit_softcapping").is_null());
}

TEST(Gemma3TextModel, QkNormsLocalRopeAndLayerPattern) {
  Gemma3ForCausalLM m(tiny_decoder_config(
      "gemma3_text", {{"head_dim", 6}, {"num_hidden_layers", 4}, {"sliding_window", 3}, {"sliding_window_pattern", 3},
                      {"query_pre_attn_scalar", 6}, {"rope_local_base_freq", 77.0}}));
  std::vector<std::string> norms;
  for (auto& [k, v] : m.state_dict())
    if (k.rfind("model.layers.0.self_attn.", 0) == 0 && k.find("_norm.") != std::string::npos)
      norms.push_back(k + " " + shape_str(v.sizes()));
  EXPECT_EQ(norms, (std::vector<std::string>{"model.layers.0.self_attn.q_norm.weight [6]",
                                             "model.layers.0.self_attn.k_norm.weight [6]"}));
  std::vector<bool> sliding;
  for (const auto& layer : *m.model->layers) sliding.push_back(layer->is_sliding);
  EXPECT_EQ(sliding, (std::vector<bool>{true, true, false, true}));  // (i + 1) % 3 != 0
  ASSERT_TRUE(m.model->rotary_emb_local);
  EXPECT_DOUBLE_EQ(m.model->rotary_emb_local->params().rope_theta, 77.0);
  EXPECT_EQ(m.model->rotary_emb_local->rope_type(), "default");
  EXPECT_DOUBLE_EQ(m.model->rotary_emb->params().rope_theta, 1e6);
}

TEST(Gemma3TextConfig, NonPositivePatternIsValueError) {
  try {
    Gemma3TextModel m(tiny_decoder_config("gemma3_text", {{"head_dim", 8}, {"sliding_window_pattern", 0}}));
    FAIL() << "sliding_window_pattern 0 accepted";
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("sliding_window_pattern"), std::string::npos) << e.what();
  }
}

}  // namespace
