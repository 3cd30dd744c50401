#include "fake_http_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace transformers::testing {
namespace {

const char* reason(int s) {
  switch (s) {
    case 200: return "OK";
    case 201: return "Created";
    case 206: return "Partial Content";
    case 302: return "Found";
    case 307: return "Temporary Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 409: return "Conflict";
    case 412: return "Precondition Failed";
    case 415: return "Unsupported Media Type";
    case 416: return "Range Not Satisfiable";
    case 422: return "Unprocessable Entity";
    case 500: return "Internal Server Error";
    default: return "Status";
  }
}

bool send_all(int fd, const char* p, size_t n) {
  while (n > 0) {
    ssize_t w = ::send(fd, p, n, MSG_NOSIGNAL);
    if (w <= 0) return false;
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

}  // namespace

HttpServer::HttpServer(Handler handler) : handler_(std::move(handler)) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(listen_fd_, 16) != 0)
    throw std::runtime_error("fake server: cannot listen on 127.0.0.1");
  socklen_t len = sizeof addr;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  thread_ = std::thread([this] { loop(); });
}

HttpServer::~HttpServer() {
  stop_ = true;
  thread_.join();
  ::close(listen_fd_);
}

void HttpServer::loop() {
  while (!stop_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 20) <= 0) continue;
    int fd = ::accept(listen_fd_, nullptr, nullptr);
    if (fd < 0) continue;
    serve(fd);
    ::close(fd);
  }
}

void HttpServer::serve(int fd) {
  std::string buf;
  char tmp[65536];
  size_t header_end;
  while ((header_end = buf.find("\r\n\r\n")) == std::string::npos) {
    ssize_t r = ::recv(fd, tmp, sizeof tmp, 0);
    if (r <= 0) return;
    buf.append(tmp, static_cast<size_t>(r));
  }
  ServerRequest req;
  std::string head = buf.substr(0, header_end);
  size_t eol = head.find("\r\n");
  std::string line = head.substr(0, eol);
  size_t s1 = line.find(' '), s2 = line.rfind(' ');
  req.method = line.substr(0, s1);
  req.target = line.substr(s1 + 1, s2 - s1 - 1);
  size_t pos = eol == std::string::npos ? head.size() : eol + 2;
  while (pos < head.size()) {
    size_t e = head.find("\r\n", pos);
    if (e == std::string::npos) e = head.size();
    std::string h = head.substr(pos, e - pos);
    size_t c = h.find(':');
    if (c != std::string::npos) {
      std::string k = h.substr(0, c), v = h.substr(c + 1);
      std::transform(k.begin(), k.end(), k.begin(), [](unsigned char ch) { return std::tolower(ch); });
      v.erase(0, v.find_first_not_of(' '));
      req.headers[k] = v;
    }
    pos = e + 2;
  }
  req.body = buf.substr(header_end + 4);
  if (req.header("transfer-encoding").find("chunked") != std::string::npos) {
    // Chunked request body (a client streaming from a generator): read until the 0-size chunk.
    std::string raw = req.body, body;
    size_t pos = 0;
    for (;;) {
      size_t eol = raw.find("\r\n", pos);
      while (eol == std::string::npos) {
        ssize_t r = ::recv(fd, tmp, sizeof tmp, 0);
        if (r <= 0) return;
        raw.append(tmp, static_cast<size_t>(r));
        eol = raw.find("\r\n", pos);
      }
      size_t n = std::stoul(raw.substr(pos, eol - pos), nullptr, 16);
      while (raw.size() < eol + 2 + n + 2) {
        ssize_t r = ::recv(fd, tmp, sizeof tmp, 0);
        if (r <= 0) return;
        raw.append(tmp, static_cast<size_t>(r));
      }
      if (n == 0) break;
      body += raw.substr(eol + 2, n);
      pos = eol + 2 + n + 2;
    }
    req.body = body;
  } else {
    size_t want = req.headers.count("content-length") ? std::stoul(req.headers["content-length"]) : 0;
    while (req.body.size() < want) {
      ssize_t r = ::recv(fd, tmp, sizeof tmp, 0);
      if (r <= 0) return;
      req.body.append(tmp, static_cast<size_t>(r));
    }
  }
  ServerResponse resp = handler_(req);
  bool has_length = false;
  std::string out = "HTTP/1.1 " + std::to_string(resp.status) + " " + reason(resp.status) + "\r\n";
  for (const auto& [k, v] : resp.headers) {
    std::string lk = k;
    std::transform(lk.begin(), lk.end(), lk.begin(), [](unsigned char ch) { return std::tolower(ch); });
    if (lk == "content-length") has_length = true;
    out += k + ": " + v + "\r\n";
  }
  if (!has_length) out += "Content-Length: " + std::to_string(resp.body.size()) + "\r\n";
  out += "Connection: close\r\n\r\n";
  if (!send_all(fd, out.data(), out.size())) return;
  if (req.method == "HEAD") return;
  size_t n = resp.cut_after >= 0 ? std::min(resp.body.size(), static_cast<size_t>(resp.cut_after)) : resp.body.size();
  send_all(fd, resp.body.data(), n);
}

}  // namespace transformers::testing
