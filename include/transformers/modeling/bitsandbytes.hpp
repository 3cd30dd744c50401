#pragma once
// transformers 4.51's BitsAndBytesConfig (utils/quantization_config.py): the quantization_config of a
// bitsandbytes model, as from_pretrained takes it ({.quantization_config = BitsAndBytesConfig{...}},
// or the load_in_8bit / load_in_4bit shorthands) and as config.json stores it. The weight formats and
// the product are ops/bnb.hpp; loading, quantizing and saving are src/modeling/bnb_quantizer.cpp.
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "transformers/core/dtype.hpp"

namespace transformers {

struct BitsAndBytesConfig {
  bool load_in_8bit = false;
  bool load_in_4bit = false;
  double llm_int8_threshold = 6.0;
  // Modules left in float (a module path, or a name matching a path's last parts); nullopt: the
  // output embeddings (4.51's get_keys_to_not_convert).
  std::optional<std::vector<std::string>> llm_int8_skip_modules = std::nullopt;
  bool llm_int8_enable_fp32_cpu_offload = false;
  bool llm_int8_has_fp16_weight = false;
  std::optional<DType> bnb_4bit_compute_dtype = std::nullopt;  // nullopt: float32, as 4.51 sets it
  std::string bnb_4bit_quant_type = "fp4";      // "fp4" | "nf4"
  bool bnb_4bit_use_double_quant = false;
  DType bnb_4bit_quant_storage = DType::UInt8;

  // 4.51's post_init checks: ValueError naming the field, what it takes and what it was given.
  void validate() const;
  // to_dict() as 4.51 writes it into config.json (quant_method "bitsandbytes", _load_in_* kept).
  nlohmann::ordered_json to_dict() const;
  // A config.json quantization_config with quant_method "bitsandbytes"; `where` names the file.
  static BitsAndBytesConfig from_dict(const nlohmann::ordered_json& d, const std::string& where);
};

// The quant_method values this library loads; others raise UnsupportedError listing these.
inline constexpr const char* kSupportedQuantMethods = "\"bitsandbytes\" (int8, nf4, fp4)";

}  // namespace transformers
