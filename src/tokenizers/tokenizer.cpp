// Tokenizer: loads tokenizer.json and runs the encode / decode pipelines.
#include "transformers/tokenizers/tokenizer.hpp"


#include "tokenizers/components.hpp"
#include "tokenizers/unicode.hpp"
#include "transformers/core/error.hpp"
#include "transformers/io/json_file.hpp"

namespace transformers {

using namespace tokenizers_detail;

namespace {

// Byte offsets into `text` -> char offsets (Python str indices).
class CharIndex {
 public:
  explicit CharIndex(std::string_view text) {
    bool ascii = true;
    for (unsigned char c : text)
      if (c >= 0x80) { ascii = false; break; }
    if (ascii) return;
    map_.resize(text.size() + 1);
    uint32_t n = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
      map_[i] = n;
      if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) map_[i] = n++;
      else map_[i] = n;  // a continuation byte belongs to the char that started before it
    }
    map_[text.size()] = n;
    // Continuation bytes: make them point after the char (only reached by malformed ranges).
  }
  std::size_t operator()(std::size_t b) const { return map_.empty() ? b : map_[b]; }

 private:
  std::vector<uint32_t> map_;
};

TruncationStrategy parse_strategy(const std::string& s, const std::string& where) {
  if (s == "LongestFirst" || s == "longest_first") return TruncationStrategy::LongestFirst;
  if (s == "OnlyFirst" || s == "only_first") return TruncationStrategy::OnlyFirst;
  if (s == "OnlySecond" || s == "only_second") return TruncationStrategy::OnlySecond;
  throw FormatError(where + ": unknown truncation strategy '" + s + "'");
}

Direction parse_direction(const json& j, const char* key, const std::string& where) {
  if (!j.contains(key)) return Direction::Right;
  std::string s = get_string(j, key, where);
  if (s == "Right" || s == "right") return Direction::Right;
  if (s == "Left" || s == "left") return Direction::Left;
  throw FormatError(where + "." + key + ": expected \"Right\" or \"Left\", found \"" + s + "\"");
}

Encoding slice_encoding(const Encoding& e, std::size_t s, std::size_t t) {
  Encoding r;
  auto cut = [&](auto& dst, const auto& src) { dst.assign(src.begin() + static_cast<std::ptrdiff_t>(s), src.begin() + static_cast<std::ptrdiff_t>(t)); };
  cut(r.ids, e.ids);
  cut(r.type_ids, e.type_ids);
  cut(r.tokens, e.tokens);
  cut(r.offsets, e.offsets);
  cut(r.word_ids, e.word_ids);
  cut(r.sequence_ids, e.sequence_ids);
  cut(r.special_tokens_mask, e.special_tokens_mask);
  cut(r.attention_mask, e.attention_mask);
  return r;
}

void truncate_encoding(Encoding& e, std::size_t max_len, std::size_t stride, Direction dir) {
  const std::size_t n = e.ids.size();
  if (max_len >= n) return;
  if (max_len == 0) {
    Encoding old = std::move(e);
    e = Encoding{};
    e.overflowing.push_back(std::move(old));
    return;
  }
  if (stride >= max_len)
    throw ValueError("truncation: stride (" + std::to_string(stride) + ") must be smaller than max_length (" +
                     std::to_string(max_len) + ")");
  const std::size_t step = max_len - stride;
  std::vector<std::pair<std::size_t, std::size_t>> parts;
  if (dir == Direction::Right) {
    for (std::size_t start = 0; start < n; start += step) {
      std::size_t stop = std::min(start + max_len, n);
      parts.emplace_back(start, stop);
      if (stop == n) break;
    }
  } else {
    // Windows taken from the end, stepping back by `step`.
    for (std::size_t k = 0;; k += step) {
      if (k >= n) break;
      std::size_t stop = n - k;
      std::size_t start = stop < max_len ? 0 : stop - max_len;
      parts.emplace_back(start, stop);
      if (start == 0) break;
    }
  }
  Encoding main = slice_encoding(e, parts[0].first, parts[0].second);
  for (std::size_t i = 1; i < parts.size(); ++i) main.overflowing.push_back(slice_encoding(e, parts[i].first, parts[i].second));
  e = std::move(main);
}

