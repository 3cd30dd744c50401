// fill_ / full / ones write exactly the elements of the view, for every dtype, contiguous (typed
// fast path), offset and strided (general path), and at odd byte addresses (general path).
#include <gtest/gtest.h>

#include <vector>

#include "transformers/core/tensor.hpp"

using namespace transformers;

TEST(TensorFill, EveryDtypeContiguousOffsetAndStrided) {
  for (DType dt : {DType::Float32, DType::Float16, DType::BFloat16, DType::Float64, DType::Int64, DType::Int32,
                   DType::Int16, DType::Int8, DType::UInt8, DType::Bool}) {
    SCOPED_TRACE(std::string(dtype_name(dt)));
    const double v = dt == DType::Bool ? 1.0 : 3.0;
    Tensor full = Tensor::full({4, 9}, v, dt);
    EXPECT_EQ(full.to_vector<double>(), std::vector<double>(36, v));

    Tensor t = Tensor::zeros({4, 9}, dt);
    t.as_strided({5}, {1}, 11).fill_(v);  // contiguous view at an offset: elements 11..15
    t.as_strided({3}, {9}, 2).fill_(v);   // a strided column: elements 2, 11, 20
    std::vector<double> want(36, 0.0);
    for (int i = 11; i < 16; ++i) want[size_t(i)] = v;
    for (int i : {2, 11, 20}) want[size_t(i)] = v;
    EXPECT_EQ(t.to_vector<double>(), want);
  }
  // A float32 view at an address that is not 4-byte aligned (bytes borrowed from a buffer).
  std::vector<unsigned char> bytes(4 * 6 + 1, 0);
  Tensor odd = Tensor::from_blob(bytes.data() + 1, {6}, DType::Float32);
  odd.fill_(-2.5);
  EXPECT_EQ(odd.to_vector<double>(), std::vector<double>(6, -2.5));
  EXPECT_EQ(bytes[0], 0);
}
