// The op seam (issue 19): one registration table that every public op dispatches through, the
// device rule (CPU by default, Reference when an argument lives there or a DeviceGuard asks), the
// reference backend's float64 results, and the layering rule that only src/ops sees a backend.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <functional>
#include <fstream>
#include <random>
#include <regex>
#include <sstream>

#include "ops/dispatch.hpp"
#include "transformers/ops/ops.hpp"

using namespace transformers;
namespace fs = std::filesystem;

namespace {

Tensor randn(const Shape& s, uint64_t seed, DType dt = DType::Float32) {
  ops::Generator g(seed);
  return ops::randn(s, g, dt);
}

double max_abs(const Tensor& a, const Tensor& b) {
  const auto x = a.to_vector<double>(), y = b.to_vector<double>();
  EXPECT_EQ(x.size(), y.size());
  double m = 0;
  for (size_t i = 0; i < x.size() && i < y.size(); ++i) m = std::max(m, std::abs(x[i] - y[i]));
  return m;
}

}  // namespace

// Only src/ops includes the private op headers (ops/dispatch.hpp, ops/cpu/*, ops/reference/*):
// the rest of the library, the CLI and the public headers go through transformers/ops/*.hpp.
TEST(OpSeam, NoFileOutsideSrcOpsIncludesABackendHeader) {
  const fs::path root = TRANSFORMERS_SOURCE_DIR;
  const std::regex private_ops(R"(#\s*include\s*"ops/)");
  std::vector<std::string> offenders;
  int scanned = 0;
  for (const char* dir : {"src", "tools", "include"}) {
    for (const auto& e : fs::recursive_directory_iterator(root / dir)) {
      if (!e.is_regular_file()) continue;
      const fs::path rel = fs::relative(e.path(), root);
      if (rel.string().rfind("src/ops/", 0) == 0) continue;
      const std::string ext = e.path().extension().string();
      if (ext != ".cpp" && ext != ".hpp" && ext != ".h" && ext != ".inc") continue;
      std::ifstream f(e.path());
      std::stringstream ss;
      ss << f.rdbuf();
      ++scanned;
      if (std::regex_search(ss.str(), private_ops)) offenders.push_back(rel.string());
    }
  }
  EXPECT_GT(scanned, 50);  // the walk found the tree
  EXPECT_TRUE(offenders.empty()) << "includes a private ops/ header: " << offenders.front();
}

TEST(OpSeam, EveryOpHasACpuKernelAndUnknownDevicesAreNamedErrors) {
  const ops::KernelTable& t = ops::kernel_table();
  for (size_t i = 0; i < size_t(ops::OpId::kCount); ++i) {
    const auto op = ops::OpId(i);
    EXPECT_NO_THROW(t.find(op, Device::CPU, DType::Float32)) << ops::op_id_name(op);
    // Every op runs on the reference device: its own kernel or a borrowed reference-grade one.
    EXPECT_NO_THROW(t.find(op, Device::Reference, DType::BFloat16)) << ops::op_id_name(op);
  }
  try {
    t.find(ops::OpId::linear, Device::CUDA, DType::BFloat16);
    FAIL() << "expected UnsupportedError";
  } catch (const UnsupportedError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("linear"), std::string::npos) << m;
    EXPECT_NE(m.find("cuda"), std::string::npos) << m;
    EXPECT_NE(m.find("bfloat16"), std::string::npos) << m;
  }
}

TEST(OpSeam, ReferenceKernelsAreDistinctFromCpuOnesForArithmetic) {
  const ops::KernelTable& t = ops::kernel_table();
  for (auto op : {ops::OpId::linear, ops::OpId::matmul, ops::OpId::softmax, ops::OpId::layer_norm,
                  ops::OpId::scaled_dot_product_attention, ops::OpId::binary})
    EXPECT_NE(t.find(op, Device::CPU, DType::Float32), t.find(op, Device::Reference, DType::Float32))
        << ops::op_id_name(op);
  // Data movement is borrowed: the same kernel.
  EXPECT_EQ(t.find(ops::OpId::cat, Device::CPU, DType::Float32), t.find(ops::OpId::cat, Device::Reference, DType::Float32));
}

