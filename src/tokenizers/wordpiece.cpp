// WordPiece: greedy longest-match-first; a word that cannot be covered becomes one unk. A candidate
// piece is never longer than the longest vocab entry, so the match loop starts there instead of at
// the end of the word: linear in the word's length instead of cubic (a 10k-char word with a large
// max_input_chars_per_word took 19 s), with the same pieces, as no longer substring can match.
#include "tokenizers/models.hpp"

#include <algorithm>

#include "tokenizers/unicode.hpp"
#include "transformers/core/error.hpp"

namespace transformers::tokenizers_detail {

namespace {

class WordPiece : public VocabModel {
 public:
  std::string unk_token, prefix;
  std::size_t max_chars = 100;
  std::size_t max_key_bytes = 0;  // longest vocab entry, in bytes

  int32_t unk_id() const {
    auto it = vocab_.find(unk_token);
    if (it == vocab_.end()) throw ValueError("WordPiece: unk_token '" + unk_token + "' is not in the vocab_");
    return it->second;
  }

  void tokenize(std::string_view word, std::vector<Token>& out) const override {
    if (word.empty()) return;
    const uint32_t len = static_cast<uint32_t>(word.size());
    if (count_chars(word) > max_chars) {
      out.push_back({unk_id(), unk_token, 0, len});
      return;
    }
    std::size_t first = out.size();
    std::string buf;
    std::size_t start = 0;
    while (start < word.size()) {
      // Longest sub whose lookup key (with the prefix after the first piece) fits a vocab entry,
      // cut back to a character boundary.
      const std::size_t key_extra = start > 0 ? prefix.size() : 0;
      const std::size_t budget = max_key_bytes > key_extra ? max_key_bytes - key_extra : 0;
      std::size_t end = std::min(word.size(), start + budget);
      while (end > start && end < word.size() && (static_cast<unsigned char>(word[end]) & 0xC0) == 0x80) --end;
      bool found = false;
      while (start < end) {
        std::string_view sub = word.substr(start, end - start);
        if (start > 0) {
          buf.assign(prefix);
          buf.append(sub);
          sub = buf;
        }
        auto it = vocab_.find(sub);
        if (it != vocab_.end()) {
          out.push_back({it->second, std::string(sub), static_cast<uint32_t>(start), static_cast<uint32_t>(end)});
          found = true;
          break;
        }
        // Drop the last char.
        --end;
        while (end > start && (static_cast<unsigned char>(word[end]) & 0xC0) == 0x80) --end;
      }
      if (!found) {
        out.resize(first);
        out.push_back({unk_id(), unk_token, 0, len});
        return;
      }
      start = end;
    }
  }

};

}  // namespace

std::unique_ptr<Model> make_wordpiece(const json& j, const std::string& where) {
  auto m = std::make_unique<WordPiece>();
  read_vocab_object(field(j, "vocab", where), where + ".vocab", m->vocab_, m->vocab_r);
  for (const auto& [token, id] : m->vocab_) m->max_key_bytes = std::max(m->max_key_bytes, token.size());
  m->unk_token = get_opt_string(j, "unk_token", where).value_or("[UNK]");
  m->prefix = get_opt_string(j, "continuing_subword_prefix", where).value_or("##");
  int64_t mx = get_int(j, "max_input_chars_per_word", where, 100);
  if (mx < 0) throw FormatError(where + ".max_input_chars_per_word: must not be negative");
  m->max_chars = static_cast<std::size_t>(mx);
  return m;
}

}  // namespace transformers::tokenizers_detail
