#pragma once
// Typed Hub errors, named as huggingface_hub names them. "Not found" answers of the server are
// FileNotFoundError (they name repo, revision and file); transport and other HTTP failures are
// EnvironmentError. Every HTTP-born error also carries HttpDetails (URL, status, X-Error-Code), so
// `catch (const hub::HttpDetails& d)` reaches them all.
#include <string>

#include "transformers/core/error.hpp"

namespace transformers::hub {

struct HttpDetails {
  std::string url;          // the URL that answered (after relative redirects)
  long status = 0;          // HTTP status; 0 when no answer came (connection error, timeout)
  std::string error_code;   // X-Error-Code header, if any
  std::string repo_commit;  // X-Repo-Commit header, if any
};

// Any HTTP error without a more specific type: 401 with invalid credentials, 403, 5xx, transport.
class HfHubHTTPError : public EnvironmentError, public HttpDetails {
 public:
  HfHubHTTPError(const std::string& msg, HttpDetails d) : EnvironmentError(msg), HttpDetails(std::move(d)) {}
};
// The repository does not exist, or is private and no (valid) token was sent.
class RepositoryNotFoundError : public FileNotFoundError, public HttpDetails {
 public:
  RepositoryNotFoundError(const std::string& msg, HttpDetails d) : FileNotFoundError(msg), HttpDetails(std::move(d)) {}
};
// The repository is gated and the token has not been granted access.
class GatedRepoError : public RepositoryNotFoundError {
 public:
  using RepositoryNotFoundError::RepositoryNotFoundError;
};
// The revision (branch, tag, commit, refs/pr/N) does not exist in the repository.
class RevisionNotFoundError : public FileNotFoundError, public HttpDetails {
 public:
  RevisionNotFoundError(const std::string& msg, HttpDetails d) : FileNotFoundError(msg), HttpDetails(std::move(d)) {}
};
// The file does not exist at that revision.
class EntryNotFoundError : public FileNotFoundError, public HttpDetails {
 public:
  EntryNotFoundError(const std::string& msg, HttpDetails d) : FileNotFoundError(msg), HttpDetails(std::move(d)) {}
};
// Network disabled (local_files_only / offline mode) and the file is not in the cache.
class LocalEntryNotFoundError : public FileNotFoundError {
 public:
  using FileNotFoundError::FileNotFoundError;
};

}  // namespace transformers::hub
