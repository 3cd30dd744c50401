// Vectorised float32 math for the avx2 kernel level (see vec_math.inc).
#define VEC_FN_PREFIX(name) name##avx2
#include "ops/cpu/vec_math.inc"
