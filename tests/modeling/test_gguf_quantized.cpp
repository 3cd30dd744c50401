// from_pretrained(path, {.gguf_file = ..., .keep_quantized = true}) (beyond 4.51, docs/gguf.md):
// Llama's Linear weights of every block type (Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q2_K..Q6_K) stay blocks
// and run on the native kernels (src/ops/cpu/quant_gemm*); everything else loads as 4.51 loads it. Fixture: the tiny
// random Llama of test_gguf_load.cpp (tests/oracle/make_gguf_llama.py), whose tensors mix F16,
// BF16, Q8_0, Q4_0, Q4_1, Q5_0 and Q5_1, and its logits from transformers 4.51.3.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "common/compare.hpp"
#include "modeling/gguf_test_data.hpp"
#include "transformers/generation/utils.hpp"
#include "transformers/io/safetensors.hpp"
#include "transformers/modeling/auto.hpp"

using namespace transformers;
namespace fs = std::filesystem;

using gguf_test_data::dir;
using gguf_test_data::expected;
using gguf_test_data::ids_of;

// The kept weights are the stored blocks (Q/K rows permuted as whole block rows): dequantized, each
// equals 4.51's weight bit for bit; the other weights are 4.51's.
TEST(GGUFQuantized, KeepsNativeLinearBlocksAndEqualsTransformers451WhenDequantized) {
  auto model = AutoModelForCausalLM::from_pretrained(dir().string(), {.gguf_file = "tiny_llama.gguf", .keep_quantized = true});
  io::SafetensorsReader want(dir() / "tiny_llama_state.safetensors");
  std::map<std::string, Tensor> ours;
  for (auto& [k, t] : model->state_dict()) ours.emplace(k, t);
  std::map<std::string, std::string> kept;
  for (const auto& key : want.keys()) {
    ASSERT_TRUE(ours.count(key)) << key;
    const Tensor& t = ours.at(key);
    if (is_quantized(t.dtype())) kept[key] = dtype_name(t.dtype());
    EXPECT_TRUE(testcmp::allclose(t.to(DType::Float32), want.get_tensor(key), testcmp::kExact)) << key;
  }
  const std::map<std::string, std::string> expect_kept = {
      {"lm_head.weight", "q8_0"},
      {"model.layers.0.self_attn.q_proj.weight", "q8_0"},
      {"model.layers.0.self_attn.k_proj.weight", "q4_0"},
      {"model.layers.0.self_attn.v_proj.weight", "q5_0"},
      {"model.layers.0.self_attn.o_proj.weight", "q4_1"},
      {"model.layers.0.mlp.gate_proj.weight", "q8_0"},
      {"model.layers.0.mlp.up_proj.weight", "q5_1"},
      {"model.layers.0.mlp.down_proj.weight", "q4_1"},
      {"model.layers.1.self_attn.q_proj.weight", "q4_1"},
      {"model.layers.1.self_attn.k_proj.weight", "q5_1"},
      {"model.layers.1.self_attn.v_proj.weight", "q8_0"},
      {"model.layers.1.mlp.gate_proj.weight", "q4_0"},
      {"model.layers.1.mlp.up_proj.weight", "q5_0"},
  };
  EXPECT_EQ(kept, expect_kept);  // F16 / BF16 and the embedding dequantized
  EXPECT_EQ(model->dtype(), DType::Float32);
  auto plain = AutoModelForCausalLM::from_pretrained(dir().string(), {.gguf_file = "tiny_llama.gguf"});
  EXPECT_LT(model->get_memory_footprint(), plain->get_memory_footprint());
}