TEST(OpSeam, DeviceGuardAndReferenceTensorsSelectTheReferenceBackend) {
  const Tensor a = randn({3, 5}, 1), b = randn({5, 4}, 2);
  EXPECT_EQ(ops::current_host_device(), Device::CPU);
  EXPECT_EQ(ops::matmul(a, b).device(), Device::CPU);
  Tensor r;
  {
    ops::DeviceGuard g(Device::Reference);
    EXPECT_EQ(ops::current_host_device(), Device::Reference);
    r = ops::matmul(a, b);
    EXPECT_EQ(r.device(), Device::Reference);
  }
  EXPECT_EQ(ops::current_host_device(), Device::CPU);
  // A reference tensor keeps the ops that use it on the reference backend.
  EXPECT_EQ(ops::add(r, a.narrow(1, 0, 4)).device(), Device::Reference);
  EXPECT_EQ(ops::dispatch_device("x", {&a, &r}), Device::Reference);
  EXPECT_THROW(ops::DeviceGuard(Device::CUDA), UnsupportedError);
}

// The reference backend widens to float64 and rounds once: a float32 matmul equals the float64
// product of the same values rounded to float32, exactly; the CPU kernels (float32 accumulation)
// need not. Softmax and layer_norm likewise against float64 runs of the same ops.
TEST(OpSeam, ReferenceResultsAreFloat64ResultsRoundedOnce) {
  const Tensor a = randn({2, 7, 33}, 3), b = randn({33, 9}, 4);
  const Tensor exact = ops::matmul(a.to(DType::Float64), b.to(DType::Float64)).to(DType::Float32);
  ops::DeviceGuard g(Device::Reference);
  EXPECT_EQ(max_abs(ops::matmul(a, b), exact), 0.0);
  const Tensor w = randn({9, 33}, 5), bias = randn({9}, 6);
  const Tensor lin64 = ops::linear(a.to(DType::Float64), w.to(DType::Float64), bias.to(DType::Float64));
  EXPECT_EQ(max_abs(ops::linear(a, w, bias), lin64.to(DType::Float32)), 0.0);
  const Tensor s = ops::softmax(a, -1), s64 = ops::softmax(a.to(DType::Float64), -1);
  EXPECT_EQ(s.dtype(), DType::Float32);
  EXPECT_EQ(max_abs(s, s64.to(DType::Float32)), 0.0);
  const Tensor ln = ops::layer_norm(a, Tensor(), Tensor(), 1e-5);
  EXPECT_EQ(max_abs(ln, ops::layer_norm(a.to(DType::Float64), Tensor(), Tensor(), 1e-5).to(DType::Float32)), 0.0);
}

// Each reference op agrees with the CPU kernels to float32 rounding, dtype and shape included.
TEST(OpSeam, ReferenceAgreesWithCpuOnEveryArithmeticOp) {
  const Tensor x = randn({2, 3, 4, 8}, 7), y = randn({1, 3, 1, 8}, 8);
  const Tensor q = randn({2, 4, 5, 8}, 9), k = randn({2, 2, 6, 8}, 10), v = randn({2, 2, 6, 8}, 11);
  const Tensor mask = ops::gt(randn({2, 1, 5, 6}, 12), -0.8);
  const Tensor cosv = randn({2, 4, 8}, 13), sinv = randn({2, 4, 8}, 14);
  const Tensor k4 = randn({2, 4, 6, 8}, 16), v4 = randn({2, 4, 6, 8}, 17);
  const Tensor additive = ops::where(mask, Tensor::scalar(0.0), Tensor::scalar(-1e4));
  std::vector<std::function<Tensor()>> cases = {
      [&] { return ops::add(x, y); },
      [&] { return ops::div(x, 3.0); },
      [&] { return ops::rsub(x, 1.5); },
      [&] { return ops::gelu(x); },
      [&] { return ops::silu(x); },
      [&] { return ops::gt(x, y).to(DType::Float32); },
      [&] { return ops::matmul(x, y.transpose(-1, -2)); },
      [&] { return ops::rms_norm(x, randn({8}, 15), 1e-6); },
      [&] { return ops::log_softmax(x, 1); },
      [&] { return ops::apply_rotary_pos_emb(x.narrow(2, 0, 4), cosv.narrow(1, 0, 4), sinv.narrow(1, 0, 4)); },
      [&] { return ops::scaled_dot_product_attention(q, k, v, {.attn_mask = mask, .enable_gqa = true}); },
      [&] { return ops::scaled_dot_product_attention(q, k, v, {.is_causal = true, .enable_gqa = true}); },
      [&] { return ops::eager_attention(q, k4, v4, additive).first; },
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    const Tensor c = cases[i]();
    Tensor r;
    {
      ops::DeviceGuard g(Device::Reference);
      r = cases[i]();
    }
    EXPECT_EQ(r.dtype(), c.dtype()) << "case " << i;
    EXPECT_EQ(r.sizes(), c.sizes()) << "case " << i;
    EXPECT_LE(max_abs(r, c), 2e-5) << "case " << i;
  }
}
