#pragma once
// ModuleUtilsMixin.add_memory_hooks / reset_memory_hooks_state (4.51) with the process RSS read from
// /proc/self/statm (Python reads it through psutil). Python hooks every submodule; our modules have
// no forward-hook mechanism, so only the model's own forward is measured (the root module's
// mem_rss_* in Python's terms).
//
//   MemoryHooks hooks(*model);           // add_memory_hooks(): states reset to 0
//   hooks.forward(inputs);               // pre/post RSS recorded, diff accumulated
//   hooks.state().mem_rss_diff;          // bytes
#include <cstdint>

#include "transformers/modeling/modeling_utils.hpp"

namespace transformers {

// Resident set size of this process in bytes (0 when /proc is unavailable).
int64_t process_rss_bytes();

struct MemoryHookState {
  int64_t mem_rss_pre_forward = 0;
  int64_t mem_rss_post_forward = 0;
  int64_t mem_rss_diff = 0;  // accumulated post - pre over every forward since the last reset
};

class MemoryHooks {
 public:
  explicit MemoryHooks(PreTrainedModel& model) : model_(model) { reset_memory_hooks_state(); }
  // model.forward(inputs) between the pre- and post-forward readings.
  ModelOutput forward(const ModelInputs& inputs);
  void reset_memory_hooks_state() { state_ = {}; }
  const MemoryHookState& state() const { return state_; }

 private:
  PreTrainedModel& model_;
  MemoryHookState state_;
};

}  // namespace transformers