void pad_encoding(Encoding& e, std::size_t target, const PaddingParams& p) {
  for (auto& o : e.overflowing) pad_encoding(o, target, p);
  if (e.ids.size() >= target) return;
  std::size_t k = target - e.ids.size();
  auto ins = [&](auto& v, auto val) {
    if (p.direction == Direction::Right) v.insert(v.end(), k, val);
    else v.insert(v.begin(), k, val);
  };
  ins(e.ids, p.pad_id);
  ins(e.type_ids, p.pad_type_id);
  ins(e.tokens, p.pad_token);
  ins(e.offsets, Offsets{0, 0});
  ins(e.word_ids, int32_t{-1});
  ins(e.sequence_ids, int32_t{-1});
  ins(e.special_tokens_mask, int32_t{1});
  ins(e.attention_mask, int32_t{0});
}

}  // namespace

Tokenizer::Tokenizer() : added_(std::make_unique<AddedVocabulary>()) {}
Tokenizer::Tokenizer(Tokenizer&&) noexcept = default;
Tokenizer& Tokenizer::operator=(Tokenizer&&) noexcept = default;
Tokenizer::~Tokenizer() = default;

Tokenizer Tokenizer::from_file(const std::filesystem::path& path) {
  const std::string text = io::read_regular_file(path, io::kTokenizerJsonMaxBytes, "tokenizer file");
  try {
    return from_str(text);
  } catch (const FormatError& e) {
    throw FormatError(path.string() + ": " + e.what());
  } catch (const UnsupportedError& e) {
    throw UnsupportedError(path.string() + ": " + e.what());
  }
}

Tokenizer Tokenizer::from_str(std::string_view text) {
  const json j = io::parse_json(text, "tokenizer.json", {.what = "tokenizer file", .max_bytes = io::kTokenizerJsonMaxBytes});
  if (!j.is_object()) throw FormatError("tokenizer.json: expected a JSON object at the top level");
  Tokenizer t;
  if (j.contains("version")) {
    if (!j["version"].is_string()) throw FormatError("version: expected a string");
    if (j["version"].get<std::string>() != "1.0")
      throw FormatError("version: expected \"1.0\", found \"" + j["version"].get<std::string>() + "\"");
  }
  if (!j.contains("model")) throw FormatError("model: missing field");
  t.model_ = make_model(j["model"], "model");
  if (j.contains("normalizer") && !j["normalizer"].is_null()) t.normalizer_ = make_normalizer(j["normalizer"], "normalizer");
  if (j.contains("pre_tokenizer") && !j["pre_tokenizer"].is_null())
    t.pre_tokenizer_ = make_pre_tokenizer(j["pre_tokenizer"], "pre_tokenizer");
  if (j.contains("post_processor") && !j["post_processor"].is_null())
    t.post_processor_ = make_post_processor(j["post_processor"], "post_processor");
  if (j.contains("decoder") && !j["decoder"].is_null()) t.decoder_ = make_decoder(j["decoder"], "decoder");
  if (j.contains("added_tokens") && !j["added_tokens"].is_null()) {
    const json& arr = j["added_tokens"];
    if (!arr.is_array()) throw FormatError("added_tokens: expected an array");
    for (std::size_t i = 0; i < arr.size(); ++i) {
      std::string w = "added_tokens[" + std::to_string(i) + "]";
      const json& a = arr[i];
      AddedTokenInfo info;
      info.content = get_string(a, "content", w);
      int64_t id = get_int(a, "id", w);
      if (id < 0 || id > INT32_MAX) throw FormatError(w + ".id: out of range");
      info.id = static_cast<int32_t>(id);
      info.special = get_bool(a, "special", w, false);
      info.single_word = get_bool(a, "single_word", w, false);
      info.lstrip = get_bool(a, "lstrip", w, false);
      info.rstrip = get_bool(a, "rstrip", w, false);
      info.normalized = get_bool(a, "normalized", w, !info.special);
      // As Hugging Face does on load, the id comes from the vocab or the next free slot; for a
      // consistent file that is the stored id.
      t.added_->add_like_hf(info, *t.model_);
    }
  }
  t.added_->build(t.normalizer_.get());
  if (j.contains("truncation") && !j["truncation"].is_null()) {
    const json& tr = j["truncation"];
    TruncationParams p;
    int64_t ml = get_int(tr, "max_length", "truncation", 512);
    int64_t st = get_int(tr, "stride", "truncation", 0);
    if (ml < 0) throw FormatError("truncation.max_length: must not be negative");
    if (st < 0) throw FormatError("truncation.stride: must not be negative");
    p.max_length = static_cast<std::size_t>(ml);
    p.stride = static_cast<std::size_t>(st);
    if (tr.contains("strategy")) p.strategy = parse_strategy(get_string(tr, "strategy", "truncation"), "truncation.strategy");
    p.direction = parse_direction(tr, "direction", "truncation");
    t.truncation_ = p;
  }
  if (j.contains("padding") && !j["padding"].is_null()) {
    const json& pd = j["padding"];
    PaddingParams p;
    if (pd.contains("strategy")) {
      const json& s = pd["strategy"];
      if (s.is_string() && s.get<std::string>() == "BatchLongest") {
        p.length = std::nullopt;
      } else if (s.is_object() && s.contains("Fixed") && s["Fixed"].is_number_integer()) {
        p.length = static_cast<std::size_t>(s["Fixed"].get<int64_t>());
      } else {
        throw FormatError("padding.strategy: expected \"BatchLongest\" or {\"Fixed\": n}");
      }
    }
    p.direction = parse_direction(pd, "direction", "padding");
    if (pd.contains("pad_to_multiple_of") && !pd["pad_to_multiple_of"].is_null())
      p.pad_to_multiple_of = static_cast<std::size_t>(get_int(pd, "pad_to_multiple_of", "padding"));
    p.pad_id = static_cast<int32_t>(get_int(pd, "pad_id", "padding", 0));
    p.pad_type_id = static_cast<int32_t>(get_int(pd, "pad_type_id", "padding", 0));
    p.pad_token = get_opt_string(pd, "pad_token", "padding").value_or("[PAD]");
    t.padding_ = p;
  }
  return t;
}

