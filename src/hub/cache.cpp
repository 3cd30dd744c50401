// The cache layout shared with huggingface_hub, and the lookups that never touch the network.
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "cache_layout.hpp"
#include "transformers/io/atomic_file.hpp"

namespace fs = std::filesystem;

namespace transformers::hub::detail {

std::string cache_root(const HubOptions& opts) {
  return opts.cache_dir.empty() ? default_cache_dir() : opts.cache_dir;
}

std::string storage_folder(const std::string& repo_id, const HubOptions& opts) {
  return cache_root(opts) + "/" + repo_folder_name(repo_id, opts.repo_type);
}

std::string repo_path(const std::string& filename, const HubOptions& opts) {
  return opts.subfolder.empty() ? filename : opts.subfolder + "/" + filename;
}

std::string pointer_path(const std::string& storage, const std::string& commit, const std::string& rel) {
  return storage + "/snapshots/" + commit + "/" + rel;
}

std::string no_exist_path(const std::string& storage, const std::string& commit, const std::string& rel) {
  return storage + "/.no_exist/" + commit + "/" + rel;
}

std::optional<std::string> read_ref(const std::string& storage, const std::string& revision) {
  fs::path p = fs::path(storage) / "refs" / revision;
  std::error_code ec;
  if (!fs::is_regular_file(p, ec)) return std::nullopt;
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();  // huggingface_hub reads the file as is (it writes no newline)
}

void write_ref(const std::string& storage, const std::string& revision, const std::string& commit) {
  if (revision == commit) return;
  if (read_ref(storage, revision) == commit) return;
  fs::path p = fs::path(storage) / "refs" / revision;
  fs::create_directories(p.parent_path());
  io::write_file_atomic(p, commit);  // a concurrent reader never sees an empty or half ref
}

void touch(const std::string& path) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream f(path, std::ios::binary | std::ios::app);
  if (!f) throw EnvironmentError("Cannot create '" + path + "'");
}

void create_relative_symlink(const std::string& src, const std::string& dst) {
  // Lexical relpath on absolute paths (no symlink resolution), as os.path.relpath does.
  fs::path abs_src = fs::absolute(src).lexically_normal();
  fs::path abs_dst = fs::absolute(dst).lexically_normal();
  fs::path rel = abs_src.lexically_relative(abs_dst.parent_path());
  fs::create_directories(abs_dst.parent_path());
  std::error_code ec;
  fs::remove(abs_dst, ec);
  fs::create_symlink(rel, abs_dst, ec);
  if (ec) throw EnvironmentError("Cannot create symlink '" + dst + "' -> '" + rel.string() + "': " + ec.message());
}

FileLock::FileLock(const std::string& path) {
  fs::create_directories(fs::path(path).parent_path());
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) throw EnvironmentError("Cannot open lock file '" + path + "'");
  while (::flock(fd_, LOCK_EX) != 0) {
    if (errno != EINTR) {
      ::close(fd_);
      throw EnvironmentError("Cannot lock '" + path + "'");
    }
  }
}

FileLock::~FileLock() {
  if (fd_ >= 0) {
    ::flock(fd_, LOCK_UN);
    ::close(fd_);
  }
}

}  // namespace transformers::hub::detail

namespace transformers::hub {

CacheLookup try_to_load_from_cache(const std::string& repo_id, const std::string& filename, const HubOptions& opts) {
  using detail::storage_folder;
  std::string storage = storage_folder(repo_id, opts);
  std::string rel = detail::repo_path(filename, opts);
  std::error_code ec;
  CacheLookup out;
  if (!fs::is_directory(storage, ec)) return out;
  std::string revision = opts.revision.empty() ? "main" : opts.revision;
  if (auto ref = detail::read_ref(storage, revision)) revision = *ref;
  if (fs::is_regular_file(detail::no_exist_path(storage, revision, rel), ec)) {
    out.status = CacheLookup::Status::kCachedNonExistent;
    return out;
  }
  std::string snap = detail::pointer_path(storage, revision, rel);
  if (fs::is_directory(fs::path(storage) / "snapshots" / revision, ec) && fs::is_regular_file(snap, ec)) {
    out.status = CacheLookup::Status::kFound;
    out.path = snap;
  }
  return out;
}

bool cached_file_exists(const std::string& repo_id, const std::string& filename, const HubOptions& opts) {
  return static_cast<bool>(try_to_load_from_cache(repo_id, filename, opts));
}

}  // namespace transformers::hub
