// The JSON reading path every reader shares (include/transformers/io/json_file.hpp says why).
#include "transformers/io/json_file.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <type_traits>
#include <unordered_map>
#include <vector>

#include "transformers/core/error.hpp"
#include "transformers/core/quote.hpp"

namespace transformers::io {

namespace fs = std::filesystem;

namespace {

std::string named(std::string_view what, const std::string& source) {
  return std::string(what) + " " + quote_input(source, 1024);
}

const char* file_type_name(mode_t m) {
  if (S_ISDIR(m)) return "a folder";
  if (S_ISFIFO(m)) return "a FIFO";
  if (S_ISCHR(m)) return "a character device";
  if (S_ISBLK(m)) return "a block device";
  if (S_ISSOCK(m)) return "a socket";
  return "not a regular file";
}

// Opens without blocking (O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer)
// and checks the type on the opened descriptor, so the file checked is the file read.
int open_regular(const fs::path& path, std::string_view what, struct stat& st) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    throw FileNotFoundError("cannot open " + named(what, path.string()) + ": " + std::strerror(err));
  }
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    throw FileNotFoundError(named(what, path.string()) + " must be a regular file, found " +
                            file_type_name(st.st_mode));
  }
  return fd;
}

std::string too_large(std::string_view what, const std::string& source, std::size_t max_bytes) {
  return named(what, source) + " is larger than the limit of " + std::to_string(max_bytes / kMiB) +
         " MiB for a " + std::string(what) + " (docs/reliability.md, Resource limits)";
}

// nlohmann's parse_error text without its "[json.exception.parse_error.101] " prefix, with the raw
// "last read: '<bytes>'" replaced by the same bytes escaped and shortened.
std::string parse_error_detail(const std::string& what, const std::string& last_token) {
  std::string msg = what;
  if (msg.rfind("[json.exception.", 0) == 0) {
    const auto close = msg.find("] ");
    if (close != std::string::npos) msg.erase(0, close + 2);
  }
  const std::string raw = "last read: '" + last_token + "'";
  const auto at = msg.find(raw);
  if (at != std::string::npos) msg.replace(at, raw.size(), "last read: " + quote_input(last_token, 64));
  return one_line(msg, 1024);
}

// A SAX consumer that builds the DOM: nlohmann's parser is iterative, so together with the depth
// check here nothing recurses on the input's nesting. For ordered_json (a vector of pairs whose
// insert searches linearly) each open object keeps a hash index of its keys and appends directly.
template <class J>
class DomBuilder {
 public:
  using string_t = typename J::string_t;
  static constexpr bool kOrdered = requires { typename J::object_t::Container; };

  DomBuilder(const std::string& source, const JsonReadOptions& opts) : source_(source), opts_(opts) {}

  bool null() { return put(J(nullptr)); }
  bool boolean(bool v) { return put(J(v)); }
  bool number_integer(typename J::number_integer_t v) { return put(J(v)); }
  bool number_unsigned(typename J::number_unsigned_t v) { return put(J(v)); }
  bool number_float(typename J::number_float_t v, const string_t&) { return put(J(v)); }
  bool string(string_t& v) { return put(J(std::move(v))); }
  bool binary(typename J::binary_t& v) { return put(J::binary(std::move(v))); }
  bool start_object(std::size_t) { return open(J::object()); }
  bool start_array(std::size_t) { return open(J::array()); }
  bool end_object() { return close(); }
  bool end_array() { return close(); }

  bool key(string_t& k) {
    Frame& f = frames_.back();
    if (opts_.reject_duplicate_keys) {
      const bool seen = kOrdered ? f.index.count(k) != 0 : f.value->contains(k);
      if (seen) throw FormatError(named(opts_.what, source_) + ": duplicate key " + quote_input(k));
    }
    key_ = std::move(k);
    return true;
  }

  bool parse_error(std::size_t, const std::string& last_token, const nlohmann::detail::exception& ex) {
    throw FormatError(named(opts_.what, source_) + " is not valid JSON: " + parse_error_detail(ex.what(), last_token));
  }

  J take() { return std::move(root_); }

 private:
  struct Frame {
    J* value;
    std::unordered_map<std::string, std::size_t> index;  // ordered objects: key -> position
  };

  J* place(J&& v) {
    if (frames_.empty()) {
      root_ = std::move(v);
      return &root_;
    }
    Frame& f = frames_.back();
    if (f.value->is_array()) {
      auto& arr = f.value->template get_ref<typename J::array_t&>();
      arr.push_back(std::move(v));
      return &arr.back();
    }
    auto& obj = f.value->template get_ref<typename J::object_t&>();
    if constexpr (kOrdered) {
      auto& pairs = static_cast<typename J::object_t::Container&>(obj);
      auto [it, fresh] = f.index.try_emplace(key_, pairs.size());
      if (!fresh) {
        pairs[it->second].second = std::move(v);
        return &pairs[it->second].second;
      }
      pairs.emplace_back(std::move(key_), std::move(v));
      return &pairs.back().second;
    } else {
      return &obj.insert_or_assign(std::move(key_), std::move(v)).first->second;
    }
  }

