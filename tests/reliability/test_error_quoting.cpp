// Issue 29 item 12: every value from an input that an error message shows goes through the one
// quoting helper (core/quote.hpp: escaped, at most kQuotedInputMaxBytes), so a library caller sees
// the same bounded, printable text as the CLI's error line. The JSON values the messages show are
// `x.dump()`: a source scan checks that each one inside a `throw` is an argument of quote_input,
// escape_input or one_line (before, 35 were not, e.g. a 60 KB rope_scaling or id2label quoted in full).
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

// Whether position `at` of `stmt` lies inside the parentheses of a call of one of the helpers.
bool inside_quoting_call(const std::string& stmt, size_t at) {
  std::vector<std::string> open;  // the callee name of each unclosed '('
  for (size_t i = 0; i < at; ++i) {
    if (stmt[i] == '(') {
      size_t b = i;
      while (b > 0 && (std::isalnum(static_cast<unsigned char>(stmt[b - 1])) || stmt[b - 1] == '_')) --b;
      open.push_back(stmt.substr(b, i - b));
    } else if (stmt[i] == ')' && !open.empty()) {
      open.pop_back();
    }
  }
  for (const auto& name : open)
    if (name == "quote_input" || name == "escape_input" || name == "one_line") return true;
  return false;
}

TEST(ErrorQuoting, JsonValuesInThrownMessagesGoThroughTheQuotingHelper) {
  std::vector<std::string> unquoted;
  int throws_with_values = 0;
  for (const char* root : {"src", "tools"}) {
    for (const auto& e : fs::recursive_directory_iterator(fs::path(TRANSFORMERS_SOURCE_DIR) / root)) {
      const std::string ext = e.path().extension().string();
      if (!e.is_regular_file() || (ext != ".cpp" && ext != ".hpp")) continue;
      std::ifstream in(e.path());
      std::stringstream ss;
      ss << in.rdbuf();
      const std::string text = ss.str();
      for (size_t t = text.find("throw "); t != std::string::npos; t = text.find("throw ", t + 1)) {
        const size_t end = text.find(';', t);
        const std::string stmt = text.substr(t, end - t);
        bool counted = false;
        for (size_t d = stmt.find("dump()"); d != std::string::npos; d = stmt.find("dump()", d + 1)) {
          if (!counted) ++throws_with_values, counted = true;
          if (!inside_quoting_call(stmt, d)) {
            const size_t line = size_t(std::count(text.begin(), text.begin() + long(t), '\n')) + 1;
            unquoted.push_back(fs::relative(e.path(), TRANSFORMERS_SOURCE_DIR).string() + ":" + std::to_string(line));
          }
        }
      }
    }
  }
  // The scan must see the throws it is about (a broken scan would pass vacuously).
  EXPECT_GE(throws_with_values, 30);
  std::string list;
  for (const auto& u : unquoted) list += "\n  " + u;
  EXPECT_TRUE(unquoted.empty()) << "JSON values thrown without quote_input / escape_input:" << list;
}

}  // namespace
