#include "io/atomic_file.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "transformers/core/error.hpp"

namespace transformers::io::detail {

AtomicFile::AtomicFile(const std::filesystem::path& target) : target_(target) {
  std::filesystem::path dir = target.parent_path();
  if (dir.empty()) dir = ".";
  tmp_ = (dir / ("." + target.filename().string() + ".tmp.XXXXXX")).string();
  fd_ = ::mkstemp(tmp_.data());
  if (fd_ < 0)
    throw EnvironmentError("cannot create a temporary file next to '" + target.string() + "': " + std::strerror(errno));
  ::fchmod(fd_, 0644);  // mkstemp makes 0600; checkpoints are ordinary readable files
}

AtomicFile::~AtomicFile() {
  if (fd_ >= 0) {
    ::close(fd_);
    ::unlink(tmp_.c_str());
  }
}

void AtomicFile::write(const void* data, size_t n) {
  const char* p = static_cast<const char*>(data);
  while (n > 0) {
    const ssize_t w = ::write(fd_, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      throw EnvironmentError("writing '" + target_.string() + "' failed: " + std::strerror(errno));
    }
    p += w;
    n -= size_t(w);
    written_ += uint64_t(w);
  }
}

void AtomicFile::commit() {
  if (::fsync(fd_) != 0)
    throw EnvironmentError("fsync of '" + target_.string() + "' failed: " + std::strerror(errno));
  ::close(fd_);
  fd_ = -1;
  if (::rename(tmp_.c_str(), target_.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp_.c_str());
    throw EnvironmentError("renaming into '" + target_.string() + "' failed: " + std::strerror(err));
  }
  std::filesystem::path dir = target_.parent_path();
  if (dir.empty()) dir = ".";
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

}  // namespace transformers::io::detail
