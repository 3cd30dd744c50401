#pragma once
// Bytes from an input (a file, a Hub answer, the command line) put into an error message. A damaged
// or hostile file must not be able to split one error line into several (forging `error:` lines),
// send terminal escape sequences, make the message invalid UTF-8 or make it megabytes long, so every
// quoted piece goes through escape_input, and the CLI passes the whole message through one_line.
#include <cstddef>
#include <string>
#include <string_view>

namespace transformers {

// How many bytes of one quoted value an error message shows (the rest is summarised by its length).
inline constexpr std::size_t kQuotedInputMaxBytes = 200;
// The longest error line the CLI prints.
inline constexpr std::size_t kErrorLineMaxBytes = 4096;

// `s` escaped: backslash as \\, newline/CR/tab as \n \r \t, other C0 controls, DEL and bytes that are
// not part of well-formed UTF-8 as \xNN, C1 controls and the Unicode line separators and bidi
// overrides as \u{XXXX}; other UTF-8 text is kept. Longer than `max_bytes` of output: cut at a
// character boundary and followed by "... (N bytes in all)". The result is valid UTF-8 without
// control characters.
std::string escape_input(std::string_view s, std::size_t max_bytes = kQuotedInputMaxBytes);
// escape_input between single quotes: 'value'.
std::string quote_input(std::string_view s, std::size_t max_bytes = kQuotedInputMaxBytes);
// A whole message made one printable line: the same escaping as escape_input except that a
// backslash is kept as is (messages already hold escaped text), bounded by `max_bytes`.
std::string one_line(std::string_view msg, std::size_t max_bytes = kErrorLineMaxBytes);

// True when `s` is well-formed UTF-8 (no overlongs, no surrogates, at most U+10FFFF).
bool is_valid_utf8(std::string_view s);

}  // namespace transformers