Encoding Tokenizer::encode_single(std::string_view text, int32_t type_id) const {
  std::vector<Split> splits;
  splits.push_back(Split{NormalizedString(text, 0), std::nullopt});
  bool enc_special = encode_special_tokens();
  added_->extract(splits, false, enc_special);
  if (normalizer_) {
    for (auto& s : splits)
      if (!s.tokens) normalizer_->normalize(s.normalized);
  }
  added_->extract(splits, true, enc_special);
  if (pre_tokenizer_) pre_tokenizer_->pre_tokenize(splits);
  Encoding e;
  CharIndex ci(text);
  std::vector<Token> toks;
  for (std::size_t w = 0; w < splits.size(); ++w) {
    Split& s = splits[w];
    const std::vector<Token>* tp;
    if (s.tokens) {
      tp = &*s.tokens;
    } else {
      toks.clear();
      model_->tokenize(s.normalized.get(), toks);
      tp = &toks;
    }
    for (const Token& t : *tp) {
      Align a = s.normalized.original_range(t.start, t.end);
      e.ids.push_back(t.id);
      e.tokens.push_back(t.value);
      e.offsets.emplace_back(ci(a.start), ci(a.end));
      e.word_ids.push_back(static_cast<int32_t>(w));
    }
  }
  std::size_t n = e.ids.size();
  e.type_ids.assign(n, type_id);
  e.sequence_ids.assign(n, type_id == 0 ? 0 : 1);
  e.special_tokens_mask.assign(n, 0);
  e.attention_mask.assign(n, 1);
  return e;
}

static std::string checked_text(std::string_view text) {
  return is_valid_utf8(text) ? std::string() : sanitize_utf8(text);
}

