#pragma once
// bitsandbytes' weight formats (4.51's quantization_config with quant_method "bitsandbytes"), as its
// CPU path computes them (bitsandbytes 0.50: the default torch ops plus its CPU library):
// - LLM.int8: each row of a weight rounded to int8 against its absolute maximum (SCB), the weight
//   first cast to float16; the product keeps the input's outlier columns (|x| >= threshold) in float.
// - 4-bit: nf4 or fp4 codes, two per byte (first element in the high nibble), one absmax per block of
//   `blocksize` elements; with double quantization the absmax values, less their mean (the offset),
//   are themselves quantized to 8 bits with the signed dynamic map in blocks of 256.
// A Linear weight holds the stored bytes (int8 [out, in], or uint8 [(n + 1) / 2, 1]) as Python's
// parameter does, so sizes and get_memory_footprint follow; its statistics ride with the weight
// (set_bnb_state) and ops::linear dequantizes per call (src/ops/bnb_linear.cpp).
#include <memory>
#include <optional>
#include <string>

#include "transformers/core/tensor.hpp"

namespace transformers::ops {

// bitsandbytes' QuantState of one 4-bit weight (the tensors and JSON 4.51 saves beside it).
struct Bnb4bitState {
  std::string quant_type = "nf4";  // "nf4" | "fp4"
  int64_t blocksize = 64;
  Shape shape;                     // the float weight's shape
  DType dtype = DType::Float32;    // the float weight's dtype (the product's dtype without a compute dtype)
  Tensor absmax;                   // float32 [blocks]; uint8 [blocks] when nested
  Tensor quant_map;                // float32 [16]: the code of quant_type
  bool nested = false;             // double quantization
  float offset = 0;                // nested: mean of the float absmax values, added back
  Tensor nested_absmax;            // nested: float32 [ceil(blocks / nested_blocksize)]
  Tensor nested_quant_map;         // nested: float32 [256], the signed dynamic map
  int64_t nested_blocksize = 256;
  DType nested_dtype = DType::Float32;
  std::optional<DType> compute_dtype;  // bnb_4bit_compute_dtype (module setting, not saved with the weight)
};

// Linear8bitLt's state: the row scales and the outlier threshold of the product.
struct Bnb8bitState {
  Tensor SCB;              // float32 [out]: each row's absolute maximum (of the float16 weight)
  double threshold = 6.0;  // llm_int8_threshold; 0 quantizes every input column
};

struct BnbWeightState {
  std::optional<Bnb4bitState> q4;
  std::optional<Bnb8bitState> q8;
};

// The 4-bit codes, indexed by the stored nibble: bitsandbytes' get_4bit_type("nf4" | "fp4").
const float* bnb_4bit_code(const std::string& quant_type);
// bitsandbytes' signed dynamic 8-bit map (create_dynamic_map(signed=True)), sorted, 256 values.
const float* bnb_dynamic_map();

// torch.Tensor.mean of float32 values as PyTorch's CPU kernel computes it (its cascade sum with
// 8-lane vectors, one thread: below 32768 values), then divided by n in float32.
float torch_mean_f32(const float* x, int64_t n);

// quantize_4bit(w.float(), blocksize, compress_statistics=double_quant, quant_type): the packed
// bytes [(numel + 1) / 2, 1] uint8; `state` gets the statistics (dtype = w's dtype, shape = w's).
Tensor bnb_quantize_4bit(const Tensor& w, const std::string& quant_type, int64_t blocksize, bool double_quant,
                         Bnb4bitState& state);
// dequantize_4bit: float32 of state.shape. Throws ValueError when the bytes and state disagree.
Tensor bnb_dequantize_4bit(const Tensor& packed, const Bnb4bitState& state);
// The float32 absmax of each block (nested ones dequantized and the offset added back).
Tensor bnb_4bit_absmax(const Bnb4bitState& state);

// int8_vectorwise_quant of a weight cast to float16 (threshold 0): int8 rows; `scb` gets the row maxima.
Tensor bnb_int8_quantize(const Tensor& w, Tensor& scb);
// int8_vectorwise_dequant: cb * scb[row] / 127 in float32.
Tensor bnb_int8_dequantize(const Tensor& cb, const Tensor& scb);

// The statistics that go with a weight's bytes (kept with its storage, freed with it). Null when the
// weight is an ordinary tensor.
void set_bnb_state(const Tensor& weight, std::shared_ptr<const BnbWeightState> state);
std::shared_ptr<const BnbWeightState> bnb_state(const Tensor& weight);
// The float32 weight [out, in] a bitsandbytes weight stands for.
Tensor bnb_dequantize_weight(const Tensor& weight, const BnbWeightState& state);

}  // namespace transformers::ops
