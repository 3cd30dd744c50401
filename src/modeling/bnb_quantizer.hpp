#pragma once
// from_pretrained's bitsandbytes steps (4.51's Bnb8BitHfQuantizer / Bnb4BitHfQuantizer on the CPU):
// which Linear layers are quantized, quantizing a float checkpoint after it is loaded, taking the
// bytes and statistics of a pre-quantized checkpoint, and the state dict entries save_pretrained
// writes beside each quantized weight.
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "transformers/modeling/bitsandbytes.hpp"
#include "transformers/modeling/modeling_utils.hpp"
#include "transformers/nn/linear.hpp"

namespace transformers::modeling_detail {

// A Linear to quantize: its module name, the module, and the float weight's [out, in] shape as the
// model built it (a pre-quantized checkpoint's bytes and quant_state must describe that shape).
struct BnbTarget {
  std::string name;
  nn::Linear* lin;
  Shape shape;
};
using BnbTargets = std::vector<BnbTarget>;

// The config of this load: the checkpoint's quantization_config (pre-quantized: `prequantized` set)
// or the options' quantization_config / load_in_8bit / load_in_4bit; nullopt when neither. Another
// quant_method raises UnsupportedError listing the supported ones.
std::optional<BitsAndBytesConfig> bnb_config_of_load(const FromPretrainedOptions& opts, const PretrainedConfig& config,
                                                     const std::string& where, bool& prequantized);

// The Linear layers 4.51 replaces: all but the skipped modules (llm_int8_skip_modules, else the output
// embeddings). A GPT-2 Conv1D left unskipped raises UnsupportedError.
BnbTargets bnb_target_linears(PreTrainedModel& model, const BitsAndBytesConfig& config);

// A checkpoint key that is a bitsandbytes statistic (weight.absmax, SCB, weight_format, ...).
bool is_bnb_statistic_key(const std::string& key);

// Pre-quantized: each target's weight becomes an empty tensor of the checkpoint's dtype and shape
// (`entry(key)` gives them), so the stored bytes load into it as they are.
void bnb_shape_prequantized(const BnbTargets& targets,
                            const std::function<std::optional<std::pair<DType, Shape>>(const std::string&)>& entry,
                            const std::string& where);
// Pre-quantized: the statistics (`stats`, by checkpoint key) attached to the loaded bytes.
void bnb_attach_prequantized(const BnbTargets& targets, const BitsAndBytesConfig& config,
                             const std::map<std::string, Tensor>& stats, const std::string& where);
// Quantize at load: each target's float weight replaced by its bitsandbytes bytes.
void bnb_quantize_linears(const BnbTargets& targets, const BitsAndBytesConfig& config);

// save_pretrained: the statistics after each quantized weight's module entries, as 4.51 writes them.
void add_bnb_state_entries(const PreTrainedModel& model, nn::NamedTensors& state);

}  // namespace transformers::modeling_detail
