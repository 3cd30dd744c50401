#pragma once
// Dequantization of GGML's block-quantized dtypes (Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q2_K..Q6_K) to
// float32, bit-exact with the `gguf` Python package's gguf.quants.dequantize (which transformers
// 4.51 calls when it loads a GGUF file): the same float32 products and sums in the same order.
// Block layouts: one row per type in dtype_traits (elements and bytes per block).
#include <cstdint>

#include "transformers/core/dtype.hpp"

namespace transformers {

// The 8 six-bit (scale, min) pairs of Q4_K / Q5_K, packed in 12 bytes (shared by the dequantizer
// and the kernels that keep the blocks).
inline void k_scale_min(const uint8_t* s, uint8_t* sc, uint8_t* mn) {
  for (int j = 0; j < 4; ++j) {
    sc[j] = s[j] & 0x3f;
    mn[j] = s[j + 4] & 0x3f;
    sc[j + 4] = uint8_t((s[j + 8] & 0x0f) | ((s[j] >> 2) & 0x30));
    mn[j + 4] = uint8_t((s[j + 8] >> 4) | ((s[j + 4] >> 2) & 0x30));
  }
}

// Writes `numel` floats to `dst` from the blocks at `src` (numel / block_elems whole blocks of
// dtype_traits(dt).block_bytes bytes, any alignment). Throws ValueError when `dt` is not a block
// type or `numel` is not a whole number of blocks.
void dequantize_blocks(DType dt, const void* src, float* dst, int64_t numel);

// Writes numel / block_elems blocks of `dt` to `dst` from `numel` floats. Q8_0, Q4_0, Q4_1, Q5_0,
// Q5_1: bit-exact with gguf.quants.quantize. Q2_K, Q3_K, Q4_K, Q5_K, Q6_K (which gguf-py cannot
// quantize): the scale search of llama.cpp's reference quantizer, as llama-quantize runs it without
// an importance matrix (the GGUF writer's --quant q2_k, q3_k_s|m|l, q4_k_m, q5_k_m, q6_k). Throws
// ValueError for other types or a partial block.
void quantize_blocks(DType dt, const float* src, void* dst, int64_t numel);

}  // namespace transformers
