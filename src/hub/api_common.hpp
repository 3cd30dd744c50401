#pragma once
// What every Hub API call (create_repo, repo_info, preupload, LFS batch, commit) shares: URL
// pieces, the headers (user agent + bearer token), JSON requests and hf_raise_for_status.
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "http.hpp"
#include "transformers/hub/hub.hpp"

namespace transformers::hub::detail {

// urllib.parse.quote: A-Za-z0-9_.-~ and the `safe` characters stay, the rest is %XX.
std::string url_quote(const std::string& s, const std::string& safe = "/");
std::string endpoint_of(const HubOptions& opts);      // opts.endpoint or HF_ENDPOINT, no trailing '/'
std::string repo_url_prefix(const std::string& type);  // "" / "datasets/" / "spaces/"
std::string api_repo_url(const std::string& repo_id, const HubOptions& opts);  // {ep}/api/{type}s/{repo}

using Headers = std::vector<std::pair<std::string, std::string>>;
Headers api_headers(const HubOptions& opts);  // user-agent, authorization when a token resolves

// One request; the body is sent as is. Connection failures become HfHubHTTPError (status 0).
HttpResponse api_request(const std::string& method, const std::string& url, const HubOptions& opts,
                         const std::string& body = "", const std::string& content_type = "",
                         Headers extra = {});
// hf_raise_for_status for API answers: RepoNotFound / RevisionNotFound / EntryNotFound / GatedRepo
// by X-Error-Code, 401 (unless the token itself is invalid) and 404 on a repo URL → RepositoryNotFoundError,
// everything else → HfHubHTTPError. `what` names the call and repo in the message.
[[noreturn]] void raise_api_error(const HttpResponse& r, const std::string& what);
void check_ok(const HttpResponse& r, const std::string& what);  // raises unless 2xx
nlohmann::json parse_json_body(const HttpResponse& r, const std::string& what);  // FormatError if not JSON

}  // namespace transformers::hub::detail
