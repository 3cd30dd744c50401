#pragma once
// The safetensors header JSON, parsed two ways with one result. The full path (nlohmann::json with a
// duplicate-key check) accepts any JSON and raises the precise FormatError; the fast path reads only
// the canonical subset every writer produces (ASCII names without escapes, exactly dtype / shape /
// data_offsets with non-negative integers, __metadata__ as an object of strings) and answers
// nullopt for anything else, so the caller re-parses with the full path. Where the fast path
// answers, its result equals the full path's (tests/io/test_safetensors_header.cpp checks this on
// real headers and on mutated ones). The full path was ~280 instructions per header byte, 30 % of
// a GPT-2 from_pretrained.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "transformers/io/safetensors.hpp"

namespace transformers::io::detail {

struct HeaderEntry {
  std::string name;
  const SafetensorsDType* dtype = nullptr;
  Shape shape;
  uint64_t begin = 0, end = 0;
  bool operator==(const HeaderEntry&) const = default;
};

struct ParsedHeader {
  std::vector<HeaderEntry> entries;  // in key order (the order a JSON object map iterates)
  Metadata metadata;
  bool has_metadata = false;  // __metadata__ present and not null
  bool operator==(const ParsedHeader&) const = default;
};

// Full JSON parse; throws FormatError naming `file` (the checks of spec §1.5 step 3 and the shape
// of each entry; offsets are checked by the caller).
ParsedHeader parse_header_json(std::string_view json, const std::string& file);
// Canonical-subset parse; nullopt when the text is outside it (never throws for any input bytes).
std::optional<ParsedHeader> parse_header_fast(std::string_view json);

}  // namespace transformers::io::detail
