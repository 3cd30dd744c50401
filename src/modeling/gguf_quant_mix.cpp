// Per-tensor storage types of the GGUF writer (facts of llama.cpp's convert_hf_to_gguf.py and
// llama-quantize's llama_tensor_get_type; see the header).
#include "transformers/modeling/gguf_quant_mix.hpp"

#include <cstdio>

#include "transformers/core/error.hpp"

namespace transformers {

namespace {

bool contains(const std::string& s, const char* part) { return s.find(part) != std::string::npos; }

bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

// llama-quantize's use_more_bits: the first and last eighth of the layers and every third between.
bool use_more_bits(int64_t i, int64_t n) { return i < n / 8 || i >= 7 * n / 8 || (i - n / 8) % 3 == 2; }

// The layer of "blk.N.…", -1 for none.
int64_t layer_of(const std::string& name) {
  long long n = -1;
  return std::sscanf(name.c_str(), "blk.%lld.", &n) == 1 ? int64_t(n) : -1;
}

bool fits(DType t, int64_t cols) { return cols % int64_t(dtype_traits(t).block_elems) == 0; }

// llama-quantize's fallback for a row that is not whole super-blocks. Q2_K and Q3_K fall back to
// IQ4_NL there, a type this project neither reads nor writes: Q4_0 instead, the same 4.5 bits per
// weight in the same 32-element blocks (IQ4_NL is Q4_0 with a non-uniform level table).
DType fall_back(DType t, int64_t cols) {
  if (fits(t, cols)) return t;
  const DType f = t == DType::Q4_K                        ? DType::Q5_0
                  : t == DType::Q5_K                      ? DType::Q5_1
                  : t == DType::Q2_K || t == DType::Q3_K ? DType::Q4_0
                                                          : DType::Q8_0;
  return fits(f, cols) ? f : DType::Float16;
}

}  // namespace

const GGUFQuantMix& gguf_quant_mix(const std::string& quant) {
  // general.file_type: llama_ftype's LLAMA_FTYPE_MOSTLY_Q2_K = 10, Q3_K_S = 11, Q3_K_M = 12,
  // Q3_K_L = 13, Q4_K_M = 15, Q5_K_M = 17, Q6_K = 18
  static const std::vector<GGUFQuantMix> mixes = {
      {"f32", DType::Float32, false, 0},  {"f16", DType::Float16, false, 1},  {"bf16", DType::BFloat16, false, 32},
      {"q8_0", DType::Q8_0, false, 7},    {"q4_0", DType::Q4_0, false, 2},    {"q2_k", DType::Q2_K, true, 10},
      {"q3_k_s", DType::Q3_K, true, 11},  {"q3_k_m", DType::Q3_K, true, 12},  {"q3_k_l", DType::Q3_K, true, 13},
      {"q4_k_m", DType::Q4_K, true, 15},  {"q5_k_m", DType::Q5_K, true, 17},  {"q6_k", DType::Q6_K, true, 18},
  };
  for (const auto& m : mixes)
    if (m.name == quant) return m;
  throw ValueError("save_gguf: quant '" + quant +
                   "' is not one of f32, f16, bf16, q8_0, q4_0, q2_k, q3_k_s, q3_k_m, q3_k_l, q4_k_m, q5_k_m, q6_k");
}

DType gguf_tensor_type(const GGUFQuantMix& mix, const std::string& name, const std::vector<int64_t>& shape,
                       const GGUFMixModel& model) {
  if (shape.size() != 2) return DType::Float32;
  const int64_t cols = shape[1];
  if (!mix.k_mix) {
    if (!is_quantized(mix.type)) return mix.type;
    return fits(mix.type, cols) ? mix.type : DType::Float16;
  }
  // llama-quantize quantizes weights only, never norms
  if (!ends_with(name, "weight") || contains(name, "_norm.weight")) return DType::Float32;
  DType t = mix.type;
  const bool more_bits_mix = mix.type == DType::Q4_K || mix.type == DType::Q5_K;  // q4_k_m, q5_k_m
  const bool q2_k = mix.name == "q2_k", q3_k_m = mix.name == "q3_k_m", q3_k_l = mix.name == "q3_k_l";
  const int64_t layer = layer_of(name);
  if (name == "output.weight" || (!model.has_output && name == "token_embd.weight")) {
    t = !fits(mix.type, cols) ? DType::Q8_0 : DType::Q6_K;
  } else if (contains(name, "attn_v.weight")) {
    // llama.cpp counts attn_v tensors in file order, which is the layer order
    const int64_t gqa = model.n_head_kv > 0 ? model.n_head / model.n_head_kv : 1;
    if (q2_k) t = gqa >= 4 ? DType::Q4_K : DType::Q3_K;
    else if (q3_k_m) t = layer >= 0 && layer < 2 ? DType::Q5_K : DType::Q4_K;
    else if (q3_k_l) t = DType::Q5_K;
    else if (more_bits_mix && layer >= 0 && use_more_bits(layer, model.n_layers)) t = DType::Q6_K;
    // llama.cpp's 70B type: 80 layers with grouped key/value heads
    const bool is_70b = model.n_layers == 80 && model.n_head != model.n_head_kv;
    if (is_70b && (t == DType::Q3_K || t == DType::Q4_K)) t = DType::Q5_K;
  } else if (contains(name, "ffn_down")) {
    if (q2_k) t = DType::Q3_K;
    else if (q3_k_m) t = layer >= 0 && layer < model.n_layers / 16 ? DType::Q5_K : DType::Q4_K;
    else if (q3_k_l) t = DType::Q5_K;
    else if (more_bits_mix && layer >= 0 && use_more_bits(layer, model.n_layers)) t = DType::Q6_K;
  } else if (contains(name, "attn_output.weight")) {
    if (q2_k) t = DType::Q3_K;
    else if (q3_k_m) t = DType::Q4_K;
    else if (q3_k_l) t = DType::Q5_K;
  }
  return fall_back(t, cols);
}

}  // namespace transformers
