// Added tokens: found leftmost-longest in the raw text (normalized=false) or in the normalized
// pieces (normalized=true) before the pre-tokenizer runs; single_word, lstrip and rstrip apply.
#include "tokenizers/components.hpp"
#include "tokenizers/unicode.hpp"

namespace transformers::tokenizers_detail {

void AddedVocabulary::Trie::insert(std::string_view s, int32_t token) {
  int32_t node = 0;
  for (unsigned char c : s) {
    auto it = nodes[static_cast<std::size_t>(node)].next.find(c);
    if (it == nodes[static_cast<std::size_t>(node)].next.end()) {
      int32_t nn = static_cast<int32_t>(nodes.size());
      nodes[static_cast<std::size_t>(node)].next.emplace(c, nn);
      nodes.emplace_back();
      node = nn;
    } else {
      node = it->second;
    }
  }
  if (nodes[static_cast<std::size_t>(node)].token < 0) nodes[static_cast<std::size_t>(node)].token = token;
  if (!s.empty()) first_byte[static_cast<unsigned char>(s[0])] = true;
}

std::pair<std::size_t, int32_t> AddedVocabulary::Trie::longest(std::string_view text, std::size_t pos) const {
  int32_t node = 0;
  std::pair<std::size_t, int32_t> best{pos, -1};
  for (std::size_t k = pos; k < text.size(); ++k) {
    const auto& nx = nodes[static_cast<std::size_t>(node)].next;
    auto it = nx.find(static_cast<unsigned char>(text[k]));
    if (it == nx.end()) break;
    node = it->second;
    if (nodes[static_cast<std::size_t>(node)].token >= 0) best = {k + 1, nodes[static_cast<std::size_t>(node)].token};
  }
  return best;
}

void AddedVocabulary::add(const AddedTokenInfo& t) {
  if (t.content.empty()) return;
  by_content_[t.content] = t.id;
  by_id_[t.id] = tokens_.size();
  tokens_.push_back(t);
}

int32_t AddedVocabulary::add_like_hf(AddedTokenInfo t, const Model& model) {
  if (t.content.empty()) return -1;
  auto known = by_content_.find(t.content);
  std::optional<int32_t> id;
  if (known != by_content_.end()) id = known->second;
  else id = model.token_to_id(t.content);
  if (!id) {
    const int32_t vs = static_cast<int32_t>(model.vocab_size());
    if (tokens_.empty()) {
      id = vs;
    } else {
      int32_t mx = tokens_.front().id;
      for (const auto& x : tokens_) mx = std::max(mx, x.id);
      id = (mx >= vs || vs == 0) ? mx + 1 : vs;
    }
  }
  t.id = *id;
  auto same_id = by_id_.find(t.id);
  if (known != by_content_.end() && by_id_.count(known->second)) {
    tokens_[by_id_[known->second]] = t;  // same content again: the later flags win
  } else if (same_id != by_id_.end()) {
    by_content_.erase(tokens_[same_id->second].content);
    tokens_[same_id->second] = t;
    by_content_[t.content] = t.id;
  } else {
    add(t);
  }
  return t.id;
}

void AddedVocabulary::build(const Normalizer* normalizer) {
  raw_ = Trie{};
  norm_ = Trie{};
  for (std::size_t i = 0; i < tokens_.size(); ++i) {
    const auto& t = tokens_[i];
    if (t.normalized) {
      std::string n = normalizer ? normalize_str(*normalizer, t.content) : t.content;
      norm_.insert(n, static_cast<int32_t>(i));
    } else {
      raw_.insert(t.content, static_cast<int32_t>(i));
    }
  }
}

namespace {
char32_t last_char(std::string_view s) {
  std::size_t i = s.size() - 1;
  while (i > 0 && (static_cast<unsigned char>(s[i]) & 0xC0) == 0x80) --i;
  std::size_t k = i;
  return next_cp(s, k);
}
}  // namespace

void AddedVocabulary::split_one(const Split& s, const Trie& trie, bool encode_special_tokens,
                                std::vector<Split>& out) const {
  const std::string& text = s.normalized.get();
  struct M {
    std::size_t start, stop;
    int32_t idx;
  };
  std::vector<M> matches;
  std::size_t pos = 0, start_offset = 0;
  while (pos < text.size()) {
    if (!trie.first_byte[static_cast<unsigned char>(text[pos])]) { ++pos; continue; }
    auto [end, idx] = trie.longest(text, pos);
    if (idx < 0) { ++pos; continue; }
    std::size_t start = pos, stop = end;
    pos = end;
    const AddedTokenInfo& t = tokens_[static_cast<std::size_t>(idx)];
    if (encode_special_tokens && t.special) continue;
    if (t.single_word) {
      bool start_ok = start == 0 || !is_word_char(last_char(std::string_view(text).substr(0, start)));
      bool stop_ok = true;
      if (stop < text.size()) {
        std::size_t k = stop;
        stop_ok = !is_word_char(next_cp(text, k));
      }
      if (!start_ok || !stop_ok) continue;
    }
    if (t.lstrip) {
      std::size_t ns = start;
      while (ns > start_offset) {
        std::size_t p = ns - 1;
        while (p > 0 && (static_cast<unsigned char>(text[p]) & 0xC0) == 0x80) --p;
        std::size_t k = p;
        if (!is_whitespace(next_cp(text, k))) break;
        ns = p;
      }
      start = std::max(ns, start_offset);
    }
    if (t.rstrip) {
      while (stop < text.size()) {
        std::size_t k = stop;
        if (!is_whitespace(next_cp(text, k))) break;
        stop = k;
      }
    }
    if (start < start_offset) continue;
    matches.push_back({start, stop, idx});
    start_offset = stop;
    if (pos < stop) pos = stop;
  }
  if (matches.empty()) {
    out.push_back(s);
    return;
  }
  std::size_t prev = 0;
  for (const auto& m : matches) {
    if (m.start > prev) out.push_back(Split{s.normalized.slice(prev, m.start), std::nullopt});
    const AddedTokenInfo& t = tokens_[static_cast<std::size_t>(m.idx)];
    out.push_back(Split{s.normalized.slice(m.start, m.stop),
                        // The token's text is what was matched, stripped whitespace included.
                        std::vector<Token>{Token{t.id, text.substr(m.start, m.stop - m.start), 0,
                                                 static_cast<uint32_t>(m.stop - m.start)}}});
    prev = m.stop;
  }
  if (prev < text.size()) out.push_back(Split{s.normalized.slice(prev, text.size()), std::nullopt});
}

void AddedVocabulary::extract(std::vector<Split>& splits, bool normalized_pass, bool encode_special_tokens) const {
  const Trie& trie = normalized_pass ? norm_ : raw_;
  if (trie.empty()) return;
  std::vector<Split> out;
  out.reserve(splits.size() + 4);
  for (auto& s : splits) {
    if (s.tokens) out.push_back(std::move(s));
    else split_one(s, trie, encode_special_tokens, out);
  }
  splits = std::move(out);
}

std::optional<int32_t> AddedVocabulary::token_to_id(std::string_view s) const {
  auto it = by_content_.find(std::string(s));
  if (it == by_content_.end()) return std::nullopt;
  return it->second;
}

std::optional<std::string> AddedVocabulary::id_to_token(int32_t id) const {
  auto it = by_id_.find(id);
  if (it == by_id_.end()) return std::nullopt;
  return tokens_[it->second].content;
}

bool AddedVocabulary::is_special(std::string_view content) const {
  auto it = by_content_.find(std::string(content));
  if (it == by_content_.end()) return false;
  return tokens_[by_id_.at(it->second)].special;
}

}  // namespace transformers::tokenizers_detail
