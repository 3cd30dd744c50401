// Byte-pair encoding: both merge formats, byte_fallback, ignore_merges, continuing_subword_prefix,
// end_of_word_suffix, fuse_unk; no dropout (inference).
#include <mutex>
#include <queue>
#include <shared_mutex>

#include "tokenizers/models.hpp"
#include "tokenizers/unicode.hpp"
#include "transformers/core/error.hpp"

namespace transformers::tokenizers_detail {

namespace {

struct MergeInfo {
  int32_t rank;
  int32_t new_id;
};

// Open-addressing map from a pair of ids to its merge.
class MergeMap {
 public:
  void reserve(std::size_t n) {
    std::size_t cap = 16;
    while (cap < n * 2) cap <<= 1;
    keys_.assign(cap, kEmpty);
    vals_.assign(cap, {0, 0});
    mask_ = cap - 1;
  }
  void put(int32_t a, int32_t b, MergeInfo m) {
    uint64_t k = key(a, b);
    std::size_t i = hash(k) & mask_;
    while (keys_[i] != kEmpty && keys_[i] != k) i = (i + 1) & mask_;
    keys_[i] = k;
    vals_[i] = m;
  }
  const MergeInfo* get(int32_t a, int32_t b) const {
    uint64_t k = key(a, b);
    std::size_t i = hash(k) & mask_;
    while (true) {
      if (keys_[i] == k) return &vals_[i];
      if (keys_[i] == kEmpty) return nullptr;
      i = (i + 1) & mask_;
    }
  }

 private:
  static constexpr uint64_t kEmpty = ~0ULL;
  static uint64_t key(int32_t a, int32_t b) { return (static_cast<uint64_t>(static_cast<uint32_t>(a)) << 32) | static_cast<uint32_t>(b); }
  static std::size_t hash(uint64_t k) {
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdULL;
    k ^= k >> 33;
    return static_cast<std::size_t>(k);
  }
  std::vector<uint64_t> keys_;
  std::vector<MergeInfo> vals_;
  std::size_t mask_ = 0;
};

struct CachedTok {
  int32_t id;
  uint32_t start, end;
};

class BPE : public VocabModel {
 public:
  MergeMap merges;
  std::optional<std::string> unk_token;
  int32_t unk_id = -1;
  std::string prefix, suffix;
  bool fuse_unk = false, byte_fallback = false, ignore_merges = false;
  int32_t byte_ids[256];

  mutable std::shared_mutex cache_mutex;
  mutable std::unordered_map<std::string, std::vector<CachedTok>, StrHash, StrEq> cache;
  static constexpr std::size_t kCacheCapacity = 10000;

  void tokenize(std::string_view word, std::vector<Token>& out) const override {
    if (word.empty()) return;
    {
      std::shared_lock lock(cache_mutex);
      auto it = cache.find(word);
      if (it != cache.end()) {
        for (const auto& t : it->second) out.push_back({t.id, vocab_r[static_cast<std::size_t>(t.id)], t.start, t.end});
        return;
      }
    }
    std::vector<CachedTok> toks;
    compute(word, toks);
    for (const auto& t : toks) out.push_back({t.id, vocab_r[static_cast<std::size_t>(t.id)], t.start, t.end});
    if (word.size() < 256) {
      std::unique_lock lock(cache_mutex);
      if (cache.size() < kCacheCapacity) cache.emplace(std::string(word), std::move(toks));
    }
  }

  struct Symbol {
    int32_t id;
    int32_t prev, next;
    uint32_t start, len;
  };
  struct QItem {
    int32_t rank;
    int32_t pos;
    int32_t new_id;
    bool operator<(const QItem& o) const {  // max-heap inverted: lowest rank, then leftmost
      return rank != o.rank ? rank > o.rank : pos > o.pos;
    }
  };

