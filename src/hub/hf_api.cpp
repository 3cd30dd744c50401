// Repository calls of HfApi: create_repo, create_branch, repo_info, and snapshot_download over the
// listing (allow/ignore patterns as huggingface_hub's filter_repo_objects).
#include "transformers/hub/hf_api.hpp"

#include <filesystem>

#include "api_common.hpp"
#include "cache_layout.hpp"

namespace fs = std::filesystem;

namespace transformers::hub {

using detail::url_quote;

RepoUrl create_repo(const std::string& repo_id, const CreateRepoOptions& opts) {
  validate_repo_id(repo_id);
  std::string type = opts.hub.repo_type.empty() ? "model" : opts.hub.repo_type;
  detail::repo_url_prefix(type);
  nlohmann::json body;
  auto slash = repo_id.find('/');
  body["name"] = slash == std::string::npos ? repo_id : repo_id.substr(slash + 1);
  body["organization"] = slash == std::string::npos ? nlohmann::json(nullptr) : nlohmann::json(repo_id.substr(0, slash));
  if (opts.private_repo) body["private"] = *opts.private_repo;
  if (type != "model") body["type"] = type;
  std::string ep = detail::endpoint_of(opts.hub);
  auto r = detail::api_request("POST", ep + "/api/repos/create", opts.hub, body.dump(), "application/json");
  RepoUrl out{ep + "/" + detail::repo_url_prefix(type) + repo_id, repo_id, type};
  if (r.status == 409 && opts.exist_ok) return out;
  if (r.status == 403 && opts.exist_ok) {
    repo_info(repo_id, opts.hub);  // exists and is readable: fine, as huggingface_hub does
    return out;
  }
  detail::check_ok(r, "create_repo " + repo_id);
  auto j = detail::parse_json_body(r, "create_repo " + repo_id);
  if (j.is_object() && j.contains("url") && j["url"].is_string()) out.url = j["url"].get<std::string>();
  return out;
}

void create_branch(const std::string& repo_id, const std::string& branch, const HubOptions& opts,
                   const std::string& starting_point, bool exist_ok) {
  nlohmann::json body = nlohmann::json::object();
  if (!starting_point.empty()) body["startingPoint"] = starting_point;
  auto r = detail::api_request("POST", detail::api_repo_url(repo_id, opts) + "/branch/" + url_quote(branch, ""), opts,
                               body.dump(), "application/json");
  if (r.status == 409 && exist_ok) return;
  detail::check_ok(r, "create_branch " + branch + " in " + repo_id);
}

RepoInfo repo_info(const std::string& repo_id, const HubOptions& opts, bool files_metadata) {
  validate_repo_id(repo_id);
  std::string rev = opts.revision.empty() ? "main" : opts.revision;
  std::string url = detail::api_repo_url(repo_id, opts) + "/revision/" + url_quote(rev, "");
  if (files_metadata) url += "?blobs=true";
  std::string what = "repo_info " + repo_id + "@" + rev;
  auto r = detail::api_request("GET", url, opts);
  detail::check_ok(r, what);
  auto j = detail::parse_json_body(r, what);
  RepoInfo info;
  try {
    info.id = j.value("id", repo_id);
    info.sha = j.at("sha").get<std::string>();
    info.private_repo = j.value("private", false);
    for (const auto& s : j.value("siblings", nlohmann::json::array())) {
      RepoSibling sib;
      sib.rfilename = s.at("rfilename").get<std::string>();
      if (s.contains("size") && s["size"].is_number_integer()) sib.size = s["size"].get<std::int64_t>();
      sib.blob_id = s.value("blobId", "");
      if (s.contains("lfs") && s["lfs"].is_object()) sib.lfs_sha256 = s["lfs"].value("sha256", "");
      info.siblings.push_back(std::move(sib));
    }
  } catch (const nlohmann::json::exception& e) {
    throw FormatError("Malformed answer to " + what + " (" + url + "): expected \"sha\" and \"siblings\" [{\"rfilename\"}]: " + e.what());
  }
  if (!is_commit_hash(info.sha)) throw FormatError("Malformed answer to " + what + ": sha '" + info.sha + "' is not a 40-hex commit");
  return info;
}

namespace {

// fnmatch.translate semantics: '*' any run (including '/'), '?' one char, [seq] / [!seq] sets.
bool match_at(const std::string& s, size_t i, const std::string& p, size_t j) {
  while (j < p.size()) {
    char c = p[j];
    if (c == '*') {
      while (j < p.size() && p[j] == '*') ++j;
      if (j == p.size()) return true;
      for (size_t k = i; k <= s.size(); ++k)
        if (match_at(s, k, p, j)) return true;
      return false;
    }
    if (i >= s.size()) return false;
    if (c == '?') {
      ++i, ++j;
      continue;
    }
    if (c == '[') {
      size_t k = j + 1;
      bool negate = k < p.size() && p[k] == '!';
      if (negate) ++k;
      if (k < p.size() && p[k] == ']') ++k;  // a leading ']' is literal
      while (k < p.size() && p[k] != ']') ++k;
      if (k >= p.size()) {  // no closing ']': literal '['
        if (s[i] != '[') return false;
        ++i, ++j;
        continue;
      }
      bool found = false;
      for (size_t q = j + 1 + (negate ? 1 : 0); q < k; ++q) {
        if (q + 2 < k && p[q + 1] == '-') {
          if (s[i] >= p[q] && s[i] <= p[q + 2]) found = true;
          q += 2;
        } else if (s[i] == p[q]) {
          found = true;
        }
      }
      if (found == negate) return false;
      ++i;
      j = k + 1;
      continue;
    }
    if (s[i] != c) return false;
    ++i, ++j;
  }
  return i == s.size();
}

std::vector<std::string> with_dir_star(std::vector<std::string> pats) {
  for (auto& p : pats)
    if (!p.empty() && p.back() == '/') p += '*';
  return pats;
}

}  // namespace

bool fnmatch(const std::string& name, const std::string& pattern) { return match_at(name, 0, pattern, 0); }

std::vector<std::string> filter_repo_objects(const std::vector<std::string>& items,
                                             const std::vector<std::string>& allow_patterns,
                                             const std::vector<std::string>& ignore_patterns) {
  auto allow = with_dir_star(allow_patterns), ignore = with_dir_star(ignore_patterns);
  std::vector<std::string> out;
  for (const auto& it : items) {
    bool ok = allow.empty();
    for (const auto& p : allow) ok = ok || fnmatch(it, p);
    for (const auto& p : ignore) ok = ok && !fnmatch(it, p);
    if (ok) out.push_back(it);
  }
  return out;
}

std::string snapshot_download(const std::string& repo_id, const SnapshotDownloadOptions& opts) {
  HubOptions ho = opts.hub;
  if (ho.revision.empty()) ho.revision = "main";
  validate_repo_id(repo_id);
  std::string storage = detail::storage_folder(repo_id, ho);
  auto cached_snapshot = [&]() -> std::optional<std::string> {
    std::string commit = is_commit_hash(ho.revision) ? ho.revision : detail::read_ref(storage, ho.revision).value_or("");
    if (commit.empty()) return std::nullopt;
    fs::path dir = fs::path(storage) / "snapshots" / commit;
    if (fs::is_directory(dir)) return dir.string();
    return std::nullopt;
  };
  if (ho.local_files_only || is_offline_mode()) {
    if (auto d = cached_snapshot()) return *d;
    throw LocalEntryNotFoundError("Cannot find an appropriate cached snapshot folder for " + repo_id + " at revision " +
                                  ho.revision + " in " + storage +
                                  ", and outgoing traffic has been disabled (local_files_only / offline mode).");
  }
  RepoInfo info;
  try {
    info = repo_info(repo_id, ho);
  } catch (const HfHubHTTPError& e) {
    if (e.status != 0) throw;
    // No connection: fall back to the cached snapshot, as huggingface_hub does.
    if (auto d = cached_snapshot()) return *d;
    throw;
  }
  std::vector<std::string> names;
  for (const auto& s : info.siblings) names.push_back(s.rfilename);
  HubOptions pinned = ho;
  pinned.revision = info.sha;
  pinned.subfolder.clear();
  for (const auto& f : filter_repo_objects(names, opts.allow_patterns, opts.ignore_patterns))
    hf_hub_download(repo_id, f, pinned);
  detail::write_ref(storage, ho.revision, info.sha);
  fs::path dir = fs::path(storage) / "snapshots" / info.sha;
  fs::create_directories(dir);
  return dir.string();
}

}  // namespace transformers::hub
