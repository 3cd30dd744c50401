// Reference matrix products: a triple loop with a float64 accumulator per output element.
#include <string>

#include "ops/reference/kernels.hpp"
#include "transformers/ops/elementwise.hpp"

namespace transformers::ops::reference {

namespace {
// a [..., M, K] @ b [..., K, N] with broadcast batch dims -> float64 [..., M, N].
Tensor batched(const char* op, const Tensor& a, const Tensor& b) {
  const int64_t M = a.size(-2), K = a.size(-1), N = b.size(-1);
  if (b.size(-2) != K)
    throw ShapeError(std::string(op) + ": mat1 and mat2 shapes cannot be multiplied (" + shape_str(a.sizes()) +
                     " and " + shape_str(b.sizes()) + "): expected b.size(-2) == " + std::to_string(K));
  const Shape batch = broadcast_shapes(Shape(a.sizes().begin(), a.sizes().end() - 2),
                                       Shape(b.sizes().begin(), b.sizes().end() - 2));
  Shape ash = batch, bsh = batch, osh = batch;
  ash.insert(ash.end(), {M, K});
  bsh.insert(bsh.end(), {K, N});
  osh.insert(osh.end(), {M, N});
  const Tensor x = to_f64(a.expand(ash)), y = to_f64(b.expand(bsh));
  Tensor out = empty_f64(osh);
  const double *px = x.data<double>(), *py = y.data<double>();
  double* po = out.data<double>();
  const int64_t nb = shape_numel(batch);
  for (int64_t s = 0; s < nb; ++s)
    for (int64_t i = 0; i < M; ++i)
      for (int64_t j = 0; j < N; ++j) {
        double acc = 0;
        for (int64_t k = 0; k < K; ++k) acc += px[(s * M + i) * K + k] * py[(s * K + k) * N + j];
        po[(s * M + i) * N + j] = acc;
      }
  return out;
}

void check_weight(const char* op, const Tensor& weight, const char* layout) {
  if (weight.dim() != 2)
    throw ShapeError(std::string(op) + ": weight must be 2-D " + layout + ", found " + shape_str(weight.sizes()));
}

// x [..., K] @ w [K, N] + bias [N], all in w's dtype (x and bias are converted first, as PyTorch
// requires them to match), accumulated in float64.
Tensor affine(const char* op, const Tensor& x, const Tensor& w_kn, const Tensor& bias) {
  const DType wt = w_kn.dtype();
  const int64_t K = w_kn.size(0), N = w_kn.size(1);
  if (x.dim() == 0 || x.size(-1) != K)
    throw ShapeError(std::string(op) + ": input's last dim must equal in_features " + std::to_string(K) +
                     ", found input shape " + shape_str(x.sizes()));
  if (bias.defined() && (bias.dim() != 1 || bias.size(0) != N))
    throw ShapeError(std::string(op) + ": bias must have shape [" + std::to_string(N) + "], found " +
                     shape_str(bias.sizes()));
  Tensor y = batched(op, x.to(wt).reshape({-1, K}), w_kn);
  if (bias.defined()) {
    const Tensor b = to_f64(bias.to(wt));
    double* py = y.data<double>();
    const double* pb = b.data<double>();
    for (int64_t i = 0; i < y.numel(); ++i) py[i] += pb[i % N];
  }
  Shape osh(x.sizes().begin(), x.sizes().end() - 1);
  osh.push_back(N);
  return y.view(osh).to(wt);
}
}  // namespace

Tensor matmul(const Tensor& a, const Tensor& b) {
  if (a.dim() == 0 || b.dim() == 0)
    throw ShapeError("matmul: both arguments need at least 1 dimension, found shapes " + shape_str(a.sizes()) +
                     " and " + shape_str(b.sizes()));
  const DType rt = result_type(a, b);
  if (rt == DType::Bool) throw UnsupportedError("matmul: bool tensors are not supported");
  const Tensor x = a.dim() == 1 ? a.unsqueeze(0) : a, y = b.dim() == 1 ? b.unsqueeze(1) : b;
  Tensor out = batched("matmul", x, y);
  if (b.dim() == 1) out = out.squeeze(-1);
  if (a.dim() == 1) out = out.squeeze(b.dim() == 1 ? -1 : -2);
  return out.to(rt);
}

Tensor bmm(const Tensor& a, const Tensor& b) {
  if (a.dim() != 3 || b.dim() != 3 || a.size(0) != b.size(0))
    throw ShapeError("bmm: expected [B,M,K] and [B,K,N] with equal B, found " + shape_str(a.sizes()) + " and " +
                     shape_str(b.sizes()));
  return matmul(a, b);
}

Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias) {
  check_weight("linear", weight, "[out_features, in_features]");
  return affine("linear", x, weight.t(), bias);
}

Tensor addmm_conv1d(const Tensor& x, const Tensor& weight, const Tensor& bias) {
  check_weight("addmm_conv1d", weight, "[in, out] (GPT-2 Conv1D)");
  return affine("addmm_conv1d", x, weight, bias);
}

}  // namespace transformers::ops::reference
