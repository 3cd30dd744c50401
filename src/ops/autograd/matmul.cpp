// Backward of the matrix products: matmul (with torch's 1-D and broadcast-batch rules), bmm,
// linear (x W^T + b) and GPT-2's Conv1D addmm (x W + b).
#include "ops/autograd/grad_utils.hpp"
#include "ops/dispatch.hpp"
#include "transformers/ops/elementwise.hpp"
#include "transformers/ops/matmul.hpp"
#include "transformers/ops/reduce.hpp"

namespace transformers::ops {

using grad::Grads;
using grad::reduce_to;

namespace {
// The weight in the gradient's dtype: a 16-bit weight multiplies a float32 activation.
Tensor as_dtype(const Tensor& w, DType dt) { return w.dtype() == dt ? w : w.to(dt); }

// Rows of x [..., n] as a 2-D [rows, n] matrix.
Tensor rows(const Tensor& x) { return x.reshape({-1, x.size(-1)}); }
}  // namespace

void record_matmul(Tensor& out, const Tensor& a, const Tensor& b) {
  const auto need = grad::needs({&a, &b});
  autograd::record("MmBackward0", out, {&a, &b}, [=, a = a.detach(), b = b.detach()](const Tensor& g) {
    if (a.dim() == 1 && b.dim() == 1)  // dot product
      return Grads{need[0] ? mul(g, b) : Tensor(), need[1] ? mul(g, a) : Tensor()};
    // Lift 1-D operands to matrices as torch does, so the gradient has the matrix product's shape.
    const Tensor A = a.dim() == 1 ? a.unsqueeze(0) : a;
    const Tensor B = b.dim() == 1 ? b.unsqueeze(-1) : b;
    Tensor G = g;
    if (a.dim() == 1) G = G.unsqueeze(-2);
    if (b.dim() == 1) G = G.unsqueeze(-1);
    const DType dt = G.dtype();
    Tensor ga, gb;
    if (need[0]) ga = reduce_to(matmul(G, as_dtype(B, dt).transpose(-1, -2)), A.sizes()).reshape(a.sizes());
    if (need[1]) gb = reduce_to(matmul(as_dtype(A, dt).transpose(-1, -2), G), B.sizes()).reshape(b.sizes());
    return Grads{ga, gb};
  });
}

void record_bmm(Tensor& out, const Tensor& a, const Tensor& b) {
  const auto need = grad::needs({&a, &b});
  autograd::record("BmmBackward0", out, {&a, &b}, [=, a = a.detach(), b = b.detach()](const Tensor& g) {
    return Grads{need[0] ? bmm(g, as_dtype(b, g.dtype()).transpose(1, 2)) : Tensor(),
                 need[1] ? bmm(as_dtype(a, g.dtype()).transpose(1, 2), g) : Tensor()};
  });
}

namespace {
// y = x W' + b where W' is W^T (linear, W [out, in]) or W (Conv1D, W [in, out]).
void record_affine(Tensor& out, const Tensor& x, const Tensor& weight, const Tensor& bias, bool w_is_out_in) {
  const auto need = grad::needs({&x, &weight, &bias});
  autograd::record("AddmmBackward0", out, {&x, &weight, &bias},
                   [=, x = x.detach(), w = weight.detach()](const Tensor& g) {
                     const Tensor g2 = rows(g), wg = as_dtype(w, g.dtype());
                     Tensor gx, gw, gb;
                     if (need[0]) gx = matmul(g, w_is_out_in ? wg : wg.transpose(0, 1));
                     if (need[1]) {
                       const Tensor x2 = as_dtype(rows(x), g.dtype());
                       gw = w_is_out_in ? matmul(g2.transpose(0, 1), x2) : matmul(x2.transpose(0, 1), g2);
                     }
                     if (need[2]) gb = sum(g2, {0});
                     return Grads{gx, gw, gb};
                   });
}
}  // namespace

void record_linear(Tensor& out, const Tensor& x, const Tensor& weight, const Tensor& bias) {
  record_affine(out, x, weight, bias, /*w_is_out_in=*/true);
}

// GPT-2's Conv1D.
void record_addmm_conv1d(Tensor& out, const Tensor& x, const Tensor& weight, const Tensor& bias) {
  record_affine(out, x, weight, bias, /*w_is_out_in=*/false);
}

}  // namespace transformers::ops
