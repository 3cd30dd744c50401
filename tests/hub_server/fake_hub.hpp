#pragma once
// A Hub-protocol server for tests (spec hf-modeling.md §7), on 127.0.0.1: two loopback HTTP servers,
// the Hub and a "CDN"/LFS storage on another port (another host:port, so the authorization rules of
// cross-host redirects are exercised).
// Serves: resolve (HEAD/GET with ETag, X-Repo-Commit, X-Linked-Etag/Size, X-Error-Code; LFS files
// redirected to the CDN, which honours Range), relative redirects for renamed repos, repo_info
// (GET /api/{type}s/{repo}[/revision/{rev}]). Accepts: create_repo, create_branch, preupload, the
// LFS batch API (basic transfer: PUT to the CDN, then verify), the NDJSON commit (create_pr opens
// refs/pr/N), validate-yaml, and the multipart LFS transfer when set_multipart_chunk() asks for it. Every request is logged so tests can count them and inspect bodies.
// Used in-process by test_hub and as the standalone `hub_server` program by the oracle scripts.
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
  // "spaces/org/name" for other repo types. Paths with is_lfs() are stored as LFS files.
  std::string commit(const std::string& repo, const Files& files, const std::string& branch = "main",
                     const std::string& sha = "");
  void set_ref(const std::string& repo, const std::string& ref, const std::string& commit);
  void set_private(const std::string& repo, const std::string& token);  // requires "Bearer <token>"
  void rename(const std::string& old_repo, const std::string& new_repo);  // 307 relative redirect
  // Non-empty: every write call (create, branch, preupload, LFS batch, commit) needs this bearer
  // token (401 otherwise), and private repos created through the API are readable with it only.
  void set_write_token(const std::string& token);
  // > 0: LFS objects larger than this are asked for through the multipart transfer (when the client
  // offers it): numbered part URLs on the CDN, then a completion POST with the parts' ETags.
  void set_multipart_chunk(size_t bytes);

  // Fault injection on the CDN: cut the next `n` LFS GETs after `bytes` bytes; serve altered bytes.
  void cut_next_lfs_gets(int n, long bytes);
  void set_corrupt_lfs(bool on);

  static bool is_lfs(const std::string& path);
  static std::string base64_decode(const std::string& in);  // *.safetensors, *.bin: stored through LFS when seeded
  // The .gitattributes a repo created through the API starts with; preupload answers "lfs" for
  // paths matching its `filter=lfs` patterns (of the target revision) and for files >= 10 MiB.
  static const char* kGitattributes;

  // State a test can inspect.
  std::string head(const std::string& repo, const std::string& ref = "main") const;  // "" when absent
  Files files_at(const std::string& repo, const std::string& rev) const;
  bool is_private(const std::string& repo) const;
  bool repo_exists(const std::string& repo) const;

  struct Logged {
    std::string server;  // "hub" or "cdn"
    ServerRequest req;
  };
  std::vector<Logged> log() const;
  int count(const std::string& server, const std::string& method) const;
  // Requests whose target path contains `part` (e.g. "/commit/", "/objects/batch", "/upload/").
  int count_path(const std::string& part, const std::string& method = "") const;
  void clear_log();

 private:
  ServerResponse handle_hub(const ServerRequest& r);
  ServerResponse handle_cdn(const ServerRequest& r);
  ServerResponse handle_resolve(const ServerRequest& r, const std::string& target);
  ServerResponse handle_api(const ServerRequest& r, const std::string& target, const std::string& query);
  ServerResponse handle_lfs(const ServerRequest& r, const std::string& repo_key, const std::string& action);

  struct Repo {
    std::map<std::string, std::string> refs;  // branch/tag/refs/pr/N -> commit
    std::map<std::string, Files> commits;
    std::map<std::string, std::set<std::string>> lfs_paths;  // commit -> paths stored through LFS
    std::string token;  // non-empty: private
    int prs = 0;
  };
  std::string new_sha(const std::string& repo, const Files& files);
  std::string resolve_rev(const Repo& repo, const std::string& rev) const;  // "" when unknown
  bool wants_lfs(const Repo& repo, const std::string& commit, const std::string& path, size_t size) const;
  // nullptr = allowed; else the 401 to answer.
  bool write_denied(const ServerRequest& r, ServerResponse& out) const;
  bool read_denied(const Repo& repo, const ServerRequest& r, ServerResponse& out) const;

  mutable std::mutex mu_;
  std::map<std::string, Repo> repos_;
  std::map<std::string, std::string> renamed_;
  std::map<std::string, std::string> lfs_store_;  // sha256 -> content
  std::map<std::string, std::map<int, std::string>> parts_;  // multipart uploads in progress
  size_t multipart_chunk_ = 0;
  std::vector<Logged> log_;
  std::string write_token_;
  int cuts_left_ = 0;
  long cut_bytes_ = 0;
  bool corrupt_ = false;
  int commit_counter_ = 0;
  HttpServer hub_;
  HttpServer cdn_;
};

}  // namespace transformers::testing
