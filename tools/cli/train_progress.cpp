// The `train` progress bar (train_progress.hpp).
#include "train_progress.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>

namespace transformers::cli {

namespace {
double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// mm:ss, or h:mm:ss from an hour on (tqdm's format_interval).
std::string interval(double seconds) {
  const int64_t s = std::max<int64_t>(0, int64_t(std::llround(seconds)));
  char buf[32];
  if (s >= 3600)
    std::snprintf(buf, sizeof buf, "%lld:%02lld:%02lld", (long long)(s / 3600), (long long)(s / 60 % 60), (long long)(s % 60));
  else
    std::snprintf(buf, sizeof buf, "%02lld:%02lld", (long long)(s / 60), (long long)(s % 60));
  return buf;
}
}  // namespace

std::string format_train_progress(int64_t step, int64_t total, double elapsed, double per_step, double loss) {
  constexpr int kWidth = 20;  // cells of the bar
  const double frac = total > 0 ? std::clamp(double(step) / double(total), 0.0, 1.0) : 0.0;
  const int filled = int(frac * kWidth);
  std::string bar;
  for (int i = 0; i < kWidth; ++i) bar += i < filled ? "\u2588" : " ";
  char pct[8];
  std::snprintf(pct, sizeof pct, "%3d%%", int(frac * 100));
  std::string line = std::string(pct) + "|" + bar + "| " + std::to_string(step) + "/" + std::to_string(total) + " [" +
                     interval(elapsed);
  char rate[64];
  if (per_step > 0) {
    const double per = per_step;
    line += "<" + interval(per * double(std::max<int64_t>(0, total - step)));
    if (per >= 1) std::snprintf(rate, sizeof rate, ", %5.2fs/it", per);
    else std::snprintf(rate, sizeof rate, ", %5.2fit/s", 1.0 / per);
    line += rate;
  } else {
    line += "<?, ?it/s";
  }
  char l[48];
  std::snprintf(l, sizeof l, ", loss=%.4g]", loss);
  return line + l;
}

TrainProgress::TrainProgress(std::FILE* out) : out_(out), active_(out && isatty(fileno(out))), start_(now_s()) {}

void TrainProgress::update(int64_t step, int64_t total, double loss) {
  if (!active_) return;
  if (first_step_ < 0) first_step_ = step;  // a resumed run's first step is past its checkpoint's
  const double elapsed = now_s() - start_;
  const std::string line = format_train_progress(step, total, elapsed, elapsed / double(step - first_step_ + 1), loss);
  std::fprintf(out_, "\r%s\033[K", line.c_str());
  std::fflush(out_);
  drawn_ = true;
}

void TrainProgress::clear() {
  if (!active_ || !drawn_) return;
  std::fprintf(out_, "\r\033[K");
  std::fflush(out_);
}

void TrainProgress::finish() {
  if (!active_ || !drawn_) return;
  std::fprintf(out_, "\n");
  std::fflush(out_);
  drawn_ = false;
}

}  // namespace transformers::cli
