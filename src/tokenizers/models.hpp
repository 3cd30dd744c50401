#pragma once
// Shared pieces of the four models.
#include <string>
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

// Reads an object vocab {"token": id} into map and reverse table; errors name `where`.
void read_vocab_object(const json& v, const std::string& where, VocabMap& map, std::vector<std::string>& rev);

std::unique_ptr<Model> make_bpe(const json& j, const std::string& where);
std::unique_ptr<Model> make_wordpiece(const json& j, const std::string& where);
std::unique_ptr<Model> make_wordlevel(const json& j, const std::string& where);
std::unique_ptr<Model> make_unigram(const json& j, const std::string& where);

}  // namespace transformers::tokenizers_detail
