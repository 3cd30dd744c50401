#pragma once
// from_pretrained(path, {.gguf_file = ...}) as transformers 4.51 loads a GGUF checkpoint
// (modeling_gguf_pytorch_utils.load_gguf_checkpoint + integrations/ggml.py): the config from the
// GGUF metadata, every tensor dequantized to float32 and renamed to Hugging Face's names, then the
// ordinary state_dict load path.
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "transformers/io/gguf.hpp"
#include "transformers/modeling/modeling_utils.hpp"

namespace transformers::detail {

// GGUF_CONFIG_MAPPING rows per architecture ("<arch>." + GGUF key -> config key), and gguf-py's
// names of one block's tensors -> the CausalLM class's (shared by the loader and gguf_save.cpp).
const std::map<std::string, std::vector<std::pair<std::string, std::string>>>& config_mapping();
const std::map<std::string, std::string>& block_names(const std::string& arch);

// The GGUF file from_pretrained reads: `gguf_file` itself when it is a file, else the file of that
// name in the folder / repo `path` (FileNotFoundError naming both when neither exists).
std::string resolve_gguf_file(const std::string& path, const FromPretrainedOptions& opts);

// 4.51's config dict of a GGUF file (load_gguf_checkpoint(...)["config"]): model_type, the
// architecture's hyperparameters renamed, vocab_size (from the token list when absent),
// tie_word_embeddings (no output.weight). ValueError for an architecture 4.51 cannot load here.
json gguf_config_dict(const io::GGUFReader& reader);

// The state dict 4.51 builds: each tensor dequantized to float32, Llama's Q/K rows un-permuted,
// GPT-2's linear weights transposed, names mapped to the CausalLM class's; tensors without a
// Hugging Face name (rope_freqs, ...) dropped. With `keep_quantized`, Llama's Linear weights of
// block types that ops::linear runs natively stay blocks (rows permuted as whole rows of blocks).
io::NamedTensors gguf_state_dict(const io::GGUFReader& reader, const json& config, bool keep_quantized = false);

// `opts` with the GGUF turned into .config and .state_dict (and .gguf_file cleared); the
// config_overrides / num_labels are applied to the config as Python's config kwargs are.
FromPretrainedOptions gguf_load_options(const std::string& path, const FromPretrainedOptions& opts);

}  // namespace transformers::detail
