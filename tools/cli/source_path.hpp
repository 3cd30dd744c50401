#pragma once
// The model / tokenizer PATH of docs/CLI.md: a local folder or file, or a Hub repo id `org/name`,
// optionally pinned as `org/name@revision` (branch, tag, commit or refs/pr/N). `--revision R` says
// the same. Every command that takes a PATH goes through parse_source, so each accepts both.
#include <CLI/CLI.hpp>
#include <filesystem>
#include <string>

#include "transformers/core/error.hpp"
#include "transformers/hub/options.hpp"

namespace transformers::cli {

struct Source {
  std::string path;    // folder, file, or repo id without its @revision
  ::transformers::hub::HubOptions hub;  // .revision from @revision or --revision ("main" when neither)
};

// `revision_flag`: the command's --revision ("" when not given). A PATH that exists on disk is
// never split (a folder may have '@' in its name); a repo id has no '@' (huggingface_hub's
// validate_repo_id refuses it), so the first '@' starts the revision.
inline Source parse_source(const std::string& arg, const std::string& revision_flag = "") {
  Source s{arg, {}};
  std::error_code ec;
  const auto at = arg.find('@');
  if (at != std::string::npos && !std::filesystem::exists(arg, ec)) {
    s.path = arg.substr(0, at);
    const std::string rev = arg.substr(at + 1);
    if (rev.empty()) throw ValueError("'" + arg + "': expected org/name@revision, found nothing after '@'");
    if (!revision_flag.empty() && revision_flag != rev)
      throw ValueError("'" + arg + "' pins revision '" + rev + "' but --revision says '" + revision_flag + "'");
    s.hub.revision = rev;
  } else if (!revision_flag.empty()) {
    s.hub.revision = revision_flag;
  }
  return s;
}

// from_pretrained's gguf_file for a model PATH (docs/CLI.md): `--gguf-file NAME` when given (a
// file, or a file name in the folder / repo PATH), else PATH itself when it is a .gguf file on disk.
inline std::string gguf_file_for(const Source& src, const std::string& gguf_flag) {
  if (!gguf_flag.empty()) return gguf_flag;
  std::error_code ec;
  const std::filesystem::path p(src.path);
  if (p.extension() == ".gguf" && std::filesystem::is_regular_file(p, ec)) return src.path;
  return "";
}

// --keep-quantized, beside --gguf-file on every command that loads a model.
inline void add_keep_quantized_flag(CLI::App& app, bool& flag) {
  app.add_flag("--keep-quantized", flag,
               "GGUF: keep block-quantized Linear weights (Q8_0, Q4_0/1, Q5_0/1, Q2_K..Q6_K) as blocks and run them natively (4.51 dequantizes)");
}

}  // namespace transformers::cli