// The native kernels equal 4.51 running the same model with our activation rounding emulated
// (tests/oracle/make_gguf_q8_activations.py: each kept Linear's input rounded to int8 per block of
// 32 before a float32 product): logits at float32 parity (measured 3e-6 / 8e-6: summation order),
// the same greedy tokens. Against 4.51's plain
// dequantized run the rounding moves this tiny random model's logits by up to ~0.5 (weights of
// std 0.3 make its attention very sharp), printed here.
TEST(GGUFQuantized, LogitsEqualTransformers451WithRoundedActivations) {
  std::ifstream in(dir() / "q8_activations.json");
  const auto greedy = nlohmann::json::parse(in);
  io::SafetensorsReader emulated(dir() / "q8_activations.safetensors");
  int checked = 0;
  for (const std::string stem : {"tiny_llama", "tiny_llama_tied"}) {
    const auto e = expected(stem);
    auto model = AutoModelForCausalLM::from_pretrained(dir().string(), {.gguf_file = stem + ".gguf", .keep_quantized = true});
    ModelInputs in;
    in.input_ids = ids_of(e);
    const Tensor logits = model->forward(in).logits.select(0, 0);
    const Tensor plain = io::SafetensorsReader(dir() / (stem + "_logits.safetensors")).get_tensor("logits");
    std::cout << stem << ": max |logit diff| vs the emulation " << testcmp::max_abs_diff(logits, emulated.get_tensor(stem))
              << ", vs 4.51 dequantized " << testcmp::max_abs_diff(logits, plain) << "\n";
    EXPECT_TRUE(testcmp::allclose(logits, emulated.get_tensor(stem))) << stem;
    const GenerateOutput out = generate(*model, ids_of(e), {}, {.max_new_tokens = 10, .do_sample = false});
    EXPECT_EQ(out.sequences.select(0, 0).to_vector<int64_t>(), greedy[stem].get<std::vector<int64_t>>()) << stem;
    ++checked;
  }
  EXPECT_EQ(checked, 2);
}

// save_pretrained of a model whose weights are kept as blocks: safetensors wrote nothing sensible
// for a block dtype (the header planner read a null dtype row and crashed), the PyTorch writer wrote
// a .bin torch cannot load. Every float format is refused with a typed error before the folder exists.
TEST(GGUFQuantized, SavePretrainedOfKeptBlocksIsATypedErrorAndWritesNothing) {
  auto model = AutoModelForCausalLM::from_pretrained(dir().string(), {.gguf_file = "tiny_llama.gguf", .keep_quantized = true});
  const fs::path out = fs::temp_directory_path() / ("kept_blocks_save_" + std::to_string(::getpid()));
  fs::remove_all(out);
  int refused = 0;
  for (const char* format : {"pt", "tf", "flax"}) {
    for (bool safe : {true, false}) {
      try {
        model->save_pretrained(out.string(), {.safe_serialization = safe, .format = format});
        ADD_FAILURE() << format << " safe=" << safe << ": saved";
      } catch (const ValueError& e) {
        EXPECT_NE(std::string(e.what()).find("kept quantized"), std::string::npos) << e.what();
        ++refused;
      }
      EXPECT_FALSE(fs::exists(out)) << format;
    }
  }
  EXPECT_EQ(refused, 6);
}

// dequantize() turns the kept blocks into float32 weights bit-equal to the dequantizing load (which
// equals 4.51's weights, KeepsNative... above), tied weights stay tied, and the model then saves; a
// model with nothing quantized raises 4.51's ValueError, as PreTrainedModel.dequantize does without
// an hf_quantizer.
TEST(GGUFQuantized, DequantizeEqualsTheDequantizingLoadAndThenSaves) {
  int checked = 0;
  for (const std::string stem : {"tiny_llama", "tiny_llama_tied"}) {
    auto model = AutoModelForCausalLM::from_pretrained(dir().string(), {.gguf_file = stem + ".gguf", .keep_quantized = true});
    auto plain = AutoModelForCausalLM::from_pretrained(dir().string(), {.gguf_file = stem + ".gguf"});
    model->dequantize();
    std::map<std::string, Tensor> want;
    for (auto& [k, t] : plain->state_dict()) want.emplace(k, t);
    for (auto& [k, t] : model->state_dict()) {
      EXPECT_EQ(t.dtype(), DType::Float32) << k;
      ASSERT_TRUE(want.count(k)) << k;
      EXPECT_TRUE(testcmp::allclose(t, want.at(k), testcmp::kExact)) << k;
    }
    EXPECT_EQ(model->num_parameters(), plain->num_parameters()) << stem;  // ties kept: counted once
    EXPECT_EQ(model->get_memory_footprint(), plain->get_memory_footprint()) << stem;
    const fs::path out = fs::temp_directory_path() / ("dequantized_save_" + std::to_string(::getpid()));
    fs::remove_all(out);
    model->save_pretrained(out.string());
    EXPECT_TRUE(fs::exists(out / "model.safetensors")) << stem;
    fs::remove_all(out);
    try {
      plain->dequantize();
      ADD_FAILURE() << stem << ": a float model dequantized";
    } catch (const ValueError& e) {
      EXPECT_STREQ(e.what(), "You need to first quantize your model in order to dequantize it");
    }
    ++checked;
  }
  EXPECT_EQ(checked, 2);
}
