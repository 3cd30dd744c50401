#pragma once
// Test helpers: scoped environment variables, temporary folders, file reads.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <memory>
#include <vector>

namespace transformers::testing {

class ScopedEnv {
 public:
  ScopedEnv(std::string name, std::optional<std::string> value) : name_(std::move(name)) {
    if (const char* old = std::getenv(name_.c_str())) old_ = old;
    if (value) ::setenv(name_.c_str(), value->c_str(), 1);
    else ::unsetenv(name_.c_str());
  }
  ~ScopedEnv() {
    if (old_) ::setenv(name_.c_str(), old_->c_str(), 1);
    else ::unsetenv(name_.c_str());
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  std::string name_;
  std::optional<std::string> old_;
};

// Every Hub-related variable cleared, HF_HOME in a fresh temp folder, loopback never proxied.
class HubEnv {
 public:
  HubEnv() {
    char tmpl[] = "/tmp/hubtest-XXXXXX";
    dir = ::mkdtemp(tmpl);
    for (const char* n : {"HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_TOKEN_PATH", "HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE",
                          "HF_ENDPOINT", "HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE", "TRANSFORMERS_CACHE",
                          "PYTORCH_TRANSFORMERS_CACHE", "PYTORCH_PRETRAINED_BERT_CACHE", "XDG_CACHE_HOME",
                          "HF_HUB_DISABLE_IMPLICIT_TOKEN", "http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY",
                          "ALL_PROXY", "all_proxy"})
      vars_.emplace_back(std::make_unique<ScopedEnv>(n, std::nullopt));
    vars_.emplace_back(std::make_unique<ScopedEnv>("HF_HOME", dir + "/hf_home"));
    vars_.emplace_back(std::make_unique<ScopedEnv>("no_proxy", "127.0.0.1,localhost"));
  }
  ~HubEnv() { std::filesystem::remove_all(dir); }
  std::string cache() const { return dir + "/cache"; }
  std::string dir;

 private:
  std::vector<std::unique_ptr<ScopedEnv>> vars_;
};

inline std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

inline void write_file(const std::string& path, const std::string& content) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << content;
}

}  // namespace transformers::testing
