#pragma once
// JSON string literals exactly as serde_json (safetensors' Rust writer) writes them: only '"', '\\'
// and control characters are escaped (\b \f \n \r \t, others as \u00xx in lowercase hex); every
// other byte, non-ASCII UTF-8 included, is copied as is.
#include <string>
#include <string_view>

namespace transformers::io::detail {

void append_json_string(std::string& out, std::string_view s);
// True when `s` is well-formed UTF-8 (no overlongs, no surrogates, at most U+10FFFF).
bool is_valid_utf8(std::string_view s);

}  // namespace transformers::io::detail
