#pragma once
// Paths and small file operations of the huggingface_hub cache layout (see docs/hub.md).
#include <optional>
#include <string>

#include "transformers/hub/hub.hpp"

namespace transformers::hub::detail {

std::string cache_root(const HubOptions& opts);                          // opts.cache_dir or default
std::string storage_folder(const std::string& repo_id, const HubOptions& opts);  // <root>/models--org--name
std::string repo_path(const std::string& filename, const HubOptions& opts);      // subfolder/filename
std::string pointer_path(const std::string& storage, const std::string& commit, const std::string& rel);
std::string no_exist_path(const std::string& storage, const std::string& commit, const std::string& rel);
// refs/<revision> content, nullopt when absent.
std::optional<std::string> read_ref(const std::string& storage, const std::string& revision);
// Writes refs/<revision> = commit when revision is not the commit itself and the content differs.
void write_ref(const std::string& storage, const std::string& revision, const std::string& commit);
void touch(const std::string& path);  // creates parents and an empty file
// Replaces dst with a relative symlink to src (both inside the storage folder).
void create_relative_symlink(const std::string& src, const std::string& dst);

// Exclusive flock() on a lock file, the primitive Python's filelock uses on Unix, so a C++ and a
// Python process downloading the same blob wait for each other.
class FileLock {
 public:
  explicit FileLock(const std::string& path);
  ~FileLock();
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace transformers::hub::detail
