// Checked size arithmetic (core/checked.hpp) and the allocation paths that use it: shapes, element
// counts and byte sizes from untrusted numbers throw a typed OverflowError before any allocation,
// where they used to wrap into a tiny block that was then written past (issue 29 item 1).
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>

#include "transformers/core/checked.hpp"
#include "transformers/core/storage.hpp"
#include "transformers/core/tensor.hpp"

namespace transformers {
namespace {

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();

TEST(CheckedArithmetic, MulAndAddRefuseWhatWrapsAndNameTheQuantity) {
  EXPECT_EQ(checked_mul(int64_t(1) << 31, int64_t(1) << 31, "x"), int64_t(1) << 62);
  EXPECT_EQ(checked_add(kMax - 1, 1, "x"), kMax);
  EXPECT_EQ(checked_mul(-3, 4, "x"), -12);
  try {
    checked_mul(int64_t(1) << 57, 768, "config key 'n_positions'");
    FAIL() << "2^57 * 768 did not overflow";
  } catch (const OverflowError& e) {
    EXPECT_NE(std::string(e.what()).find("config key 'n_positions'"), std::string::npos) << e.what();
    EXPECT_EQ(e.operands(), (std::vector<int64_t>{int64_t(1) << 57, 768}));
  }
  EXPECT_THROW(checked_add(kMax, 1, "max_new_tokens"), OverflowError);
  EXPECT_THROW(checked_mul(std::numeric_limits<int64_t>::min(), -1, "x"), OverflowError);
  EXPECT_THROW(checked_product({int64_t(1) << 40, int64_t(1) << 30}, "x"), OverflowError);
  EXPECT_EQ(checked_product({2, 3, 7}, "x"), 42);
}

TEST(CheckedArithmetic, TensorFactoriesRefuseShapesWhoseSizeWraps) {
  // [2^57, 32] float32: 2^62 elements fit, 2^64 bytes do not (the GPT-2 n_positions probe).
  EXPECT_THROW(Tensor::zeros({int64_t(1) << 57, 32}), OverflowError);
  EXPECT_THROW(Tensor::empty({int64_t(1) << 57, 32}), OverflowError);
  // The element count itself wraps: [2^32, 2^32] (a causal mask of n_positions 2^32).
  EXPECT_THROW(Tensor::zeros({1, 1, int64_t(1) << 32, int64_t(1) << 32}, DType::Bool), OverflowError);
  EXPECT_THROW(Tensor::full({int64_t(1) << 40, int64_t(1) << 40}, 1.0), OverflowError);
  EXPECT_THROW(shape_numel({int64_t(1) << 62, 4}), OverflowError);
  float x = 0;
  EXPECT_THROW(Tensor::from_blob(&x, {int64_t(1) << 62, 8}, DType::Float32), OverflowError);
  EXPECT_THROW(Tensor::arange(0, 1e300), OverflowError);
  // No int64 wrap, but more than the address space (2^47 bytes): refused before malloc/mmap.
  EXPECT_THROW(Tensor::zeros({int64_t(1) << 46, 4}), OverflowError);
  EXPECT_THROW(Tensor::empty({int64_t(1) << 45, 8}, DType::Float64), OverflowError);
  // Small shapes are unaffected; a negative dimension stays a ShapeError.
  EXPECT_EQ(Tensor::zeros({3, 5}).numel(), 15);
  EXPECT_THROW(Tensor::zeros({-1, 5}), ShapeError);
}

TEST(CheckedArithmetic, StorageRefusesSizesAboveTheSignedRange) {
  EXPECT_THROW(Storage::allocate(std::numeric_limits<size_t>::max()), OverflowError);
  EXPECT_THROW(Storage::allocate(std::numeric_limits<size_t>::max() - 40), OverflowError);
  EXPECT_THROW(Storage::allocate_zeroed(size_t(1) << 63), OverflowError);
  EXPECT_THROW(Storage::allocate(size_t(kMaxAllocationBytes) + 1), OverflowError);
}

TEST(CheckedArithmetic, ViewsWithWrappingExtentsAreRefused) {
  auto st = Storage::allocate(64);
  EXPECT_THROW(Tensor::make_view(st, {int64_t(1) << 40, 2}, {int64_t(1) << 40, 1}, 0, DType::Float32), OverflowError);
  EXPECT_THROW(Tensor::make_view(st, {2, 2}, {kMax, 1}, 1, DType::Float32), OverflowError);
}

}  // namespace
}  // namespace transformers
