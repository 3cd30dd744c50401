#pragma once
// Runs transformers-cli as a user would (a child process) and captures stdout, stderr and the
// exit status, so tests check the contract of docs/CLI.md from outside.
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace cli_test {

struct CliResult {
  int status = -1;      // exit status; 128+signal when killed by a signal
  std::string out;
  std::string err;
};

inline std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) {
    if (c == '\'') q += "'\\''";
    else q += c;
  }
  return q + "'";
}

// A shell command line's stdout and exit status (stderr as for run_cli).
inline CliResult run_shell(const std::string& command) {
  char errpath[] = "/tmp/cli_stderr_XXXXXX";
  const int fd = mkstemp(errpath);
  if (fd >= 0) close(fd);
  const std::string cmd = command + " 2>" + std::string(errpath);
  CliResult r;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return r;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
  const int st = pclose(p);
  if (WIFEXITED(st)) r.status = WEXITSTATUS(st);
  else if (WIFSIGNALED(st)) r.status = 128 + WTERMSIG(st);
  std::ifstream in(errpath);
  std::stringstream ss;
  ss << in.rdbuf();
  r.err = ss.str();
  std::remove(errpath);
  return r;
}

// `stdin_path`: a file the command reads as its standard input (default: the test's).
inline CliResult run_cli(const std::vector<std::string>& args, const std::string& stdin_path = "") {
  std::string cmd = shell_quote(TRANSFORMERS_CLI_PATH);
  for (auto& a : args) cmd += " " + shell_quote(a);
  if (!stdin_path.empty()) cmd += " <" + shell_quote(stdin_path);
  return run_shell(cmd);
}

}  // namespace cli_test
