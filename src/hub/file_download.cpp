// hf_hub_download into the shared cache, and resolve_file (transformers' cached_file) on top of it.
// Follows huggingface_hub 0.30's _hf_hub_download_to_cache_dir step by step (spec §7.4).
#include <sys/stat.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "cache_layout.hpp"
#include "http.hpp"

namespace fs = std::filesystem;

namespace transformers::hub {
namespace {

using detail::ConnectionError;
using detail::HttpRequest;
using detail::HttpResponse;

// Headers missing from a HEAD answer (wrong endpoint, proxy page, ...): a "head error".
class FileMetadataError : public EnvironmentError {
 public:
  using EnvironmentError::EnvironmentError;
};

long env_seconds(const char* name, long dflt) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return dflt;
  char* end = nullptr;
  double d = std::strtod(v, &end);
  return (end != v && d > 0) ? static_cast<long>(d + 0.999) : dflt;
}

struct Context {  // what error messages name
  std::string repo_id, revision, filename, repo_type;
};

std::vector<std::pair<std::string, std::string>> build_headers(const HubOptions& opts) {
  std::vector<std::pair<std::string, std::string>> h{{"user-agent", user_agent(opts)}};
  if (auto tok = get_token(opts)) h.emplace_back("authorization", "Bearer " + *tok);
  return h;
}

// hf_raise_for_status: turn a non-2xx/3xx answer into the typed error.
[[noreturn]] void raise_http(const HttpResponse& r, const Context& ctx) {
  HttpDetails d{r.url, r.status, r.header("x-error-code"), r.header("x-repo-commit")};
  std::string server_msg = r.header("x-error-message");
  std::string status = std::to_string(r.status) + (r.status >= 500 ? " Server Error" : " Client Error");
  std::string where = " (repo_id: " + ctx.repo_id + ", repo_type: " + ctx.repo_type + ", revision: " + ctx.revision +
                      ", filename: " + ctx.filename + ")";
  std::string tail = server_msg.empty() ? "" : "\n" + server_msg;
  if (d.error_code == "RevisionNotFound")
    throw RevisionNotFoundError(status + ". Revision Not Found for url: " + r.url + "." + where + tail, d);
  if (d.error_code == "EntryNotFound")
    throw EntryNotFoundError(status + ". Entry Not Found for url: " + r.url + "." + where + tail, d);
  if (d.error_code == "GatedRepo")
    throw GatedRepoError(status + ". Cannot access gated repo for url " + r.url + "." + where + tail, d);
  if (d.error_code == "RepoNotFound" ||
      (r.status == 401 && server_msg != "Invalid credentials in Authorization header")) {
    throw RepositoryNotFoundError(status + ". Repository Not Found for url: " + r.url +
                                      ". Please make sure you specified the correct `repo_id` and `repo_type`. If you "
                                      "are trying to access a private or gated repo, make sure you are authenticated." +
                                      where + tail,
                                  d);
  }
  throw HfHubHTTPError(status + " for url: " + r.url + where + tail, d);
}

std::string normalize_etag(std::string e) {
  if (e.rfind("W/", 0) == 0) e = e.substr(2);
  while (!e.empty() && e.front() == '"') e.erase(e.begin());
  while (!e.empty() && e.back() == '"') e.pop_back();
  return e;
}

struct Metadata {
  std::string location, etag, commit_hash;
  std::uint64_t size = 0;
};

// get_hf_file_metadata: HEAD, following only relative redirects (a renamed repo).
Metadata get_file_metadata(const std::string& url, std::vector<std::pair<std::string, std::string>> headers,
                           const HubOptions& opts, const Context& ctx) {
  headers.emplace_back("accept-encoding", "identity");
  std::string cur = url;
  HttpResponse r;
  for (int hops = 0;; ++hops) {
    HttpRequest req;
    req.method = "HEAD";
    req.url = cur;
    req.headers = headers;
    req.proxies = opts.proxies;
    req.timeout_s = env_seconds("HF_HUB_ETAG_TIMEOUT", 10);
    r = detail::http_request(req);
    std::string loc = r.header("location");
    if (r.status >= 300 && r.status < 400 && !loc.empty() && detail::url_netloc(loc).empty() && hops < 10) {
      cur = detail::url_with_path(cur, loc);
      continue;
    }
    break;
  }
  if (r.status >= 400 || r.status < 200) raise_http(r, ctx);
  Metadata m;
  m.commit_hash = r.header("x-repo-commit");
  std::string linked = r.header("x-linked-etag");
  m.etag = normalize_etag(linked.empty() ? r.header("etag") : linked);
  m.location = r.header("location").empty() ? cur : r.header("location");
  std::string size = r.header("x-linked-size");
  if (size.empty()) size = r.header("content-length");
  if (m.commit_hash.empty())
    throw FileMetadataError("Distant resource " + cur + " does not seem to be on a Hugging Face Hub (no X-Repo-Commit header).");
  if (m.etag.empty()) throw FileMetadataError("Distant resource " + cur + " does not have an ETag.");
  if (size.empty()) throw FileMetadataError("Distant resource " + cur + " does not have a Content-Length.");
  try {
    m.size = std::stoull(size);
  } catch (const std::exception&) {
    throw FileMetadataError("Distant resource " + cur + " has an invalid size '" + size + "'.");
  }
  return m;
}

std::uint64_t file_size_or_zero(const fs::path& p) {
  std::error_code ec;
  auto n = fs::file_size(p, ec);
  return ec ? 0 : n;
}

// One GET of url into `incomplete`, resuming from its current size. Follows redirects; the
// authorization header does not survive a change of host. Throws ConnectionError when cut.
void http_get_once(const std::string& url, std::vector<std::pair<std::string, std::string>> headers,
                   const fs::path& incomplete, std::uint64_t expected_size, const HubOptions& opts,
                   const Context& ctx) {
  std::uint64_t resume = file_size_or_zero(incomplete);
  if (resume > 0) headers.emplace_back("range", "bytes=" + std::to_string(resume) + "-");
  std::string cur = url;
  for (int hops = 0; hops <= 10; ++hops) {
    std::ofstream out;
    bool opened = false;
    std::uint64_t done = resume;
    HttpRequest req;
    req.url = cur;
    req.headers = headers;
    req.proxies = opts.proxies;
    req.timeout_s = env_seconds("HF_HUB_DOWNLOAD_TIMEOUT", 10);
    req.on_body = [&](long status, const char* data, size_t n) {
      if (!opened) {
        opened = true;
        // 206 continues the partial file; a 200 (server ignored Range) sends the whole file again.
        bool append = resume > 0 && status == 206;
        if (!append) done = 0;
        out.open(incomplete, std::ios::binary | (append ? std::ios::app : std::ios::trunc));
      }
      out.write(data, static_cast<std::streamsize>(n));
      done += n;
      if (opts.progress) opts.progress(ctx.filename, done, expected_size);
      return static_cast<bool>(out);
    };
    HttpResponse resp = detail::http_request(req);
    out.close();
    std::string loc = resp.header("location");
    if (resp.status >= 300 && resp.status < 400 && !loc.empty()) {
      std::string next = detail::url_netloc(loc).empty() ? detail::url_with_path(cur, loc) : loc;
      if (detail::url_netloc(next) != detail::url_netloc(cur)) {
        std::erase_if(headers, [](const auto& h) { return h.first == "authorization"; });
      }
      cur = next;
      continue;
    }
    if (resp.status == 416 && resume == expected_size) return;  // already complete
    if (resp.status < 200 || resp.status >= 300) raise_http(resp, ctx);
    return;
  }
  throw HfHubHTTPError("Too many redirects downloading " + url, HttpDetails{url, 0, "", ""});
}

bool is_sha256_hex(const std::string& s) {
  if (s.size() != 64) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

// _download_to_tmp_and_move, plus the sha256 verification of LFS blobs (etag = sha256 of content).
void download_to_tmp_and_move(const fs::path& incomplete, const fs::path& blob, const std::string& url,
                              const std::vector<std::pair<std::string, std::string>>& headers,
                              std::uint64_t expected_size, const std::string& etag, const HubOptions& opts,
                              const Context& ctx) {
  std::error_code ec;
  if (fs::exists(blob, ec) && !opts.force_download) return;
  // force_download restarts from zero; a partial file longer than the blob cannot be resumed.
  if (opts.force_download || file_size_or_zero(incomplete) > expected_size) fs::remove(incomplete, ec);
  // Transient failures (connection cut, timeout, 5xx) are retried, each retry resuming from the
  // bytes already in the .incomplete file.
  constexpr int kMaxRetries = 5;
  for (int attempt = 0;; ++attempt) {
    try {
      if (file_size_or_zero(incomplete) < expected_size || expected_size == 0)
        http_get_once(url, headers, incomplete, expected_size, opts, ctx);
      break;
    } catch (const ConnectionError&) {
      if (attempt >= kMaxRetries) throw;
    } catch (const HfHubHTTPError& e) {
      if (e.status < 500 || attempt >= kMaxRetries) throw;
    }
    std::this_thread::sleep_for(std::chrono::seconds(1));
  }
  if (!fs::exists(incomplete, ec)) detail::touch(incomplete.string());  // empty file: no body was written
  std::uint64_t got = file_size_or_zero(incomplete);
  if (got != expected_size) {
    throw EnvironmentError("Consistency check failed: file should be of size " + std::to_string(expected_size) +
                           " but has size " + std::to_string(got) + " (" + ctx.filename + ", downloaded from " + url +
                           "). The partial file is kept as '" + incomplete.string() + "' and will be resumed.");
  }
  if (is_sha256_hex(etag)) {
    std::string found = sha256_file_hex(incomplete.string());
    if (found != etag) {
      fs::remove(incomplete, ec);
      throw EnvironmentError("sha256 mismatch for '" + ctx.filename + "' downloaded from " + url + ": expected " +
                             etag + ", found " + found + ". The corrupted download was deleted.");
    }
  }
  // Blob mode as huggingface_hub's _chmod_and_move: that of a freshly created file (0666 & ~umask).
  mode_t mask = ::umask(0);
  ::umask(mask);
  fs::permissions(incomplete, static_cast<fs::perms>(0666 & ~mask), ec);
  fs::rename(incomplete, blob, ec);
  if (ec) throw EnvironmentError("Cannot move '" + incomplete.string() + "' to '" + blob.string() + "': " + ec.message());
}

}  // namespace

std::string hf_hub_download(const std::string& repo_id, const std::string& filename, const HubOptions& in) {
  HubOptions opts = in;
  if (opts.revision.empty()) opts.revision = "main";
  if (is_offline_mode()) opts.local_files_only = true;
  validate_repo_id(repo_id);
  const std::string storage = detail::storage_folder(repo_id, opts);
  const std::string rel = detail::repo_path(filename, opts);
  const std::string& revision = opts.revision;
  Context ctx{repo_id, revision, rel, opts.repo_type};

  // A full commit hash whose snapshot file exists needs no network.
  if (is_commit_hash(revision)) {
    std::string p = detail::pointer_path(storage, revision, rel);
    if (fs::exists(p) && !opts.force_download) return p;
  }

  auto headers = build_headers(opts);
  std::string url = hf_hub_url(repo_id, filename, opts);
  std::string url_to_download = url;
  Metadata md;
  std::exception_ptr head_error;
  if (opts.local_files_only) {
    head_error = std::make_exception_ptr(LocalEntryNotFoundError(
        "Cannot access file since 'local_files_only=True' as been set. (repo_id: " + repo_id + ", repo_type: " +
        opts.repo_type + ", revision: " + revision + ", filename: " + rel + ")"));
  } else {
    try {
      try {
        md = get_file_metadata(url, headers, opts, ctx);
      } catch (const EntryNotFoundError& e) {
        if (!e.repo_commit.empty()) {  // cache the non-existence for this commit
          try {
            detail::touch(detail::no_exist_path(storage, e.repo_commit, rel));
            detail::write_ref(storage, revision, e.repo_commit);
          } catch (const std::exception&) {
            // As huggingface_hub: failing to cache non-existence is not an error.
          }
        }
        throw;
      }
      if (md.location != url) {
        url_to_download = md.location;
        // A CDN on another host gets a signed URL: never send it our token.
        if (detail::url_netloc(url) != detail::url_netloc(md.location))
          std::erase_if(headers, [](const auto& h) { return h.first == "authorization"; });
      }
    } catch (const RevisionNotFoundError&) {
      throw;
    } catch (const EntryNotFoundError&) {
      throw;
    } catch (const RepositoryNotFoundError&) {
      head_error = std::current_exception();
    } catch (const HfHubHTTPError&) {
      head_error = std::current_exception();
    } catch (const ConnectionError&) {
      head_error = std::current_exception();
    } catch (const FileMetadataError&) {
      head_error = std::current_exception();
    }
  }

  if (head_error) {
    if (!opts.force_download) {
      std::optional<std::string> commit =
          is_commit_hash(revision) ? std::optional<std::string>(revision) : detail::read_ref(storage, revision);
      if (commit) {
        std::string p = detail::pointer_path(storage, *commit, rel);
        if (fs::exists(p)) return p;
      }
    }
    if (opts.force_download) {
      if (opts.local_files_only)
        throw ValueError("Cannot pass 'force_download=True' and 'local_files_only=True' (or offline mode) at the same time.");
      std::rethrow_exception(head_error);
    }
    if (opts.local_files_only)
      throw LocalEntryNotFoundError(
          "Cannot find the requested files in the disk cache and outgoing traffic has been disabled. To enable hf.co "
          "look-ups and downloads online, set 'local_files_only' to False. (repo_id: " + repo_id + ", revision: " +
          revision + ", filename: " + rel + ", cache: " + detail::cache_root(opts) + ")");
    try {
      std::rethrow_exception(head_error);
    } catch (const RepositoryNotFoundError&) {
      throw;
    } catch (const HfHubHTTPError& e) {
      throw HfHubHTTPError("An error happened while trying to locate the file on the Hub and it is not in the local "
                           "cache: " + std::string(e.what()), static_cast<const HttpDetails&>(e));
    } catch (const ConnectionError& e) {
      throw HfHubHTTPError("We couldn't connect to the Hub to fetch '" + rel + "' of " + repo_id + " (revision " +
                               revision + ") and it is not in the local cache. Check your connection. Cause: " + e.what(),
                           HttpDetails{e.url, 0, "", ""});
    } catch (const FileMetadataError& e) {
      throw HfHubHTTPError("Cannot get the metadata of '" + rel + "' from " + url +
                               " and it is not in the local cache: " + e.what(),
                           HttpDetails{url, 0, "", ""});
    }
  }

  const std::string blob = storage + "/blobs/" + md.etag;
  const std::string pointer = detail::pointer_path(storage, md.commit_hash, rel);
  fs::create_directories(fs::path(blob).parent_path());
  fs::create_directories(fs::path(pointer).parent_path());
  detail::write_ref(storage, revision, md.commit_hash);

  const std::string lock_path =
      detail::cache_root(opts) + "/.locks/" + repo_folder_name(repo_id, opts.repo_type) + "/" + md.etag + ".lock";
  if (!opts.force_download && fs::exists(pointer)) return pointer;
  if (!opts.force_download && fs::exists(blob)) {
    detail::FileLock lock(lock_path);
    if (!fs::exists(pointer)) detail::create_relative_symlink(blob, pointer);
    return pointer;
  }
  {
    detail::FileLock lock(lock_path);
    download_to_tmp_and_move(blob + ".incomplete", blob, url_to_download, headers, md.size, md.etag, opts, ctx);
    detail::create_relative_symlink(blob, pointer);
  }
  return pointer;
}

std::optional<std::string> resolve_file(const std::string& repo_id_or_path, const std::string& filename,
                                        const HubOptions& in) {
  std::error_code ec;
  if (fs::is_directory(repo_id_or_path, ec)) {
    fs::path p = fs::path(repo_id_or_path);
    if (!in.subfolder.empty()) p /= in.subfolder;
    p /= filename;
    if (fs::is_regular_file(p, ec)) return p.string();
    return std::nullopt;
  }
  if (fs::exists(repo_id_or_path, ec))
    throw FileNotFoundError("'" + repo_id_or_path + "' is a file, not a folder holding '" + filename + "'");
  try {
    validate_repo_id(repo_id_or_path);
  } catch (const ValueError& e) {
    throw FileNotFoundError("'" + repo_id_or_path + "' is neither a local folder nor a valid Hub repo id: " + e.what());
  }
  HubOptions opts = in;
  if (opts.revision.empty()) opts.revision = "main";
  if (is_offline_mode()) opts.local_files_only = true;
  if (is_commit_hash(opts.revision) && !opts.force_download) {
    auto hit = try_to_load_from_cache(repo_id_or_path, filename, opts);
    if (hit.status == CacheLookup::Status::kFound) return hit.path;
    if (hit.status == CacheLookup::Status::kCachedNonExistent) return std::nullopt;
  }
  try {
    return hf_hub_download(repo_id_or_path, filename, opts);
  } catch (const EntryNotFoundError&) {
    return std::nullopt;
  } catch (const LocalEntryNotFoundError&) {
    return std::nullopt;  // offline and not cached: "not there" for a caller probing candidates
  } catch (const HfHubHTTPError&) {
    // Network trouble: a cached "known absent" marker still answers.
    if (try_to_load_from_cache(repo_id_or_path, filename, opts).status == CacheLookup::Status::kCachedNonExistent)
      return std::nullopt;
    throw;
  }
}

}  // namespace transformers::hub
