#pragma once
// Shared pieces of the four models.
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tokenizers/components.hpp"

namespace transformers::tokenizers_detail {

// Transparent hashing so maps keyed by std::string can be queried with std::string_view.
struct StrHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};
struct StrEq {
  using is_transparent = void;
  bool operator()(std::string_view a, std::string_view b) const noexcept { return a == b; }
};
using VocabMap = std::unordered_map<std::string, int32_t, StrHash, StrEq>;

// Base of the models whose vocab is a token -> id map plus a reverse table (BPE, WordPiece,
// WordLevel): the lookups they share.
class VocabModel : public Model {
 public:
  VocabMap vocab_;
  std::vector<std::string> vocab_r;

  std::optional<int32_t> token_to_id(std::string_view t) const override {
    auto it = vocab_.find(t);
    if (it == vocab_.end()) return std::nullopt;
    return it->second;
  }
  std::optional<std::string> id_to_token(int32_t id) const override {
    if (id < 0 || static_cast<std::size_t>(id) >= vocab_r.size()) return std::nullopt;
    return vocab_r[static_cast<std::size_t>(id)];
  }
  std::size_t vocab_size() const override { return vocab_.size(); }
  std::unordered_map<std::string, int32_t> vocab() const override {
    return std::unordered_map<std::string, int32_t>(vocab_.begin(), vocab_.end());
  }
};

// Reads an object vocab {"token": id} into map and reverse table; errors name `where`.
void read_vocab_object(const json& v, const std::string& where, VocabMap& map, std::vector<std::string>& rev);

std::unique_ptr<Model> make_bpe(const json& j, const std::string& where);
std::unique_ptr<Model> make_wordpiece(const json& j, const std::string& where);
std::unique_ptr<Model> make_wordlevel(const json& j, const std::string& where);
std::unique_ptr<Model> make_unigram(const json& j, const std::string& where);

}  // namespace transformers::tokenizers_detail
