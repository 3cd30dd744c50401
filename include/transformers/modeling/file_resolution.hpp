#pragma once
// The one place where a from_pretrained argument (a local folder, a file, or a Hub repo id) becomes
// a local file path. Hub repo ids go to the hub layer (hub::resolve_file: the cache shared with
// Python, downloads unless offline); its errors derive from FileNotFoundError / EnvironmentError.
#include <filesystem>
#include <optional>
#include <string>

namespace transformers {

struct FileResolveOptions {
  std::string subfolder;
  std::string revision = "main";
  std::string cache_dir;
  bool local_files_only = false;
  std::string token;
};

// `path_or_repo` is a local folder: returns folder/subfolder/filename if that file exists, else
// nullopt. Not a folder: treated as a Hub repo id (nullopt when the repo lacks the file).
std::optional<std::filesystem::path> resolve_file(const std::string& path_or_repo, const std::string& filename,
                                                  const FileResolveOptions& opts = {});
// Whether resolve_file would look on the Hub for this argument (it is no local folder or file).
bool is_remote_path(const std::string& path_or_repo);

}  // namespace transformers
