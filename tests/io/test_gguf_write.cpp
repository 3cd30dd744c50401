// io::GGUFWriter read back by io::GGUFReader (every value type, tensors of float, integer and block
// types), its errors, and the Q8_0 / Q4_0 quantizer bit-exact with gguf.quants.quantize
// (tests/oracle/make_gguf_writer.py; that script also checks gguf-py reads our files byte-equal to
// its own writer's, tests/modeling/test_gguf_save.cpp).
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>

#include "common/compare.hpp"
#include "transformers/core/error.hpp"
#include "transformers/core/quant_blocks.hpp"
#include "transformers/io/gguf.hpp"
#include "transformers/io/gguf_write.hpp"
#include "transformers/io/safetensors.hpp"

using namespace transformers;
namespace fs = std::filesystem;

TEST(GGUFWrite, EveryValueTypeAndTensorReadsBack) {
  io::GGUFWriter w;
  w.add_string("general.architecture", "llama");
  w.add_uint8("k.u8", 200);
  w.add_int8("k.i8", -100);
  w.add_uint16("k.u16", 60000);
  w.add_int16("k.i16", -30000);
  w.add_uint32("k.u32", 4000000000u);
  w.add_int32("k.i32", -2000000000);
  w.add_uint64("k.u64", uint64_t(1) << 40);
  w.add_int64("k.i64", -(int64_t(1) << 40));
  w.add_float32("k.f32", 1e-5f);
  w.add_float64("k.f64", 0.1);
  w.add_bool("k.bool", true);
  w.add_string("k.str", "caf\xc3\xa9");
  w.add_strings("k.strs", {"a", "", "bc"});
  w.add_int32s("k.i32s", {1, -2, 3});
  w.add_float32s("k.f32s", {0.5f, -1.25f});
  EXPECT_THROW(w.add_uint32("k.u32", 1), ValueError);  // duplicate key

  const Tensor f32 = Tensor::from_vector(std::vector<float>{1, 2, 3, 4, 5, 6}, {2, 3});
  const Tensor f16 = f32.to(DType::Float16), bf16 = f32.to(DType::BFloat16);
  const Tensor i32 = Tensor::from_vector(std::vector<int32_t>{7, 8, 9});
  std::vector<float> xs(64);
  for (size_t i = 0; i < xs.size(); ++i) xs[i] = float(i) * 0.1f - 3.0f;
  Tensor q8 = Tensor::empty({2, 32}, DType::Q8_0);
  quantize_blocks(DType::Q8_0, xs.data(), q8.data_ptr(), 64);
  w.add_tensor("f32", f32);
  w.add_tensor("f16", f16);
  w.add_tensor("bf16", bf16);
  w.add_tensor("i32", i32);
  w.add_tensor("q8", q8);
  w.add_tensor("f32_t", f32.t());  // a strided view is written contiguous
  EXPECT_THROW(w.add_tensor("f32", f32), ValueError);
  EXPECT_THROW(w.add_tensor("b", Tensor::zeros({2}, DType::Bool)), ValueError);
  EXPECT_THROW(w.add_tensor("f8", Tensor::zeros({2}, DType::Float8E4M3)), ValueError);

  const auto r = io::GGUFReader::from_bytes(w.bytes(), "written.gguf");
  EXPECT_EQ(r->version(), 3u);
  EXPECT_EQ(r->field_keys().size(), 16u);
  EXPECT_EQ(r->get_string("general.architecture"), "llama");
  EXPECT_EQ(r->get_int("k.u8"), 200);
  EXPECT_EQ(r->get_int("k.i8"), -100);
  EXPECT_EQ(r->get_int("k.u16"), 60000);
  EXPECT_EQ(r->get_int("k.i16"), -30000);
  EXPECT_EQ(r->get_int("k.u32"), 4000000000LL);
  EXPECT_EQ(r->get_int("k.i32"), -2000000000LL);
  EXPECT_EQ(r->get_int("k.u64"), int64_t(1) << 40);
  EXPECT_EQ(r->get_int("k.i64"), -(int64_t(1) << 40));
  EXPECT_EQ(r->get_float("k.f32"), double(1e-5f));
  EXPECT_EQ(r->get_float("k.f64"), 0.1);
  EXPECT_TRUE(r->get_bool("k.bool"));
  EXPECT_EQ(r->get_string("k.str"), "caf\xc3\xa9");
  EXPECT_EQ(r->get_strings("k.strs"), (std::vector<std::string>{"a", "", "bc"}));
  EXPECT_EQ(r->get_ints("k.i32s"), (std::vector<int64_t>{1, -2, 3}));
  EXPECT_EQ(r->get_floats("k.f32s"), (std::vector<double>{0.5, -1.25}));
  EXPECT_EQ(r->field("k.u8").type, io::GGUFType::UInt8);
  EXPECT_EQ(r->field("k.f32").type, io::GGUFType::Float32);

  ASSERT_EQ(r->keys(), (std::vector<std::string>{"f32", "f16", "bf16", "i32", "q8", "f32_t"}));
  EXPECT_TRUE(testcmp::allclose(r->get_tensor("f32"), f32, testcmp::kExact));
  EXPECT_TRUE(testcmp::allclose(r->get_tensor("f16").to(DType::Float32), f16.to(DType::Float32), testcmp::kExact));
  EXPECT_EQ(r->get_tensor("bf16").dtype(), DType::BFloat16);
  EXPECT_TRUE(testcmp::allclose(r->get_tensor("bf16").to(DType::Float32), bf16.to(DType::Float32), testcmp::kExact));
  EXPECT_EQ(r->get_tensor("i32").to_vector<int64_t>(), (std::vector<int64_t>{7, 8, 9}));
  const Tensor q8r = r->get_tensor("q8");
  EXPECT_EQ(q8r.dtype(), DType::Q8_0);
  EXPECT_EQ(q8r.sizes(), (Shape{2, 32}));
  EXPECT_EQ(std::memcmp(q8r.data_ptr(), q8.data_ptr(), q8.nbytes()), 0);
  EXPECT_TRUE(testcmp::allclose(r->get_tensor("f32_t"), f32.t().contiguous(), testcmp::kExact));
  for (const auto& t : r->tensor_infos()) EXPECT_EQ((r->data_start() + t.offset) % 32, 0u) << t.name;
}

