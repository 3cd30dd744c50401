#include "transformers/core/dtype.hpp"

#include <cmath>
#include <iterator>
#include <limits>

#include "transformers/core/error.hpp"

namespace transformers {

namespace {
constexpr DTypeTraits kTraits[] = {
    {DType::Float32, "float32", "F32", 1, 4, true, false},
    {DType::Float16, "float16", "F16", 1, 2, true, false},
    {DType::BFloat16, "bfloat16", "BF16", 1, 2, true, false},
    {DType::Float64, "float64", "F64", 1, 8, true, false},
    {DType::Int64, "int64", "I64", 1, 8, false, false},
    {DType::Int32, "int32", "I32", 1, 4, false, false},
    {DType::Int16, "int16", "I16", 1, 2, false, false},
    {DType::Int8, "int8", "I8", 1, 1, false, false},
    {DType::UInt8, "uint8", "U8", 1, 1, false, false},
    {DType::Bool, "bool", "BOOL", 1, 1, false, false},
    {DType::Float8E4M3, "float8_e4m3fn", "F8_E4M3", 1, 1, true, false},
    {DType::Float8E5M2, "float8_e5m2", "F8_E5M2", 1, 1, true, false},
    // GGML block types: name as ggml's type_name, the second spelling as GGUF tools print it;
    // geometry from ggml's block structs (gguf-py's GGML_QUANT_SIZES).
    {DType::Q8_0, "q8_0", "Q8_0", 32, 34, true, true},
    {DType::Q4_0, "q4_0", "Q4_0", 32, 18, true, true},
    {DType::Q4_1, "q4_1", "Q4_1", 32, 20, true, true},
    {DType::Q5_0, "q5_0", "Q5_0", 32, 22, true, true},
    {DType::Q5_1, "q5_1", "Q5_1", 32, 24, true, true},
    {DType::Q2_K, "q2_K", "Q2_K", 256, 84, true, true},
    {DType::Q3_K, "q3_K", "Q3_K", 256, 110, true, true},
    {DType::Q4_K, "q4_K", "Q4_K", 256, 144, true, true},
    {DType::Q5_K, "q5_K", "Q5_K", 256, 176, true, true},
    {DType::Q6_K, "q6_K", "Q6_K", 256, 210, true, true},
};
// The table is indexed by the enum value: each row must sit at its own index.
constexpr bool rows_in_enum_order() {
  for (size_t i = 0; i < std::size(kTraits); ++i)
    if (static_cast<size_t>(kTraits[i].dtype) != i) return false;
  return true;
}
static_assert(rows_in_enum_order(), "kTraits rows must follow the DType enum order");
}  // namespace

const DTypeTraits& dtype_traits(DType dt) {
  const size_t i = static_cast<size_t>(dt);
  if (i >= std::size(kTraits)) throw ValueError("dtype_traits: unknown dtype value " + std::to_string(i));
  return kTraits[i];
}

size_t dtype_nbytes(DType dt, int64_t numel) {
  const DTypeTraits& t = dtype_traits(dt);
  if (numel < 0 || numel % t.block_elems != 0)
    throw ValueError("dtype_nbytes: " + std::string(t.name) + " stores whole blocks of " +
                     std::to_string(t.block_elems) + " elements, found " + std::to_string(numel) + " elements");
  const uint64_t blocks = uint64_t(numel) / t.block_elems;
  if (blocks > std::numeric_limits<uint64_t>::max() / t.block_bytes)
    throw ValueError("dtype_nbytes: " + std::to_string(numel) + " elements of " + std::string(t.name) +
                     " overflow the byte count");
  return size_t(blocks * t.block_bytes);
}

size_t dtype_size(DType dt) { return dtype_traits(dt).block_bytes; }
bool is_quantized(DType dt) { return dtype_traits(dt).quantized; }
bool is_floating_point(DType dt) { return dtype_traits(dt).floating; }
std::string_view dtype_name(DType dt) { return dtype_traits(dt).name; }
std::string_view dtype_safetensors_name(DType dt) { return dtype_traits(dt).safetensors_name; }

DType dtype_from_name(std::string_view name) {
  if (name.substr(0, 6) == "torch.") name.remove_prefix(6);
  for (const auto& i : kTraits)
    if (!i.quantized && (i.name == name || i.safetensors_name == name)) return i.dtype;
  if (name == "float") return DType::Float32;
  if (name == "half") return DType::Float16;
  if (name == "double") return DType::Float64;
  if (name == "long") return DType::Int64;
  if (name == "int") return DType::Int32;
  if (name == "short") return DType::Int16;
  throw ValueError("unknown dtype name: expected one of float32, float16, bfloat16, float64, int64, "
                   "int32, int16, int8, uint8, bool; found '" + std::string(name) + "'");
}

DType dtype_from_safetensors_name(std::string_view name) {
  for (const auto& i : kTraits)
    if (!i.quantized && i.safetensors_name == name) return i.dtype;
  throw FormatError("unknown safetensors dtype '" + std::string(name) + "'");
}

float fp16_to_float(uint16_t h) {
  const uint32_t sign = uint32_t(h & 0x8000u) << 16;
  const uint32_t exp = (h >> 10) & 0x1fu;
  uint32_t mant = h & 0x3ffu;
  if (exp == 0x1f) {
    if (mant == 0) return bits_float(sign | 0x7f800000u);  // inf
    return bits_float(sign | 0x7fc00000u | (mant << 13));   // NaN: payload kept, made quiet (as torch)
  }
  if (exp == 0) {
    if (mant == 0) return bits_float(sign);
    // subnormal: value = mant * 2^-24, exact in float32
    float v = std::ldexp(float(mant), -24);
    return sign ? -v : v;
  }
  return bits_float(sign | ((exp + 112u) << 23) | (mant << 13));
}

uint16_t float_to_fp16(float f) {
  const uint32_t u = float_bits(f);
  const uint16_t sign = uint16_t((u >> 16) & 0x8000u);
  const uint32_t absu = u & 0x7fffffffu;
  if (absu > 0x7f800000u) return uint16_t(sign | 0x7e00u | ((absu >> 13) & 0x3ffu));  // NaN quiet
  if (absu >= 0x477ff000u) return uint16_t(sign | 0x7c00u);  // rounds to >= 65520 -> inf
  if (absu < 0x38800000u) {
    // result is subnormal (or zero) in half: scale into an integer count of 2^-24 and round to even
    // using float arithmetic: adding 0.5f (2^-1) aligns the mantissa so the FPU rounds for us.
    float a = bits_float(absu);
    float r = a + 0.5f;  // ulp(0.5) = 2^-24, the half subnormal step
    return uint16_t(sign | uint16_t(float_bits(r) - float_bits(0.5f)));
  }
  uint32_t mant_odd = (absu >> 13) & 1u;
  uint32_t v = absu + 0xfffu + mant_odd;  // round to nearest even at bit 13
  v -= 0x38000000u;                       // rebias exponent 127 -> 15
  return uint16_t(sign | (v >> 13));
}

// float8 e4m3fn: 1 sign, 4 exponent (bias 7), 3 mantissa; no inf; S.1111.111 is NaN; max 448.
float fp8e4m3_to_float(uint8_t v) {
  const bool neg = v & 0x80;
  const int exp = (v >> 3) & 0xf;
  const int mant = v & 0x7;
  float r;
  if (exp == 0xf && mant == 0x7) return bits_float((neg ? 0x80000000u : 0u) | 0x7ff00000u);  // torch's NaN bits
  else if (exp == 0) r = std::ldexp(float(mant), -9);
  else r = std::ldexp(1.0f + float(mant) / 8.0f, exp - 7);
  return neg ? -r : r;
}

// float8 e5m2: 1 sign, 5 exponent (bias 15), 2 mantissa; IEEE-like with inf and NaN (= top byte of fp16).
float fp8e5m2_to_float(uint8_t v) { return fp16_to_float(uint16_t(v) << 8); }

uint8_t float_to_fp8e5m2(float f) {
  const uint16_t h = float_to_fp16(f);
  if ((h & 0x7fffu) > 0x7c00u) return uint8_t(((h >> 8) & 0x80u) | 0x7fu);  // NaN -> sign | 0x7f, as torch
  // round the fp16 bits to nearest even at bit 8
  const uint32_t r = uint32_t(h) + 0x7fu + ((h >> 8) & 1u);
  if (((h & 0x7fffu) < 0x7c00u) && ((r & 0x7f00u) >= 0x7c00u)) return uint8_t(((h >> 8) & 0x80u) | 0x7cu);
  return uint8_t(r >> 8);
}

uint8_t float_to_fp8e4m3(float f) {
  const uint8_t sign = std::signbit(f) ? 0x80 : 0x00;
  if (std::isnan(f)) return uint8_t(sign | 0x7f);
  float a = std::fabs(f);
  if (a >= 464.0f) return uint8_t(sign | 0x7e);  // torch saturates overflow and inf to +-448 (no inf in e4m3fn)
  // find the representable neighbours by brute force over 127 codes (used at load time only)
  uint8_t best = 0;
  float best_err = a;
  for (uint8_t c = 1; c < 0x7f; ++c) {
    const float v = fp8e4m3_to_float(c);
    const float err = std::fabs(v - a);
    if (err < best_err || (err == best_err && (c & 1) == 0 && (best & 1) == 1)) {
      best = c;
      best_err = err;
    }
  }
  return uint8_t(sign | best);
}

}  // namespace transformers