Encoding Tokenizer::encode_impl(std::string_view a, const std::string_view* b, bool add_special,
                                const std::optional<TruncationParams>& truncation_,
                                const std::optional<PaddingParams>& padding_) const {
  std::string fixed_a = checked_text(a);
  if (!fixed_a.empty()) a = fixed_a;
  Encoding ea = encode_single(a, 0);
  std::optional<Encoding> eb;
  std::string fixed_b;
  if (b) {
    std::string_view bv = *b;
    fixed_b = checked_text(bv);
    if (!fixed_b.empty()) bv = fixed_b;
    eb = encode_single(bv, 1);
    eb->set_sequence_id(1);
  }
  return finish(std::move(ea), std::move(eb), add_special, truncation_, padding_);
}

Encoding Tokenizer::encode_words(const Words& words, int32_t type_id) const {
  Encoding e;
  for (std::size_t i = 0; i < words.size(); ++i) {
    const std::string fixed = checked_text(words[i]);
    Encoding w = encode_single(fixed.empty() ? std::string_view(words[i]) : std::string_view(fixed), type_id);
    w.word_ids.assign(w.ids.size(), static_cast<int32_t>(i));
    e.merge_with(w);  // offsets stay relative to their word
  }
  return e;
}

std::vector<Encoding> Tokenizer::encode_batch_words_with(const std::vector<Words>& rows, const std::vector<Words>* pairs,
                                                         bool add_special_tokens,
                                                         const std::optional<TruncationParams>& truncation,
                                                         const std::optional<PaddingParams>& padding) const {
  if (pairs && pairs->size() != rows.size())
    throw ValueError("encode_batch: " + std::to_string(rows.size()) + " rows of words but " +
                     std::to_string(pairs->size()) + " pairs");
  std::vector<Encoding> out;
  out.reserve(rows.size());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    std::optional<Encoding> eb;
    if (pairs) {
      eb = encode_words((*pairs)[i], 1);
      eb->set_sequence_id(1);
    }
    out.push_back(finish(encode_words(rows[i], 0), std::move(eb), add_special_tokens, truncation, padding));
  }
  if (padding) pad_encodings(out, *padding);
  return out;
}

Encoding Tokenizer::finish(Encoding ea, std::optional<Encoding> eb, bool add_special,
                           const std::optional<TruncationParams>& truncation_,
                           const std::optional<PaddingParams>& padding_) const {
  // 1. truncation
  if (truncation_) {
    TruncationParams p = *truncation_;
    if (add_special && post_processor_) {
      std::size_t added = post_processor_->added_tokens(eb.has_value());
      p.max_length = p.max_length > added ? p.max_length - added : 0;
    }
    if (p.max_length == 0) {
      truncate_encoding(ea, 0, p.stride, p.direction);
      if (eb) truncate_encoding(*eb, 0, p.stride, p.direction);
    } else {
      std::size_t total = ea.size() + (eb ? eb->size() : 0);
      if (total > p.max_length) {
        std::size_t to_remove = total - p.max_length;
        if (p.strategy == TruncationStrategy::LongestFirst) {
          if (eb) {
            std::size_t n1 = ea.size(), n2 = eb->size();
            bool swap = n1 > n2;
            if (swap) std::swap(n1, n2);
            if (n1 > p.max_length) n2 = n1;
            else n2 = std::max(n1, p.max_length - n1);
            if (n1 + n2 > p.max_length) {
              n1 = p.max_length / 2;
              n2 = n1 + p.max_length % 2;
            }
            if (swap) std::swap(n1, n2);
            truncate_encoding(ea, n1, p.stride, p.direction);
            truncate_encoding(*eb, n2, p.stride, p.direction);
          } else {
            truncate_encoding(ea, total - to_remove, p.stride, p.direction);
          }
        } else {
          Encoding* target = nullptr;
          if (p.strategy == TruncationStrategy::OnlyFirst) target = &ea;
          else if (eb) target = &*eb;
          else throw ValueError("truncation error: second sequence not provided (strategy OnlySecond)");
          if (target->size() > to_remove) truncate_encoding(*target, target->size() - to_remove, p.stride, p.direction);
          else throw ValueError("truncation error: sequence to truncate too short to respect the provided max_length");
        }
      }
    }
  }
  // 2. post-processing, also for every overflowing combination
  auto process = [&](const Encoding& x, const Encoding* y) {
    std::vector<Encoding> parts;
    parts.push_back(x);
    parts.back().overflowing.clear();
    if (y) {
      parts.push_back(*y);
      parts.back().overflowing.clear();
    }
    if (post_processor_) post_processor_->process(parts, add_special);
    Encoding r;
    for (auto& p : parts) r.merge_with(p);
    return r;
  };
  Encoding result = process(ea, eb ? &*eb : nullptr);
  if (!eb) {
    for (const auto& o : ea.overflowing) result.overflowing.push_back(process(o, nullptr));
  } else {
    for (const auto& oa : ea.overflowing) {
      result.overflowing.push_back(process(oa, &*eb));
      for (const auto& ob : eb->overflowing) result.overflowing.push_back(process(oa, &ob));
    }
    for (const auto& ob : eb->overflowing) result.overflowing.push_back(process(ea, &ob));
  }
  // 3. padding
  if (padding_) {
    std::size_t target = padding_->length ? *padding_->length : result.size();
    if (padding_->pad_to_multiple_of && *padding_->pad_to_multiple_of > 0 && target % *padding_->pad_to_multiple_of)
      target += *padding_->pad_to_multiple_of - target % *padding_->pad_to_multiple_of;
    pad_encoding(result, target, *padding_);
  }
  return result;
}

