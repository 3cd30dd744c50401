// BitsAndBytesConfig (modeling/bitsandbytes.hpp): 4.51's checks, to_dict and the reading of a saved
// quantization_config.
#include <algorithm>

#include "transformers/core/error.hpp"
#include "transformers/core/quote.hpp"
#include "transformers/modeling/bitsandbytes.hpp"

namespace transformers {
namespace {

using ojson = nlohmann::ordered_json;

std::string shown(const ojson& v) { return v.dump(-1, ' ', true, ojson::error_handler_t::replace); }

const DType kStorageTypes[] = {DType::Float16, DType::Float32, DType::Int8, DType::UInt8, DType::Float64,
                               DType::BFloat16};

}  // namespace

void BitsAndBytesConfig::validate() const {
  if (load_in_4bit && load_in_8bit)
    throw ValueError("BitsAndBytesConfig: load_in_4bit and load_in_8bit are both True, but only one can be used at the same time");
  if (bnb_4bit_quant_type != "fp4" && bnb_4bit_quant_type != "nf4")
    throw ValueError("BitsAndBytesConfig: bnb_4bit_quant_type must be \"fp4\" or \"nf4\", found " +
                     quote_input(bnb_4bit_quant_type));
  if (bnb_4bit_compute_dtype && (!is_floating_point(*bnb_4bit_compute_dtype) || is_quantized(*bnb_4bit_compute_dtype)))
    throw ValueError("BitsAndBytesConfig: bnb_4bit_compute_dtype must be a float dtype, found " +
                     std::string(dtype_name(*bnb_4bit_compute_dtype)));
  if (std::find(std::begin(kStorageTypes), std::end(kStorageTypes), bnb_4bit_quant_storage) == std::end(kStorageTypes))
    throw ValueError("BitsAndBytesConfig: bnb_4bit_quant_storage must be one of float16, float32, int8, uint8, "
                     "float64, bfloat16, found " + std::string(dtype_name(bnb_4bit_quant_storage)));
  if (bnb_4bit_quant_storage != DType::UInt8)
    throw UnsupportedError("BitsAndBytesConfig: bnb_4bit_quant_storage " + std::string(dtype_name(bnb_4bit_quant_storage)) +
                           " is not supported here (expected uint8, the default)");
  if (llm_int8_has_fp16_weight)
    throw UnsupportedError("BitsAndBytesConfig: llm_int8_has_fp16_weight=True (8-bit training weights) is not "
                           "supported (expected False, the default)");
}

nlohmann::ordered_json BitsAndBytesConfig::to_dict() const {
  ojson d = ojson::object();  // 4.51's keys, in the sorted order its config.json has them
  d["_load_in_4bit"] = load_in_4bit;
  d["_load_in_8bit"] = load_in_8bit;
  d["bnb_4bit_compute_dtype"] = std::string(dtype_name(bnb_4bit_compute_dtype.value_or(DType::Float32)));
  d["bnb_4bit_quant_storage"] = std::string(dtype_name(bnb_4bit_quant_storage));
  d["bnb_4bit_quant_type"] = bnb_4bit_quant_type;
  d["bnb_4bit_use_double_quant"] = bnb_4bit_use_double_quant;
  d["llm_int8_enable_fp32_cpu_offload"] = llm_int8_enable_fp32_cpu_offload;
  d["llm_int8_has_fp16_weight"] = llm_int8_has_fp16_weight;
  d["llm_int8_skip_modules"] = llm_int8_skip_modules ? ojson(*llm_int8_skip_modules) : ojson(nullptr);
  d["llm_int8_threshold"] = llm_int8_threshold;
  d["load_in_4bit"] = load_in_4bit;
  d["load_in_8bit"] = load_in_8bit;
  d["quant_method"] = "bitsandbytes";
  return d;
}

BitsAndBytesConfig BitsAndBytesConfig::from_dict(const nlohmann::ordered_json& d, const std::string& where) {
  if (!d.is_object()) throw FormatError(where + ": quantization_config must be an object, found " + shown(d));
  BitsAndBytesConfig c;
  auto boolean = [&](const char* k, bool& out) {
    auto it = d.find(k);
    if (it == d.end() || it->is_null()) return;
    if (!it->is_boolean())
      throw FormatError(where + ": quantization_config." + k + " must be true or false, found " + shown(*it));
    out = it->get<bool>();
  };
  auto string = [&](const char* k) -> std::optional<std::string> {
    auto it = d.find(k);
    if (it == d.end() || it->is_null()) return std::nullopt;
    if (!it->is_string()) throw FormatError(where + ": quantization_config." + k + " must be a string, found " + shown(*it));
    return it->get<std::string>();
  };
  auto dtype = [&](const char* k) -> std::optional<DType> {
    auto s = string(k);
    if (!s) return std::nullopt;
    try {
      return dtype_from_name(*s);
    } catch (const ValueError&) {
      throw FormatError(where + ": quantization_config." + k + " must name a torch dtype, found " + shown(d[k]));
    }
  };
  // 4.51 reads the private _load_in_* when present (to_dict writes both spellings)
  boolean("load_in_8bit", c.load_in_8bit);
  boolean("load_in_4bit", c.load_in_4bit);
  boolean("_load_in_8bit", c.load_in_8bit);
  boolean("_load_in_4bit", c.load_in_4bit);
  if (auto it = d.find("llm_int8_threshold"); it != d.end() && !it->is_null()) {
    if (!it->is_number()) throw FormatError(where + ": quantization_config.llm_int8_threshold must be a number, found " + shown(*it));
    c.llm_int8_threshold = it->get<double>();
  }
  if (auto it = d.find("llm_int8_skip_modules"); it != d.end() && !it->is_null()) {
    if (!it->is_array()) throw FormatError(where + ": quantization_config.llm_int8_skip_modules must be a list of strings, found " + shown(*it));
    std::vector<std::string> v;
    for (auto& e : *it) {
      if (!e.is_string()) throw FormatError(where + ": quantization_config.llm_int8_skip_modules must be a list of strings, found " + shown(*it));
      v.push_back(e.get<std::string>());
    }
    c.llm_int8_skip_modules = std::move(v);
  }
  boolean("llm_int8_enable_fp32_cpu_offload", c.llm_int8_enable_fp32_cpu_offload);
  boolean("llm_int8_has_fp16_weight", c.llm_int8_has_fp16_weight);
  boolean("bnb_4bit_use_double_quant", c.bnb_4bit_use_double_quant);
  c.bnb_4bit_compute_dtype = dtype("bnb_4bit_compute_dtype");
  if (auto s = dtype("bnb_4bit_quant_storage")) c.bnb_4bit_quant_storage = *s;
  if (auto s = string("bnb_4bit_quant_type")) c.bnb_4bit_quant_type = *s;
  if (!c.load_in_8bit && !c.load_in_4bit)
    throw ValueError(where + ": quantization_config with quant_method \"bitsandbytes\" has neither load_in_8bit nor "
                     "load_in_4bit set (found " + shown(d) + ")");
  c.validate();
  return c;
}

}  // namespace transformers
