// The one ISA scheme (issue 19): every kernel level maps to the kernel set of the best built level
// at or below it (src/core/isa/level_table.hpp), the float conversions behind Tensor::to give the
// scalar conversion's bits at every level, and the per-level files only instantiate templates.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "core/isa/level_table.hpp"
#include "ops/cpu/isa_kernels.hpp"
#include "op_test_util.hpp"
#include "transformers/core/cpu_features.hpp"
#include "transformers/core/tensor.hpp"

using namespace transformers;
namespace fs = std::filesystem;

namespace {

struct FakeSet {
  int id;
};

// Restores the kernel level the test started at.
struct LevelGuard {
  KernelLevel saved = kernel_level();
  ~LevelGuard() { force_kernel_level(saved); }
};

}  // namespace

TEST(IsaLevels, TableFallsBackToTheBestBuiltLevelBelow) {
  const FakeSet s{0}, a2{1}, a5{2};
  const isa::LevelTable<FakeSet> t{{KernelLevel::Scalar, &s}, {KernelLevel::Avx2, &a2}, {KernelLevel::Avx512, &a5}};
  EXPECT_EQ(t.at(KernelLevel::Scalar).id, 0);
  EXPECT_EQ(t.at(KernelLevel::Avx2).id, 1);
  EXPECT_EQ(t.at(KernelLevel::Avx512).id, 2);
  EXPECT_EQ(t.at(KernelLevel::Avx512Vnni).id, 2);
  EXPECT_EQ(t.at(KernelLevel::Avx512Bf16).id, 2);
  const isa::LevelTable<FakeSet> gap{{KernelLevel::Scalar, &s}, {KernelLevel::Avx512Bf16, &a5}};
  EXPECT_EQ(gap.at(KernelLevel::Avx2).id, 0);
  EXPECT_EQ(gap.at(KernelLevel::Avx512Vnni).id, 0);
  EXPECT_EQ(gap.at(KernelLevel::Avx512Bf16).id, 2);
}

TEST(IsaLevels, EachLevelRunsItsOwnKernelSetAndTheNewLevelsRunAvx512s) {
  LevelGuard guard;
  using ops::detail::current_isa_kernels;
  force_kernel_level(KernelLevel::Scalar);
  const auto* scalar = &current_isa_kernels();
  EXPECT_EQ(scalar->sgemm, nullptr);  // OpenBLAS at the scalar level
  EXPECT_EQ(scalar->unary_f32, nullptr);
  EXPECT_NE(scalar->attn_tile, nullptr);
  EXPECT_STREQ(kernel_level_name(KernelLevel::Avx512Vnni), "avx512vnni");
  EXPECT_STREQ(kernel_level_name(KernelLevel::Avx512Bf16), "avx512bf16");
  int checked = 0;
  for (KernelLevel l : {KernelLevel::Avx2, KernelLevel::Avx512}) {
    force_kernel_level(l);
    if (kernel_level() != l) continue;  // the CPU lacks it
    const auto* set = &current_isa_kernels();
    EXPECT_NE(set, scalar) << kernel_level_name(l);
    EXPECT_NE(set->sgemm, nullptr) << kernel_level_name(l);
    EXPECT_NE(set->unary_f32, nullptr) << kernel_level_name(l);
    ++checked;
  }
  force_kernel_level(KernelLevel::Avx512);
  const auto* avx512 = &current_isa_kernels();
  for (KernelLevel l : {KernelLevel::Avx512Vnni, KernelLevel::Avx512Bf16}) {
    force_kernel_level(l);
    if (kernel_level() == l) EXPECT_EQ(&current_isa_kernels(), avx512) << kernel_level_name(l);
  }
  const auto& f = cpu_features();
  if (f.avx2 && f.fma && f.f16c) EXPECT_GE(checked, 1);
}

