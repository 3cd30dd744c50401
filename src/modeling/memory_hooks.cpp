// add_memory_hooks' RSS bookkeeping around a model's forward.
#include "transformers/modeling/memory_hooks.hpp"

#include <unistd.h>

#include <cstdio>

namespace transformers {

int64_t process_rss_bytes() {
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  if (!f) return 0;
  long long size = 0, resident = 0;
  const int n = std::fscanf(f, "%lld %lld", &size, &resident);
  std::fclose(f);
  if (n != 2) return 0;
  return int64_t(resident) * int64_t(sysconf(_SC_PAGESIZE));
}

ModelOutput MemoryHooks::forward(const ModelInputs& inputs) {
  state_.mem_rss_pre_forward = process_rss_bytes();
  ModelOutput out = model_.forward(inputs);
  state_.mem_rss_post_forward = process_rss_bytes();
  state_.mem_rss_diff += state_.mem_rss_post_forward - state_.mem_rss_pre_forward;
  return out;
}

}  // namespace transformers
