#include "fake_hub.hpp"

#include <cctype>
#include <sstream>

#include <nlohmann/json.hpp>

#include "transformers/hub/hf_api.hpp"
#include "transformers/hub/hub.hpp"

namespace transformers::testing {
namespace {

using nlohmann::json;

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
  r.body = json{{"error", message.empty() ? code : message}}.dump();
  return r;
}

ServerResponse json_response(const json& j, int status = 200, const std::string& type = "application/json") {
  ServerResponse r;
  r.status = status;
  r.headers.emplace_back("Content-Type", type);
  r.body = j.dump();
  return r;
}

std::string decode_base64(const std::string& in) {
  auto val = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  std::string out;
  int buf = 0, bits = 0;
  for (char c : in) {
    int v = val(c);
    if (v < 0) continue;  // '=' padding
    buf = (buf << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buf >> bits) & 0xff);
    }
  }
  return out;
}

// "models" -> "", "datasets" -> "datasets/", "spaces" -> "spaces/" (the key prefix in repos_).
bool type_prefix(const std::string& plural, std::string& prefix) {
  if (plural == "models") prefix = "";
  else if (plural == "datasets") prefix = "datasets/";
  else if (plural == "spaces") prefix = "spaces/";
  else return false;
  return true;
}

}  // namespace

const char* FakeHub::kGitattributes =
    "*.bin filter=lfs diff=lfs merge=lfs -text\n"
    "*.safetensors filter=lfs diff=lfs merge=lfs -text\n"
    "*.h5 filter=lfs diff=lfs merge=lfs -text\n"
    "*.msgpack filter=lfs diff=lfs merge=lfs -text\n"
    "*.onnx filter=lfs diff=lfs merge=lfs -text\n"
    "*.pt filter=lfs diff=lfs merge=lfs -text\n"
    "*.pth filter=lfs diff=lfs merge=lfs -text\n"
    "*.model filter=lfs diff=lfs merge=lfs -text\n";

FakeHub::FakeHub()
    : hub_([this](const ServerRequest& r) { return handle_hub(r); }),
      cdn_([this](const ServerRequest& r) { return handle_cdn(r); }) {}

std::string FakeHub::base64_decode(const std::string& in) { return decode_base64(in); }

bool FakeHub::is_lfs(const std::string& path) {
  auto ends = [&](const std::string& suf) {
    return path.size() >= suf.size() && path.compare(path.size() - suf.size(), suf.size(), suf) == 0;
  };
  return ends(".safetensors") || ends(".bin");
}

std::string FakeHub::new_sha(const std::string& repo, const Files& files) {
  std::string seed = repo + "#" + std::to_string(++commit_counter_);
  for (const auto& [p, c] : files) seed += p + '\0' + c;
  return hub::git_blob_sha1_hex(seed);
}

