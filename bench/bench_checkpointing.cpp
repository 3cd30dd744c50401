// bench_checkpointing: one training step (forward + backward) of GPT-2 small (random weights,
// GPT2Config defaults) with and without gradient checkpointing, each in its own child process:
// the peak RSS the step adds over the loaded model (VmHWM after the step minus VmRSS before it)
// and the step time. Not a CI test; figures go to docs/benchmarks.md.
//
//   bench_checkpointing [BATCH] [SEQ] [THREADS]   (default 4 512 0 = all cores)
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "transformers/core/autograd.hpp"
#include "transformers/core/parallel.hpp"
#include "transformers/modeling/auto.hpp"
#include "transformers/modeling/gradient_checkpointing.hpp"
#include "transformers/models/register_all.hpp"

using namespace transformers;

namespace {

// A /proc/self/status field in bytes ("VmRSS", "VmHWM").
long long status_bytes(const std::string& field) {
  std::ifstream in("/proc/self/status");
  for (std::string line; std::getline(in, line);)
    if (line.rfind(field + ":", 0) == 0) return std::atoll(line.c_str() + field.size() + 1) * 1024;
  return -1;
}

// Runs in the child: prints "mode peak_added_bytes seconds loss".
int step(bool checkpointing, int64_t batch, int64_t seq, int threads) {
  if (threads > 0) set_num_threads(threads);  // in the child: no thread exists before fork()
  register_all_models();
  auto config = AutoConfig::for_model("gpt2", json{{"architectures", {"GPT2LMHeadModel"}}});
  auto model = auto_from_config("AutoModelForCausalLM", config, /*seed=*/1234);
  model->train();
  if (checkpointing) gradient_checkpointing_enable(*model);
  std::vector<int64_t> ids(size_t(batch * seq));
  for (size_t i = 0; i < ids.size(); ++i) ids[i] = int64_t((i * 7919) % 50257);
  ModelInputs in;
  in.input_ids = Tensor::from_vector(ids, {batch, seq});
  in.labels = in.input_ids;
  // Reset the high-water mark so it measures the step only (Linux: writing 5 to clear_refs).
  std::ofstream("/proc/self/clear_refs") << "5";
  const long long before = status_bytes("VmRSS");
  const auto t0 = std::chrono::steady_clock::now();
  const Tensor loss = model->forward(in).loss;
  loss.backward();
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const long long peak = status_bytes("VmHWM");
  std::printf("%s peak_added_bytes=%lld seconds=%.2f loss=%.6f\n", checkpointing ? "checkpointing" : "plain",
              peak - before, s, loss.item());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const int64_t batch = argc > 1 ? std::atoll(argv[1]) : 4, seq = argc > 2 ? std::atoll(argv[2]) : 512;
  const int threads = argc > 3 ? std::atoi(argv[3]) : 0;
  std::printf("GPT-2 small, batch %lld x %lld, one forward + backward\n", (long long)batch, (long long)seq);
  for (const bool ckpt : {false, true}) {
    std::fflush(stdout);
    const pid_t pid = fork();
    if (pid == 0) {
      const int rc = step(ckpt, batch, seq, threads);
      std::fflush(stdout);
      std::_Exit(rc);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      std::fprintf(stderr, "error: the %s run failed\n", ckpt ? "checkpointing" : "plain");
      return 1;
    }
  }
  return 0;
}
