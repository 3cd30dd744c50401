// Hand-made hostile GGUF headers: each breaks one field (a count, a length, a type, a dimension, an
// offset, the alignment) and must be refused with a typed error that names the file and the key or
// tensor, before anything is allocated from the bad value.
#include <gtest/gtest.h>

#include <filesystem>

#include <functional>
#include <limits>

#include "io/gguf_builder.hpp"
#include "io/io_test_util.hpp"
#include "transformers/core/checked.hpp"
#include "transformers/io/gguf.hpp"

using namespace transformers;
using namespace iotest;

namespace {

constexpr uint64_t kHuge = uint64_t(1) << 62;

// Parses `bytes` as "bad.gguf" and returns the error message of the expected exception type.
template <typename E>
std::string refused(const std::string& bytes) {
  try {
    io::GGUFReader::from_bytes(bytes, "bad.gguf");
  } catch (const E& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("bad.gguf"), std::string::npos) << msg;
    return msg;
  } catch (const std::exception& e) {
    ADD_FAILURE() << "wrong exception type: " << e.what();
    return "";
  }
  ADD_FAILURE() << "accepted";
  return "";
}

bool has(const std::string& msg, const std::string& part) { return msg.find(part) != std::string::npos; }

// A well-formed file with one F32 tensor of `n` floats, for the tests that break a tensor entry.
std::string one_tensor(std::initializer_list<uint64_t> dims, uint32_t type, uint64_t offset, size_t data_bytes,
                       std::function<void(GGUFBytes&)> kvs = {}, uint64_t n_kv = 0, size_t alignment = 32) {
  GGUFBytes g;
  g.header(1, n_kv);
  if (kvs) kvs(g);
  g.tensor("w", dims, type, offset).pad_to(alignment).zeros(data_bytes);
  return g.b;
}

}  // namespace

TEST(GGUFHostile, WellFormedHandMadeFileReads) {
  // The builder itself makes valid files: the hostile variants below differ in one field.
  auto r = io::GGUFReader::from_bytes(one_tensor({4, 2}, 0, 0, 32), "ok.gguf");
  EXPECT_EQ(r->get_tensor("w").shape(), (Shape{2, 4}));
  // a custom alignment moves the data section and is honoured
  auto r64 = io::GGUFReader::from_bytes(
      one_tensor({4}, 0, 64, 128, [](GGUFBytes& g) { g.kv_u32("general.alignment", 64); }, 1, 64), "a64.gguf");
  EXPECT_EQ(r64->alignment(), 64u);
  EXPECT_EQ(r64->data_start() % 64, 0u);
}

TEST(GGUFHostile, BadMagicAndCounts) {
  EXPECT_TRUE(has(refused<FormatError>("GGML\3\0\0\0"), "magic"));
  GGUFBytes kv;
  kv.header(0, kHuge);
  EXPECT_TRUE(has(refused<FormatError>(kv.b), "key/value count"));
  GGUFBytes tc;
  tc.header(kHuge, 0);
  EXPECT_TRUE(has(refused<FormatError>(tc.b), "tensor count"));
}

TEST(GGUFHostile, StringAndArrayLengthsBeyondTheFile) {
  GGUFBytes key;
  key.header(0, 1).u64(kHuge).b.append(40, 'a');
  EXPECT_TRUE(has(refused<FormatError>(key.b), "string length"));
  GGUFBytes val;
  val.header(0, 1).str("k").u32(8).u64(std::numeric_limits<uint64_t>::max());
  EXPECT_TRUE(has(refused<FormatError>(val.b), "key 'k'"));
  GGUFBytes arr;
  arr.header(0, 1).str("tokens").u32(9).u32(4).u64(kHuge).u32(1);
  EXPECT_TRUE(has(refused<FormatError>(arr.b), "key 'tokens': array of 4611686018427387904 uint32"));
  // an array of strings whose count fits but one element's length does not
  GGUFBytes sarr;
  sarr.header(0, 1).str("tokens").u32(9).u32(8).u64(2).str("a").u64(kHuge);
  EXPECT_TRUE(has(refused<FormatError>(sarr.b), "key 'tokens'[1]"));
  // arrays of arrays nested beyond the limit
  GGUFBytes deep;
  deep.header(0, 1).str("deep");
  deep.u32(9);
  for (int i = 0; i < 40; ++i) deep.u32(9).u64(1);
  deep.u32(0).u64(0);
  EXPECT_TRUE(has(refused<FormatError>(deep.b), "nested deeper"));
}

TEST(GGUFHostile, UnknownTypesAndDuplicates) {
  GGUFBytes vt;
  vt.header(0, 1).str("k").u32(13).u32(0);
  EXPECT_TRUE(has(refused<FormatError>(vt.b), "value type 0..12, found 13"));
  GGUFBytes et;
  et.header(0, 1).str("k").u32(9).u32(77).u64(0);
  EXPECT_TRUE(has(refused<FormatError>(et.b), "found 77"));
  EXPECT_TRUE(has(refused<FormatError>(one_tensor({32}, 99, 0, 128)), "tensor 'w': unknown ggml type 99"));
  GGUFBytes dk;
  dk.header(0, 2).kv_u32("k", 1).kv_u32("k", 2);
  EXPECT_TRUE(has(refused<FormatError>(dk.b), "duplicate metadata key 'k'"));
  GGUFBytes dt;
  dt.header(2, 0).tensor("w", {4}, 0, 0).tensor("w", {4}, 0, 32).pad_to(32).zeros(64);
  EXPECT_TRUE(has(refused<FormatError>(dt.b), "duplicate tensor name 'w'"));
}