  void compute(std::string_view word, std::vector<CachedTok>& out) const {
    if (ignore_merges) {
      auto it = vocab_.find(word);
      if (it != vocab_.end()) {
        out.push_back({it->second, 0, static_cast<uint32_t>(word.size())});
        return;
      }
    }
    std::vector<Symbol> syms;
    syms.reserve(word.size());
    std::string buf;
    bool have_unk = false;  // a pending fused unk at the back of syms
    std::size_t i = 0;
    while (i < word.size()) {
      std::size_t at = i;
      std::size_t n = utf8_len(static_cast<unsigned char>(word[i]));
      if (at + n > word.size()) n = word.size() - at;
      i = at + n;
      bool first = at == 0, last = i >= word.size();
      std::string_view piece = word.substr(at, n);
      const std::string_view* key = &piece;
      if ((!first && !prefix.empty()) || (last && !suffix.empty())) {
        buf.clear();
        if (!first) buf += prefix;
        buf += piece;
        if (last) buf += suffix;
        piece = buf;
      }
      auto it = vocab_.find(*key);
      if (it != vocab_.end()) {
        syms.push_back({it->second, 0, 0, static_cast<uint32_t>(at), static_cast<uint32_t>(n)});
        have_unk = false;
        continue;
      }
      if (byte_fallback) {
        bool all = true;
        for (unsigned char b : *key)
          if (byte_ids[b] < 0) { all = false; break; }
        if (all) {
          // Each byte symbol covers one byte of the char (prefix/suffix bytes map to its start).
          std::size_t k = 0;
          for (unsigned char b : *key) {
            uint32_t s = static_cast<uint32_t>(std::min(at + k, i - 1));
            syms.push_back({byte_ids[b], 0, 0, s, 1});
            ++k;
          }
          // The symbols must tile the char: make the last one reach its end.
          syms.back().len = static_cast<uint32_t>(i) - syms.back().start;
          have_unk = false;
          continue;
        }
      }
      if (unk_id >= 0) {
        if (fuse_unk && have_unk) {
          syms.back().len += static_cast<uint32_t>(n);
        } else {
          syms.push_back({unk_id, 0, 0, static_cast<uint32_t>(at), static_cast<uint32_t>(n)});
          have_unk = true;
        }
      }
    }
    const int32_t count = static_cast<int32_t>(syms.size());
    for (int32_t k = 0; k < count; ++k) {
      syms[static_cast<std::size_t>(k)].prev = k - 1;
      syms[static_cast<std::size_t>(k)].next = k + 1 < count ? k + 1 : -1;
    }
    if (count > 1) {
      std::vector<QItem> heap;
      heap.reserve(static_cast<std::size_t>(count) * 2);
      for (int32_t k = 0; k + 1 < count; ++k) {
        if (const MergeInfo* m = merges.get(syms[static_cast<std::size_t>(k)].id, syms[static_cast<std::size_t>(k + 1)].id))
          heap.push_back({m->rank, k, m->new_id});
      }
      std::make_heap(heap.begin(), heap.end());
      while (!heap.empty()) {
        std::pop_heap(heap.begin(), heap.end());
        QItem top = heap.back();
        heap.pop_back();
        Symbol& cur = syms[static_cast<std::size_t>(top.pos)];
        if (cur.len == 0 || cur.next < 0) continue;
        Symbol& right = syms[static_cast<std::size_t>(cur.next)];
        const MergeInfo* m = merges.get(cur.id, right.id);
        if (!m || m->new_id != top.new_id) continue;
        cur.id = top.new_id;
        cur.len += right.len;
        right.len = 0;
        int32_t rn = right.next;
        cur.next = rn;
        if (rn >= 0) syms[static_cast<std::size_t>(rn)].prev = top.pos;
        if (cur.prev >= 0) {
          if (const MergeInfo* pm = merges.get(syms[static_cast<std::size_t>(cur.prev)].id, cur.id)) {
            heap.push_back({pm->rank, cur.prev, pm->new_id});
            std::push_heap(heap.begin(), heap.end());
          }
        }
        if (rn >= 0) {
          if (const MergeInfo* nm = merges.get(cur.id, syms[static_cast<std::size_t>(rn)].id)) {
            heap.push_back({nm->rank, top.pos, nm->new_id});
            std::push_heap(heap.begin(), heap.end());
          }
        }
      }
    }
    for (const auto& s : syms)
      if (s.len > 0) out.push_back({s.id, s.start, s.start + s.len});
  }

};

}  // namespace

std::unique_ptr<Model> make_bpe(const json& j, const std::string& where) {
  auto m = std::make_unique<BPE>();
  read_vocab_object(field(j, "vocab", where), where + ".vocab", m->vocab_, m->vocab_r);
  m->unk_token = get_opt_string(j, "unk_token", where);
  m->prefix = get_opt_string(j, "continuing_subword_prefix", where).value_or("");
  m->suffix = get_opt_string(j, "end_of_word_suffix", where).value_or("");
  m->fuse_unk = get_bool(j, "fuse_unk", where, false);
  m->byte_fallback = get_bool(j, "byte_fallback", where, false);
  m->ignore_merges = get_bool(j, "ignore_merges", where, false);
  if (j.contains("dropout") && !j["dropout"].is_null()) {
    if (!j["dropout"].is_number()) throw FormatError(where + ".dropout: expected a number or null");
    double p = j["dropout"].get<double>();
    if (p < 0.0 || p > 1.0) throw FormatError(where + ".dropout: must be between 0 and 1");
    // Dropout only matters while training; encoding for inference ignores it.
  }
  if (m->unk_token) {
    auto it = m->vocab_.find(*m->unk_token);
    if (it != m->vocab_.end()) m->unk_id = it->second;
  }
  for (int b = 0; b < 256; ++b) {
    char name[8];
    std::snprintf(name, sizeof(name), "<0x%02X>", b);
    auto it = m->vocab_.find(std::string_view(name));
    m->byte_ids[b] = it == m->vocab_.end() ? -1 : it->second;
  }
  const json& merges = j.contains("merges") ? j["merges"] : json::array();
  if (!merges.is_array()) throw FormatError(where + ".merges: expected an array");
  m->merges.reserve(merges.size() + 1);
  int32_t rank = 0;
  for (std::size_t i = 0; i < merges.size(); ++i) {
    const json& e = merges[i];
    std::string w = where + ".merges[" + std::to_string(i) + "]";
    std::string a, b;
    if (e.is_string()) {
      std::string s = e.get<std::string>();
      if (s.rfind("#version", 0) == 0) continue;
      std::size_t sp = s.find(' ');
      if (sp == std::string::npos || s.find(' ', sp + 1) != std::string::npos)
        throw FormatError(w + ": expected \"a b\" (two tokens separated by one space), found \"" + s + "\"");
      a = s.substr(0, sp);
      b = s.substr(sp + 1);
    } else if (e.is_array() && e.size() == 2 && e[0].is_string() && e[1].is_string()) {
      a = e[0].get<std::string>();
      b = e[1].get<std::string>();
    } else {
      throw FormatError(w + ": expected \"a b\" or [\"a\", \"b\"]");
    }
    auto ia = m->vocab_.find(a);
    auto ib = m->vocab_.find(b);
    if (ia == m->vocab_.end()) throw FormatError(w + ": token '" + a + "' is not in the vocab_");
    if (ib == m->vocab_.end()) throw FormatError(w + ": token '" + b + "' is not in the vocab_");
    std::string merged = a + (b.size() >= m->prefix.size() ? b.substr(m->prefix.size()) : std::string());
    if (m->prefix.empty()) merged = a + b;
    auto im = m->vocab_.find(merged);
    if (im == m->vocab_.end()) throw FormatError(w + ": merged token '" + merged + "' is not in the vocab_");
    m->merges.put(ia->second, ib->second, {rank, im->second});
    ++rank;
  }
  return m;
}

}  // namespace transformers::tokenizers_detail
