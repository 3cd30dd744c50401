// Unigram: Viterbi over byte positions with a trie of all pieces; consecutive unknowns fused.
#include <limits>

#include "tokenizers/models.hpp"
#include "tokenizers/unicode.hpp"
#include "transformers/core/error.hpp"

namespace transformers::tokenizers_detail {

namespace {

class Unigram : public Model {
 public:
  std::vector<std::pair<std::string, double>> pieces;
  VocabMap token_to_ids;
  int32_t unk_id = -1;
  bool byte_fallback = false;
  double min_score = 0.0;
  // Trie: node i's children are found in `edges` keyed by (node << 8 | byte).
  std::unordered_map<uint64_t, int32_t> edges;
  std::vector<int32_t> node_piece{-1};
  int32_t byte_ids[256];

  void build_trie() {
    for (std::size_t id = 0; id < pieces.size(); ++id) {
      const std::string& s = pieces[id].first;
      if (s.empty()) continue;
      int32_t node = 0;
      for (unsigned char c : s) {
        uint64_t k = (static_cast<uint64_t>(node) << 8) | c;
        auto it = edges.find(k);
        if (it == edges.end()) {
          int32_t nn = static_cast<int32_t>(node_piece.size());
          node_piece.push_back(-1);
          edges.emplace(k, nn);
          node = nn;
        } else {
          node = it->second;
        }
      }
      // The id a string maps to is the last one listed with that string.
      node_piece[static_cast<std::size_t>(node)] = static_cast<int32_t>(id);
    }
  }

  void tokenize(std::string_view text, std::vector<Token>& out) const override {
    if (text.empty()) return;
    const std::size_t size = text.size();
    struct Node {
      double score = 0.0;
      int32_t start = -1;
      int32_t id = -1;
    };
    std::vector<Node> best(size + 1);
    const double unk_score = min_score - 10.0;
    std::size_t pos = 0;
    while (pos < size) {
      const double here = best[pos].score;
      const std::size_t mblen = utf8_len(static_cast<unsigned char>(text[pos]));
      bool has_single = false;
      int32_t node = 0;
      for (std::size_t k = pos; k < size; ++k) {
        auto it = edges.find((static_cast<uint64_t>(node) << 8) | static_cast<unsigned char>(text[k]));
        if (it == edges.end()) break;
        node = it->second;
        int32_t id = node_piece[static_cast<std::size_t>(node)];
        if (id < 0) continue;
        std::size_t end = k + 1;
        double cand = here + pieces[static_cast<std::size_t>(id)].second;
        Node& t = best[end];
        if (t.start < 0 || cand > t.score) {
          t.score = cand;
          t.start = static_cast<int32_t>(pos);
          t.id = id;
        }
        if (end - pos == mblen) has_single = true;
      }
      if (!has_single) {
        if (unk_id < 0) throw ValueError("Unigram: the text needs an unknown token but the model has no unk_id");
        Node& t = best[std::min(pos + mblen, size)];
        double cand = here + unk_score;
        if (t.start < 0 || cand > t.score) {
          t.score = cand;
          t.start = static_cast<int32_t>(pos);
          t.id = unk_id;
        }
      }
      pos += mblen;
    }
    // Backtrack, fusing consecutive unknowns.
    std::vector<std::pair<std::size_t, std::size_t>> spans;
    std::size_t end = size;
    std::size_t unk_end = 0;
    bool in_unk = false;
    while (end > 0) {
      const Node& n = best[end];
      std::size_t start = static_cast<std::size_t>(n.start);
      if (unk_id >= 0 && n.id == unk_id) {
        if (!in_unk) {
          in_unk = true;
          unk_end = end;
        }
      } else {
        if (in_unk) {
          spans.emplace_back(end, unk_end);
          in_unk = false;
        }
        spans.emplace_back(start, end);
      }
      end = start;
    }
    if (in_unk) spans.emplace_back(0, unk_end);
    for (auto it = spans.rbegin(); it != spans.rend(); ++it) {
      auto [s, e] = *it;
      std::string_view str = text.substr(s, e - s);
      auto f = token_to_ids.find(str);
      if (f != token_to_ids.end()) {
        out.push_back({f->second, std::string(str), static_cast<uint32_t>(s), static_cast<uint32_t>(e)});
        continue;
      }
      if (byte_fallback) {
        bool all = true;
        for (unsigned char b : str)
          if (byte_ids[b] < 0) { all = false; break; }
        if (all) {
          for (unsigned char b : str)
            out.push_back({byte_ids[b], pieces[static_cast<std::size_t>(byte_ids[b])].first, static_cast<uint32_t>(s),
                           static_cast<uint32_t>(e)});
          continue;
        }
      }
      if (unk_id < 0) throw ValueError("Unigram: the text needs an unknown token but the model has no unk_id");
      // The token keeps the text it covers (Python shows e.g. 'Å', not '<unk>').
      out.push_back({unk_id, std::string(str), static_cast<uint32_t>(s), static_cast<uint32_t>(e)});
    }
  }

  std::optional<int32_t> token_to_id(std::string_view t) const override {
    auto it = token_to_ids.find(t);
    if (it == token_to_ids.end()) return std::nullopt;
    return it->second;
  }
  std::optional<std::string> id_to_token(int32_t id) const override {
    if (id < 0 || static_cast<std::size_t>(id) >= pieces.size()) return std::nullopt;
    return pieces[static_cast<std::size_t>(id)].first;
  }
  std::size_t vocab_size() const override { return pieces.size(); }
  std::unordered_map<std::string, int32_t> vocab() const override {
    return std::unordered_map<std::string, int32_t>(token_to_ids.begin(), token_to_ids.end());
  }
};

}  // namespace

std::unique_ptr<Model> make_unigram(const json& j, const std::string& where) {
  auto m = std::make_unique<Unigram>();
  const json& v = field(j, "vocab", where);
  if (!v.is_array()) throw FormatError(where + ".vocab: expected an array of [piece, score]");
  m->pieces.reserve(v.size());
  double mn = std::numeric_limits<double>::infinity();
  for (std::size_t i = 0; i < v.size(); ++i) {
    const json& e = v[i];
    if (!e.is_array() || e.size() != 2 || !e[0].is_string() || !e[1].is_number())
      throw FormatError(where + ".vocab[" + std::to_string(i) + "]: expected [piece, score]");
    m->pieces.emplace_back(e[0].get<std::string>(), e[1].get<double>());
    m->token_to_ids[m->pieces.back().first] = static_cast<int32_t>(i);
    mn = std::min(mn, m->pieces.back().second);
  }
  m->min_score = m->pieces.empty() ? 0.0 : mn;
  if (j.contains("unk_id") && !j["unk_id"].is_null()) {
    int64_t u = get_int(j, "unk_id", where);
    if (u < 0 || static_cast<std::size_t>(u) >= m->pieces.size())
      throw FormatError(where + ".unk_id: " + std::to_string(u) + " is outside the vocab (size " +
                        std::to_string(m->pieces.size()) + ")");
    m->unk_id = static_cast<int32_t>(u);
  }
  m->byte_fallback = get_bool(j, "byte_fallback", where, false);
  for (int b = 0; b < 256; ++b) {
    char name[8];
    std::snprintf(name, sizeof(name), "<0x%02X>", b);
    auto it = m->token_to_ids.find(std::string_view(name));
    m->byte_ids[b] = it == m->token_to_ids.end() ? -1 : it->second;
  }
  m->build_trie();
  return m;
}

}  // namespace transformers::tokenizers_detail
