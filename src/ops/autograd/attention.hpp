#pragma once
// The memory-efficient training path of scaled_dot_product_attention (see attention.cpp here).
#include "transformers/ops/attention.hpp"

namespace transformers::ops::grad {

// Attention forward in query blocks keeping each row's logsumexp; when autograd records over
// q / k / v, one node ("ScaledDotProductEfficientAttentionBackward0") whose backward recomputes the
// probabilities block by block. Never holds more than kSdpaBlockRows x Lk scores per (batch, head).
// Arguments checked by the front end; dropout_p must be 0; the mask is not differentiated.
Tensor sdpa_memory_efficient(const Tensor& q, const Tensor& k, const Tensor& v, const SdpaOptions& opts);

constexpr int64_t kSdpaBlockRows = 64;

}  // namespace transformers::ops::grad

namespace transformers::ops {
// The same attention as recorded matmul / softmax / matmul (torch's math backend; src/ops/attention.cpp):
// the path for dropout, and the reference the efficient path's gradients are tested against.
Tensor sdpa_composed(const Tensor& q, const Tensor& k, const Tensor& v, const SdpaOptions& opts);
}  // namespace transformers::ops
