#pragma once
// Resolves the --tokenizer PATH of the CLI contract to a loaded tokenizer: a folder holding
// tokenizer.json, or a tokenizer.json file itself.
#include <filesystem>
#include <string>

#include "transformers/core/error.hpp"
#include "transformers/tokenizers/tokenizer.hpp"

namespace transformers::cli {

inline Tokenizer load_tokenizer(const std::string& path) {
  namespace fs = std::filesystem;
  fs::path p(path);
  if (fs::is_directory(p)) p /= "tokenizer.json";
  if (!fs::exists(p)) throw FileNotFoundError("tokenizer: no tokenizer.json at '" + p.string() + "'");
  return Tokenizer::from_file(p);
}

}  // namespace transformers::cli
