#include "api_common.hpp"

#include <cstdio>

#include "transformers/io/json_file.hpp"

namespace transformers::hub::detail {

std::string url_quote(const std::string& s, const std::string& safe) {
  static const std::string always = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-~";
  std::string out;
  for (unsigned char c : s) {
    if (always.find(static_cast<char>(c)) != std::string::npos || safe.find(static_cast<char>(c)) != std::string::npos) {
      out += static_cast<char>(c);
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

std::string endpoint_of(const HubOptions& opts) {
  std::string e = opts.endpoint.empty() ? hf_endpoint() : opts.endpoint;
  while (!e.empty() && e.back() == '/') e.pop_back();
  return e;
}

std::string repo_url_prefix(const std::string& type) {
  if (type == "dataset") return "datasets/";
  if (type == "space") return "spaces/";
  if (type.empty() || type == "model") return "";
  throw ValueError("Invalid repo type '" + type + "': expected model, dataset or space");
}

std::string api_repo_url(const std::string& repo_id, const HubOptions& opts) {
  std::string t = opts.repo_type.empty() ? "model" : opts.repo_type;
  repo_url_prefix(t);  // validates
  return endpoint_of(opts) + "/api/" + t + "s/" + repo_id;
}

Headers api_headers(const HubOptions& opts) {
  Headers h{{"user-agent", user_agent(opts)}};
  if (auto tok = get_token(opts)) h.emplace_back("authorization", "Bearer " + *tok);
  return h;
}

HttpResponse api_request(const std::string& method, const std::string& url, const HubOptions& opts,
                         const std::string& body, const std::string& content_type, Headers extra) {
  if (is_offline_mode())
    throw HfHubHTTPError("Cannot reach " + url + ": offline mode is enabled (HF_HUB_OFFLINE / TRANSFORMERS_OFFLINE).",
                         HttpDetails{url, 0, "", ""});
  HttpRequest req;
  req.method = method;
  req.url = url;
  req.headers = api_headers(opts);
  if (!content_type.empty()) req.headers.emplace_back("content-type", content_type);
  for (auto& h : extra) req.headers.push_back(std::move(h));
  req.proxies = opts.proxies;
  req.body = body;
  req.timeout_s = 60;
  try {
    return http_request(req);
  } catch (const ConnectionError& e) {
    throw HfHubHTTPError(e.what(), HttpDetails{url, 0, "", ""});
  }
}

void raise_api_error(const HttpResponse& r, const std::string& what) {
  HttpDetails d{r.url, r.status, r.header("x-error-code"), r.header("x-repo-commit")};
  std::string server_msg = r.header("x-error-message");
  if (server_msg.empty()) {
    try {
      auto j = io::parse_json(r.body, r.url, {.what = "Hub error answer", .max_bytes = io::kHubJsonMaxBytes});
      if (j.is_object() && j.contains("error") && j["error"].is_string()) server_msg = j["error"].get<std::string>();
    } catch (const Error&) {
      // not JSON: the status line alone describes the failure
    }
  }
  std::string head = std::to_string(r.status) + (r.status >= 500 ? " Server Error" : " Client Error") + " for url: " +
                     r.url + " (" + what + ")" + (server_msg.empty() ? "" : ": " + server_msg);
  if (d.error_code == "RevisionNotFound") throw RevisionNotFoundError("Revision Not Found. " + head, d);
  if (d.error_code == "EntryNotFound") throw EntryNotFoundError("Entry Not Found. " + head, d);
  if (d.error_code == "GatedRepo") throw GatedRepoError("Cannot access gated repo. " + head, d);
  bool invalid_credentials = server_msg == "Invalid credentials in Authorization header";
  if (d.error_code == "RepoNotFound" || (r.status == 401 && !invalid_credentials) || r.status == 404) {
    throw RepositoryNotFoundError("Repository Not Found. " + head +
                                      ". Make sure the repo id and repo type are right and that you are authenticated "
                                      "for a private repo.",
                                  d);
  }
  throw HfHubHTTPError(head, d);
}

void check_ok(const HttpResponse& r, const std::string& what) {
  if (r.status < 200 || r.status >= 300) raise_api_error(r, what);
}

nlohmann::json parse_json_body(const HttpResponse& r, const std::string& what) {
  const std::string source = r.url + " (" + what + ")";
  return io::parse_json(r.body, source, {.what = "Hub answer", .max_bytes = io::kHubJsonMaxBytes});
}

}  // namespace transformers::hub::detail
