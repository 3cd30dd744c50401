#include "stderr_hold.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>

namespace transformers::cli {

StderrHold::StderrHold() {
  if (isatty(STDERR_FILENO) == 1) return;
  std::fflush(stderr);
  held_ = memfd_create("transformers-cli-stderr", MFD_CLOEXEC);
  if (held_ < 0) return;  // no memory file: warnings go out as they come
  saved_ = dup(STDERR_FILENO);
  if (saved_ < 0 || dup2(held_, STDERR_FILENO) < 0) {
    if (saved_ >= 0) close(saved_);
    close(held_);
    saved_ = held_ = -1;
  }
}

StderrHold::~StderrHold() { release(true); }

void StderrHold::release(bool replay) {
  if (held_ < 0) return;
  std::cerr.flush();
  std::fflush(stderr);
  dup2(saved_, STDERR_FILENO);
  close(saved_);
  if (replay && lseek(held_, 0, SEEK_SET) == 0) {
    char buf[65536];
    ssize_t n;
    while ((n = read(held_, buf, sizeof buf)) > 0)
      for (ssize_t off = 0; off < n;) {
        const ssize_t w = write(STDERR_FILENO, buf + off, size_t(n - off));
        if (w <= 0) break;
        off += w;
      }
  }
  close(held_);
  saved_ = held_ = -1;
}

}  // namespace transformers::cli
