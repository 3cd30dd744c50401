#pragma once
// Vectorised float32 softmax row for the current kernel level; false when none applies.
#include <cstdint>

namespace transformers::ops::detail {

bool softmax_row_f32(float* out, const float* x, int64_t n, bool log);

}  // namespace transformers::ops::detail
