#include "fake_hub.hpp"

#include <cctype>

#include "transformers/hub/hub.hpp"

namespace transformers::testing {
namespace {

std::string unquote(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

ServerResponse error(int status, const std::string& code, const std::string& commit = "",
                     const std::string& message = "") {
  ServerResponse r;
  r.status = status;
  if (!code.empty()) r.headers.emplace_back("X-Error-Code", code);
  if (!message.empty()) r.headers.emplace_back("X-Error-Message", message);
  if (!commit.empty()) r.headers.emplace_back("X-Repo-Commit", commit);
  r.body = "{\"error\":\"" + (message.empty() ? code : message) + "\"}";
  return r;
}

}  // namespace

FakeHub::FakeHub()
    : hub_([this](const ServerRequest& r) { return handle_hub(r); }),
      cdn_([this](const ServerRequest& r) { return handle_cdn(r); }) {}

bool FakeHub::is_lfs(const std::string& path) {
  auto ends = [&](const std::string& suf) {
    return path.size() >= suf.size() && path.compare(path.size() - suf.size(), suf.size(), suf) == 0;
  };
  return ends(".safetensors") || ends(".bin");
}

std::string FakeHub::commit(const std::string& repo, const Files& files, const std::string& branch,
                            const std::string& given_sha) {
  std::lock_guard<std::mutex> g(mu_);
  std::string seed = repo + "#" + std::to_string(++commit_counter_);
  for (const auto& [p, c] : files) seed += p + '\0' + c;
  std::string sha = given_sha.empty() ? hub::git_blob_sha1_hex(seed) : given_sha;
  repos_[repo].commits[sha] = files;
  repos_[repo].refs[branch] = sha;
  for (const auto& [p, c] : files)
    if (is_lfs(p)) lfs_store_[hub::sha256_hex(c)] = c;
  return sha;
}

void FakeHub::set_ref(const std::string& repo, const std::string& ref, const std::string& commit) {
  std::lock_guard<std::mutex> g(mu_);
  repos_[repo].refs[ref] = commit;
}

void FakeHub::set_private(const std::string& repo, const std::string& token) {
  std::lock_guard<std::mutex> g(mu_);
  repos_[repo].token = token;
}

void FakeHub::rename(const std::string& old_repo, const std::string& new_repo) {
  std::lock_guard<std::mutex> g(mu_);
  renamed_[old_repo] = new_repo;
}

void FakeHub::cut_next_lfs_gets(int n, long bytes) {
  std::lock_guard<std::mutex> g(mu_);
  cuts_left_ = n;
  cut_bytes_ = bytes;
}

void FakeHub::set_corrupt_lfs(bool on) {
  std::lock_guard<std::mutex> g(mu_);
  corrupt_ = on;
}

std::vector<FakeHub::Logged> FakeHub::log() const {
  std::lock_guard<std::mutex> g(mu_);
  return log_;
}

int FakeHub::count(const std::string& server, const std::string& method) const {
  std::lock_guard<std::mutex> g(mu_);
  int n = 0;
  for (const auto& l : log_) n += (l.server == server && l.req.method == method);
  return n;
}

void FakeHub::clear_log() {
  std::lock_guard<std::mutex> g(mu_);
  log_.clear();
}

ServerResponse FakeHub::handle_hub(const ServerRequest& r) {
  std::lock_guard<std::mutex> g(mu_);
  log_.push_back({"hub", r});
  std::string target = r.target.substr(0, r.target.find('?'));
  size_t k = target.find("/resolve/");
  if (k == std::string::npos || (r.method != "HEAD" && r.method != "GET")) return error(404, "", "", "Not Found");
  std::string repo_id = target.substr(1, k - 1);
  std::string rest = target.substr(k + 9);  // "<rev>/<path>"
  if (auto it = renamed_.find(repo_id); it != renamed_.end()) {
    ServerResponse red;
    red.status = 307;
    red.headers.emplace_back("Location", "/" + it->second + "/resolve/" + rest);
    return red;
  }
  auto rit = repos_.find(repo_id);
  if (rit == repos_.end()) return error(404, "RepoNotFound", "", "Repository not found");
  Repo& repo = rit->second;
  if (!repo.token.empty()) {
    std::string auth = r.header("authorization");
    if (auth.empty()) return error(401, "RepoNotFound", "", "Repository not found");
    if (auth != "Bearer " + repo.token) return error(401, "", "", "Invalid credentials in Authorization header");
  }
  size_t slash = rest.find('/');
  std::string rev = unquote(rest.substr(0, slash));
  std::string path = unquote(rest.substr(slash + 1));
  std::string commit;
  if (auto ref = repo.refs.find(rev); ref != repo.refs.end()) commit = ref->second;
  else if (repo.commits.count(rev)) commit = rev;
  else return error(404, "RevisionNotFound", "", "Invalid rev id: " + rev);
  const Files& files = repo.commits[commit];
  auto f = files.find(path);
  if (f == files.end()) return error(404, "EntryNotFound", commit, "Entry not found");
  ServerResponse resp;
  resp.headers.emplace_back("X-Repo-Commit", commit);
  if (is_lfs(path)) {
    std::string sha = hub::sha256_hex(f->second);
    resp.status = 302;
    resp.headers.emplace_back("X-Linked-Etag", "\"" + sha + "\"");
    resp.headers.emplace_back("X-Linked-Size", std::to_string(f->second.size()));
    resp.headers.emplace_back("ETag", "\"" + hub::git_blob_sha1_hex("pointer " + sha) + "\"");
    resp.headers.emplace_back("Location", cdn_.base_url() + "/lfs/" + sha + "?X-Amz-Signature=fake");
    return resp;
  }
  resp.headers.emplace_back("ETag", "\"" + hub::git_blob_sha1_hex(f->second) + "\"");
  resp.body = f->second;
  return resp;
}

ServerResponse FakeHub::handle_cdn(const ServerRequest& r) {
  std::lock_guard<std::mutex> g(mu_);
  log_.push_back({"cdn", r});
  std::string target = r.target.substr(0, r.target.find('?'));
  if (target.rfind("/lfs/", 0) != 0) return error(404, "", "", "no such object");
  auto it = lfs_store_.find(target.substr(5));
  if (it == lfs_store_.end()) return error(404, "", "", "no such object");
  std::string content = it->second;
  if (corrupt_ && !content.empty()) content[content.size() / 2] ^= 0x5a;
  ServerResponse resp;
  size_t start = 0;
  std::string range = r.header("range");
  if (range.rfind("bytes=", 0) == 0) {
    start = std::stoul(range.substr(6));
    if (start >= content.size()) return error(416, "", "", "range not satisfiable");
    resp.status = 206;
    resp.headers.emplace_back("Content-Range", "bytes " + std::to_string(start) + "-" +
                                                   std::to_string(content.size() - 1) + "/" +
                                                   std::to_string(content.size()));
  }
  resp.body = content.substr(start);
  if (r.method == "GET" && cuts_left_ > 0) {
    --cuts_left_;
    resp.cut_after = cut_bytes_;
  }
  return resp;
}

}  // namespace transformers::testing
