#include "io/mapped_file.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "transformers/core/error.hpp"
#include "transformers/core/storage.hpp"

namespace transformers::io::detail {

std::shared_ptr<MappedFile> MappedFile::open(const std::filesystem::path& path) {
  std::shared_ptr<MappedFile> m(new MappedFile());
  m->path_ = path.string();
  const int fd = ::open(m->path_.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0)
    throw FileNotFoundError("cannot open '" + m->path_ + "': " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    throw FileNotFoundError("'" + m->path_ + "' is not a regular file");
  }
  m->size_ = size_t(st.st_size);
  if (m->size_ > 0) {
    // Private read-only mapping: the bytes are never written through it, and a later write to
    // the file by someone else does not tear tensors we already handed out (copy-on-write pages).
    void* p = ::mmap(nullptr, m->size_, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) {
      const int err = errno;
      ::close(fd);
      throw EnvironmentError("mmap of '" + m->path_ + "' (" + std::to_string(m->size_) +
                             " bytes) failed: " + std::strerror(err));
    }
    m->data_ = static_cast<const uint8_t*>(p);
  }
  ::close(fd);  // the mapping keeps its own reference to the file
  return m;
}

ReaderBytes ReaderBytes::map(const std::filesystem::path& file) {
  auto m = MappedFile::open(file);
  return {m->path(), m, m->data(), m->size()};
}

ReaderBytes ReaderBytes::copy(std::string_view bytes, std::string name) {
  auto s = Storage::allocate(bytes.size());
  if (!bytes.empty()) std::memcpy(s->data(), bytes.data(), bytes.size());
  return {std::move(name), s, static_cast<const uint8_t*>(s->data()), bytes.size()};
}

MappedFile::~MappedFile() {
  if (data_) ::munmap(const_cast<uint8_t*>(data_), size_);
}

}  // namespace transformers::io::detail
