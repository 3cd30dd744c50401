// The per-type traits table (block geometry for every dtype, room for block-quantized types) and
// Storage's derived-data slots (freed with the storage).
#include <gtest/gtest.h>

#include <limits>
#include <memory>

#include "transformers/core/tensor.hpp"

using namespace transformers;

TEST(DTypeTraits, EveryRowDescribesItsOwnDtypeAsOneElementBlocks) {
  const DType all[] = {DType::Float32, DType::Float16, DType::BFloat16, DType::Float64, DType::Int64, DType::Int32,
                       DType::Int16,   DType::Int8,    DType::UInt8,    DType::Bool,    DType::Float8E4M3,
                       DType::Float8E5M2};
  const size_t torch_sizes[] = {4, 2, 2, 8, 8, 4, 2, 1, 1, 1, 1, 1};  // torch.<dtype>.itemsize
  for (size_t i = 0; i < std::size(all); ++i) {
    const DTypeTraits& t = dtype_traits(all[i]);
    EXPECT_EQ(t.dtype, all[i]);
    EXPECT_EQ(t.block_elems, 1u) << t.name;
    EXPECT_EQ(t.block_bytes, torch_sizes[i]) << t.name;
    EXPECT_FALSE(t.quantized) << t.name;
    EXPECT_EQ(dtype_size(all[i]), torch_sizes[i]);
    EXPECT_EQ(dtype_from_name(t.name), all[i]);
    EXPECT_EQ(dtype_from_safetensors_name(t.safetensors_name), all[i]);
    EXPECT_EQ(dtype_nbytes(all[i], 10), 10 * torch_sizes[i]);
  }
}

TEST(DTypeTraits, ByteCountsRejectNegativeAndOverflowingSizes) {
  EXPECT_THROW(dtype_nbytes(DType::Float32, -1), ValueError);
  EXPECT_THROW(dtype_nbytes(DType::Float64, std::numeric_limits<int64_t>::max()), ValueError);
  EXPECT_EQ(Tensor::empty({3, 5}, DType::BFloat16).nbytes(), 30u);
}

TEST(StorageDerived, SlotsAreKeyedAndDieWithTheStorage) {
  static const int key_a = 0, key_b = 0;
  auto flag = std::make_shared<int>(0);
  std::weak_ptr<int> watch = flag;
  {
    Tensor w = Tensor::zeros({4, 4});
    w.storage()->set_derived(&key_a, flag);
    flag.reset();
    EXPECT_EQ(w.storage()->derived(&key_b), nullptr);
    EXPECT_EQ(w.storage()->derived(&key_a).get(), watch.lock().get());
    Tensor view = w.narrow(0, 1, 2);  // a view shares the storage, so it keeps the slot alive
    w = Tensor();
    EXPECT_FALSE(watch.expired());
  }
  EXPECT_TRUE(watch.expired());
}
