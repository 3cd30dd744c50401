// The fused attention tile built for the avx2 kernel level (see attention_kernel.inc).
#define ATTN_TILE_NAME attn_tile_avx2
#include "ops/cpu/attention_kernel.inc"