TEST(GGUFHostile, DimensionsAndBlocks) {
  // the element count overflows int64: OverflowError (checked_product), naming the tensor
  EXPECT_TRUE(has(refused<OverflowError>(one_tensor({uint64_t(1) << 40, uint64_t(1) << 40}, 0, 0, 32)), "tensor 'w'"));
  // a zero dimension beside dimensions whose product overflows (the strides would): fuzz_gguf's
  // UBSan finding of 2026-12-03 (signed overflow in contiguous_strides)
  EXPECT_TRUE(has(refused<OverflowError>(one_tensor({32, 0, uint64_t(1) << 40, uint64_t(1) << 40}, 0, 0, 32)), "strides"));
  // the byte count overflows although the element count does not
  EXPECT_TRUE(has(refused<OverflowError>(one_tensor({uint64_t(1) << 62}, 0, 0, 32)), "byte size"));
  EXPECT_TRUE(has(refused<FormatError>(one_tensor({uint64_t(1) << 63}, 0, 0, 32)), "below 2^63"));
  EXPECT_TRUE(has(refused<FormatError>(one_tensor({1, 1, 1, 1, 1}, 0, 0, 32)), "at most 4 dimensions, found 5"));
  EXPECT_TRUE(has(refused<FormatError>(one_tensor({33}, 2, 0, 64)), "Q4_0 stores blocks of 32 elements, found a row of 33"));
}

TEST(GGUFHostile, TensorExtentsAndOffsets) {
  // 16 floats (64 bytes) with 32 bytes of data
  EXPECT_TRUE(has(refused<FormatError>(one_tensor({16}, 0, 0, 32)), "tensor 'w': expected 64 bytes at data offset 0"));
  // an offset that would wrap around when added to the data start
  EXPECT_TRUE(has(refused<FormatError>(one_tensor({4}, 0, std::numeric_limits<uint64_t>::max() - 31, 32)),
                  "tensor 'w': expected 16 bytes"));
  EXPECT_TRUE(has(refused<FormatError>(one_tensor({4}, 0, 4, 64)), "not a multiple of the alignment 32"));
  // the tensor table ends exactly at the file end: no data section at all
  GGUFBytes none;
  none.header(1, 0).tensor("w", {4}, 0, 0);
  EXPECT_TRUE(has(refused<FormatError>(none.b), "tensor 'w'"));
}

TEST(GGUFHostile, AlignmentMustBeAPowerOfTwoInteger) {
  for (uint32_t a : {0u, 24u}) {
    auto kv = [a](GGUFBytes& g) { g.kv_u32("general.alignment", a); };
    EXPECT_TRUE(has(refused<FormatError>(one_tensor({4}, 0, 0, 64, kv, 1)), "general.alignment"));
  }
  auto skv = [](GGUFBytes& g) { g.kv_str("general.alignment", "32"); };
  EXPECT_TRUE(has(refused<FormatError>(one_tensor({4}, 0, 0, 64, skv, 1)), "expected an integer, found string"));
}

TEST(GGUFHostile, TypedGettersNameTheKey) {
  GGUFBytes g;
  g.header(0, 2).kv_str("general.name", "x").kv_u32("n", 7);
  auto r = io::GGUFReader::from_bytes(g.b, "get.gguf");
  EXPECT_EQ(r->get_int("n"), 7);
  try {
    r->get_int("general.name");
    ADD_FAILURE();
  } catch (const FormatError& e) {
    EXPECT_TRUE(has(e.what(), "GGUF file 'get.gguf': key 'general.name': expected an integer, found string")) << e.what();
  }
  EXPECT_THROW(r->get_strings("n"), FormatError);
  EXPECT_THROW(r->get_string("missing"), KeyError);
}

TEST(GGUFHostile, KnownButUnreadableTypeIsUnsupported) {
  // IQ2_XXS (16): its geometry is checked like any other, reading it is refused by name
  auto r = io::GGUFReader::from_bytes(one_tensor({256}, 16, 0, 66), "iq.gguf");
  EXPECT_EQ(r->entry("w").dtype_name, "IQ2_XXS");
  EXPECT_FALSE(r->entry("w").dtype.has_value());
  try {
    r->get_tensor("w");
    ADD_FAILURE();
  } catch (const UnsupportedError& e) {
    EXPECT_TRUE(has(e.what(), "tensor 'w' has ggml type IQ2_XXS")) << e.what();
  }
}

// fuzz_gguf's input (tests/data/reliability/fuzz_gguf/): a tensor with a zero dimension beside
// dimensions whose product overflows; get_tensor's stride computation overflowed (UBSan).
TEST(GGUFHostile, FuzzFindingZeroDimensionStrideOverflow) {
  const auto file = std::filesystem::path(TRANSFORMERS_TEST_DATA_DIR) / "reliability" / "fuzz_gguf" /
                    "zero_dim_stride_overflow.gguf";
  ASSERT_TRUE(std::filesystem::exists(file));
  EXPECT_THROW(io::GGUFReader{file}, OverflowError);
}
