// float16 / bfloat16 / float8 conversions bit-identical to PyTorch: the expected bits come from
// tests/oracle/make_dtype_goldens.py (torch's own casts), stored in tests/data/core/dtype_goldens.json.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "transformers/core/dtype.hpp"
#include "transformers/core/tensor.hpp"

using namespace transformers;

namespace {
const nlohmann::json& goldens() {
  static const nlohmann::json j = [] {
    std::ifstream in(std::string(TRANSFORMERS_TEST_DATA_DIR) + "/core/dtype_goldens.json");
    return nlohmann::json::parse(in);
  }();
  return j;
}
std::string hex(uint64_t v) {
  char b[32];
  std::snprintf(b, sizeof b, "0x%llx", static_cast<unsigned long long>(v));
  return b;
}

// Checks a scalar conversion and the Tensor::to path against torch's bits for every input.
template <typename Conv>
void check_from_f32(const char* key, DType dt, Conv conv) {
  const auto& g = goldens();
  const auto bits = g["f32_bits"].get<std::vector<uint32_t>>();
  const auto want = g[key].get<std::vector<uint32_t>>();
  ASSERT_EQ(bits.size(), want.size());
  std::vector<float> src(bits.size());
  for (size_t i = 0; i < bits.size(); ++i) src[i] = bits_float(bits[i]);
  const Tensor t = Tensor::from_vector(src).to(dt);
  int bad = 0;
  for (size_t i = 0; i < bits.size(); ++i) {
    const uint32_t got = conv(src[i]);
    uint32_t got_t = 0;
    std::memcpy(&got_t, static_cast<const char*>(t.data_ptr()) + i * dtype_size(dt), dtype_size(dt));
    if (got != want[i] || got_t != want[i]) {
      if (bad++ < 10)
        ADD_FAILURE() << key << ": input bits " << hex(bits[i]) << " (" << src[i] << "): torch " << hex(want[i])
                      << ", scalar " << hex(got) << ", tensor " << hex(got_t);
    }
  }
  EXPECT_EQ(bad, 0);
}
}  // namespace

TEST(DTypeGoldens, Float32ToFloat16) {
  check_from_f32("to_float16", DType::Float16, [](float f) { return uint32_t(float_to_fp16(f)); });
}
TEST(DTypeGoldens, Float32ToBFloat16) {
  check_from_f32("to_bfloat16", DType::BFloat16, [](float f) { return uint32_t(float_to_bf16(f)); });
}
TEST(DTypeGoldens, Float32ToFloat8E4M3) {
  check_from_f32("to_float8_e4m3fn", DType::Float8E4M3, [](float f) { return uint32_t(float_to_fp8e4m3(f)); });
}
TEST(DTypeGoldens, Float32ToFloat8E5M2) {
  check_from_f32("to_float8_e5m2", DType::Float8E5M2, [](float f) { return uint32_t(float_to_fp8e5m2(f)); });
}

TEST(DTypeGoldens, Float8And16BitToFloat32) {
  const auto& g = goldens();
  const auto e4 = g["e4m3fn_to_f32"].get<std::vector<uint32_t>>(), e5 = g["e5m2_to_f32"].get<std::vector<uint32_t>>();
  for (uint32_t c = 0; c < 256; ++c) {
    EXPECT_EQ(float_bits(fp8e4m3_to_float(uint8_t(c))), e4[c]) << "e4m3fn code " << hex(c);
    EXPECT_EQ(float_bits(fp8e5m2_to_float(uint8_t(c))), e5[c]) << "e5m2 code " << hex(c);
  }
  const auto codes = g["f16_codes"].get<std::vector<uint32_t>>();
  const auto f16 = g["f16_to_f32"].get<std::vector<uint32_t>>(), bf16 = g["bf16_to_f32"].get<std::vector<uint32_t>>();
  std::vector<uint16_t> raw(codes.begin(), codes.end());
  const Tensor h = Tensor::from_blob(raw.data(), {int64_t(raw.size())}, DType::Float16).to(DType::Float32);
  const Tensor b = Tensor::from_blob(raw.data(), {int64_t(raw.size())}, DType::BFloat16).to(DType::Float32);
  for (size_t i = 0; i < codes.size(); ++i) {
    EXPECT_EQ(float_bits(fp16_to_float(uint16_t(codes[i]))), f16[i]) << "float16 code " << hex(codes[i]);
    EXPECT_EQ(float_bits(bf16_to_float(uint16_t(codes[i]))), bf16[i]) << "bfloat16 code " << hex(codes[i]);
    EXPECT_EQ(float_bits(h.data<float>()[i]), f16[i]) << "float16 tensor code " << hex(codes[i]);
    EXPECT_EQ(float_bits(b.data<float>()[i]), bf16[i]) << "bfloat16 tensor code " << hex(codes[i]);
  }
}