TEST(GGUFWrite, WritesAFileAtomically) {
  const fs::path dir = fs::temp_directory_path() / ("gguf_write_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  io::GGUFWriter w;
  w.add_string("general.architecture", "llama");
  w.add_tensor("x", Tensor::from_vector(std::vector<float>{1, 2}));
  w.write(dir / "a.gguf");
  io::GGUFReader r(dir / "a.gguf");
  EXPECT_EQ(r.get_tensor("x").to_vector<float>(), (std::vector<float>{1, 2}));
  EXPECT_THROW(w.write(dir), EnvironmentError);  // a folder is refused
  fs::remove_all(dir);
}

// Bit-exact with gguf.quants.quantize on rows with ties (+-x.5 on the grid), a zero block, large
// values: 16 blocks per type.
TEST(GGUFWrite, QuantizerBitExactWithGgufPy) {
  io::SafetensorsReader g(fs::path(TRANSFORMERS_TEST_DATA_DIR) / "io" / "gguf_quantize.safetensors");
  const Tensor x = g.get_tensor("x").contiguous();
  int compared = 0;
  for (auto [name, dt] : {std::pair{"q8_0", DType::Q8_0}, std::pair{"q4_0", DType::Q4_0}}) {
    const Tensor want = g.get_tensor(name).contiguous();
    Tensor got = Tensor::empty(x.sizes(), dt);
    quantize_blocks(dt, x.data<float>(), got.data_ptr(), x.numel());
    ASSERT_EQ(got.nbytes(), want.nbytes()) << name;
    const Tensor got_bytes = Tensor::from_blob(got.data_ptr(), want.sizes(), DType::UInt8);
    EXPECT_TRUE(testcmp::allclose(got_bytes, want, testcmp::kExact)) << name;
    compared += int(x.numel() / 32);
  }
  EXPECT_EQ(compared, 32);
  std::vector<float> part(31);
  EXPECT_THROW(quantize_blocks(DType::Q8_0, part.data(), part.data(), 31), ValueError);
  std::vector<float> block(256);  // not a block type (the k-quants: test_gguf_kquant.cpp)
  EXPECT_THROW(quantize_blocks(DType::Float32, block.data(), block.data(), 256), ValueError);
}
