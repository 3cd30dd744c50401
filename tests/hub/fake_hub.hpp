#pragma once
// An in-process fake of the Hugging Face Hub's download protocol for tests: the resolve endpoint
// (HEAD/GET with ETag, X-Repo-Commit, X-Linked-Etag/Size, X-Error-Code), relative redirects for
// renamed repos, LFS files redirected to a second server ("CDN", another host:port) that honours
// Range. Every request is logged so tests can count them and inspect headers.
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "fake_http_server.hpp"

namespace transformers::testing {

class FakeHub {
 public:
  using Files = std::map<std::string, std::string>;  // path in repo -> content
  FakeHub();

  std::string endpoint() const { return hub_.base_url(); }
  std::string cdn_url() const { return cdn_.base_url(); }

  // Adds a commit holding exactly `files`, points `branch` at it, returns its 40-hex sha (derived
  // from the content unless `sha` is given). repo is "org/name", or "datasets/org/name" /
  // "spaces/org/name" for other repo types.
  std::string commit(const std::string& repo, const Files& files, const std::string& branch = "main",
                     const std::string& sha = "");
  void set_ref(const std::string& repo, const std::string& ref, const std::string& commit);
  void set_private(const std::string& repo, const std::string& token);  // requires "Bearer <token>"
  void rename(const std::string& old_repo, const std::string& new_repo);  // 307 relative redirect

  // Fault injection on the CDN: cut the next `n` LFS GETs after `bytes` bytes; serve altered bytes.
  void cut_next_lfs_gets(int n, long bytes);
  void set_corrupt_lfs(bool on);

  static bool is_lfs(const std::string& path);  // *.safetensors, *.bin: stored through LFS

  struct Logged {
    std::string server;  // "hub" or "cdn"
    ServerRequest req;
  };
  std::vector<Logged> log() const;
  int count(const std::string& server, const std::string& method) const;
  void clear_log();

 private:
  ServerResponse handle_hub(const ServerRequest& r);
  ServerResponse handle_cdn(const ServerRequest& r);

  struct Repo {
    std::map<std::string, std::string> refs;  // branch/tag/refs/pr/N -> commit
    std::map<std::string, Files> commits;
    std::string token;  // non-empty: private
  };
  mutable std::mutex mu_;
  std::map<std::string, Repo> repos_;
  std::map<std::string, std::string> renamed_;
  std::map<std::string, std::string> lfs_store_;  // sha256 -> content
  std::vector<Logged> log_;
  int cuts_left_ = 0;
  long cut_bytes_ = 0;
  bool corrupt_ = false;
  int commit_counter_ = 0;
  HttpServer hub_;
  HttpServer cdn_;
};

}  // namespace transformers::testing
