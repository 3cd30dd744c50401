#pragma once
// The write side of the Hub and the repo listing, as huggingface_hub's HfApi does them (spec
// hf-modeling.md §7.6): create_repo, repo_info, snapshot_download with patterns, create_commit
// (preupload check, LFS batch upload, NDJSON commit) and upload_folder.
//
//   hub::create_repo("me/tiny", {.exist_ok = true, .hub = {.token = "hf_..."}});
//   auto info = hub::upload_folder("me/tiny", "saved/", {.commit_message = "Upload model"});
//   if (info.skipped) ...  // nothing new: no file uploaded and no commit made
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "transformers/hub/hub.hpp"

namespace transformers::hub {

// ---- repositories ----
struct CreateRepoOptions {
  std::optional<bool> private_repo;  // Python `private` (a C++ keyword); nullopt: server default
  bool exist_ok = false;             // a 409 "already exists" answer is then not an error
  HubOptions hub;                    // token, endpoint, repo_type, proxies, user_agent
};
struct RepoUrl {
  std::string url;       // as the server answered, e.g. https://huggingface.co/org/name
  std::string repo_id;   // org/name
  std::string repo_type;
};
// POST {endpoint}/api/repos/create {"name","organization","private"?,"type"?}.
RepoUrl create_repo(const std::string& repo_id, const CreateRepoOptions& opts = {});

// POST {endpoint}/api/{type}s/{repo}/branch/{branch} {"startingPoint"?}; exist_ok accepts 409.
void create_branch(const std::string& repo_id, const std::string& branch, const HubOptions& opts = {},
                   const std::string& starting_point = "", bool exist_ok = true);

struct RepoSibling {
  std::string rfilename;
  std::optional<std::int64_t> size;
  std::string blob_id;                   // git oid (LFS: oid of the pointer file)
  std::optional<std::string> lfs_sha256;  // set for LFS files
};
struct RepoInfo {
  std::string id, sha;  // sha: the commit the revision points at
  bool private_repo = false;
  std::vector<RepoSibling> siblings;
};
// GET {endpoint}/api/{type}s/{repo}/revision/{quote(opts.revision)} (?blobs=true for sizes/oids).
RepoInfo repo_info(const std::string& repo_id, const HubOptions& opts = {}, bool files_metadata = false);

// fnmatch as Python's fnmatch.fnmatch on POSIX ('*' also matches '/'); a pattern ending in '/'
// means "everything below" (huggingface_hub appends '*').
bool fnmatch(const std::string& name, const std::string& pattern);
// huggingface_hub.utils.filter_repo_objects.
std::vector<std::string> filter_repo_objects(const std::vector<std::string>& items,
                                             const std::vector<std::string>& allow_patterns,
                                             const std::vector<std::string>& ignore_patterns);

struct SnapshotDownloadOptions {
  HubOptions hub;
  std::vector<std::string> allow_patterns;   // empty: every file
  std::vector<std::string> ignore_patterns;
};
// huggingface_hub.snapshot_download: repo_info for the revision's commit and file list, then every
// matching file through hf_hub_download pinned to that commit. Offline / local_files_only: the
// cached snapshot of refs/<revision> (LocalEntryNotFoundError when absent). Returns the snapshot dir.
std::string snapshot_download(const std::string& repo_id, const SnapshotDownloadOptions& opts);

// ---- commits ----
struct CommitOperationAdd {
  std::string path_in_repo;
  std::string path_or_fileobj;                 // local file to upload ...
  std::optional<std::string> content;          // ... or these bytes when set
};
struct CommitOperationDelete {
  std::string path_in_repo;
  bool is_folder = false;  // "deletedFolder" instead of "deletedFile"
};
struct CommitOptions {
  std::string commit_message;      // required (ValueError when empty)
  std::string commit_description;
  std::string revision = "main";   // branch to commit to (or to open the PR against)
  bool create_pr = false;
  std::optional<std::string> parent_commit;
  HubOptions hub;                  // token, endpoint, repo_type, proxies, user_agent
};
struct CommitInfo {
  std::string commit_url, oid;        // empty when skipped
  std::string pr_url, pr_revision;    // "refs/pr/N" when create_pr
  bool skipped = false;               // every added file was unchanged: no commit call was made
  std::vector<std::string> committed;     // paths sent in the commit (added or deleted)
  std::vector<std::string> unchanged;     // adds dropped because the remote oid matched
  std::vector<std::string> lfs_uploaded;  // paths whose bytes were PUT to LFS storage
};
// HfApi.create_commit: preupload (upload mode + remote oid per file, 256 per call), drop adds whose
// remote oid equals ours (LFS: sha256, regular: git blob sha1), LFS batch + PUT (+ verify) for the
// remaining LFS files, then the NDJSON commit. Nothing left → no commit (skipped = true).
CommitInfo create_commit(const std::string& repo_id, const std::vector<CommitOperationAdd>& additions,
                         const std::vector<CommitOperationDelete>& deletions, const CommitOptions& opts);

struct UploadFolderOptions {
  CommitOptions commit;                       // commit_message defaults to "Upload folder using huggingface_hub"
  std::string path_in_repo;                   // prefix inside the repo
  std::vector<std::string> allow_patterns, ignore_patterns;
};
// HfApi.upload_folder (files below `folder`, `.git/` and `.cache/huggingface/` skipped).
CommitInfo upload_folder(const std::string& repo_id, const std::string& folder, const UploadFolderOptions& opts = {});

}  // namespace transformers::hub
