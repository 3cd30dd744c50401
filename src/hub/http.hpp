#pragma once
// Minimal libcurl wrapper for the Hub: one request, no automatic redirects (the caller decides which
// to follow and which headers survive them), response headers of the final answer only.
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "transformers/hub/errors.hpp"

namespace transformers::hub::detail {

// No HTTP answer at all: DNS, refused connection, timeout, connection cut mid-body.
class ConnectionError : public EnvironmentError {
 public:
  ConnectionError(const std::string& msg, std::string url) : EnvironmentError(msg), url(std::move(url)) {}
  std::string url;
};

struct HttpRequest {
  std::string method = "GET";  // "HEAD", "GET", "POST", "PUT"
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::map<std::string, std::string> proxies;
  long timeout_s = 10;         // connect timeout, and the longest time without a byte received
  std::string body;            // request body for POST/PUT
  std::string body_file;       // PUT only: stream this file as the body instead (large LFS uploads)
  // Receives the body of 2xx answers as it arrives, with the status (200 vs 206 matters to a resumed
  // download); return false to abort. Without it, the body is collected into HttpResponse::body
  // (error bodies always are).
  std::function<bool(long status, const char* data, size_t size)> on_body;
};

struct HttpResponse {
  long status = 0;
  std::string url;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  std::string header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? std::string() : it->second;
  }
};

HttpResponse http_request(const HttpRequest& req);

// "scheme://host:port" part of a URL ("" for a relative reference), as urlparse().netloc compares.
std::string url_netloc(const std::string& url);
// The URL with its path (and query) replaced by those of a relative Location.
std::string url_with_path(const std::string& url, const std::string& relative_location);

}  // namespace transformers::hub::detail
