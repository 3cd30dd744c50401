// The fused attention tile built for the avx512 kernel level (see attention_kernel.inc).
#define ATTN_TILE_NAME attn_tile_avx512
#include "ops/cpu/attention_kernel.inc"