  bool put(J&& v) {
    place(std::move(v));
    return true;
  }

  bool open(J&& container) {
    if (frames_.size() >= std::size_t(opts_.max_depth))
      throw FormatError(named(opts_.what, source_) + " nests JSON values deeper than " +
                        std::to_string(opts_.max_depth) + " levels (docs/reliability.md, Resource limits)");
    J* at = place(std::move(container));
    frames_.push_back(Frame{at, {}});
    return true;
  }

  bool close() {
    frames_.pop_back();
    return true;
  }

  const std::string& source_;
  const JsonReadOptions& opts_;
  J root_;
  std::vector<Frame> frames_;
  std::string key_;
};

template <class J>
J parse_as(std::string_view text, const std::string& source, const JsonReadOptions& opts) {
  if (text.size() > opts.max_bytes) throw FormatError(too_large(opts.what, source, opts.max_bytes));
  DomBuilder<J> builder(source, opts);
  J::sax_parse(text.begin(), text.end(), &builder);
  return builder.take();
}

}  // namespace

void require_regular_file(const fs::path& path, std::string_view what) {
  struct stat st {};
  ::close(open_regular(path, what, st));
}

std::string read_regular_file(const fs::path& path, std::size_t max_bytes, std::string_view what) {
  struct stat st {};
  const int fd = open_regular(path, what, st);
  if (std::size_t(st.st_size) > max_bytes) {
    ::close(fd);
    throw FormatError(too_large(what, path.string(), max_bytes));
  }
  std::string out(std::size_t(st.st_size), '\0');
  std::size_t got = 0;
  for (;;) {
    if (got == out.size()) {
      // The file may have grown since fstat: read on, still within the limit.
      if (out.size() > max_bytes) break;
      out.resize(std::min(max_bytes + 1, out.size() + 65536));
      if (got == out.size()) break;
    }
    const ssize_t n = ::read(fd, out.data() + got, out.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      throw EnvironmentError("cannot read " + named(what, path.string()) + ": " + std::strerror(err));
    }
    if (n == 0) break;
    got += std::size_t(n);
  }
  ::close(fd);
  out.resize(got);
  if (got > max_bytes) throw FormatError(too_large(what, path.string(), max_bytes));
  return out;
}

nlohmann::json parse_json(std::string_view text, const std::string& source, const JsonReadOptions& opts) {
  return parse_as<nlohmann::json>(text, source, opts);
}

nlohmann::ordered_json parse_ordered_json(std::string_view text, const std::string& source,
                                          const JsonReadOptions& opts) {
  return parse_as<nlohmann::ordered_json>(text, source, opts);
}

nlohmann::json read_json_file(const fs::path& path, const JsonReadOptions& opts) {
  return parse_json(read_regular_file(path, opts.max_bytes, opts.what), path.string(), opts);
}

nlohmann::ordered_json read_ordered_json_file(const fs::path& path, const JsonReadOptions& opts) {
  return parse_ordered_json(read_regular_file(path, opts.max_bytes, opts.what), path.string(), opts);
}

void update_ordered(nlohmann::ordered_json& obj, const nlohmann::ordered_json& src) {
  auto& pairs = static_cast<nlohmann::ordered_json::object_t::Container&>(
      obj.get_ref<nlohmann::ordered_json::object_t&>());
  pairs.reserve(pairs.size() + src.size());  // first: the views below must not move while appending
  std::unordered_map<std::string_view, std::size_t> index;
  index.reserve(pairs.size());
  for (std::size_t i = 0; i < pairs.size(); ++i) index.emplace(pairs[i].first, i);
  for (auto it = src.begin(); it != src.end(); ++it) {
    const auto found = index.find(it.key());
    if (found != index.end()) {
      pairs[found->second].second = it.value();
    } else {
      pairs.emplace_back(it.key(), it.value());
      index.emplace(pairs.back().first, pairs.size() - 1);
    }
  }
}

void append_new_key(nlohmann::ordered_json& obj, std::string key, nlohmann::ordered_json value) {
  static_cast<nlohmann::ordered_json::object_t::Container&>(obj.get_ref<nlohmann::ordered_json::object_t&>())
      .emplace_back(std::move(key), std::move(value));
}

}  // namespace transformers::io
