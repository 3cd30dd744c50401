// ops::fused_linear (the GEMM epilogue of issue 27's encoder fusions): bias, erf-GELU and the
// residual add done on each C tile must give the unfused ops' result. The GEMM sums are the same
// kernel's in the same order and the epilogue applies ops::gelu's own vector formula, then adds the
// residual last, so the two agree to the bit; checked on each kernel level, for writable weights
// (packed per call) and read-only ones (the packed-weight cache), shapes with edge tiles (N not a
// multiple of the 48/16-column strips, M not of the 8/6-row strips) and K over one k block.
#include <cstring>
#include <memory>

#include "op_test_util.hpp"
#include "ops/cpu/fused_linear.hpp"
#include "ops/cpu/packed_weights.hpp"
#include "transformers/core/autograd.hpp"
#include "transformers/ops/elementwise.hpp"
#include "transformers/ops/fused_linear.hpp"
#include "transformers/ops/matmul.hpp"

using namespace optest;
namespace ops = transformers::ops;
namespace d = transformers::ops::detail;

namespace {

struct Case {
  Shape x;  // input shape, last dim K
  int64_t N;
};

const Case kCases[] = {{{37, 300}, 70}, {{2, 13, 384}, 1536}, {{24, 1536}, 384}, {{3, 5, 8}, 5}};

Tensor read_only_copy(const Tensor& w) {
  auto buf = std::make_shared<std::vector<float>>(w.to_vector<float>());
  return Tensor::from_blob(buf->data(), w.sizes(), DType::Float32, buf, /*read_only=*/true);
}

}  // namespace

TEST(FusedLinear, EqualsUnfusedOpsBitwise) {
  int fused = 0, checked = 0;
  for_each_level([&] {
    const bool own = d::own_sgemm_available();
    for (const Case& c : kCases) {
      const int64_t K = c.x.back();
      SCOPED_TRACE("x " + transformers::shape_str(c.x) + " N=" + std::to_string(c.N));
      const Tensor x = random(c.x, DType::Float32), w_rw = random({c.N, K}, DType::Float32, -0.2, 0.2);
      const Tensor bias = random({c.N}, DType::Float32);
      Shape osh = c.x;
      osh.back() = c.N;
      const Tensor res = random(osh, DType::Float32);
      for (const Tensor& w : {w_rw, read_only_copy(w_rw)}) {
        const Tensor lin = ops::linear(x, w, bias);
        const Tensor want_gelu = ops::gelu(lin), want_add = ops::add(lin, res);
        const Tensor want_both = ops::add(want_gelu, res);
        EXPECT_TRUE(testcmp::allclose(ops::fused_linear(x, w, bias, {.activation = "gelu"}), want_gelu, testcmp::kExact));
        EXPECT_TRUE(testcmp::allclose(ops::fused_linear(x, w, bias, {.residual = res}), want_add, testcmp::kExact));
        EXPECT_TRUE(testcmp::allclose(ops::fused_linear(x, w, bias, {.activation = "gelu", .residual = res}), want_both,
                                      testcmp::kExact));
        EXPECT_TRUE(testcmp::allclose(ops::fused_linear(x, w, Tensor(), {.activation = "gelu"}),
                                      ops::gelu(ops::linear(x, w, Tensor())), testcmp::kExact));
        checked += 4;
        // The kernel itself ran (not the front end's fallback) wherever this level has our GEMM.
        const Tensor k = d::linear_epilogue_f32(x, w, bias, true, res);
        EXPECT_EQ(k.defined(), own);
        if (k.defined()) {
          EXPECT_TRUE(testcmp::allclose(k, want_both, testcmp::kExact));
          ++fused;
        }
      }
    }
  });
  EXPECT_EQ(checked, int(levels().size()) * 4 * 2 * 4);
  if (transformers::cpu_features().avx2) EXPECT_GE(fused, 8) << "no own-GEMM level ran the fused kernel";
}

// Calls the kernel does not cover give the unfused ops' result (and autograd graph).
TEST(FusedLinear, FallsBackOutsideTheKernel) {
  const Tensor x = random({9, 20}, DType::Float32), w = random({11, 20}, DType::Float32);
  const Tensor b = random({11}, DType::Float32), res = random({9, 11}, DType::Float32);
  // another activation, a broadcast residual, few rows (the GEMV path), float64
  EXPECT_TRUE(testcmp::allclose(ops::fused_linear(x, w, b, {.activation = "silu"}), ops::silu(ops::linear(x, w, b)),
                                testcmp::kExact));
  const Tensor row = random({11}, DType::Float32);
  EXPECT_TRUE(testcmp::allclose(ops::fused_linear(x, w, b, {.residual = row}), ops::add(ops::linear(x, w, b), row),
                                testcmp::kExact));
  const Tensor x2 = x.narrow(0, 0, 2);
  EXPECT_TRUE(testcmp::allclose(ops::fused_linear(x2, w, b, {.activation = "gelu", .residual = res.narrow(0, 0, 2)}),
                                ops::add(ops::gelu(ops::linear(x2, w, b)), res.narrow(0, 0, 2)), testcmp::kExact));
  const Tensor x64 = x.to(DType::Float64), w64 = w.to(DType::Float64), b64 = b.to(DType::Float64);
  const Tensor y64 = ops::fused_linear(x64, w64, b64, {.activation = "gelu"});
  EXPECT_EQ(y64.dtype(), DType::Float64);
  EXPECT_TRUE(testcmp::allclose(y64, ops::gelu(ops::linear(x64, w64, b64)), testcmp::kExact));
  // a weight that needs a gradient: recorded like the unfused ops
  Tensor wg = w.clone();
  wg.set_requires_grad(true);
  const Tensor y = ops::fused_linear(x, wg, b, {.activation = "gelu", .residual = res});
  EXPECT_TRUE(y.requires_grad());
  EXPECT_TRUE(testcmp::allclose(y, ops::add(ops::gelu(ops::linear(x, w, b)), res), testcmp::kExact));
  // a shape error is the unfused ops' error
  EXPECT_THROW(ops::fused_linear(random({4, 21}, DType::Float32), w, b, {.activation = "gelu"}), transformers::ShapeError);
}
