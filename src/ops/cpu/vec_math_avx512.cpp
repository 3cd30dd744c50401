// Vectorised float32 math for the avx512 kernel level (see vec_math.inc).
#define VEC_FN_PREFIX(name) name##avx512
#include "ops/cpu/vec_math.inc"
