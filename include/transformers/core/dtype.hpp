#pragma once
// Element types, their sizes and names, and bit-exact conversions between the float formats.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace transformers {

enum class DType : uint8_t {
  Float32, Float16, BFloat16, Float64,
  Int64, Int32, Int16, Int8, UInt8, Bool,
  Float8E4M3, Float8E5M2,  // readable and convertible (for loading), not computed in
  // GGML's block-quantized types (GGUF files): stored as whole blocks, read zero-copy and
  // dequantized to float32 (core/quant_blocks.hpp); not torch dtypes, so dtype_from_name refuses them.
  Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K,
};

// Per-type traits, one row per DType (ggml's type_traits idea): every dtype is stored as blocks of
// `block_elems` elements taking `block_bytes` bytes. The types today have one-element blocks; a
// block-quantized type (e.g. 32 int4 weights + one float16 scale = 18 bytes) is one more row with
// its block geometry, and storage sizes follow from dtype_nbytes without special cases.
struct DTypeTraits {
  DType dtype;
  std::string_view name;              // PyTorch's spelling ("float32")
  std::string_view safetensors_name;  // "F32"
  uint32_t block_elems;               // elements per block
  uint32_t block_bytes;               // bytes per block
  bool floating;
  bool quantized;  // block-quantized: addressed by whole blocks, not computed in elementwise
};
const DTypeTraits& dtype_traits(DType dt);
// Bytes of `numel` elements: whole blocks. Throws ValueError when numel is not a multiple of the
// block size or the byte count overflows.
size_t dtype_nbytes(DType dt, int64_t numel);

size_t dtype_size(DType dt);  // bytes per element of a one-element-block type (block_bytes)
bool is_floating_point(DType dt);
// PyTorch's spelling without the "torch." prefix: "float32", "bfloat16", "int64", "bool", ...
std::string_view dtype_name(DType dt);
// safetensors' spelling: "F32", "BF16", "I64", "BOOL", "F8_E4M3", ...
std::string_view dtype_safetensors_name(DType dt);
// Parses either spelling (and "torch.float32", "float", "half", "double", "long", "int"); throws
// ValueError. Block-quantized types have no torch spelling and are refused here.
DType dtype_from_name(std::string_view name);
DType dtype_from_safetensors_name(std::string_view name);  // throws FormatError (also for block types)
bool is_quantized(DType dt);  // a block-quantized type (dtype_traits(dt).quantized)

// --- scalar conversions, bit-identical to PyTorch's (round to nearest even, NaN kept quiet) ---

inline uint32_t float_bits(float f) { uint32_t u; std::memcpy(&u, &f, 4); return u; }
inline float bits_float(uint32_t u) { float f; std::memcpy(&f, &u, 4); return f; }

inline float bf16_to_float(uint16_t h) { return bits_float(uint32_t(h) << 16); }
inline uint16_t float_to_bf16(float f) {
  uint32_t u = float_bits(f);
  // NaN: torch's tensor cast writes 0xffff for every NaN (checked by tests/core/test_dtype_goldens.cpp)
  if ((u & 0x7fffffffu) > 0x7f800000u) return uint16_t(0xffffu);
  u += 0x7fffu + ((u >> 16) & 1u);  // round to nearest even
  return uint16_t(u >> 16);
}

float fp16_to_float(uint16_t h);
uint16_t float_to_fp16(float f);
float fp8e4m3_to_float(uint8_t v);
float fp8e5m2_to_float(uint8_t v);
uint8_t float_to_fp8e4m3(float f);  // like torch's cast: overflow and +-inf saturate to +-448, NaN keeps its sign
uint8_t float_to_fp8e5m2(float f);

// Compile-time mapping from C++ types to DType.
template <typename T> struct dtype_of;
template <> struct dtype_of<float> { static constexpr DType value = DType::Float32; };
template <> struct dtype_of<double> { static constexpr DType value = DType::Float64; };
template <> struct dtype_of<int64_t> { static constexpr DType value = DType::Int64; };
template <> struct dtype_of<int32_t> { static constexpr DType value = DType::Int32; };
template <> struct dtype_of<int16_t> { static constexpr DType value = DType::Int16; };
template <> struct dtype_of<int8_t> { static constexpr DType value = DType::Int8; };
template <> struct dtype_of<uint8_t> { static constexpr DType value = DType::UInt8; };
template <> struct dtype_of<bool> { static constexpr DType value = DType::Bool; };

// Tag types for the 16-bit floats so templates can tell them from int16.
struct Half { uint16_t bits; };
struct BFloat16 { uint16_t bits; };
template <> struct dtype_of<Half> { static constexpr DType value = DType::Float16; };
template <> struct dtype_of<BFloat16> { static constexpr DType value = DType::BFloat16; };

}  // namespace transformers
