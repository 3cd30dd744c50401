#pragma once
// The one way the library reads a JSON document from a file, a Hub answer or the command line.
// Every reader goes through it so that each gets the same guarantees against hostile input
// (docs/reliability.md, "Resource limits"):
//  - a path must name a regular file after symlinks are resolved (a FIFO would block forever, a
//    device such as /dev/zero would be read without end); it is opened without blocking;
//  - the file is refused before it is read when it is larger than the limit of its kind;
//  - nesting deeper than kJsonMaxDepth is refused while parsing (the serializer and our own
//    recursive readers would otherwise overflow the stack on a value nested 100k deep);
//  - objects are built in linear time in their number of keys (ordered_json's own insertion
//    searches the keys linearly, which made a 100k-key file take tens of seconds);
//  - every failure is a typed transformers::Error naming the file, and text quoted from the input
//    is escaped and shortened (core/quote.hpp).
// Duplicate keys keep the last value at the first key's position, as Python's json module does,
// unless reject_duplicate_keys is set (safetensors headers and shard indexes refuse them).
#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace transformers::io {

// Deepest nesting accepted in any JSON document. Real files nest less than 10 levels; Python's json
// stops near 1000 (its recursion limit). 512 keeps every recursive walk over a parsed value (dump,
// our config and tokenizer readers, each frame at most a few hundred bytes) far from the stack's end.
inline constexpr int kJsonMaxDepth = 512;

// Size limits per kind of file (why each value: docs/reliability.md, "Resource limits").
inline constexpr std::size_t kMiB = std::size_t(1) << 20;
// config.json, generation_config.json, tokenizer_config.json, special_tokens_map.json and other
// settings files: real ones are KBs (a 22k-class id2label is about 1 MB).
inline constexpr std::size_t kConfigJsonMaxBytes = 64 * kMiB;
// model.safetensors.index.json / pytorch_model.bin.index.json: ~100 bytes per tensor; the largest
// real indexes (MoE, ~90k tensors) are about 10 MB.
inline constexpr std::size_t kShardIndexMaxBytes = 64 * kMiB;
// tokenizer.json: the largest real ones (multilingual vocabularies of ~1M tokens) are ~100 MB.
inline constexpr std::size_t kTokenizerJsonMaxBytes = 512 * kMiB;
// A JSON answer of the Hub API (repo info, file listings, commit answers).
inline constexpr std::size_t kHubJsonMaxBytes = 256 * kMiB;

struct JsonReadOptions {
  // What the document is, for messages: "config file", "shard index", "tokenizer file", ...
  std::string_view what = "JSON file";
  std::size_t max_bytes = kConfigJsonMaxBytes;
  int max_depth = kJsonMaxDepth;
  bool reject_duplicate_keys = false;
};

// The bytes of a regular file (after resolving symlinks), at most `max_bytes`. FileNotFoundError when
// it is missing, unreadable or not a regular file (FIFO, device, socket, folder); FormatError when it
// is larger than `max_bytes`. `what` names the kind of file in messages.
std::string read_regular_file(const std::filesystem::path& path, std::size_t max_bytes, std::string_view what);
// FileNotFoundError unless `path` names a regular file after resolving symlinks; never blocks.
void require_regular_file(const std::filesystem::path& path, std::string_view what);

// Parses `text`; `source` names it in messages (a path, a URL, "--heads"). FormatError when it is not
// JSON, nests too deep, is too large or (when asked) repeats a key.
nlohmann::json parse_json(std::string_view text, const std::string& source, const JsonReadOptions& opts = {});
nlohmann::ordered_json parse_ordered_json(std::string_view text, const std::string& source,
                                          const JsonReadOptions& opts = {});

// read_regular_file + parse_json.
nlohmann::json read_json_file(const std::filesystem::path& path, const JsonReadOptions& opts = {});
nlohmann::ordered_json read_ordered_json_file(const std::filesystem::path& path, const JsonReadOptions& opts = {});

// ordered_json objects searched linearly on every operator[]: building or merging one key at a time
// is quadratic in its size (a 100k-label id2label). These do the same in linear time.
// obj[k] = v for every (k, v) of `src`, in src's order (keys new to obj are appended).
void update_ordered(nlohmann::ordered_json& obj, const nlohmann::ordered_json& src);
// Appends (key, value) to an ordered object without looking for `key`: the caller knows it is new.
void append_new_key(nlohmann::ordered_json& obj, std::string key, nlohmann::ordered_json value);

}  // namespace transformers::io
