#include "http.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <memory>
#include <mutex>

namespace transformers::hub::detail {
namespace {

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

std::string trim(const std::string& s) {
  auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  auto e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

std::string scheme_of(const std::string& url) {
  auto p = url.find("://");
  return p == std::string::npos ? std::string() : lower(url.substr(0, p));
}

std::string host_of(const std::string& url) {
  std::string n = url_netloc(url);
  auto p = n.find("://");
  return p == std::string::npos ? n : n.substr(p + 3);
}

// requests' select_proxy order: scheme://host, all://host, scheme, all.
std::string select_proxy(const std::map<std::string, std::string>& proxies, const std::string& url) {
  std::string scheme = scheme_of(url), host = host_of(url);
  for (const std::string& key : {scheme + "://" + host, "all://" + host, scheme, std::string("all")}) {
    auto it = proxies.find(key);
    if (it != proxies.end()) return it->second;
  }
  return "";
}

struct State {
  const HttpRequest* req;
  HttpResponse* resp;
  CURL* curl;
  bool aborted = false;
};

size_t on_header(char* data, size_t size, size_t n, void* user) {
  auto* st = static_cast<State*>(user);
  std::string line(data, size * n);
  if (line.rfind("HTTP/", 0) == 0) {
    st->resp->headers.clear();  // a new response (e.g. after "100 Continue"): keep only the last
  } else {
    auto colon = line.find(':');
    if (colon != std::string::npos) st->resp->headers[lower(trim(line.substr(0, colon)))] = trim(line.substr(colon + 1));
  }
  return size * n;
}

size_t on_write(char* data, size_t size, size_t n, void* user) {
  auto* st = static_cast<State*>(user);
  long code = 0;
  curl_easy_getinfo(st->curl, CURLINFO_RESPONSE_CODE, &code);
  if (st->req->on_body && code >= 200 && code < 300) {
    if (!st->req->on_body(code, data, size * n)) {
      st->aborted = true;
      return 0;
    }
  } else {
    st->resp->body.append(data, size * n);
  }
  return size * n;
}

}  // namespace

std::string url_netloc(const std::string& url) {
  auto p = url.find("://");
  if (p == std::string::npos) return "";
  auto end = url.find_first_of("/?#", p + 3);
  return lower(url.substr(0, end == std::string::npos ? url.size() : end));
}

std::string url_with_path(const std::string& url, const std::string& relative_location) {
  std::string base = url_netloc(url);
  // Keep the original scheme/host spelling.
  std::string origin = url.substr(0, base.size());
  if (!relative_location.empty() && relative_location[0] == '/') return origin + relative_location;
  // Path-relative reference: resolve against the directory of the current path.
  std::string path = url.substr(base.size());
  auto q = path.find_first_of("?#");
  if (q != std::string::npos) path = path.substr(0, q);
  auto slash = path.rfind('/');
  return origin + (slash == std::string::npos ? "/" : path.substr(0, slash + 1)) + relative_location;
}

HttpResponse http_request(const HttpRequest& req) {
  global_init();
  HttpResponse resp;
  resp.url = req.url;
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), &curl_easy_cleanup);
  if (!curl) throw ConnectionError("libcurl: cannot create a handle for " + req.url, req.url);
  CURL* c = curl.get();
  State st{&req, &resp, c};
  curl_easy_setopt(c, CURLOPT_URL, req.url.c_str());
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, req.timeout_s);
  // "Read timeout" as requests has it: give up when no byte arrives for timeout_s seconds.
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, req.timeout_s);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, &on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &st);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &on_write);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &st);
  if (req.method == "HEAD") {
    curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
  } else if (req.method == "POST") {
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, req.body.data());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(req.body.size()));
  } else if (req.method != "GET") {
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, req.method.c_str());
    if (req.body_file.empty()) {
      curl_easy_setopt(c, CURLOPT_POSTFIELDS, req.body.data());
      curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(req.body.size()));
    }
  }
  // A file body is read by libcurl's default read callback (fread) as it sends: no copy in memory.
  std::unique_ptr<FILE, decltype(&std::fclose)> upload(nullptr, &std::fclose);
  if (!req.body_file.empty()) {
    upload.reset(std::fopen(req.body_file.c_str(), "rb"));
    if (!upload) throw ConnectionError("Cannot open '" + req.body_file + "' to upload it", req.url);
    std::fseek(upload.get(), 0, SEEK_END);
    curl_off_t size = std::ftell(upload.get());
    std::fseek(upload.get(), 0, SEEK_SET);
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c, CURLOPT_READDATA, upload.get());
    curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, size);
  }
  std::string proxy = select_proxy(req.proxies, req.url);
  if (!proxy.empty()) curl_easy_setopt(c, CURLOPT_PROXY, proxy.c_str());

  curl_slist* list = nullptr;
  for (const auto& [k, v] : req.headers) list = curl_slist_append(list, (k + ": " + v).c_str());
  list = curl_slist_append(list, "Expect:");  // no "100 Continue" round trip on uploads
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> guard(list, &curl_slist_free_all);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, list);

  CURLcode rc = curl_easy_perform(c);
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp.status);
  if (rc != CURLE_OK && !(st.aborted && rc == CURLE_WRITE_ERROR)) {
    throw ConnectionError(std::string("Connection error for ") + req.method + " " + req.url + ": " +
                              curl_easy_strerror(rc) + (resp.status ? " (HTTP " + std::to_string(resp.status) + ")" : ""),
                          req.url);
  }
  return resp;
}

}  // namespace transformers::hub::detail
