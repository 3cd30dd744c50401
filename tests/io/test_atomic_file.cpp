// io::AtomicFile and io::FolderSave (issue 29 items 4-6): what is at the target decides how it is
// written (a FIFO or device written through, never replaced; a symlink followed; a folder or socket
// refused); a FolderSave changes nothing until commit() and locks its folder against a second save.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>

#include "io_test_util.hpp"
#include "transformers/core/error.hpp"
#include "transformers/io/atomic_file.hpp"
#include "transformers/io/checkpoint.hpp"

namespace {

using namespace iotest;
namespace io = transformers::io;
using transformers::EnvironmentError;

mode_t lmode(const fs::path& p) {
  struct stat st{};
  ::lstat(p.c_str(), &st);
  return st.st_mode;
}

// Names in a folder, hidden temporaries included.
std::vector<std::string> listing(const fs::path& d) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(d)) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

TEST(AtomicFile, ReplacesARegularFileAndKeepsItsMode) {
  TempDir d;
  write_file(d.path / "a.txt", "old");
  ::chmod((d.path / "a.txt").c_str(), 0600);
  io::write_file_atomic(d.path / "a.txt", "new bytes");
  EXPECT_EQ(read_file(d.path / "a.txt"), "new bytes");
  EXPECT_EQ(lmode(d.path / "a.txt") & 0777, 0600u);
  io::write_file_atomic(d.path / "b.txt", "fresh");
  EXPECT_EQ(lmode(d.path / "b.txt") & 0777, 0644u);
  EXPECT_EQ(listing(d.path), (std::vector<std::string>{"a.txt", "b.txt"}));
}

// Reads what is buffered in a FIFO opened O_RDWR|O_NONBLOCK (never blocks, never hangs a test).
std::string drain(int fd) {
  std::string out;
  char buf[4096];
  for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) out.append(buf, size_t(n));
  return out;
}

TEST(AtomicFile, WritesThroughAFifoInsteadOfReplacingIt) {
  TempDir d;
  const fs::path fifo = d.path / "pipe";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  // O_RDWR holds a reader end open without blocking; the bytes stay in the pipe's buffer
  const int fd = ::open(fifo.c_str(), O_RDWR | O_NONBLOCK);
  ASSERT_GE(fd, 0);
  io::write_file_atomic(fifo, "through the pipe");
  EXPECT_EQ(drain(fd), "through the pipe");
  ::close(fd);
  EXPECT_TRUE(S_ISFIFO(lmode(fifo))) << "the FIFO was replaced";
  EXPECT_EQ(listing(d.path), std::vector<std::string>{"pipe"});
}

TEST(AtomicFile, AFifoWithNoReaderIsAnErrorNotAHang) {
  TempDir d;
  const fs::path fifo = d.path / "pipe";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  try {
    io::write_file_atomic(fifo, "x");
    FAIL() << "no error";
  } catch (const EnvironmentError& e) {
    EXPECT_NE(std::string(e.what()).find("no process is reading it"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(fifo.string()), std::string::npos) << e.what();
  }
  EXPECT_TRUE(S_ISFIFO(lmode(fifo)));
}

TEST(AtomicFile, WritesThroughACharacterDevice) {
  // /dev/null itself: replacing it (as root, rename succeeds) would break every process on the machine.
  io::write_file_atomic("/dev/null", "discarded");
  EXPECT_TRUE(S_ISCHR(lmode("/dev/null")));
}

TEST(AtomicFile, FollowsSymlinksAndKeepsThem) {
  TempDir d;
  fs::create_directories(d.path / "real");
  write_file(d.path / "real" / "f.json", "old");
  fs::create_symlink("real/f.json", d.path / "link.json");
  fs::create_symlink("link.json", d.path / "link2.json");  // a chain
  io::write_file_atomic(d.path / "link2.json", "new");
  EXPECT_TRUE(S_ISLNK(lmode(d.path / "link.json")));
  EXPECT_TRUE(S_ISLNK(lmode(d.path / "link2.json")));
  EXPECT_EQ(read_file(d.path / "real" / "f.json"), "new");
  // a dangling link: its target is created, as a shell redirection does
  fs::create_symlink("real/absent.json", d.path / "dangling.json");
  io::write_file_atomic(d.path / "dangling.json", "made");
  EXPECT_TRUE(S_ISLNK(lmode(d.path / "dangling.json")));
  EXPECT_EQ(read_file(d.path / "real" / "absent.json"), "made");
  // a loop is an error, not a hang
  fs::create_symlink("loop_b", d.path / "loop_a");
  fs::create_symlink("loop_a", d.path / "loop_b");
  EXPECT_THROW(io::write_file_atomic(d.path / "loop_a", "x"), EnvironmentError);
}

TEST(AtomicFile, RefusesFoldersAndSockets) {
  TempDir d;
  fs::create_directories(d.path / "sub");
  try {
    io::write_file_atomic(d.path / "sub", "x");
    FAIL() << "no error";
  } catch (const EnvironmentError& e) {
    EXPECT_NE(std::string(e.what()).find("found a folder"), std::string::npos) << e.what();
  }
  const int s = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  const std::string sp = (d.path / "sock").string();
  ASSERT_LT(sp.size(), sizeof addr.sun_path);
  std::strcpy(addr.sun_path, sp.c_str());
  ASSERT_EQ(::bind(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  EXPECT_THROW(io::write_file_atomic(d.path / "sock", "x"), EnvironmentError);
  EXPECT_TRUE(S_ISSOCK(lmode(d.path / "sock")));
  ::close(s);
}

TEST(FolderSave, NothingChangesUntilCommit) {
  TempDir d;
  write_file(d.path / "config.json", "old config");
  write_file(d.path / "model.safetensors", "old weights");
  {
    io::FolderSave save(d.path);
    save.write("model.safetensors", "new weights");
    save.write("config.json", "new config");
    EXPECT_EQ(read_file(d.path / "config.json"), "old config");
    // no commit: an exception between staging and commit leaves the folder as it was
  }
  EXPECT_EQ(read_file(d.path / "config.json"), "old config");
  EXPECT_EQ(read_file(d.path / "model.safetensors"), "old weights");
  EXPECT_EQ(listing(d.path), (std::vector<std::string>{"config.json", "model.safetensors"}));
  {
    io::FolderSave save(d.path);
    save.write("model.safetensors", "new weights");
    save.write("config.json", "new config");
    save.commit();
  }
  EXPECT_EQ(read_file(d.path / "config.json"), "new config");
  EXPECT_EQ(read_file(d.path / "model.safetensors"), "new weights");
  EXPECT_EQ(listing(d.path), (std::vector<std::string>{"config.json", "model.safetensors"}));
}

TEST(FolderSave, ASecondSaveIntoTheFolderIsRefusedNamingTheFirst) {
  TempDir d;
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  const pid_t child = ::fork();
  if (child == 0) {
    io::FolderSave hold(d.path);
    (void)!::write(ready[1], "1", 1);
    ::pause();  // until killed
    ::_exit(0);
  }
  char c;
  ASSERT_EQ(::read(ready[0], &c, 1), 1);
  std::string msg;
  try {
    io::save_state_dict(d.path, {});
  } catch (const EnvironmentError& e) {
    msg = e.what();
  }
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
  ::close(ready[0]);
  ::close(ready[1]);
  EXPECT_NE(msg.find("another save into this folder is in progress"), std::string::npos) << msg;
  EXPECT_NE(msg.find("process " + std::to_string(child)), std::string::npos) << msg;
  // the lock dies with its holder
  EXPECT_NO_THROW(io::FolderSave again(d.path));
}

}  // namespace
