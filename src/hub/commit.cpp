// HfApi.create_commit and upload_folder (spec hf-modeling.md §7.6): preupload, drop unchanged adds,
// LFS batch + PUT + verify, then one NDJSON commit. The bytes of an LFS file go to the storage URL
// the batch answer gives, never in the commit body (which only names the sha256 and size).
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "api_common.hpp"
#include "transformers/core/base64.hpp"
#include "transformers/core/quote.hpp"
#include "transformers/hub/hf_api.hpp"

namespace fs = std::filesystem;

namespace transformers::hub {
namespace {

using detail::url_quote;

constexpr size_t kPreuploadChunk = 256;  // files per preupload / LFS batch request, as huggingface_hub

std::string base64(const std::string& in) { return base64_encode(in); }

std::string read_all(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw FileNotFoundError("Cannot open '" + path + "' for upload");
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// One addition with what the upload needs to know about it. File contents are not kept in memory:
// the sha256 is streamed, LFS bytes are streamed by the PUT, and only regular files (which the Hub
// keeps small) are read whole, for their git oid and the base64 commit line.
struct Pending {
  const CommitOperationAdd* op;
  std::uint64_t size = 0;
  std::string sample;  // first 512 bytes
  std::string sha256;
  bool lfs = false;
  bool ignore = false;
  std::optional<std::string> remote_oid;
  std::string bytes() const { return op->content ? *op->content : read_all(op->path_or_fileobj); }
};

Pending describe(const CommitOperationAdd& a) {
  Pending p{&a};
  if (a.content) {
    p.size = a.content->size();
    p.sample = a.content->substr(0, 512);
    p.sha256 = sha256_hex(*a.content);
    return p;
  }
  std::ifstream f(a.path_or_fileobj, std::ios::binary);
  if (!f) throw FileNotFoundError("Cannot open '" + a.path_or_fileobj + "' for upload (" + a.path_in_repo + ")");
  p.sample.resize(512);
  f.read(p.sample.data(), 512);
  p.sample.resize(static_cast<size_t>(f.gcount()));
  p.size = fs::file_size(a.path_or_fileobj);
  p.sha256 = sha256_file_hex(a.path_or_fileobj);
  return p;
}

std::string rev_of(const CommitOptions& o) { return o.revision.empty() ? "main" : o.revision; }

void preupload(const std::string& repo_id, std::vector<Pending>& items, const CommitOptions& o) {
  std::string url = detail::api_repo_url(repo_id, o.hub) + "/preupload/" + url_quote(rev_of(o), "");
  if (o.create_pr) url += "?create_pr=1";
  for (size_t start = 0; start < items.size(); start += kPreuploadChunk) {
    size_t end = std::min(items.size(), start + kPreuploadChunk);
    nlohmann::json files = nlohmann::json::array();
    std::map<std::string, Pending*> by_path;
    for (size_t i = start; i < end; ++i) {
      files.push_back({{"path", items[i].op->path_in_repo}, {"sample", base64(items[i].sample)}, {"size", items[i].size}});
      by_path[items[i].op->path_in_repo] = &items[i];
    }
    std::string what = "preupload to " + repo_id;
    auto r = detail::api_request("POST", url, o.hub, nlohmann::json{{"files", files}}.dump(), "application/json");
    detail::check_ok(r, what);
    auto j = detail::parse_json_body(r, what);
    try {
      for (const auto& f : j.at("files")) {
        auto it = by_path.find(f.at("path").get<std::string>());
        if (it == by_path.end()) continue;
        Pending& p = *it->second;
        p.lfs = f.at("uploadMode").get<std::string>() == "lfs";
        p.ignore = f.value("shouldIgnore", false);
        if (f.contains("oid") && f["oid"].is_string()) p.remote_oid = f["oid"].get<std::string>();
      }
    } catch (const nlohmann::json::exception& e) {
      throw FormatError("Malformed answer to " + what + ": expected {\"files\": [{\"path\", \"uploadMode\"}]}: " + e.what());
    }
  }
  for (auto& p : items)
    if (p.size == 0) p.lfs = false;  // zero-byte files always go inline, as huggingface_hub forces
}

detail::HttpResponse put_with_retries(const std::string& href, const detail::Headers& headers, const Pending& p,
                                      const CommitOptions& o) {
  detail::HttpResponse r;
  for (int attempt = 0;; ++attempt) {
    detail::HttpRequest req;
    req.method = "PUT";
    req.url = href;
    req.headers = headers;  // the storage URL is presigned: no Hub token is sent there
    req.headers.emplace_back("user-agent", user_agent(o.hub));
    req.proxies = o.hub.proxies;
    if (p.op->content) req.body = *p.op->content;
    else req.body_file = p.op->path_or_fileobj;
    req.timeout_s = 60;
    try {
      r = detail::http_request(req);
    } catch (const detail::ConnectionError& e) {
      if (attempt >= 4) throw HfHubHTTPError(e.what(), HttpDetails{href, 0, "", ""});
      continue;
    }
    bool transient = r.status == 500 || r.status == 502 || r.status == 503 || r.status == 504;
    if (!transient || attempt >= 4) return r;
  }
}

// Bytes [offset, offset + n) of the addition (a slice of the file, read only now).
std::string read_slice(const Pending& p, std::uint64_t offset, std::uint64_t n) {
  if (p.op->content) return p.op->content->substr(offset, n);
  std::ifstream f(p.op->path_or_fileobj, std::ios::binary);
  if (!f) throw FileNotFoundError("Cannot open '" + p.op->path_or_fileobj + "' for upload");
  f.seekg(static_cast<std::streamoff>(offset));
  std::string out(n, '\0');
  f.read(out.data(), static_cast<std::streamsize>(n));
  if (static_cast<std::uint64_t>(f.gcount()) != n)
    throw EnvironmentError("'" + p.op->path_or_fileobj + "' changed size while being uploaded");
  return out;
}

// The multipart transfer: header "chunk_size" and numbered part URLs "1".."k" (k = ceil(size /
// chunk)); PUT each slice, keep each answer's ETag, then POST {"oid","parts"} to the action's href.
void upload_multipart(const Pending& p, const nlohmann::json& header, const std::string& href, const CommitOptions& o) {
  std::uint64_t chunk = 0;
  try {
    const auto& c = header.at("chunk_size");
    chunk = c.is_string() ? std::stoull(c.get<std::string>()) : c.get<std::uint64_t>();
  } catch (const std::exception& e) {
    throw FormatError("LFS multipart answer for '" + p.op->path_in_repo + "': bad chunk_size: " + e.what());
  }
  std::vector<std::pair<long, std::string>> urls;
  for (const auto& [k, v] : header.items())
    if (!k.empty() && std::all_of(k.begin(), k.end(), [](char c) { return c >= '0' && c <= '9'; }) && v.is_string())
      urls.emplace_back(std::stol(k), v.get<std::string>());
  std::sort(urls.begin(), urls.end());
  if (chunk == 0 || urls.size() != (p.size + chunk - 1) / chunk)
    throw FormatError("Invalid server response to upload large LFS file '" + p.op->path_in_repo + "': " +
                      std::to_string(urls.size()) + " part URLs for " + std::to_string(p.size) + " bytes in chunks of " +
                      std::to_string(chunk));
  nlohmann::json parts = nlohmann::json::array();
  for (size_t i = 0; i < urls.size(); ++i) {
    std::uint64_t off = i * chunk;
    CommitOperationAdd slice{p.op->path_in_repo, "", read_slice(p, off, std::min<std::uint64_t>(chunk, p.size - off))};
    Pending part{&slice};
    auto r = put_with_retries(urls[i].second, {}, part, o);
    detail::check_ok(r, "LFS part " + std::to_string(i + 1) + " of '" + p.op->path_in_repo + "'");
    std::string etag = r.header("etag");
    if (etag.empty()) throw FormatError("Invalid etag (empty) returned for part " + std::to_string(i + 1) + " of '" + p.op->path_in_repo + "'");
    parts.push_back({{"partNumber", i + 1}, {"etag", etag}});
  }
  // Completion: a presigned URL too, so no Hub token (as huggingface_hub).
  detail::HttpRequest req;
  req.method = "POST";
  req.url = href;
  req.headers = {{"accept", "application/vnd.git-lfs+json"}, {"content-type", "application/vnd.git-lfs+json"},
                 {"user-agent", user_agent(o.hub)}};
  req.proxies = o.hub.proxies;
  req.body = nlohmann::json{{"oid", p.sha256}, {"parts", parts}}.dump();
  req.timeout_s = 60;
  detail::HttpResponse r;
  try {
    r = detail::http_request(req);
  } catch (const detail::ConnectionError& e) {
    throw HfHubHTTPError(e.what(), HttpDetails{href, 0, "", ""});
  }
  detail::check_ok(r, "LFS multipart completion of '" + p.op->path_in_repo + "'");
}

void upload_lfs(const std::string& repo_id, std::vector<Pending*>& lfs, const CommitOptions& o, CommitInfo& info) {
  std::string url = detail::endpoint_of(o.hub) + "/" + detail::repo_url_prefix(o.hub.repo_type) + repo_id +
                    ".git/info/lfs/objects/batch";
  const detail::Headers lfs_headers{{"accept", "application/vnd.git-lfs+json"}};
  for (size_t start = 0; start < lfs.size(); start += kPreuploadChunk) {
    size_t end = std::min(lfs.size(), start + kPreuploadChunk);
    nlohmann::json objects = nlohmann::json::array();
    std::map<std::string, Pending*> by_oid;
    for (size_t i = start; i < end; ++i) {
      objects.push_back({{"oid", lfs[i]->sha256}, {"size", lfs[i]->size}});
      by_oid[lfs[i]->sha256] = lfs[i];
    }
    nlohmann::json body{{"operation", "upload"}, {"transfers", {"basic", "multipart"}}, {"objects", objects}, {"hash_algo", "sha256"}};
    if (!o.create_pr) body["ref"] = {{"name", rev_of(o)}};
    std::string what = "LFS batch for " + repo_id;
    auto r = detail::api_request("POST", url, o.hub, body.dump(), "application/vnd.git-lfs+json", lfs_headers);
    detail::check_ok(r, what);
    auto j = detail::parse_json_body(r, what);
    if (!j.contains("objects") || !j["objects"].is_array()) throw FormatError("Malformed answer to " + what + ": no \"objects\" list");
    for (const auto& obj : j["objects"]) {
      std::string oid = obj.value("oid", "");
      auto it = by_oid.find(oid);
      if (it == by_oid.end()) throw FormatError("Malformed answer to " + what + ": unknown oid '" + oid + "'");
      Pending& p = *it->second;
      if (obj.contains("error")) {
        throw HfHubHTTPError("LFS upload of '" + p.op->path_in_repo + "' refused by the server: " + quote_input(obj["error"].dump()),
                             HttpDetails{url, obj["error"].value("code", 0L), "", ""});
      }
      if (!obj.contains("actions") || !obj["actions"].is_object()) continue;  // already stored upstream
      const auto& actions = obj["actions"];
      if (!actions.contains("upload")) continue;
      const auto& up = actions["upload"];
      std::string href = up.value("href", "");
      if (up.contains("header") && up["header"].is_object() && up["header"].contains("chunk_size")) {
        upload_multipart(p, up["header"], href, o);
      } else {
        detail::Headers h;
        if (up.contains("header") && up["header"].is_object())
          for (const auto& [k, v] : up["header"].items()) h.emplace_back(k, v.is_string() ? v.get<std::string>() : v.dump());
        auto pr = put_with_retries(href, h, p, o);
        detail::check_ok(pr, "LFS PUT of '" + p.op->path_in_repo + "'");
      }
      if (actions.contains("verify") && actions["verify"].is_object()) {
        std::string vhref = actions["verify"].value("href", "");
        detail::Headers vh = lfs_headers;
        if (actions["verify"].contains("header") && actions["verify"]["header"].is_object())
          for (const auto& [k, v] : actions["verify"]["header"].items()) vh.emplace_back(k, v.is_string() ? v.get<std::string>() : v.dump());
        auto vr = detail::api_request("POST", vhref, o.hub,
                                      nlohmann::json{{"oid", p.sha256}, {"size", p.size}}.dump(),
                                      "application/vnd.git-lfs+json", vh);
        detail::check_ok(vr, "LFS verify of '" + p.op->path_in_repo + "'");
      }
      info.lfs_uploaded.push_back(p.op->path_in_repo);
    }
  }
}

}  // namespace

CommitInfo create_commit(const std::string& repo_id, const std::vector<CommitOperationAdd>& additions,
                         const std::vector<CommitOperationDelete>& deletions, const CommitOptions& o) {
  validate_repo_id(repo_id);
  if (o.commit_message.empty()) throw ValueError("create_commit to " + repo_id + ": `commit_message` can't be empty, please pass a value.");
  CommitInfo info;
  std::vector<Pending> items;
  items.reserve(additions.size());
  for (const auto& a : additions) {
    if (a.path_in_repo.empty()) throw ValueError("create_commit to " + repo_id + ": an addition has an empty path_in_repo");
    items.push_back(describe(a));
  }
  // A README.md is validated first: better to fail before uploading anything.
  for (const auto& p : items) {
    if (p.op->path_in_repo != "README.md") continue;
    std::string type = o.hub.repo_type.empty() ? "model" : o.hub.repo_type;
    auto r = detail::api_request("POST", detail::endpoint_of(o.hub) + "/api/validate-yaml", o.hub,
                                 nlohmann::json{{"content", p.bytes()}, {"repoType", type}}.dump(), "application/json");
    if (r.status == 400) throw ValueError("README.md of the commit to " + repo_id + " has invalid metadata: " + r.body);
    detail::check_ok(r, "validate-yaml of README.md");
    break;
  }
  if (!items.empty()) preupload(repo_id, items, o);
  std::vector<Pending*> kept, lfs;
  for (auto& p : items) {
    if (p.ignore) continue;
    std::string local_oid = p.lfs ? p.sha256 : git_blob_sha1_hex(p.bytes());
    if (p.remote_oid && *p.remote_oid == local_oid) {
      info.unchanged.push_back(p.op->path_in_repo);
      continue;
    }
    kept.push_back(&p);
    if (p.lfs) lfs.push_back(&p);
  }
  if (kept.empty() && deletions.empty()) {
    info.skipped = true;  // huggingface_hub: "No files have been modified since last commit."
    return info;
  }
  if (!lfs.empty()) upload_lfs(repo_id, lfs, o, info);

  nlohmann::json header{{"summary", o.commit_message}, {"description", o.commit_description}};
  if (o.parent_commit) header["parentCommit"] = *o.parent_commit;
  std::string body = nlohmann::json{{"key", "header"}, {"value", header}}.dump() + "\n";
  for (const Pending* p : kept) {
    nlohmann::json line;
    if (p->lfs) {
      line = {{"key", "lfsFile"},
              {"value", {{"path", p->op->path_in_repo}, {"algo", "sha256"}, {"oid", p->sha256}, {"size", p->size}}}};
    } else {
      line = {{"key", "file"}, {"value", {{"content", base64(p->bytes())}, {"path", p->op->path_in_repo}, {"encoding", "base64"}}}};
    }
    body += line.dump() + "\n";
    info.committed.push_back(p->op->path_in_repo);
  }
  for (const auto& d : deletions) {
    body += nlohmann::json{{"key", d.is_folder ? "deletedFolder" : "deletedFile"}, {"value", {{"path", d.path_in_repo}}}}.dump() + "\n";
    info.committed.push_back(d.path_in_repo);
  }
  std::string url = detail::api_repo_url(repo_id, o.hub) + "/commit/" + url_quote(rev_of(o), "");
  if (o.create_pr) url += "?create_pr=1";
  std::string what = "commit to " + repo_id + "@" + rev_of(o);
  auto r = detail::api_request("POST", url, o.hub, body, "application/x-ndjson");
  detail::check_ok(r, what);
  auto j = detail::parse_json_body(r, what);
  info.commit_url = j.value("commitUrl", "");
  info.oid = j.value("commitOid", "");
  if (o.create_pr && j.contains("pullRequestUrl") && j["pullRequestUrl"].is_string()) {
    info.pr_url = j["pullRequestUrl"].get<std::string>();
    auto slash = info.pr_url.rfind('/');
    if (slash != std::string::npos) info.pr_revision = "refs/pr/" + info.pr_url.substr(slash + 1);
  }
  return info;
}

CommitInfo upload_folder(const std::string& repo_id, const std::string& folder, const UploadFolderOptions& opts) {
  if (!fs::is_directory(folder)) throw FileNotFoundError("upload_folder: '" + folder + "' is not a folder");
  std::vector<std::string> rel;
  for (const auto& e : fs::recursive_directory_iterator(folder)) {
    if (!e.is_regular_file()) continue;
    std::string r = fs::relative(e.path(), folder).generic_string();
    rel.push_back(r);
  }
  std::sort(rel.begin(), rel.end());
  // huggingface_hub's DEFAULT_IGNORE_PATTERNS: never upload .git/ or the local .cache/huggingface/.
  std::vector<std::string> ignore = opts.ignore_patterns;
  for (const char* p : {".git", ".git/*", "*/.git", "**/.git/**", ".cache/huggingface", ".cache/huggingface/*",
                        "*/.cache/huggingface", "**/.cache/huggingface/**"})
    ignore.emplace_back(p);
  std::vector<CommitOperationAdd> adds;
  std::string prefix = opts.path_in_repo;
  while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
  for (const auto& r : filter_repo_objects(rel, opts.allow_patterns, ignore))
    adds.push_back({prefix.empty() ? r : prefix + "/" + r, (fs::path(folder) / r).string(), std::nullopt});
  CommitOptions co = opts.commit;
  if (co.commit_message.empty()) co.commit_message = "Upload folder using huggingface_hub";
  return create_commit(repo_id, adds, {}, co);
}

}  // namespace transformers::hub