Encoding Tokenizer::encode(std::string_view text, EncodeOptions options) const {
  return encode_impl(text, nullptr, options.add_special_tokens, truncation_, padding_);
}

Encoding Tokenizer::encode_pair(std::string_view text, std::string_view pair, EncodeOptions options) const {
  return encode_impl(text, &pair, options.add_special_tokens, truncation_, padding_);
}

std::vector<Encoding> Tokenizer::encode_batch(const std::vector<std::string>& texts, EncodeOptions options) const {
  std::vector<Encoding> out;
  out.reserve(texts.size());
  for (const auto& t : texts) out.push_back(encode_impl(t, nullptr, options.add_special_tokens, truncation_, padding_));
  if (padding_) pad_encodings(out, *padding_);
  return out;
}

std::vector<Encoding> Tokenizer::encode_batch_pairs(const std::vector<std::pair<std::string, std::string>>& pairs,
                                                    EncodeOptions options) const {
  std::vector<Encoding> out;
  out.reserve(pairs.size());
  for (const auto& [a, b] : pairs) {
    std::string_view bv = b;
    out.push_back(encode_impl(a, &bv, options.add_special_tokens, truncation_, padding_));
  }
  if (padding_) pad_encodings(out, *padding_);
  return out;
}

std::vector<Encoding> Tokenizer::encode_batch_with(const std::vector<std::string>& texts,
                                                   const std::vector<std::string>* pairs, bool add_special_tokens,
                                                   const std::optional<TruncationParams>& truncation,
                                                   const std::optional<PaddingParams>& padding) const {
  if (pairs && pairs->size() != texts.size())
    throw ValueError("encode_batch: " + std::to_string(texts.size()) + " texts but " + std::to_string(pairs->size()) + " pairs");
  std::vector<Encoding> out;
  out.reserve(texts.size());
  for (std::size_t i = 0; i < texts.size(); ++i) {
    if (pairs) {
      std::string_view bv = (*pairs)[i];
      out.push_back(encode_impl(texts[i], &bv, add_special_tokens, truncation, padding));
    } else {
      out.push_back(encode_impl(texts[i], nullptr, add_special_tokens, truncation, padding));
    }
  }
  if (padding) pad_encodings(out, *padding);
  return out;
}

void Tokenizer::pad_encodings(std::vector<Encoding>& encodings, const PaddingParams& p) const {
  if (encodings.empty()) return;
  std::size_t target = 0;
  if (p.length) {
    target = *p.length;
  } else {
    for (const auto& e : encodings) target = std::max(target, e.size());
  }
  if (p.pad_to_multiple_of && *p.pad_to_multiple_of > 0 && target % *p.pad_to_multiple_of)
    target += *p.pad_to_multiple_of - target % *p.pad_to_multiple_of;
  for (auto& e : encodings) pad_encoding(e, target, p);
}

