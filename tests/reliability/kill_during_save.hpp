#pragma once
// The kill-during-save harness: a folder holding a complete old checkpoint, a child process
// saving a new one into it, SIGKILL after a random delay, then a verdict on what the folder holds.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <functional>
#include <map>
#include <random>
#include <string>
#include <thread>

#include "reliability_util.hpp"
#include "transformers/io/checkpoint.hpp"

namespace reliability {

enum class Verdict { Old, New, Loud, SilentMix, NotLoadedOldAlone };

inline const char* verdict_name(Verdict v) {
  switch (v) {
    case Verdict::Old: return "complete old checkpoint";
    case Verdict::New: return "complete new checkpoint";
    case Verdict::Loud: return "refused with a typed error";
    case Verdict::SilentMix: return "a MIX that loads silently";
    default: return "?";
  }
}

inline bool same_bytes(const transformers::Tensor& a, const transformers::Tensor& b) {
  if (a.dtype() != b.dtype() || a.shape() != b.shape()) return false;
  const auto ca = a.contiguous(), cb = b.contiguous();
  return ca.nbytes() == 0 || std::memcmp(ca.data_ptr(), cb.data_ptr(), ca.nbytes()) == 0;
}

// Compares what `load` returns with the old and the new tensors. `detail` gets the names of the
// tensors that came from each side when they are mixed.
inline Verdict classify(const std::function<transformers::io::NamedTensors()>& load,
                        const transformers::io::NamedTensors& old_t, const transformers::io::NamedTensors& new_t,
                        std::string* detail = nullptr) {
  transformers::io::NamedTensors got;
  try {
    got = load();
  } catch (const transformers::Error& e) {
    if (detail) *detail = e.what();
    return Verdict::Loud;
  }
  auto matches = [&](const transformers::io::NamedTensors& ref) {
    if (ref.size() != got.size()) return false;
    std::map<std::string, const transformers::Tensor*> m;
    for (auto& [n, t] : got) m[n] = &t;
    for (auto& [n, t] : ref) {
      auto it = m.find(n);
      if (it == m.end() || !same_bytes(*it->second, t)) return false;
    }
    return true;
  };
  if (matches(old_t)) return Verdict::Old;
  if (matches(new_t)) return Verdict::New;
  if (detail) {
    std::map<std::string, const transformers::Tensor*> o, n;
    for (auto& [k, t] : old_t) o[k] = &t;
    for (auto& [k, t] : new_t) n[k] = &t;
    for (auto& [k, t] : got) {
      const char* side = o.count(k) && same_bytes(*o[k], t) ? "old" : n.count(k) && same_bytes(*n[k], t) ? "new" : "neither";
      *detail += k + "=" + side + " ";
    }
  }
  return Verdict::SilentMix;
}

// Forks a child running `save` and kills it with SIGKILL after `delay`. Returns true when the
// child was killed before finishing (false: it had already exited).
inline bool save_and_kill(const std::function<void()>& save, std::chrono::microseconds delay) {
  const pid_t pid = fork();
  if (pid == 0) {
    try {
      save();
    } catch (...) {
      _exit(2);
    }
    _exit(0);
  }
  std::this_thread::sleep_for(delay);
  const bool killed = kill(pid, SIGKILL) == 0;
  int st = 0;
  waitpid(pid, &st, 0);
  return killed && WIFSIGNALED(st);
}

// A copy of `src` (top-level files only) in `dst`.
inline void copy_folder(const fs::path& src, const fs::path& dst) {
  fs::create_directories(dst);
  for (const auto& e : fs::directory_iterator(src))
    if (e.is_regular_file()) fs::copy_file(e.path(), dst / e.path().filename(), fs::copy_options::overwrite_existing);
}

// Files left behind by interrupted atomic writes (".<name>.tmp.XXXXXX").
inline int temp_files(const fs::path& dir) {
  int n = 0;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().filename().string().find(".tmp.") != std::string::npos) ++n;
  return n;
}

}  // namespace reliability
