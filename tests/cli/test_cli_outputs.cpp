// What the CLI writes, from outside (issue 29 items 4, 6, 7 and 13): an --output naming a device or
// FIFO is written through and stays what it was; a model command's --output naming a file fails
// with one error line and writes nothing; a save into a folder another save holds is refused naming
// it; `convert --dtype` writes the config.json transformers 4.51.3 writes
// (tests/oracle/make_save_goldens.py).
#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "cli/cli_runner.hpp"
#include "transformers/io/atomic_file.hpp"
#include "transformers/io/safetensors.hpp"

using cli_test::run_cli;
using namespace transformers;
namespace fs = std::filesystem;

namespace {
const std::string kModels = std::string(TRANSFORMERS_FIXTURES_DIR) + "/hf/models";

struct TempDir {
  fs::path path;
  TempDir() {
    std::string t = (fs::temp_directory_path() / "tcli-out-XXXXXX").string();
    if (!::mkdtemp(t.data())) throw std::runtime_error("mkdtemp");
    path = t;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

mode_t lmode(const fs::path& p) {
  struct stat st{};
  ::lstat(p.c_str(), &st);
  return st.st_mode;
}

size_t count_lines(const std::string& s) { return size_t(std::count(s.begin(), s.end(), '\n')); }

// input_ids for the gpt2 fixture
std::string gpt2_inputs(const fs::path& dir) {
  const fs::path f = dir / "in.safetensors";
  io::save_safetensors(f, {{"input_ids", Tensor::from_vector<int64_t>({5, 6, 7}, {1, 3})}});
  return f.string();
}

TEST(CliOutputs, ForwardWritesThroughDevNullAndKeepsIt) {
  TempDir d;
  auto r = run_cli({"forward", "--model", kModels + "/gpt2/model", "--inputs", gpt2_inputs(d.path), "--output", "/dev/null"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(S_ISCHR(lmode("/dev/null"))) << "/dev/null was replaced by a regular file";
}

TEST(CliOutputs, ForwardWritesThroughAFifo) {
  TempDir d;
  const fs::path fifo = d.path / "out.pipe";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  // O_RDWR keeps a reader end open without blocking; the output (~1.5 KB) fits the pipe's buffer
  const int fd = ::open(fifo.c_str(), O_RDWR | O_NONBLOCK);
  ASSERT_GE(fd, 0);
  auto r = run_cli({"forward", "--model", kModels + "/gpt2/model", "--inputs", gpt2_inputs(d.path), "--output", fifo.string()});
  EXPECT_EQ(r.status, 0) << r.err;
  std::string bytes;
  char buf[4096];
  for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) bytes.append(buf, size_t(n));
  ::close(fd);
  EXPECT_TRUE(S_ISFIFO(lmode(fifo))) << "the FIFO was replaced by a regular file";
  // what came through the pipe is the safetensors file with the logits
  const fs::path copy = d.path / "copy.safetensors";
  std::ofstream(copy, std::ios::binary) << bytes;
  ASSERT_FALSE(bytes.empty());
  auto out = io::load_safetensors(copy);
  EXPECT_TRUE(std::any_of(out.begin(), out.end(), [](const auto& kv) { return kv.first == "logits"; }));
}

TEST(CliOutputs, ForwardToAFifoNobodyReadsFailsWithOneLine) {
  TempDir d;
  const fs::path fifo = d.path / "out.pipe";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  auto r = run_cli({"forward", "--model", kModels + "/gpt2/model", "--inputs", gpt2_inputs(d.path), "--output", fifo.string()});
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(count_lines(r.err), 1u) << r.err;
  EXPECT_EQ(r.err.rfind("error: ", 0), 0u) << r.err;
  EXPECT_NE(r.err.find(fifo.string()), std::string::npos) << r.err;
  EXPECT_TRUE(S_ISFIFO(lmode(fifo)));
}

TEST(CliOutputs, ModelCommandsRefuseAnOutputThatIsAFile) {
  TempDir d;
  const fs::path file = d.path / "taken.txt";
  std::ofstream(file) << "keep me";
  const std::vector<std::vector<std::string>> commands = {
      {"convert", "--model", kModels + "/gpt2/model", "--output", file.string()},
      {"resize", "--model", kModels + "/gpt2/model", "--new-num-tokens", "120", "--output", file.string()},
      {"prune", "--model", kModels + "/bert/model", "--heads", "{\"0\":[0]}", "--output", file.string()},
  };
  for (const auto& args : commands) {
    SCOPED_TRACE(args[0]);
    auto r = run_cli(args);
    EXPECT_EQ(r.status, 1) << r.err;
    EXPECT_EQ(count_lines(r.err), 1u) << r.err;
    EXPECT_EQ(r.err.rfind("error: ", 0), 0u) << r.err;
    EXPECT_NE(r.err.find(file.string()), std::string::npos) << r.err;
    EXPECT_EQ(read_file(file), "keep me");
  }
}

TEST(CliOutputs, ConvertIntoAFolderAnotherSaveHoldsIsRefused) {
  TempDir d;
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  const pid_t holder = ::fork();
  if (holder == 0) {
    io::FolderSave hold(d.path / "out");
    (void)!::write(ready[1], "1", 1);
    ::pause();
    ::_exit(0);
  }
  char c;
  ASSERT_EQ(::read(ready[0], &c, 1), 1);
  auto r = run_cli({"convert", "--model", kModels + "/gpt2/model", "--output", (d.path / "out").string()});
  ::kill(holder, SIGKILL);
  ::waitpid(holder, nullptr, 0);
  ::close(ready[0]);
  ::close(ready[1]);
  EXPECT_EQ(r.status, 1) << r.err;
  EXPECT_EQ(count_lines(r.err), 1u) << r.err;
  EXPECT_NE(r.err.find("another save into this folder is in progress (process " + std::to_string(holder)),
            std::string::npos)
      << r.err;
  EXPECT_TRUE(fs::is_empty(d.path / "out"));
}

TEST(CliOutputs, ConvertDtypeWritesTheConfigOf451) {
  for (const std::string model_type : {"bert", "gpt2", "llama"})
    for (const std::string dtype : {"float16", "bfloat16"}) {
      SCOPED_TRACE(model_type + " " + dtype);
      TempDir d;
      auto r = run_cli({"convert", "--model", kModels + "/" + model_type + "/model", "--dtype", dtype, "--output",
                        (d.path / "out").string()});
      ASSERT_EQ(r.status, 0) << r.err;
      const fs::path golden = fs::path(TRANSFORMERS_TEST_DATA_DIR) / "saves" / (model_type + "_" + dtype);
      EXPECT_EQ(read_file(d.path / "out" / "config.json"), read_file(golden / "config.json"));
      if (fs::exists(golden / "generation_config.json"))
        EXPECT_EQ(read_file(d.path / "out" / "generation_config.json"), read_file(golden / "generation_config.json"));
    }
}

}  // namespace
