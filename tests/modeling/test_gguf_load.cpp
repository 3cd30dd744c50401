// from_pretrained(path, {.gguf_file = ...}) against transformers 4.51.3 loading the same GGUF files
// (tests/oracle/make_gguf_llama.py: a tiny random Llama written by gguf-py's GGUFWriter in F32, F16,
// BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1; one file with output.weight, one without (tied)).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "common/compare.hpp"
#include "modeling/gguf_test_data.hpp"
#include "modeling/gguf_load.hpp"
#include "transformers/generation/utils.hpp"
#include "transformers/io/safetensors.hpp"
#include "transformers/modeling/auto.hpp"

using namespace transformers;
namespace fs = std::filesystem;

using gguf_test_data::dir;
using gguf_test_data::expected;
using gguf_test_data::ids_of;

TEST(GGUFLoad, ConfigDictAsTransformers451BuildsIt) {
  for (const std::string stem : {"tiny_llama", "tiny_llama_tied"}) {
    io::GGUFReader r(dir() / (stem + ".gguf"));
    const nlohmann::json got = nlohmann::json::parse(detail::gguf_config_dict(r).dump());
    EXPECT_EQ(got, expected(stem)["gguf_config"]) << stem << ": " << got.dump();
  }
}

// Every weight as 4.51 holds it after the load: dequantized bit-exact, Q/K rows un-permuted.
TEST(GGUFLoad, StateDictBitExactWithTransformers451) {
  auto model = AutoModelForCausalLM::from_pretrained(dir().string(), {.gguf_file = "tiny_llama.gguf"});
  io::SafetensorsReader want(dir() / "tiny_llama_state.safetensors");
  std::map<std::string, Tensor> ours;
  for (auto& [k, t] : model->state_dict()) ours.emplace(k, t);
  int compared = 0;
  for (const auto& key : want.keys()) {
    ASSERT_TRUE(ours.count(key)) << key;
    EXPECT_TRUE(testcmp::allclose(ours.at(key), want.get_tensor(key), testcmp::kExact)) << key;
    ++compared;
  }
  EXPECT_EQ(compared, 21);  // embed, norm, lm_head + 2 layers x 9
  EXPECT_EQ(ours.size(), want.keys().size());
}

TEST(GGUFLoad, LogitsAndGreedyTokensAsTransformers451) {
  for (const std::string stem : {"tiny_llama", "tiny_llama_tied"}) {
    const auto e = expected(stem);
    auto model = AutoModelForCausalLM::from_pretrained(dir().string(), {.gguf_file = stem + ".gguf"});
    EXPECT_EQ(model->config().get<bool>("tie_word_embeddings"), e["config"]["tie_word_embeddings"].get<bool>());
    ModelInputs in;
    in.input_ids = ids_of(e);
    const Tensor logits = model->forward(in).logits;
    const Tensor want = io::SafetensorsReader(dir() / (stem + "_logits.safetensors")).get_tensor("logits");
    EXPECT_TRUE(testcmp::allclose(logits.select(0, 0), want)) << stem;
    const GenerateOutput out = generate(*model, ids_of(e), {}, {.max_new_tokens = 10, .do_sample = false});
    EXPECT_EQ(out.sequences.select(0, 0).to_vector<int64_t>(), e["greedy"].get<std::vector<int64_t>>()) << stem;
  }
}

TEST(GGUFLoad, FilePathsAndErrors) {
  // the GGUF file itself as the model path (the CLI's PATH.gguf)
  const std::string file = (dir() / "tiny_llama_tied.gguf").string();
  auto m = AutoModelForCausalLM::from_pretrained(file, {.gguf_file = file});
  EXPECT_TRUE(m->config().get<bool>("tie_word_embeddings"));
  EXPECT_THROW(AutoModelForCausalLM::from_pretrained(dir().string(), {.gguf_file = "absent.gguf"}), FileNotFoundError);
  FromPretrainedOptions both{.gguf_file = "tiny_llama.gguf"};
  both.state_dict = io::NamedTensors{};
  EXPECT_THROW(AutoModelForCausalLM::from_pretrained(dir().string(), both), ValueError);
  // an architecture 4.51 cannot load from GGUF here: ValueError naming it
  const std::string bytes = [] {
    std::string b = "GGUF";
    auto u32 = [&](uint32_t v) { b.append(reinterpret_cast<const char*>(&v), 4); };
    auto u64 = [&](uint64_t v) { b.append(reinterpret_cast<const char*>(&v), 8); };
    u32(3), u64(0), u64(1);
    u64(20), b += "general.architecture", u32(8), u64(4), b += "bert";
    return b;
  }();
  auto r = io::GGUFReader::from_bytes(bytes, "bert.gguf");
  try {
    detail::gguf_config_dict(*r);
    ADD_FAILURE();
  } catch (const ValueError& err) {
    EXPECT_NE(std::string(err.what()).find("architecture bert is not supported"), std::string::npos) << err.what();
  }
}
