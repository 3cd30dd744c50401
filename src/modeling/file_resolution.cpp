#include "transformers/modeling/file_resolution.hpp"

#include "transformers/core/error.hpp"

namespace transformers {

namespace fs = std::filesystem;

bool is_remote_path(const std::string& path_or_repo) {
  std::error_code ec;
  return !fs::exists(fs::path(path_or_repo), ec);
}

std::optional<fs::path> resolve_file(const std::string& path_or_repo, const std::string& filename,
                                     const FileResolveOptions& opts) {
  std::error_code ec;
  const fs::path base(path_or_repo);
  if (fs::is_directory(base, ec)) {
    fs::path p = opts.subfolder.empty() ? base / filename : base / opts.subfolder / filename;
    if (fs::is_regular_file(p, ec)) return p;
    return std::nullopt;
  }
  if (fs::exists(base, ec))
    throw FileNotFoundError("'" + path_or_repo + "' is a file, not a folder holding '" + filename + "'");
  // Hub repo ids: the hub layer (hub::resolve_file) is not part of the library yet.
  throw FileNotFoundError("'" + path_or_repo + "' is not a local folder or file, and downloading '" + filename +
                          "' from the Hugging Face Hub is not supported yet (no hub layer); pass a local path");
}

}  // namespace transformers
