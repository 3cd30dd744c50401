#pragma once
// The reference backend: a deliberately simple float64 implementation of every arithmetic op.
// Inputs of any dtype are widened to float64, computed with plain loops and float64 accumulation,
// and rounded once to the output dtype the front end chose. It proves the op seam (a second backend
// through the same table), serves as the oracle for parity and (later) gradient checks, and is
// the CPU backend's float64 attention. Ops that only move or select data are borrowed from the CPU
// backend (ReferenceGrade::yes in ops/cpu/register.cpp), among them the reductions, which
// accumulate in float64 already.
#include "ops/dispatch.hpp"

namespace transformers::ops::reference {

Tensor binary(BinaryOp op, const Tensor& a, const Tensor& b, ElementwiseTypes ty);
Tensor binary_scalar(BinaryOp op, const Tensor& a, double s, bool scalar_first, ElementwiseTypes ty);
Tensor unary(UnaryOp op, const Tensor& a, double p0, double p1, DType out);
Tensor& add_(Tensor& a, const Tensor& b);
Tensor matmul(const Tensor& a, const Tensor& b);
Tensor bmm(const Tensor& a, const Tensor& b);
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias);
Tensor addmm_conv1d(const Tensor& x, const Tensor& weight, const Tensor& bias);
Tensor layer_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, double eps);
Tensor rms_norm(const Tensor& x, const Tensor& weight, double eps);
Tensor softmax(const Tensor& t, int64_t dim, std::optional<DType> dtype);
Tensor log_softmax(const Tensor& t, int64_t dim, std::optional<DType> dtype);
Tensor apply_rotary_pos_emb(const Tensor& x, const Tensor& cos, const Tensor& sin);
Tensor scaled_dot_product_attention(const Tensor& q, const Tensor& k, const Tensor& v, const SdpaOptions& opts);
// The same, with the result on `device` (the CPU backend's float64 attention uses it for CPU results).
Tensor scaled_dot_product_attention_on(Device device, const Tensor& q, const Tensor& k, const Tensor& v,
                                       const SdpaOptions& opts);

// Helpers shared by the reference kernels.
// A contiguous float64 copy of t (exact for every dtype but int64 beyond 2^53).
Tensor to_f64(const Tensor& t);
// An uninitialised float64 tensor on the reference device (or `device`).
Tensor empty_f64(const Shape& shape, Device device = Device::Reference);

}  // namespace transformers::ops::reference
