#pragma once
// The progress bar `train` draws on a terminal, as Trainer's tqdm bar does: on stderr, redrawn in
// place after each optimizer step, only when stderr is a TTY (piped or redirected runs get none;
// the JSON step lines on stdout stay as they are either way).
#include <cstdint>
#include <cstdio>
#include <string>

namespace transformers::cli {

// One line of the bar, tqdm's layout: " 40%|████      | 4/10 [00:12<00:18,  3.00s/it, loss=2.31]".
// elapsed: seconds since this run started; per_step: its mean seconds per step (0: unknown yet).
std::string format_train_progress(int64_t step, int64_t total, double elapsed, double per_step, double loss);

class TrainProgress {
 public:
  // Draws only when `out` is a terminal.
  explicit TrainProgress(std::FILE* out);
  bool active() const { return active_; }
  // After each optimizer step: redraws the bar. The rate is taken over the steps this run made (a
  // resumed run's first step follows its checkpoint's).
  void update(int64_t step, int64_t total, double loss);
  // Before a line goes to the same terminal on stdout: clears the bar (update redraws it).
  void clear();
  // Ends the bar's line.
  void finish();

 private:
  std::FILE* out_;
  bool active_ = false, drawn_ = false;
  int64_t first_step_ = -1;
  double start_ = 0;
};

}  // namespace transformers::cli
