#pragma once
// A model as a GGUF file (issue 21's writer): the inverse of from_pretrained(path, {.gguf_file})
// for Llama: llama.* hyperparameters from the config (GGUF_CONFIG_MAPPING read backwards), tensors
// under gguf-py's names with Q/K rows permuted as llama.cpp's converter stores them, 1-D tensors
// in F32 and 2-D weights in the types gguf_quant_mix.hpp chooses for `quant`. Tokenizer metadata
// comes from the tokenizers layer through `tokenizer_metadata` (modeling cannot read tokenizers;
// the CLI passes add_gguf_tokenizer).
#include <filesystem>
#include <functional>
#include <string>

#include "transformers/modeling/modeling_utils.hpp"

namespace transformers {

namespace io {
class GGUFWriter;
}

struct GGUFSaveOptions {
  // f32, f16, bf16, q8_0, q4_0, q2_k, q3_k_s|m|l, q4_k_m, q5_k_m, q6_k: the type of each tensor as
  // gguf_quant_mix.hpp describes (the k mixes as llama-quantize makes them from the f32 file)
  std::string quant = "f32";
  // Called after the hyperparameters (and general.alignment), before the tensors: where llama.cpp's
  // converter writes tokenizer.* keys. Empty: no tokenizer metadata.
  std::function<void(io::GGUFWriter&)> tokenizer_metadata;
};

// UnsupportedError for another model_type, ValueError for an unknown quant.
void save_gguf(const PreTrainedModel& model, const std::filesystem::path& file, const GGUFSaveOptions& opts = {});

}  // namespace transformers
