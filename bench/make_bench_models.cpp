// make_bench_models: writes real-size models with random weights into a folder, in the Hugging Face
// layout, through our own from_config + save_pretrained, for `transformers-cli bench` and
// bench/compare_hf.py. Shapes are those of the public checkpoints (their config.json values), the
// weights are our init_weights (normal(0, initializer_range)), seeded so every run writes the same
// bytes. Nothing here is a benchmark; it is built with the benchmark programs for convenience.
//
//   make_bench_models OUT_DIR [NAME...]   (default: all of specs() below)
//   make_bench_models --specs             (the specs as JSON, for bench/make_bench_models_torch.py)
// Existing folders (with a config.json) are kept.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "transformers/core/error.hpp"
#include "transformers/modeling/auto.hpp"

namespace fs = std::filesystem;
using transformers::json;

namespace {

struct Spec {
  const char* name;
  const char* model_type;
  const char* auto_class;
  transformers::DType dtype;
  json kwargs;
};

std::vector<Spec> specs() {
  using transformers::DType;
  return {
      // bert-base-uncased: the BertConfig defaults are bert-base's shape (110M parameters).
      {"bert-base", "bert", "AutoModel", DType::Float32, json{{"architectures", {"BertModel"}}}},
      // gpt2 (small): GPT2Config defaults (124M parameters).
      {"gpt2", "gpt2", "AutoModelForCausalLM", DType::Float32, json{{"architectures", {"GPT2LMHeadModel"}}}},
      // The same two models (same seed: the float32 weights rounded to bf16) saved in bfloat16, so a
      // bf16 run maps its weights read-only as from a bf16 checkpoint (their packs are cached;
      // a float32 folder cast at load is writable memory, packed per call).
      {"bert-base-bf16", "bert", "AutoModel", DType::BFloat16, json{{"architectures", {"BertModel"}}}},
      {"gpt2-bf16", "gpt2", "AutoModelForCausalLM", DType::BFloat16, json{{"architectures", {"GPT2LMHeadModel"}}}},
      // meta-llama/Llama-3.2-1B's config.json values (1.24B parameters, tied embeddings, bf16).
      {"llama-1b",
       "llama",
       "AutoModelForCausalLM",
       DType::BFloat16,
       json{{"architectures", {"LlamaForCausalLM"}},
            {"hidden_size", 2048},
            {"intermediate_size", 8192},
            {"num_hidden_layers", 16},
            {"num_attention_heads", 32},
            {"num_key_value_heads", 8},
            {"head_dim", 64},
            {"vocab_size", 128256},
            {"max_position_embeddings", 131072},
            {"rms_norm_eps", 1e-5},
            {"rope_theta", 500000.0},
            {"rope_scaling",
             {{"factor", 32.0},
              {"high_freq_factor", 4.0},
              {"low_freq_factor", 1.0},
              {"original_max_position_embeddings", 8192},
              {"rope_type", "llama3"}}},
            {"hidden_act", "silu"},
            {"tie_word_embeddings", true},
            {"bos_token_id", 128000},
            {"eos_token_id", 128001},
            {"initializer_range", 0.02}}},
      // The decoder families of issue 22 at one real 0.5B-1B shape each (config.json values of
      // Qwen/Qwen2.5-0.5B, Qwen/Qwen3-0.6B, google/gemma-3-1b-pt, allenai/OLMo-2-0425-1B), bf16.
      {"qwen2-0.5b",
       "qwen2",
       "AutoModelForCausalLM",
       DType::BFloat16,
       json{{"architectures", {"Qwen2ForCausalLM"}}, {"hidden_size", 896}, {"intermediate_size", 4864},
            {"num_hidden_layers", 24}, {"num_attention_heads", 14}, {"num_key_value_heads", 2},
            {"vocab_size", 151936}, {"max_position_embeddings", 32768}, {"rope_theta", 1000000.0},
            {"rms_norm_eps", 1e-6}, {"tie_word_embeddings", true}, {"use_sliding_window", false},
            {"max_window_layers", 24}, {"bos_token_id", 151643}, {"eos_token_id", 151643}}},
      {"qwen3-0.6b",
       "qwen3",
       "AutoModelForCausalLM",
       DType::BFloat16,
       json{{"architectures", {"Qwen3ForCausalLM"}}, {"hidden_size", 1024}, {"intermediate_size", 3072},
            {"num_hidden_layers", 28}, {"num_attention_heads", 16}, {"num_key_value_heads", 8}, {"head_dim", 128},
            {"vocab_size", 151936}, {"max_position_embeddings", 40960}, {"rope_theta", 1000000.0},
            {"rms_norm_eps", 1e-6}, {"tie_word_embeddings", true}, {"bos_token_id", 151643},
            {"eos_token_id", 151645}}},
      {"gemma3-1b",
       "gemma3_text",
       "AutoModelForCausalLM",
       DType::BFloat16,
       json{{"architectures", {"Gemma3ForCausalLM"}}, {"hidden_size", 1152}, {"intermediate_size", 6912},
            {"num_hidden_layers", 26}, {"num_attention_heads", 4}, {"num_key_value_heads", 1}, {"head_dim", 256},
            {"vocab_size", 262144}, {"max_position_embeddings", 32768}, {"rope_theta", 1000000.0},
            {"rope_local_base_freq", 10000.0}, {"sliding_window", 512}, {"sliding_window_pattern", 6},
            {"query_pre_attn_scalar", 256}, {"rms_norm_eps", 1e-6}, {"hidden_activation", "gelu_pytorch_tanh"},
            {"tie_word_embeddings", true}, {"bos_token_id", 2}, {"eos_token_id", 1}, {"pad_token_id", 0}}},
      {"olmo2-1b",
       "olmo2",
       "AutoModelForCausalLM",
       DType::BFloat16,
       json{{"architectures", {"Olmo2ForCausalLM"}}, {"hidden_size", 2048}, {"intermediate_size", 8192},
            {"num_hidden_layers", 16}, {"num_attention_heads", 16}, {"num_key_value_heads", 16},
            {"vocab_size", 100352}, {"max_position_embeddings", 4096}, {"rope_theta", 500000.0},
            {"rms_norm_eps", 1e-6}, {"tie_word_embeddings", false}, {"bos_token_id", 100257},
            {"eos_token_id", 100257}, {"pad_token_id", 100277}}},
      // Families with no public checkpoint between 0.5B and 1B: the real checkpoint's config.json
      // values (so every layer has its real GEMM shapes and switches) with fewer layers, to ~1B.
      // mistralai/Mistral-7B-v0.1, 3 of 32 layers (0.92B): GQA 32/8, sliding_window 4096.
      {"mistral-1b",
       "mistral",
       "AutoModelForCausalLM",
       DType::BFloat16,
       json{{"architectures", {"MistralForCausalLM"}}, {"hidden_size", 4096}, {"intermediate_size", 14336},
            {"num_hidden_layers", 3}, {"num_attention_heads", 32}, {"num_key_value_heads", 8},
            {"vocab_size", 32000}, {"max_position_embeddings", 32768}, {"rope_theta", 10000.0},
            {"rms_norm_eps", 1e-5}, {"sliding_window", 4096}, {"tie_word_embeddings", false},
            {"bos_token_id", 1}, {"eos_token_id", 2}}},
      // google/gemma-2-2b, 6 of 26 layers (1.06B, 0.59B of it the tied 256 000 vocab): local/global
      // alternation, both soft-caps, query_pre_attn_scalar, GeGLU, sandwich norms.
      {"gemma2-1b",
       "gemma2",
       "AutoModelForCausalLM",
       DType::BFloat16,
       json{{"architectures", {"Gemma2ForCausalLM"}}, {"hidden_size", 2304}, {"intermediate_size", 9216},
            {"num_hidden_layers", 6}, {"num_attention_heads", 8}, {"num_key_value_heads", 4}, {"head_dim", 256},
            {"vocab_size", 256000}, {"max_position_embeddings", 8192}, {"rope_theta", 10000.0},
            {"rms_norm_eps", 1e-6}, {"hidden_activation", "gelu_pytorch_tanh"}, {"query_pre_attn_scalar", 256},
            {"sliding_window", 4096}, {"attn_logit_softcapping", 50.0}, {"final_logit_softcapping", 30.0},
            {"cache_implementation", "hybrid"}, {"tie_word_embeddings", true}, {"bos_token_id", 2},
            {"eos_token_id", 1}, {"pad_token_id", 0}}},
      // microsoft/Phi-3-mini-4k-instruct, 7 of 32 layers (0.99B): fused qkv_proj / gate_up_proj,
      // 32 heads without GQA, head_dim 96, sliding_window 2047, untied.
      {"phi3-1b",
       "phi3",
       "AutoModelForCausalLM",
       DType::BFloat16,
       json{{"architectures", {"Phi3ForCausalLM"}}, {"hidden_size", 3072}, {"intermediate_size", 8192},
            {"num_hidden_layers", 7}, {"num_attention_heads", 32}, {"num_key_value_heads", 32},
            {"vocab_size", 32064}, {"max_position_embeddings", 4096}, {"original_max_position_embeddings", 4096},
            {"rope_theta", 10000.0}, {"rms_norm_eps", 1e-5}, {"sliding_window", 2047},
            {"tie_word_embeddings", false}, {"bos_token_id", 1}, {"eos_token_id", 32000}, {"pad_token_id", 32000}}},
  };
}

std::string spec_names() {
  std::string names;
  for (const Spec& s : specs()) names += (names.empty() ? "" : ", ") + std::string(s.name);
  return names;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: make_bench_models OUT_DIR [NAME...] (names: %s)\n", spec_names().c_str());
    return 2;
  }
  if (std::string(argv[1]) == "--specs") {
    json all = json::object();
    for (const Spec& s : specs())
      all[s.name] = {{"model_type", s.model_type},
                     {"auto_class", s.auto_class},
                     {"dtype", std::string(transformers::dtype_name(s.dtype))},
                     {"kwargs", s.kwargs}};
    std::printf("%s\n", all.dump(1).c_str());
    return 0;
  }
  const fs::path out = argv[1];
  std::vector<std::string> wanted(argv + 2, argv + argc);
  for (const auto& w : wanted) {
    bool known = false;
    for (const Spec& s : specs()) known = known || w == s.name;
    if (!known) {
      std::fprintf(stderr, "error: unknown model '%s' (%s)\n", w.c_str(), spec_names().c_str());
      return 2;
    }
  }
  try {
    for (const Spec& s : specs()) {
      if (!wanted.empty() && std::find(wanted.begin(), wanted.end(), s.name) == wanted.end()) continue;
      const fs::path dir = out / s.name;
      if (fs::exists(dir / "config.json")) {
        std::printf("%s: exists, kept (%s)\n", s.name, dir.c_str());
        continue;
      }
      const auto t0 = std::chrono::steady_clock::now();
      auto config = transformers::AutoConfig::for_model(s.model_type, s.kwargs);
      auto model = transformers::auto_from_config(s.auto_class, config, /*seed=*/1234);
      if (s.dtype != transformers::DType::Float32) model->to(s.dtype);
      fs::create_directories(dir);
      model->save_pretrained(dir.string());
      std::printf("%s: %lld parameters, %s, written to %s in %.1f s\n", s.name,
                  static_cast<long long>(model->num_parameters()), std::string(transformers::dtype_name(s.dtype)).c_str(),
                  dir.c_str(), seconds_since(t0));
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
