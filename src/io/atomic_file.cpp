// AtomicFile, write_file_atomic and FolderSave (include/transformers/io/atomic_file.hpp).
#include "transformers/io/atomic_file.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "transformers/core/error.hpp"

namespace transformers::io {

namespace fs = std::filesystem;

namespace {

std::string quoted(const fs::path& p) { return "'" + p.string() + "'"; }

// Follows a chain of symlinks to the name that is not one (which may not exist: writing through a
// dangling link creates its target, as a shell redirection does).
fs::path follow_links(const fs::path& p) {
  fs::path cur = p;
  for (int hop = 0; hop < 40; ++hop) {
    struct stat st;
    if (::lstat(cur.c_str(), &st) != 0 || !S_ISLNK(st.st_mode)) return cur;
    std::error_code ec;
    const fs::path next = fs::read_symlink(cur, ec);
    if (ec) throw EnvironmentError("cannot read the symlink " + quoted(cur) + ": " + ec.message());
    cur = next.is_absolute() ? next : cur.parent_path() / next;
  }
  throw EnvironmentError("cannot write " + quoted(p) + ": too many levels of symbolic links");
}

void fsync_folder(const fs::path& file) {
  fs::path dir = file.parent_path();
  if (dir.empty()) dir = ".";
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

// "process 1234 (transformers-cli convert --output x)" for the process holding a flock on the
// inode of `fd`, from /proc/locks; "another process" when it cannot be told.
std::string lock_holder(int fd) {
  struct stat st;
  if (::fstat(fd, &st) != 0) return "another process";
  std::ifstream locks("/proc/locks");
  std::string line;
  long pid = -1;
  while (std::getline(locks, line)) {
    // "1: FLOCK  ADVISORY  WRITE 1234 fd:01:5678 0 EOF" (waiters have "->" after the number)
    if (line.find("->") != std::string::npos || line.find("FLOCK") == std::string::npos) continue;
    std::istringstream in(line);
    std::string num, kind, adv, mode, dev;
    long p = 0;
    if (!(in >> num >> kind >> adv >> mode >> p >> dev)) continue;
    unsigned maj = 0, min = 0;
    unsigned long ino = 0;
    if (std::sscanf(dev.c_str(), "%x:%x:%lu", &maj, &min, &ino) != 3 || ino != st.st_ino) continue;
    if (p == ::getpid()) continue;
    pid = p;
    if (maj == ::major(st.st_dev) && min == ::minor(st.st_dev)) break;  // exact match; else keep looking
  }
  if (pid <= 0) return "another process";
  std::ifstream cmd("/proc/" + std::to_string(pid) + "/cmdline", std::ios::binary);
  std::string args((std::istreambuf_iterator<char>(cmd)), {});
  while (!args.empty() && args.back() == '\0') args.pop_back();
  for (auto& c : args)
    if (c == '\0') c = ' ';
    else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  if (args.size() > 200) args = args.substr(0, 200) + "...";
  return "process " + std::to_string(pid) + (args.empty() ? "" : " (" + args + ")");
}

}  // namespace

AtomicFile::AtomicFile(const fs::path& target) : target_(target), final_(follow_links(target)) {
  struct stat st;
  const bool exists = ::stat(final_.c_str(), &st) == 0;
  if (exists && (S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode))) {
    // Written through: replacing /dev/null or a pipe's name would break it for everyone else.
    // O_NONBLOCK so that a FIFO nobody reads fails (ENXIO) instead of blocking forever.
    fd_ = ::open(final_.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd_ < 0) {
      const int err = errno;
      throw EnvironmentError("cannot write to " + quoted(target) + (S_ISFIFO(st.st_mode) ? " (a FIFO)" : " (a device)") +
                             ": " + (err == ENXIO ? std::string("no process is reading it") : std::strerror(err)));
    }
    ::fcntl(fd_, F_SETFL, ::fcntl(fd_, F_GETFL) & ~O_NONBLOCK);
    return;
  }
  if (exists && !S_ISREG(st.st_mode)) {
    const char* what = S_ISDIR(st.st_mode) ? "a folder" : S_ISBLK(st.st_mode) ? "a block device" : S_ISSOCK(st.st_mode) ? "a socket" : "not a regular file";
    throw EnvironmentError("refusing to write " + quoted(target) + ": expected a regular file or a new name, found " + what);
  }
  fs::path dir = final_.parent_path();
  if (dir.empty()) dir = ".";
  std::string name = ".";  // hidden, and never a name a loader looks for
  name += final_.filename().string();
  name += ".tmp.XXXXXX";
  tmp_ = (dir / name).string();
  fd_ = ::mkostemp(tmp_.data(), O_CLOEXEC);
  if (fd_ < 0) {
    const int err = errno;
    tmp_.clear();
    throw EnvironmentError("cannot create a temporary file next to " + quoted(target) + ": " + std::strerror(err));
  }
  // mkstemp makes 0600; a replaced file keeps its mode, a new one is an ordinary readable file
  ::fchmod(fd_, exists ? (st.st_mode & 07777) : 0644);
}

AtomicFile::~AtomicFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!tmp_.empty() && !published_) ::unlink(tmp_.c_str());
}

