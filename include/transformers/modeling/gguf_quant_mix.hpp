#pragma once
// The storage type of each tensor of a GGUF the writer makes (save_gguf's `quant`). Two families:
//
//  * f32, f16, bf16, q8_0, q4_0: llama.cpp's convert_hf_to_gguf.py --outtype: every 2-D weight in
//    that type (a block type whose rows are not whole blocks: F16), 1-D tensors F32.
//  * q4_k_m, q5_k_m, q6_k: llama-quantize's named mixes (LLAMA_FTYPE_MOSTLY_Q4_K_M / Q5_K_M / Q6_K)
//    applied to the f32 file, without an importance matrix. Facts of its llama_tensor_get_type:
//    output.weight (token_embd.weight when the embeddings are tied and there is no output) Q6_K,
//    or Q8_0 when its rows are not whole blocks of the mix's type; for q4_k_m / q5_k_m attn_v and
//    ffn_down of the layers use_more_bits picks (the first and last eighth, and every third one
//    between) Q6_K; a 70B-shaped Llama (80 layers, grouped KV heads) stores Q4_K attn_v as Q5_K;
//    every other 2-D weight the mix's type (Q4_K, Q5_K, Q6_K). A type whose 256-element
//    super-blocks do not fit a row falls back as llama-quantize does (Q4_K -> Q5_0, Q5_K -> Q5_1,
//    Q6_K -> Q8_0; F16 if even 32 does not divide the row). 1-D tensors and norms stay F32.
//  * q2_k, q3_k_s, q3_k_m, q3_k_l (LLAMA_FTYPE_MOSTLY_Q2_K / Q3_K_S / Q3_K_M / Q3_K_L), the same
//    output rule, then: q2_k stores attn_v as Q4_K when 4 or more query heads share a KV head
//    (else Q3_K), attn_output and ffn_down as Q3_K, the rest Q2_K; q3_k_s everything Q3_K; q3_k_m
//    attn_v Q5_K in layers 0-1 and Q4_K after, attn_output Q4_K, ffn_down Q5_K in the first
//    sixteenth of the layers and Q4_K after; q3_k_l attn_v, attn_output and ffn_down Q5_K; the
//    70B shape stores a Q3_K or Q4_K attn_v as Q5_K. Q2_K / Q3_K rows that are not whole
//    super-blocks: llama-quantize writes IQ4_NL, which this project has no codec for; Q4_0 (the
//    same size) instead.
#include <cstdint>
#include <string>
#include <vector>

#include "transformers/core/dtype.hpp"

namespace transformers {

struct GGUFQuantMix {
  std::string name;     // the --quant value
  DType type;           // the type of an ordinary 2-D weight
  bool k_mix = false;   // llama-quantize's per-tensor rules (q2_k, q3_k_*, q4_k_m, q5_k_m, q6_k)
  uint32_t file_type;   // general.file_type (llama_ftype) llama-quantize records for a k mix
};

// ValueError naming the accepted values for anything else.
const GGUFQuantMix& gguf_quant_mix(const std::string& quant);

// What the model looks like to the per-tensor rules.
struct GGUFMixModel {
  int64_t n_layers = 0;
  int64_t n_head = 0, n_head_kv = 0;
  bool has_output = true;  // an output.weight tensor is written (false: tied embeddings)
};

// The stored type of tensor `gguf_name` (e.g. "blk.3.attn_v.weight") of shape `shape` (GGUF's
// order reversed, i.e. PyTorch's: {rows, cols}; 1-D {n}).
DType gguf_tensor_type(const GGUFQuantMix& mix, const std::string& gguf_name, const std::vector<int64_t>& shape,
                       const GGUFMixModel& model);

}  // namespace transformers
