#include "transformers/modeling/file_resolution.hpp"

#include "transformers/core/error.hpp"
#include "transformers/hub/hub.hpp"

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
  // A Hub repo id: the hub layer resolves it through the cache shared with Python (and downloads
  // unless offline / local_files_only). An empty token means "implicit" here (env, token file).
  hub::HubOptions ho;
  ho.revision = opts.revision;
  ho.cache_dir = opts.cache_dir;
  if (!opts.token.empty()) ho.token = opts.token;
  ho.local_files_only = opts.local_files_only;
  ho.subfolder = opts.subfolder;
  auto r = hub::resolve_file(path_or_repo, filename, ho);
  if (!r) return std::nullopt;
  return fs::path(*r);
}

}  // namespace transformers
