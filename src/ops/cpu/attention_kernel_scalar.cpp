// The fused attention tile built for the scalar kernel level (see attention_kernel.inc).
#define ATTN_TILE_NAME attn_tile_scalar
#include "ops/cpu/attention_kernel.inc"