std::string Tokenizer::decode(const std::vector<int32_t>& ids, DecodeOptions options) const {
  std::vector<std::string> tokens;
  tokens.reserve(ids.size());
  for (int32_t id : ids) {
    std::optional<std::string> t = added_->id_to_token(id);
    if (!t) t = model_->id_to_token(id);
    if (!t) continue;
    if (options.skip_special_tokens && added_->is_special(*t)) continue;
    tokens.push_back(std::move(*t));
  }
  if (decoder_) {
    decoder_->decode_chain(tokens);
    std::string out;
    for (const auto& t : tokens) out += t;
    return out;
  }
  std::string out;
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    if (i) out += ' ';
    out += tokens[i];
  }
  return out;
}

std::vector<std::string> Tokenizer::decode_batch(const std::vector<std::vector<int32_t>>& batch, DecodeOptions options) const {
  std::vector<std::string> out;
  out.reserve(batch.size());
  for (const auto& ids : batch) out.push_back(decode(ids, options));
  return out;
}

std::optional<int32_t> Tokenizer::token_to_id(std::string_view token) const {
  if (auto id = added_->token_to_id(token)) return id;
  return model_->token_to_id(token);
}

std::optional<std::string> Tokenizer::id_to_token(int32_t id) const {
  if (auto t = added_->id_to_token(id)) return t;
  return model_->id_to_token(id);
}

std::size_t Tokenizer::get_vocab_size(bool with_added_tokens) const {
  if (!with_added_tokens) return model_->vocab_size();
  // Added tokens that are not already in the model vocab add to the size.
  std::size_t n = model_->vocab_size();
  for (const auto& t : added_->tokens())
    if (!model_->token_to_id(t.content)) ++n;
  return n;
}

std::unordered_map<std::string, int32_t> Tokenizer::get_vocab(bool with_added_tokens) const {
  auto v = model_->vocab();
  if (with_added_tokens)
    for (const auto& t : added_->tokens()) v[t.content] = t.id;
  return v;
}

std::vector<AddedToken> Tokenizer::get_added_tokens() const {
  std::vector<AddedToken> out;
  for (const auto& t : added_->tokens())
    out.push_back(AddedToken{t.content, t.id, t.single_word, t.lstrip, t.rstrip, t.normalized, t.special});
  return out;
}

std::size_t Tokenizer::num_special_tokens_to_add(bool is_pair) const {
  return post_processor_ ? post_processor_->added_tokens(is_pair) : 0;
}

std::size_t Tokenizer::add_tokens(const std::vector<AddedToken>& tokens) {
  std::size_t added = 0;
  for (const auto& t : tokens) {
    if (t.content.empty()) continue;
    bool existed = added_->token_to_id(t.content) || model_->token_to_id(t.content);
    added_->add_like_hf(AddedTokenInfo{t.content, 0, t.single_word, t.lstrip, t.rstrip, t.normalized, t.special}, *model_);
    if (!existed) ++added;
  }
  added_->build(normalizer_.get());
  return added;
}

std::size_t Tokenizer::add_special_tokens(const std::vector<std::string>& contents) {
  std::vector<AddedToken> v;
  for (const auto& c : contents) v.push_back(AddedToken{c, -1, false, false, false, false, true});
  return add_tokens(v);
}

void Tokenizer::set_template_processing(const std::string& single, const std::string& pair,
                                        const std::vector<std::pair<std::string, int32_t>>& special_tokens) {
  json j;
  j["type"] = "TemplateProcessing";
  j["single"] = single;
  j["pair"] = pair;
  json st = json::object();
  for (const auto& [tok, id] : special_tokens) st[tok] = json{{"id", tok}, {"ids", {id}}, {"tokens", {tok}}};
  j["special_tokens"] = st;
  post_processor_ = make_post_processor(j, "post_processor");
}

void Tokenizer::enable_truncation(TruncationParams params) { truncation_ = params; }
void Tokenizer::no_truncation() { truncation_.reset(); }
void Tokenizer::enable_padding(PaddingParams params) { padding_ = std::move(params); }
void Tokenizer::no_padding() { padding_.reset(); }
void Tokenizer::set_encode_special_tokens(bool value) { encode_special_tokens_ = value; }
bool Tokenizer::encode_special_tokens() const { return encode_special_tokens_; }

}  // namespace transformers
