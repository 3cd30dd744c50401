// Stopping criteria of transformers 4.51 (see stopping_criteria.hpp).
#include "transformers/generation/stopping_criteria.hpp"

#include <algorithm>

#include "transformers/tokenizers/tokenizer.hpp"

namespace transformers {

namespace {

Tensor bools_to_tensor(const std::vector<bool>& v) {
  Tensor t = Tensor::empty({int64_t(v.size())}, DType::Bool);
  auto* p = static_cast<uint8_t*>(t.data_ptr());
  for (size_t i = 0; i < v.size(); ++i) p[i] = v[i] ? 1 : 0;
  return t;
}

// UTF-8 to code points; an invalid byte becomes U+FFFD (the decoder output is valid UTF-8 anyway).
std::u32string to_u32(const std::string& s) {
  std::u32string out;
  for (size_t i = 0; i < s.size();) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    int len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    if (len == 0 || i + size_t(len) > s.size()) {
      out.push_back(0xFFFD);
      ++i;
      continue;
    }
    char32_t cp = len == 1 ? c : len == 2 ? (c & 0x1F) : len == 3 ? (c & 0x0F) : (c & 0x07);
    for (int k = 1; k < len; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + size_t(k)]) & 0x3F);
    out.push_back(cp);
    i += size_t(len);
  }
  return out;
}

}  // namespace

Tensor StoppingCriteria::operator()(const Tensor& input_ids, const Tensor&) const {
  return bools_to_tensor(is_done(generation_detail::ids_to_rows(input_ids)));
}

Tensor StoppingCriteriaList::operator()(const Tensor& input_ids, const Tensor&) const {
  return bools_to_tensor(is_done(generation_detail::ids_to_rows(input_ids)));
}

std::vector<bool> StoppingCriteriaList::is_done(const TokenRows& rows) const {
  std::vector<bool> done(rows.size(), false);
  for (const auto& c : items_) {
    const std::vector<bool> d = c->is_done(rows);
    for (size_t i = 0; i < done.size(); ++i) done[i] = done[i] || d[i];
  }
  return done;
}

std::optional<int64_t> StoppingCriteriaList::max_length() const {
  for (const auto& c : items_)
    if (auto* m = dynamic_cast<const MaxLengthCriteria*>(c.get())) return m->max_length;
  return std::nullopt;
}

std::vector<std::string> StoppingCriteriaList::names() const {
  std::vector<std::string> out;
  for (const auto& c : items_) out.push_back(c->name());
  return out;
}

std::vector<bool> MaxLengthCriteria::is_done(const TokenRows& rows) const {
  const int64_t cur_len = rows.empty() ? 0 : int64_t(rows[0].size());
  return std::vector<bool>(rows.size(), cur_len >= max_length);
}

std::vector<bool> MaxTimeCriteria::is_done(const TokenRows& rows) const {
  const double elapsed = std::chrono::duration<double>(Clock::now() - initial_timestamp).count();
  return std::vector<bool>(rows.size(), elapsed > max_time);
}

EosTokenCriteria::EosTokenCriteria(std::vector<int64_t> eos) : eos_token_id(std::move(eos)) {}

std::vector<bool> EosTokenCriteria::is_done(const TokenRows& rows) const {
  std::vector<bool> out(rows.size(), false);
  for (size_t r = 0; r < rows.size(); ++r)
    if (!rows[r].empty())
      out[r] = std::find(eos_token_id.begin(), eos_token_id.end(), rows[r].back()) != eos_token_id.end();
  return out;
}

StopStringCriteria::StopStringCriteria(const Tokenizer& tokenizer, std::vector<std::string> stop_strings)
    : stop_strings_(std::move(stop_strings)) {
  if (stop_strings_.empty()) throw ValueError("StopStringCriteria: `stop_strings` must not be empty");
  for (const auto& s : stop_strings_) {
    stops_.push_back(to_u32(s));
    maximum_token_len_ = std::max(maximum_token_len_, int64_t(stops_.back().size()));
  }
  // Python's clean_tokenizer_vocab: decode "abcdef" + token and keep what follows the prefix, so
  // decoders that add or strip leading spaces are seen as they act mid-text.
  const std::string prefix = "abcdef";
  std::vector<int32_t> base = tokenizer.encode(prefix, {.add_special_tokens = false}).ids;
  const auto vocab = tokenizer.get_vocab(true);
  int64_t max_id = -1;
  for (const auto& [tok, id] : vocab) max_id = std::max<int64_t>(max_id, id);
  token_strings_.assign(size_t(max_id + 1), std::u32string());
  bool any_end = false;
  for (const auto& [tok, id] : vocab) {
    std::vector<int32_t> ids = base;
    ids.push_back(id);
    const std::string text = tokenizer.decode(ids, {.skip_special_tokens = false});
    const size_t at = text.find(prefix);
    const std::string clean = at == std::string::npos ? text : text.substr(at + prefix.size());
    token_strings_[size_t(id)] = to_u32(clean);
  }
  // Python refuses stop strings when no token can hold the end of any of them: a prefix of the
  // token equals the end of the stop string, or ends with the whole stop string.
  for (const auto& stop : stops_)
    for (const auto& t : token_strings_) {
      for (size_t plen = 1; plen <= t.size() && !any_end; ++plen)
        any_end = plen < stop.size() ? t.compare(0, plen, stop, stop.size() - plen, plen) == 0
                                     : t.compare(plen - stop.size(), stop.size(), stop) == 0;
      if (any_end) break;
    }
  if (!any_end)
    throw ValueError("StopStringCriteria: stop string preprocessing was unable to identify tokens matching one or "
                     "more of the supplied stop string(s)");
}

const std::u32string& StopStringCriteria::token_string(int64_t id) const {
  static const std::u32string empty;
  return id >= 0 && id < int64_t(token_strings_.size()) ? token_strings_[size_t(id)] : empty;
}

std::vector<bool> StopStringCriteria::is_done(const TokenRows& rows) const {
  std::vector<bool> out(rows.size(), false);
  for (size_t r = 0; r < rows.size(); ++r) {
    const auto& ids = rows[r];
    if (ids.empty()) continue;
    const size_t first = ids.size() > size_t(maximum_token_len_) ? ids.size() - size_t(maximum_token_len_) : 0;
    std::u32string text;
    for (size_t i = first; i < ids.size(); ++i) text += token_string(ids[i]);
    const size_t last_len = token_string(ids.back()).size();
    const size_t last_start = text.size() - last_len;
    for (const auto& stop : stops_) {
      if (stop.empty() || out[r]) continue;
      // an occurrence whose end falls inside the last token
      for (size_t end = last_start + 1; end <= text.size() && !out[r]; ++end)
        out[r] = end >= stop.size() && text.compare(end - stop.size(), stop.size(), stop) == 0;
    }
  }
  return out;
}

}  // namespace transformers
