// issue 18 item 6 / issue 19: attn_implementation is checked when the model is built (4.51's
// _autoset_attn_implementation), with 4.51's messages, not at the first forward. Goldens:
// tests/oracle/make_attn_implementation_goldens.py (transformers 4.51.3, flash_attn not installed).
#include <gtest/gtest.h>

#include "test_helpers.hpp"
#include "transformers/modeling/attn_implementation.hpp"
#include "transformers/modeling/auto.hpp"

using namespace transformers;
using namespace transformers::test;

namespace {
// The first sentence of a message (4.51 follows the "does not support" ones with links).
std::string first_sentence(const std::string& m) {
  const size_t end = m.find(". ");
  return end == std::string::npos ? m : m.substr(0, end + 1);
}
}  // namespace

TEST(AttnImplementation, FromPretrainedRaisesAs451) {
  const json cases = read_json(data_dir() / "attn_implementation_goldens.json");
  ASSERT_EQ(cases.size(), 36u);
  for (const json& c : cases) {
    const std::string cls = c["class"], value = c["attn_implementation"];
    SCOPED_TRACE(cls + " attn_implementation=" + value);
    const std::string path = (fixtures() / c["arch"].get<std::string>() / "model").string();
    auto load = [&] { return from_pretrained_class(cls, path, {.attn_implementation = value}); };
    if (c["error"].is_null()) {
      if (value == "flex_attention") {
        // 4.51 runs Llama's flex_attention; this library has no flex kernel and says so.
        EXPECT_THROW(load(), UnsupportedError);
        continue;
      }
      auto m = load();
      EXPECT_EQ(m->config().attn_implementation(), value);
      continue;
    }
    const std::string expected = c["message"];
    try {
      load();
      ADD_FAILURE() << "loaded; 4.51 raises " << c["error"].get<std::string>() << ": " << expected;
    } catch (const ValueError& e) {
      EXPECT_EQ(c["error"], "ValueError") << e.what();
      if (expected.rfind("Specified", 0) == 0)
        EXPECT_EQ(std::string(e.what()), expected);
      else
        EXPECT_EQ(first_sentence(e.what()), first_sentence(expected));
    } catch (const UnsupportedError& e) {
      // 4.51's ImportError without the flash_attn package; here there are no flash kernels at all.
      EXPECT_EQ(c["error"], "ImportError") << e.what();
      EXPECT_NE(std::string(e.what()).find("FlashAttention2 has been toggled on, but it cannot be used"),
                std::string::npos)
          << e.what();
      EXPECT_NE(std::string(e.what()).find("sdpa"), std::string::npos) << e.what();
    }
  }
}

TEST(AttnImplementation, ConfigValueIsCheckedWhenTheModelIsBuilt) {
  ensure_models_registered();
  // A config carrying the value (config.json's attn_implementation, or a config object) fails in
  // from_config as well, before any forward.
  auto cfg = AutoConfig::for_model("gpt2", {{"n_layer", 1}, {"n_embd", 8}, {"n_head", 2}, {"vocab_size", 10}});
  cfg->set("attn_implementation", "foo");
  EXPECT_THROW(auto_from_config("AutoModelForCausalLM", cfg), ValueError);
  cfg->set("attn_implementation", "eager");
  EXPECT_NO_THROW(auto_from_config("AutoModelForCausalLM", cfg));
  // Unset: sdpa where the class supports it (4.51's default on CPU).
  PretrainedConfig unset(json{{"model_type", "gpt2"}});
  EXPECT_EQ(autoset_attn_implementation(unset, "GPT2Model", {.flash_attention_2 = true}),
            nn::AttentionImplementation::sdpa);
  EXPECT_EQ(autoset_attn_implementation(unset, "NoSdpa", {.sdpa = false}), nn::AttentionImplementation::eager);
  PretrainedConfig bad(json{{"model_type", "gpt2"}, {"_attn_implementation", 3}});
  EXPECT_THROW(autoset_attn_implementation(bad, "GPT2Model", {}), ValueError);
}