std::string FakeHub::commit(const std::string& repo, const Files& files, const std::string& branch,
                            const std::string& given_sha) {
  std::lock_guard<std::mutex> g(mu_);
  std::string sha = given_sha.empty() ? new_sha(repo, files) : given_sha;
  Repo& r = repos_[repo];
  r.commits[sha] = files;
  r.refs[branch] = sha;
  for (const auto& [p, c] : files) {
    if (!is_lfs(p)) continue;
    lfs_store_[hub::sha256_hex(c)] = c;
    r.lfs_paths[sha].insert(p);
  }
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

void FakeHub::set_write_token(const std::string& token) {
  std::lock_guard<std::mutex> g(mu_);
  write_token_ = token;
}

void FakeHub::set_multipart_chunk(size_t bytes) {
  std::lock_guard<std::mutex> g(mu_);
  multipart_chunk_ = bytes;
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

std::string FakeHub::head(const std::string& repo, const std::string& ref) const {
  std::lock_guard<std::mutex> g(mu_);
  auto it = repos_.find(repo);
  if (it == repos_.end()) return "";
  auto r = it->second.refs.find(ref);
  return r == it->second.refs.end() ? "" : r->second;
}

FakeHub::Files FakeHub::files_at(const std::string& repo, const std::string& rev) const {
  std::lock_guard<std::mutex> g(mu_);
  auto it = repos_.find(repo);
  if (it == repos_.end()) return {};
  std::string c = resolve_rev(it->second, rev);
  return c.empty() ? Files{} : it->second.commits.at(c);
}

bool FakeHub::is_private(const std::string& repo) const {
  std::lock_guard<std::mutex> g(mu_);
  auto it = repos_.find(repo);
  return it != repos_.end() && !it->second.token.empty();
}

bool FakeHub::repo_exists(const std::string& repo) const {
  std::lock_guard<std::mutex> g(mu_);
  return repos_.count(repo) > 0;
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

int FakeHub::count_path(const std::string& part, const std::string& method) const {
  std::lock_guard<std::mutex> g(mu_);
  int n = 0;
  for (const auto& l : log_)
    n += (l.req.target.find(part) != std::string::npos && (method.empty() || l.req.method == method));
  return n;
}

void FakeHub::clear_log() {
  std::lock_guard<std::mutex> g(mu_);
  log_.clear();
}

std::string FakeHub::resolve_rev(const Repo& repo, const std::string& rev) const {
  if (auto ref = repo.refs.find(rev); ref != repo.refs.end()) return ref->second;
  if (repo.commits.count(rev)) return rev;
  return "";
}

bool FakeHub::wants_lfs(const Repo& repo, const std::string& commit, const std::string& path, size_t size) const {
  if (size >= 10u * 1024 * 1024) return true;  // the Hub refuses regular files this large
  const Files& files = repo.commits.at(commit);
  auto ga = files.find(".gitattributes");
  if (ga == files.end()) return is_lfs(path);  // seeded repos without .gitattributes
  std::string base = path.substr(path.rfind('/') == std::string::npos ? 0 : path.rfind('/') + 1);
  std::istringstream in(ga->second);
  for (std::string line; std::getline(in, line);) {
    std::istringstream w(line);
    std::string pattern, attr;
    w >> pattern;
    bool lfs = false;
    while (w >> attr) lfs = lfs || attr == "filter=lfs";
    if (!lfs || pattern.empty()) continue;
    // git: a pattern without '/' matches the basename at any depth.
    if (pattern.find('/') == std::string::npos ? hub::fnmatch(base, pattern) : hub::fnmatch(path, pattern)) return true;
  }
  return false;
}

bool FakeHub::write_denied(const ServerRequest& r, ServerResponse& out) const {
  if (write_token_.empty()) return false;
  std::string auth = r.header("authorization");
  if (auth == "Bearer " + write_token_) return false;
  out = error(401, "", "", "Invalid credentials in Authorization header");
  return true;
}

bool FakeHub::read_denied(const Repo& repo, const ServerRequest& r, ServerResponse& out) const {
  if (repo.token.empty()) return false;
  std::string auth = r.header("authorization");
  if (auth.empty()) {
    out = error(401, "RepoNotFound", "", "Repository not found");
    return true;
  }
  if (auth != "Bearer " + repo.token) {
    out = error(401, "", "", "Invalid credentials in Authorization header");
    return true;
  }
  return false;
}

ServerResponse FakeHub::handle_hub(const ServerRequest& r) {
  std::lock_guard<std::mutex> g(mu_);
  log_.push_back({"hub", r});
  size_t q = r.target.find('?');
  std::string target = r.target.substr(0, q);
  std::string query = q == std::string::npos ? "" : r.target.substr(q + 1);
  if (target.rfind("/api/", 0) == 0) return handle_api(r, target, query);
  if (size_t k = target.find(".git/info/lfs/objects/"); k != std::string::npos)
    return handle_lfs(r, target.substr(1, k - 1), target.substr(k + 22));
  if (target.find("/resolve/") != std::string::npos) return handle_resolve(r, target);
  return error(404, "", "", "Not Found");
}

ServerResponse FakeHub::handle_resolve(const ServerRequest& r, const std::string& target) {
  size_t k = target.find("/resolve/");
  if (r.method != "HEAD" && r.method != "GET") return error(404, "", "", "Not Found");
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
  ServerResponse denied;
  if (read_denied(repo, r, denied)) return denied;
  size_t slash = rest.find('/');
  std::string rev = unquote(rest.substr(0, slash));
  std::string path = unquote(rest.substr(slash + 1));
  std::string commit = resolve_rev(repo, rev);
  if (commit.empty()) return error(404, "RevisionNotFound", "", "Invalid rev id: " + rev);
  const Files& files = repo.commits[commit];
  auto f = files.find(path);
  if (f == files.end()) return error(404, "EntryNotFound", commit, "Entry not found");
  ServerResponse resp;
  resp.headers.emplace_back("X-Repo-Commit", commit);
  if (repo.lfs_paths[commit].count(path)) {
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

ServerResponse FakeHub::handle_api(const ServerRequest& r, const std::string& target, const std::string& query) {
  ServerResponse denied;
  if (target == "/api/validate-yaml" && r.method == "POST") return json_response({{"errors", json::array()}, {"warnings", json::array()}});
  if (target == "/api/repos/create" && r.method == "POST") {
    if (write_denied(r, denied)) return denied;
    json body;
    try {
      body = json::parse(r.body);
    } catch (const std::exception&) {
      return error(400, "", "", "create_repo: body is not JSON");
    }
    std::string name = body.value("name", "");
    std::string org = body.contains("organization") && body["organization"].is_string() ? body["organization"].get<std::string>() : "";
    std::string type = body.value("type", "model");
    if (name.empty()) return error(400, "", "", "create_repo: no name");
    std::string id = org.empty() ? name : org + "/" + name;
    std::string key = (type == "dataset" ? "datasets/" : type == "space" ? "spaces/" : "") + id;
    std::string url = hub_.base_url() + "/" + key;
    if (repos_.count(key)) return json_response({{"error", "You already created this model repo"}, {"url", url}}, 409);
    Files initial{{".gitattributes", kGitattributes}};
    std::string sha = new_sha(key, initial);
    Repo& repo = repos_[key];
    repo.commits[sha] = initial;
    repo.refs["main"] = sha;
    if (body.value("private", false)) repo.token = write_token_.empty() ? "private" : write_token_;
    return json_response({{"url", url}, {"name", id}, {"id", sha}});
  }
  // /api/{models|datasets|spaces}/{org/name}[/{command}/{arg}]
  std::string rest = target.substr(5);
  size_t s = rest.find('/');
  std::string prefix;
  if (s == std::string::npos || !type_prefix(rest.substr(0, s), prefix)) return error(404, "", "", "Not Found");
  rest = rest.substr(s + 1);
  std::string repo_id = rest, command, arg;
  for (const char* c : {"/revision/", "/preupload/", "/commit/", "/branch/"}) {
    size_t k = rest.find(c);
    if (k == std::string::npos) continue;
    repo_id = rest.substr(0, k);
    command = std::string(c).substr(1, std::string(c).size() - 2);
    arg = unquote(rest.substr(k + std::string(c).size()));
    break;
  }
  std::string key = prefix + repo_id;
  auto rit = repos_.find(key);
  if (rit == repos_.end()) return error(404, "RepoNotFound", "", "Repository not found");
  Repo& repo = rit->second;
  if (read_denied(repo, r, denied)) return denied;
  bool write = r.method == "POST";
  if (write && write_denied(r, denied)) return denied;

  if (r.method == "GET" && (command.empty() || command == "revision")) {
    std::string rev = command.empty() ? "main" : arg;
    std::string c = resolve_rev(repo, rev);
    if (c.empty()) return error(404, "RevisionNotFound", "", "Invalid rev id: " + rev);
    bool blobs = query.find("blobs=true") != std::string::npos || query.find("blobs=True") != std::string::npos;
    json siblings = json::array();
    for (const auto& [p, content] : repo.commits[c]) {
      json sib{{"rfilename", p}};
      if (blobs) {
        sib["size"] = content.size();
        bool lfs = repo.lfs_paths[c].count(p) > 0;
        std::string sha = hub::sha256_hex(content);
        sib["blobId"] = lfs ? hub::git_blob_sha1_hex("pointer " + sha) : hub::git_blob_sha1_hex(content);
        if (lfs) sib["lfs"] = {{"sha256", sha}, {"size", content.size()}, {"pointerSize", 134}};
      }
      siblings.push_back(sib);
    }
    return json_response({{"_id", c.substr(0, 24)}, {"id", repo_id}, {"modelId", repo_id}, {"sha", c},
                          {"private", !repo.token.empty()}, {"disabled", false}, {"gated", false},
                          {"tags", json::array()}, {"siblings", siblings}});
  }
  if (!write) return error(404, "", "", "Not Found");
  json body;
  if (command != "commit") {
    try {
      body = r.body.empty() ? json::object() : json::parse(r.body);
    } catch (const std::exception&) {
      return error(400, "", "", command + ": body is not JSON");
    }
  }
  if (command == "branch") {
    if (repo.refs.count(arg)) return error(409, "", "", "Reference already exists");
    std::string from = body.contains("startingPoint") ? body["startingPoint"].get<std::string>() : "main";
    std::string c = resolve_rev(repo, from);
    if (c.empty()) return error(404, "RevisionNotFound", "", "Invalid rev id: " + from);
    repo.refs[arg] = c;
    return json_response(json::object());
  }
  if (command == "preupload") {
    std::string c = resolve_rev(repo, arg);
    if (c.empty()) return error(404, "RevisionNotFound", "", "Invalid rev id: " + arg);
    if (!body.contains("files") || !body["files"].is_array()) return error(400, "", "", "preupload: no files");
    json out = json::array();
    const Files& files = repo.commits[c];
    for (const auto& f : body["files"]) {
      std::string path = f.value("path", "");
      size_t size = f.value("size", size_t{0});
      bool lfs = wants_lfs(repo, c, path, size);
      json item{{"path", path}, {"uploadMode", lfs ? "lfs" : "regular"}, {"shouldIgnore", false}};
      if (auto it = files.find(path); it != files.end())
        item["oid"] = repo.lfs_paths[c].count(path) ? hub::sha256_hex(it->second) : hub::git_blob_sha1_hex(it->second);
      else
        item["oid"] = nullptr;
      out.push_back(item);
    }
    return json_response({{"files", out}, {"commitOid", c}});
  }
  if (command == "commit") {
    if (r.header("content-type").find("application/x-ndjson") == std::string::npos)
      return error(415, "", "", "commit: Content-Type must be application/x-ndjson");
    std::string parent = resolve_rev(repo, arg);
    if (parent.empty()) return error(404, "RevisionNotFound", "", "Invalid rev id: " + arg);
    Files files = repo.commits[parent];
    std::set<std::string> lfs_paths = repo.lfs_paths[parent];
    std::istringstream in(r.body);
    bool header = false;
    for (std::string line; std::getline(in, line);) {
      if (line.empty()) continue;
      json j;
      try {
        j = json::parse(line);
      } catch (const std::exception&) {
        return error(400, "", "", "commit: a line is not JSON");
      }
      std::string k = j.value("key", "");
      const json& v = j.contains("value") ? j["value"] : json::object();
      if (k == "header") {
        if (v.value("summary", "").empty()) return error(400, "", "", "commit: empty summary");
        if (v.contains("parentCommit") && v["parentCommit"].get<std::string>() != parent)
          return error(412, "", "", "A commit has happened since. Please refresh and try again.");
        header = true;
      } else if (!header) {
        return error(400, "", "", "commit: the first line must be the header");
      } else if (k == "file") {
        if (v.value("encoding", "") != "base64") return error(400, "", "", "commit: file encoding must be base64");
        std::string p = v.value("path", "");
        files[p] = decode_base64(v.value("content", ""));
        lfs_paths.erase(p);
      } else if (k == "lfsFile") {
        std::string p = v.value("path", ""), oid = v.value("oid", "");
        auto st = lfs_store_.find(oid);
        if (v.value("algo", "") != "sha256" || st == lfs_store_.end() || st->second.size() != v.value("size", size_t{0}))
          return error(422, "", "", "commit: LFS object " + oid + " of " + p + " was not uploaded");
        files[p] = st->second;
        lfs_paths.insert(p);
      } else if (k == "deletedFile") {
        files.erase(v.value("path", ""));
        lfs_paths.erase(v.value("path", ""));
      } else if (k == "deletedFolder") {
        std::string p = v.value("path", "");
        if (!p.empty() && p.back() != '/') p += '/';
        for (auto it = files.begin(); it != files.end();) {
          if (it->first.rfind(p, 0) == 0) lfs_paths.erase(it->first), it = files.erase(it);
          else ++it;
        }
      } else {
        return error(400, "", "", "commit: unknown key '" + k + "'");
      }
    }
    if (!header) return error(400, "", "", "commit: no header line");
    std::string sha = new_sha(key, files);
    repo.commits[sha] = files;
    repo.lfs_paths[sha] = lfs_paths;
    std::string base = hub_.base_url() + "/" + key;
    json out{{"commitUrl", base + "/commit/" + sha}, {"commitOid", sha}, {"success", true}};
    if (query.find("create_pr=1") != std::string::npos) {
      int n = ++repo.prs;
      repo.refs["refs/pr/" + std::to_string(n)] = sha;
      out["pullRequestUrl"] = base + "/discussions/" + std::to_string(n);
    } else {
      repo.refs[arg] = sha;
      out["pullRequestUrl"] = nullptr;
    }
    return json_response(out);
  }
  return error(404, "", "", "Not Found");
}

ServerResponse FakeHub::handle_lfs(const ServerRequest& r, const std::string& repo_key, const std::string& action) {
  auto rit = repos_.find(repo_key);
  if (rit == repos_.end()) return error(404, "RepoNotFound", "", "Repository not found");
  ServerResponse denied;
  if (write_denied(r, denied) || read_denied(rit->second, r, denied)) return denied;
  json body;
  try {
    body = json::parse(r.body);
  } catch (const std::exception&) {
    return error(400, "", "", "LFS: body is not JSON");
  }
  const std::string lfs_type = "application/vnd.git-lfs+json";
  if (action == "verify") {
    auto it = lfs_store_.find(body.value("oid", ""));
    if (it == lfs_store_.end() || it->second.size() != body.value("size", size_t{0}))
      return error(404, "", "", "LFS verify: object not stored");
    return json_response({{"success", true}}, 200, lfs_type);
  }
  if (action != "batch") return error(404, "", "", "Not Found");
  // The batch call must ask for the LFS media type (huggingface_hub's verify call does not, and the
  // Hub accepts that, so only the batch is checked).
  if (r.header("accept").find("application/vnd.git-lfs+json") == std::string::npos)
    return error(406, "", "", "LFS: Accept must be application/vnd.git-lfs+json");
  if (body.value("operation", "") != "upload") return error(400, "", "", "LFS batch: only the upload operation is served");
  bool multipart_offered = false;
  for (const auto& t : body.value("transfers", json::array())) multipart_offered = multipart_offered || t == "multipart";
  json objects = json::array();
  for (const auto& o : body.value("objects", json::array())) {
    std::string oid = o.value("oid", "");
    size_t size = o.value("size", size_t{0});
    json item{{"oid", oid}, {"size", size}};
    if (!lfs_store_.count(oid) && multipart_offered && multipart_chunk_ > 0 && size > multipart_chunk_) {
      // Multipart: "chunk_size" plus one presigned URL per part, keyed "1".."n"; href = completion.
      json header{{"chunk_size", std::to_string(multipart_chunk_)}};
      size_t n = (size + multipart_chunk_ - 1) / multipart_chunk_;
      for (size_t i = 1; i <= n; ++i)
        header[std::to_string(i)] = cdn_.base_url() + "/part/" + oid + "/" + std::to_string(i) + "?X-Amz-Signature=fake";
      item["authenticated"] = true;
      item["actions"] = {
          {"upload", {{"href", cdn_.base_url() + "/complete/" + oid + "?X-Amz-Signature=fake"}, {"header", header}}},
          {"verify", {{"href", hub_.base_url() + "/" + repo_key + ".git/info/lfs/objects/verify"}, {"header", json::object()}}}};
    } else if (!lfs_store_.count(oid)) {
      item["authenticated"] = true;
      item["actions"] = {
          {"upload", {{"href", cdn_.base_url() + "/upload/" + oid + "?X-Amz-Signature=fake"}, {"header", {{"X-Fake-Upload", "1"}}}}},
          {"verify", {{"href", hub_.base_url() + "/" + repo_key + ".git/info/lfs/objects/verify"}, {"header", json::object()}}}};
    }
    objects.push_back(item);
  }
  return json_response({{"transfer", "basic"}, {"objects", objects}}, 200, lfs_type);
}

ServerResponse FakeHub::handle_cdn(const ServerRequest& r) {
  std::lock_guard<std::mutex> g(mu_);
  log_.push_back({"cdn", r});
  std::string target = r.target.substr(0, r.target.find('?'));
  if (r.method == "PUT" && target.rfind("/upload/", 0) == 0) {
    std::string oid = target.substr(8);
    if (!r.header("authorization").empty()) return error(400, "", "", "presigned URL: no Authorization header expected");
    if (hub::sha256_hex(r.body) != oid) return error(400, "", "", "uploaded bytes do not hash to " + oid);
    lfs_store_[oid] = r.body;
    ServerResponse ok;
    ok.headers.emplace_back("ETag", "\"" + oid.substr(0, 32) + "\"");
    return ok;
  }
  if (r.method == "PUT" && target.rfind("/part/", 0) == 0) {
    std::string rest = target.substr(6);
    std::string oid = rest.substr(0, rest.find('/'));
    int n = std::stoi(rest.substr(rest.find('/') + 1));
    if (!r.header("authorization").empty()) return error(400, "", "", "presigned URL: no Authorization header expected");
    parts_[oid][n] = r.body;
    ServerResponse ok;
    ok.headers.emplace_back("ETag", "\"" + hub::sha256_hex(r.body).substr(0, 32) + "\"");
    return ok;
  }
  if (r.method == "POST" && target.rfind("/complete/", 0) == 0) {
    std::string oid = target.substr(10);
    json body;
    try {
      body = json::parse(r.body);
    } catch (const std::exception&) {
      return error(400, "", "", "completion: body is not JSON");
    }
    auto& parts = parts_[oid];
    std::string all;
    int expect = 1;
    for (const auto& p : body.value("parts", json::array())) {
      int num = p.value("partNumber", 0);
      auto it = parts.find(num);
      if (num != expect++ || it == parts.end() ||
          p.value("etag", "") != "\"" + hub::sha256_hex(it->second).substr(0, 32) + "\"")
        return error(400, "", "", "completion: part " + std::to_string(num) + " missing or wrong etag");
      all += it->second;
    }
    if (body.value("oid", "") != oid || hub::sha256_hex(all) != oid || static_cast<size_t>(expect - 1) != parts.size())
      return error(400, "", "", "completion: the parts do not hash to " + oid);
    lfs_store_[oid] = all;
    parts_.erase(oid);
    return json_response(json::object());
  }
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