void AtomicFile::write(const void* data, size_t n) {
  if (fd_ < 0) throw EnvironmentError("writing " + quoted(target_) + " after it was finished");
  const char* p = static_cast<const char*>(data);
  while (n > 0) {
    const ssize_t w = ::write(fd_, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      throw EnvironmentError("writing " + quoted(target_) + " failed: " + std::strerror(errno));
    }
    p += w;
    n -= size_t(w);
    written_ += uint64_t(w);
  }
}

void AtomicFile::finish() {
  if (fd_ < 0) return;
  // fsync of a device or FIFO may be EINVAL; only a real file's durability matters
  if (!tmp_.empty() && ::fsync(fd_) != 0)
    throw EnvironmentError("fsync of " + quoted(target_) + " failed: " + std::strerror(errno));
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0 && !tmp_.empty())
    throw EnvironmentError("closing " + quoted(target_) + " failed: " + std::strerror(errno));
}

void AtomicFile::publish(bool sync_folder) {
  finish();
  if (tmp_.empty() || published_) return;
  if (::rename(tmp_.c_str(), final_.c_str()) != 0)
    throw EnvironmentError("renaming into " + quoted(target_) + " failed: " + std::strerror(errno));
  published_ = true;
  if (sync_folder) fsync_folder(final_);
}

void AtomicFile::commit() { publish(true); }

void write_file_atomic(const fs::path& file, std::string_view text) {
  AtomicFile f(file);
  f.write(text);
  f.commit();
}

FolderSave::FolderSave(const fs::path& folder) : folder_(folder) {
  std::error_code ec;
  if (fs::exists(folder, ec) && !fs::is_directory(folder, ec))
    throw EnvironmentError("cannot save into " + quoted(folder) + ": it is a file, expected a folder");
  fs::create_directories(folder, ec);
  if (ec) throw EnvironmentError("cannot create the folder " + quoted(folder) + ": " + ec.message());
  lock_fd_ = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (lock_fd_ < 0) throw EnvironmentError("cannot open the folder " + quoted(folder) + ": " + std::strerror(errno));
  // Advisory: it keeps two saves of this library apart (a mix of both would load silently); other
  // writers are not stopped. Released when the descriptor closes, also when the process dies.
  while (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    if (errno == EINTR) continue;
    const int err = errno;
    const std::string holder = err == EWOULDBLOCK ? lock_holder(lock_fd_) : "";
    ::close(lock_fd_);
    lock_fd_ = -1;
    if (err == EWOULDBLOCK)
      throw EnvironmentError("cannot save into " + quoted(folder) + ": another save into this folder is in progress (" +
                             holder + "); try again when it has finished");
    throw EnvironmentError("cannot lock the folder " + quoted(folder) + ": " + std::strerror(err));
  }
}

FolderSave::~FolderSave() {
  files_.clear();  // unlinks unpublished temporaries while the lock is still held
  if (lock_fd_ >= 0) ::close(lock_fd_);
}

AtomicFile& FolderSave::open(const std::string& name) {
  for (auto& [n, f] : files_)
    if (n == name) throw ValueError("save into " + quoted(folder_) + " writes '" + name + "' twice");
  files_.emplace_back(name, std::make_unique<AtomicFile>(folder_ / name));
  return *files_.back().second;
}

std::vector<std::string> FolderSave::staged_names() const {
  std::vector<std::string> out;
  for (const auto& [n, f] : files_) out.push_back(n);
  return out;
}

void FolderSave::commit() {
  for (auto& [n, f] : files_) f->finish();
  for (const auto& n : removals_) {
    std::error_code ec;
    fs::remove(folder_ / n, ec);
  }
  for (auto& [n, f] : files_) f->publish(/*sync_folder=*/false);
  fsync_folder(folder_ / ".");
}

}  // namespace transformers::io
