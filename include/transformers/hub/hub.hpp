#pragma once
// The Hub layer: turn (local folder or repo id, filename, options) into a local file path, through
// the cache layout huggingface_hub uses, so that a cache filled by Python serves C++ and back.
//
//   auto path = hub::resolve_file("google-bert/bert-base-uncased", "config.json", {.revision = "main"});
//
// Environment honoured as huggingface_hub 0.30 / transformers 4.51 do: HF_HOME, HF_HUB_CACHE
// (HUGGINGFACE_HUB_CACHE, TRANSFORMERS_CACHE & co.), HF_ENDPOINT, HF_TOKEN (HUGGING_FACE_HUB_TOKEN,
// HF_TOKEN_PATH, $HF_HOME/token), HF_HUB_OFFLINE / TRANSFORMERS_OFFLINE, HF_HUB_ETAG_TIMEOUT,
// HF_HUB_DOWNLOAD_TIMEOUT, HF_HUB_DISABLE_IMPLICIT_TOKEN.
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "transformers/hub/errors.hpp"
#include "transformers/hub/options.hpp"

namespace transformers::hub {

// ---- environment ----
bool is_offline_mode();                    // HF_HUB_OFFLINE or TRANSFORMERS_OFFLINE truthy
std::string hf_home();                     // HF_HOME or $XDG_CACHE_HOME/huggingface or ~/.cache/huggingface
std::string default_cache_dir();           // the hub cache transformers uses when cache_dir is empty
std::string hf_endpoint();                 // HF_ENDPOINT without trailing '/', default https://huggingface.co
// Token per the options: explicit > HF_TOKEN > HUGGING_FACE_HUB_TOKEN > token file; nullopt = none.
std::optional<std::string> get_token(const HubOptions& opts = {});
std::string user_agent(const HubOptions& opts = {});  // "transformers.cpp/<v>; libcurl/<v>[; extra]"

// ---- names and URLs ----
void validate_repo_id(const std::string& repo_id);  // ValueError when not a valid "org/name" or "name"
// "models--org--name" (datasets--, spaces--).
std::string repo_folder_name(const std::string& repo_id, const std::string& repo_type = "model");
// {endpoint}/{datasets/|spaces/}{repo_id}/resolve/{quote(revision, safe="")}/{quote(filename)}
std::string hf_hub_url(const std::string& repo_id, const std::string& filename, const HubOptions& opts = {});
bool is_commit_hash(const std::string& revision);  // ^[0-9a-f]{40}$

// ---- cache ----
struct CacheLookup {
  enum class Status { kNotCached, kCachedNonExistent, kFound };
  Status status = Status::kNotCached;
  std::string path;  // snapshot path when kFound
  explicit operator bool() const { return status == Status::kFound; }
};
// As huggingface_hub.try_to_load_from_cache: revision mapped through refs/, then .no_exist marker,
// then snapshots/<commit>/<filename> if it is a file. No network.
CacheLookup try_to_load_from_cache(const std::string& repo_id, const std::string& filename,
                                   const HubOptions& opts = {});
// Whether filename is available offline for repo_id at opts.revision (a found snapshot file).
bool cached_file_exists(const std::string& repo_id, const std::string& filename, const HubOptions& opts = {});

// ---- download ----
// As huggingface_hub.hf_hub_download into the cache. Returns the snapshot path. Throws
// EntryNotFoundError, RevisionNotFoundError, RepositoryNotFoundError/GatedRepoError,
// LocalEntryNotFoundError (offline and not cached), HfHubHTTPError (network failure, no cache).
std::string hf_hub_download(const std::string& repo_id, const std::string& filename, const HubOptions& opts = {});

// The one entry point for other layers (transformers' cached_file): a local folder answers
// folder/subfolder/filename; a repo id goes through the cache and the Hub. nullopt means "this file
// is not there": absent from the folder, known absent on the Hub (404 EntryNotFound or a .no_exist
// marker), or not cached while offline. Everything else throws as hf_hub_download does.
std::optional<std::string> resolve_file(const std::string& repo_id_or_path, const std::string& filename,
                                        const HubOptions& opts = {});

// Downloads every listed file (all must exist); returns the snapshot folder of the revision.
// `opts` has no default so that snapshot_download(repo, {.allow_patterns = ...}) (hf_api.hpp, over
// the repo listing) is never ambiguous with this overload.
std::string snapshot_download(const std::string& repo_id, const std::vector<std::string>& filenames,
                              const HubOptions& opts);

// What `transformers-cli download` fetches: config.json (required), tokenizer and generation files
// when present, then weights: model.safetensors, else its index then every shard, else the same for
// pytorch_model.bin. Files are listed in download order.
struct DownloadResult {
  std::string snapshot_dir;
  std::string commit_hash;
  std::vector<std::string> files;  // paths inside the repo
};
DownloadResult download_repo(const std::string& repo_id, const HubOptions& opts = {});

// ---- hashing (OpenSSL libcrypto) ----
std::string sha256_hex(const std::string& bytes);
std::string sha256_file_hex(const std::string& path);
std::string git_blob_sha1_hex(const std::string& bytes);  // sha1("blob <n>\0" + bytes), the git oid

}  // namespace transformers::hub