// float32 -> bfloat16 / float16 and back through Tensor::to at every level, for every length up to
// a few vector widths (the tails) and the values whose rounding differs: the scalar conversion's bits.
TEST(IsaLevels, ConversionsGiveTheScalarBitsAtEveryLevel) {
  const uint32_t special[] = {0x7fc00000u, 0xffc00001u, 0x7f800001u, 0x7f800000u, 0xff800000u, 0x7f7fffffu,
                              0x00000001u, 0x80000001u, 0x3f808000u, 0x3f818000u, 0x477ff000u, 0x33000001u,
                              0x00000000u, 0x80000000u, 0x38800000u, 0x387fc000u};
  std::mt19937 rng(7);
  std::vector<uint32_t> bits(200);
  for (size_t i = 0; i < bits.size(); ++i) bits[i] = i % 3 == 0 ? special[(i / 3) % std::size(special)] : uint32_t(rng());
  int cases = 0;
  optest::for_each_level([&] {
    for (int64_t n : {0, 1, 7, 8, 9, 15, 16, 17, 31, 33, 47, 200}) {
      Tensor f = Tensor::empty({n}, DType::Float32);
      std::memcpy(f.mutable_data_ptr(), bits.data(), size_t(n) * 4);
      for (DType to : {DType::BFloat16, DType::Float16}) {
        for (bool prefault : {false, true}) {
          const Tensor h = f.to(to, {.prefault = prefault});
          const auto* got = static_cast<const uint16_t*>(h.data_ptr());
          const Tensor back = h.to(DType::Float32);
          const auto* fb = static_cast<const float*>(back.data_ptr());
          for (int64_t i = 0; i < n; ++i) {
            float x;
            std::memcpy(&x, &bits[size_t(i)], 4);
            const uint16_t want = to == DType::BFloat16 ? float_to_bf16(x) : float_to_fp16(x);
            ASSERT_EQ(got[i], want) << dtype_name(to) << " n=" << n << " i=" << i;
            const float wb = to == DType::BFloat16 ? bf16_to_float(want) : fp16_to_float(want);
            ASSERT_EQ(std::memcmp(&fb[i], &wb, 4), 0) << dtype_name(to) << " n=" << n << " i=" << i;
          }
          ++cases;
        }
      }
    }
    // strided source: gathered element by element, same bits
    Tensor m = Tensor::empty({10, 20}, DType::Float32);
    std::memcpy(m.mutable_data_ptr(), bits.data(), 200 * 4);
    const Tensor t = m.t().to(DType::BFloat16).to(DType::Float32);
    for (int64_t r = 0; r < 20; ++r)
      for (int64_t c = 0; c < 10; ++c) {
        float x;
        std::memcpy(&x, &bits[size_t(c * 20 + r)], 4);
        const float want = bf16_to_float(float_to_bf16(x));
        const float got = static_cast<const float*>(t.data_ptr())[r * 10 + c];
        ASSERT_EQ(std::memcmp(&got, &want, 4), 0) << r << "," << c;
      }
  });
  EXPECT_EQ(cases % 48, 0);
  EXPECT_GE(cases, 48);
}

// The per-level files exist only for their compiler flags: each instantiates a kernel-set template
// and defines no macros; no `.inc` bodies or token-pasting renames remain in the kernel folders.
TEST(IsaScheme, LevelFilesOnlyInstantiateTemplates) {
  const fs::path root = TRANSFORMERS_SOURCE_DIR;
  const std::regex level_file(R"(_(avx2|avx512|avx512bf16|avx512vnni)\.cpp$)");
  int level_files = 0;
  for (const auto& e : fs::recursive_directory_iterator(root / "src")) {
    if (!e.is_regular_file()) continue;
    const std::string name = e.path().filename().string();
    EXPECT_NE(e.path().extension(), ".inc") << e.path();
    std::ifstream f(e.path());
    std::stringstream ss;
    ss << f.rdbuf();
    const std::string text = ss.str();
    const std::string rel = fs::relative(e.path(), root).string();
    if (rel.rfind("src/ops/cpu/", 0) == 0 || rel.rfind("src/core/isa/", 0) == 0)
      EXPECT_EQ(text.find("##"), std::string::npos) << rel << ": a token-pasting macro";
    if (!std::regex_search(name, level_file)) continue;
    ++level_files;
    EXPECT_NE(text.find("template const "), std::string::npos) << rel << ": no explicit instantiation";
    EXPECT_EQ(text.find("#define"), std::string::npos) << rel << ": defines a macro";
  }
  // ops kernels and core conversions at AVX2 and AVX-512, bf16 dot products at avx512bf16, the
  // quantized GEMMs (Q8_0/Q4_*, and Q5_*/Q2_K/Q3_K/Q5_K) at AVX2, AVX-512 and VNNI, the int8
  // compute type's GEMM at AVX2 and VNNI
  EXPECT_EQ(level_files, 13);
}
