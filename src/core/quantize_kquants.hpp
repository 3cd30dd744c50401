#pragma once
// Block quantizers behind quantize_blocks (quant_blocks.hpp) beyond Q8_0 / Q4_0: the other simple
// types as gguf-py's numpy quantizers compute them (Q4_1, Q5_0, Q5_1) and the k-quants Q2_K..Q6_K
// as llama.cpp's reference quantizer (the one llama-quantize uses without an importance matrix)
// chooses their scales. One call writes one block.
#include <cstdint>

namespace transformers::detail {

void quantize_block_q4_1(const float* x, uint8_t* b);  // 32 floats -> 20 bytes
void quantize_block_q5_0(const float* x, uint8_t* b);  // 32 floats -> 22 bytes
void quantize_block_q5_1(const float* x, uint8_t* b);  // 32 floats -> 24 bytes
void quantize_block_q2_k(const float* x, uint8_t* b);  // 256 floats -> 84 bytes
void quantize_block_q3_k(const float* x, uint8_t* b);  // 256 floats -> 110 bytes
void quantize_block_q4_k(const float* x, uint8_t* b);  // 256 floats -> 144 bytes
void quantize_block_q5_k(const float* x, uint8_t* b);  // 256 floats -> 176 bytes
void quantize_block_q6_k(const float* x, uint8_t* b);  // 256 floats -> 210 bytes

}  // namespace transformers::detail
