// What Gemma and Gemma 2 add to the shared Llama blocks, beyond the parity of test_llama_family.cpp
// and test_cases.cpp: the config defaults of 4.51, the zero-initialised (1 + weight) norms, Gemma 2's
// local/global layer pattern, generation that stays exact past the sliding window (where 4.51's
// HybridCache does not, see tests/oracle/make_decoder_family_cases.py), a cached decode step equal
// to 4.51's uncached forward, and the typed errors for configs that cannot run.
#include "models/parity_util.hpp"
#include "transformers/generation/utils.hpp"
#include "transformers/modeling/auto.hpp"
#include "transformers/models/gemma/modeling_gemma.hpp"
#include "transformers/models/gemma2/modeling_gemma2.hpp"

using namespace transformers;
using namespace parity;

namespace {

// Three layers (local, global, local for Gemma 2), head_dim 4 (not hidden / heads = 8).
std::shared_ptr<PretrainedConfig> tiny(const std::string& model_type, json extra = json::object()) {
  json j{{"num_hidden_layers", 3}, {"head_dim", 4}};
  j.update(extra);
  return tiny_decoder_config(model_type, j);
}

TEST(GemmaConfig, DefaultsOf451) {
  register_all_models();
  PretrainedConfig c(json{{"model_type", "gemma"}});
  EXPECT_EQ(c.vocab_size(), 256000);
  EXPECT_EQ(c.get<int64_t>("head_dim"), 256);
  EXPECT_EQ(c.get<int64_t>("num_key_value_heads"), 16);
  EXPECT_EQ(c.get<std::string>("hidden_act"), "gelu_pytorch_tanh");
  EXPECT_TRUE(c.raw_at("hidden_activation").is_null());
  EXPECT_TRUE(c.tie_word_embeddings());
  EXPECT_EQ(c.get<int64_t>("pad_token_id"), 0);
  EXPECT_EQ(c.get<int64_t>("bos_token_id"), 2);
  EXPECT_EQ(c.get<int64_t>("eos_token_id"), 1);
}

TEST(Gemma2Config, DefaultsOf451) {
  register_all_models();
  PretrainedConfig c(json{{"model_type", "gemma2"}});
  EXPECT_EQ(c.get<int64_t>("query_pre_attn_scalar"), 256);
  EXPECT_EQ(c.get<int64_t>("sliding_window"), 4096);
  EXPECT_EQ(c.get<double>("final_logit_softcapping"), 30.0);
  EXPECT_EQ(c.get<double>("attn_logit_softcapping"), 50.0);
  EXPECT_EQ(c.get<std::string>("hidden_activation"), "gelu_pytorch_tanh");
  EXPECT_EQ(c.get<std::string>("cache_implementation"), "hybrid");
  EXPECT_EQ(c.get<int64_t>("num_key_value_heads"), 4);
}

// GemmaRMSNorm's weight starts at zero (its identity) and init_weights leaves it there, as 4.51's
// _init_weights does; Gemma 2 adds pre/post feed-forward norms, and only its even layers are local.
TEST(Gemma2Model, NormsStartAtZeroAndEvenLayersAreLocal) {
  auto built = build_model_from_config([](auto c) { return std::make_shared<Gemma2ForCausalLM>(c); },
                                       tiny("gemma2", {{"sliding_window", 5}}), 7);
  auto& m = dynamic_cast<Gemma2ForCausalLM&>(*built);
  std::vector<std::string> norms;
  for (auto& [k, v] : m.state_dict())
    if (k.rfind("model.layers.0.", 0) == 0 && k.find("norm") != std::string::npos) {
      norms.push_back(k);
      EXPECT_EQ(max_abs_diff(v, Tensor::zeros(v.sizes())), 0.0) << k;
    }
  EXPECT_EQ(norms.size(), 4u);
  std::vector<bool> sliding;
  for (size_t i = 0; i < m.model->layers->size(); ++i) sliding.push_back(m.model->layers->at(i)->is_sliding);
  EXPECT_EQ(sliding, (std::vector<bool>{true, false, true}));
  EXPECT_NEAR(m.model->layers->at(0)->self_attn->scaling, 1.0 / 16.0, 1e-12);  // query_pre_attn_scalar 256
}

TEST(Gemma2Config, NonPositiveSoftcapOrScalarIsValueError) {
  for (const char* key : {"attn_logit_softcapping", "final_logit_softcapping", "query_pre_attn_scalar"}) {
    try {
      Gemma2Model m(tiny("gemma2", {{key, 0.0}}));
      FAIL() << key << " = 0 accepted";
    } catch (const ValueError& e) {
      EXPECT_NE(std::string(e.what()).find(key), std::string::npos) << e.what();
    }
  }
  EXPECT_NO_THROW(Gemma2Model m(tiny("gemma2", {{"attn_logit_softcapping", nullptr}})));
}

TEST(GemmaForSequenceClassification, BatchWithoutPadTokenIsValueError) {
  GemmaForSequenceClassification m(tiny("gemma", {{"pad_token_id", nullptr}}));
  ModelInputs in;
  in.input_ids = Tensor::from_vector(std::vector<int64_t>{1, 2, 3, 4}, {2, 2});
  EXPECT_THROW(m.forward(in), ValueError);
  in.input_ids = Tensor::from_vector(std::vector<int64_t>{1, 2}, {1, 2});
  EXPECT_EQ(shape_str(m.forward(in).logits.sizes()), "[1, 2]");
}

fs::path case_dir(const std::string& name) { return test_data("cases") / name; }

// A prompt shorter than the window growing past it: the tokens 4.51 gives when it recomputes every
// step without a cache. (4.51's generate() with its HybridCache gives other tokens here; the golden
// keeps them to show the case is one where the two differ.)
TEST(Gemma2Generate, ShortPromptStaysExactPastTheWindow) {
  for (const char* name : {"gemma2_window4_softcap", "gemma2_window3_left_pad_defaults"}) {
    const auto g = load_tensors(case_dir(name) / "generate.safetensors");
    const Tensor want = g.at("short_sequences_exact");
    EXPECT_NE(want.to_vector<int64_t>(), g.at("short_sequences_hybrid_cache").to_vector<int64_t>()) << name;
    auto model = AutoModelForCausalLM::from_pretrained(case_dir(name).string(), {.attn_implementation = "eager"});
    GenerationOptions o;
    o.do_sample = false;
    o.max_new_tokens = want.size(1) - g.at("short_input_ids").size(1);
    o.min_new_tokens = o.max_new_tokens;
    const Tensor got = generate(*model, g.at("short_input_ids"), Tensor(), o).sequences;
    EXPECT_EQ(got.to_vector<int64_t>(), want.to_vector<int64_t>()) << name;
  }
}

// Prefill all but the last token into a Cache, then decode it: equal to 4.51's uncached logits at
// the last position (the window reaches back across the cache for the local layers).
TEST(Gemma2Generate, CachedDecodeStepEqualsUncachedForward) {
  for (const char* name : {"gemma2_window4_softcap", "gemma2_window3_left_pad_defaults"}) {
    const auto e = load_tensors(case_dir(name) / "expected.safetensors");
    for (const char* attn : {"eager", "sdpa"}) {
      auto model = AutoModelForCausalLM::from_pretrained(case_dir(name).string(), {.attn_implementation = attn});
      const Tensor ids = e.at("input_ids"), mask = e.at("attention_mask");
      const int64_t s = ids.size(1);
      Cache cache;
      ModelInputs pre;
      pre.input_ids = ids.narrow(1, 0, s - 1);
      pre.attention_mask = mask.narrow(1, 0, s - 1);
      if (e.count("position_ids")) pre.position_ids = e.at("position_ids").narrow(1, 0, s - 1);
      pre.past_key_values = &cache;
      pre.use_cache = true;
      model->forward(pre);
      ModelInputs step;
      step.input_ids = ids.narrow(1, s - 1, 1);
      step.attention_mask = mask;
      if (e.count("position_ids")) step.position_ids = e.at("position_ids").narrow(1, s - 1, 1);
      step.past_key_values = &cache;
      step.use_cache = true;
      const Tensor got = model->forward(step).logits;
      const Tensor full = e.at(std::string(attn) == "eager" ? "logits" : "logits_sdpa");
      EXPECT_TRUE(allclose(got, full.narrow(1, s - 1, 1))) << name << " " << attn;
    }
  }
}

}  // namespace
