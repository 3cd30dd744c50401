// Issue 29 items 5 and 6: a save that fails (a full disk, simulated with RLIMIT_FSIZE in a forked
// child) leaves the checkpoint it was replacing byte for byte as it was; two saves into one folder
// at once never leave a mix (the second is refused while the first holds the folder's lock).
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <map>

#include "kill_during_save.hpp"
#include "transformers/modeling/auto.hpp"

namespace reliability {
namespace {

using namespace transformers;

// Every file of a folder (hidden temporaries included) with its bytes.
std::map<std::string, std::string> snapshot(const fs::path& d) {
  std::map<std::string, std::string> out;
  for (const auto& e : fs::directory_iterator(d)) out[e.path().filename().string()] = read_file(e.path());
  return out;
}

std::string names(const std::map<std::string, std::string>& files) {
  std::string s;
  for (const auto& [n, b] : files) s += n + " ";
  return s;
}

// Runs `save` in a child whose files may not grow past `limit` bytes (writes then fail with EFBIG,
// as on a full disk). Returns the child's status: 1 when the save threw a transformers::Error.
int save_with_file_size_limit(const std::function<void()>& save, rlim_t limit) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::signal(SIGXFSZ, SIG_IGN);  // write() returns EFBIG instead of killing the process
    const rlimit rl{limit, limit};
    ::setrlimit(RLIMIT_FSIZE, &rl);
    try {
      save();
    } catch (const transformers::Error&) {
      ::_exit(1);
    } catch (...) {
      ::_exit(3);
    }
    ::_exit(0);
  }
  int st = 0;
  ::waitpid(pid, &st, 0);
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

struct Scenario {
  const char* what;
  std::string old_shard, new_shard;
  rlim_t limit;
};

TEST(FailedSave, FullDiskLeavesTheOldCheckpointIntact) {
  // Old: the float32 fixture; new: the bf16 fixture as float32 (other bytes, same names) whose
  // config also differs (a new key), so a config written ahead of failed weights shows.
  auto old_model = AutoModelForCausalLM::from_pretrained((models() / "gpt2" / "model").string());
  auto new_model = AutoModelForCausalLM::from_pretrained((models() / "gpt2" / "bf16").string(),
                                                         {.torch_dtype = DType::Float32});
  new_model->config().set("saved_by", "the failing save");
  // The whole weights are 78 KB, 30KB shards about 30 KB each, configs under 1 KB.
  const Scenario scenarios[] = {
      {"one file over one file", "5GB", "5GB", 40'000},
      {"3 shards over one file", "5GB", "30KB", 20'000},
      {"one file over 3 shards", "30KB", "5GB", 40'000},
      {"3 shards over 3 shards", "30KB", "30KB", 20'000},
  };
  for (const auto& sc : scenarios) {
    SCOPED_TRACE(sc.what);
    TempDir d;
    old_model->save_pretrained(d.path.string(), {.max_shard_size = sc.old_shard});
    const auto before = snapshot(d.path);
    const int status = save_with_file_size_limit(
        [&] { new_model->save_pretrained(d.path.string(), {.max_shard_size = sc.new_shard}); }, sc.limit);
    EXPECT_EQ(status, 1) << "the save must fail with a typed error";
    const auto after = snapshot(d.path);
    EXPECT_EQ(names(after), names(before)) << "files added or removed (temporaries, orphan shards)";
    EXPECT_TRUE(after == before) << "a file of the old checkpoint changed";
    auto reloaded = AutoModelForCausalLM::from_pretrained(d.path.string());
    EXPECT_FALSE(reloaded->config().raw().contains("saved_by"));
    // and a save that has room succeeds into the same folder afterwards
    new_model->save_pretrained(d.path.string(), {.max_shard_size = sc.new_shard});
    EXPECT_TRUE(AutoModelForCausalLM::from_pretrained(d.path.string())->config().raw().contains("saved_by"));
  }
}

TEST(FailedSave, ConcurrentSavesNeverMix) {
  // Two processes save different weights into one folder at the same moment, 8 times: the folder
  // must always load as exactly one of them, and a refused save names the lock.
  auto a = AutoModelForCausalLM::from_pretrained((models() / "gpt2" / "model").string());
  auto b = AutoModelForCausalLM::from_pretrained((models() / "gpt2" / "bf16").string(), {.torch_dtype = DType::Float32});
  TempDir ref_a, ref_b;
  a->save_pretrained(ref_a.path.string(), {.max_shard_size = "30KB"});
  b->save_pretrained(ref_b.path.string(), {.max_shard_size = "30KB"});
  const auto ta = io::open_checkpoint(ref_a.path).tensors, tb = io::open_checkpoint(ref_b.path).tensors;
  int refused = 0;
  for (int i = 0; i < 8; ++i) {
    TempDir d;
    int go[2];
    ASSERT_EQ(::pipe(go), 0);
    std::vector<pid_t> kids;
    for (auto* m : {a.get(), b.get()}) {
      const pid_t pid = ::fork();
      if (pid == 0) {
        char c;
        (void)!::read(go[0], &c, 1);
        try {
          m->save_pretrained(d.path.string(), {.max_shard_size = "30KB"});
        } catch (const EnvironmentError& e) {
          ::_exit(std::string(e.what()).find("another save into this folder is in progress") != std::string::npos ? 1 : 2);
        } catch (...) {
          ::_exit(3);
        }
        ::_exit(0);
      }
      kids.push_back(pid);
    }
    (void)!::write(go[1], "xx", 2);  // both start together
    int ok = 0;
    for (pid_t k : kids) {
      int st = 0;
      ::waitpid(k, &st, 0);
      ASSERT_TRUE(WIFEXITED(st));
      ASSERT_TRUE(WEXITSTATUS(st) == 0 || WEXITSTATUS(st) == 1) << "status " << WEXITSTATUS(st);
      ok += WEXITSTATUS(st) == 0;
      refused += WEXITSTATUS(st) == 1;
    }
    ::close(go[0]);
    ::close(go[1]);
    EXPECT_GE(ok, 1);
    std::string detail;
    const Verdict v = classify([&] { return io::open_checkpoint(d.path).tensors; }, ta, tb, &detail);
    EXPECT_TRUE(v == Verdict::Old || v == Verdict::New) << verdict_name(v) << ": " << detail;
  }
  std::printf("[reliability] concurrent saves: %d of 8 second saves refused by the folder lock\n", refused);
}

}  // namespace
}  // namespace reliability
