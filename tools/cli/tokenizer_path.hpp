#pragma once
// Resolves the --tokenizer PATH of the CLI contract to a loaded tokenizer: a folder holding
// tokenizer.json, a tokenizer.json file itself, or a Hub repo id (org/name[@revision]) whose
// tokenizer.json comes through the cache shared with Python.
#include <filesystem>
#include <optional>
#include <string>

#include "source_path.hpp"
#include "transformers/core/error.hpp"
#include "transformers/hub/hub.hpp"
#include "transformers/tokenizers/tokenizer.hpp"

namespace transformers::cli {

// The tokenizer.json of `src`, or nullopt when the folder / repo has none.
inline std::optional<std::filesystem::path> find_tokenizer_file(const Source& src) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path p(src.path);
  // On disk, whatever stands at the name goes to the reader, which refuses FIFOs and devices with a
  // typed error naming them; only a repo id goes through the Hub cache.
  if (fs::is_directory(p, ec)) return fs::exists(p / "tokenizer.json", ec) ? std::optional(p / "tokenizer.json") : std::nullopt;
  if (fs::exists(p, ec)) return p;
  if (auto f = hub::resolve_file(src.path, "tokenizer.json", src.hub)) return fs::path(*f);
  return std::nullopt;
}

inline Tokenizer load_tokenizer(const std::string& path, const std::string& revision = "") {
  const auto f = find_tokenizer_file(parse_source(path, revision));
  if (!f) throw FileNotFoundError("tokenizer: no tokenizer.json in '" + path + "'");
  return Tokenizer::from_file(*f);
}

}  // namespace transformers::cli
