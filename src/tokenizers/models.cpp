// Model factory and vocab reading shared by the models.
#include "tokenizers/models.hpp"

#include "transformers/core/error.hpp"

namespace transformers::tokenizers_detail {

namespace {
// Largest gap allowed between a vocab's entry count and its largest id (see read_vocab_object).
constexpr std::size_t kMaxVocabIdGap = std::size_t(1) << 20;
}  // namespace

void read_vocab_object(const json& v, const std::string& where, VocabMap& map, std::vector<std::string>& rev) {
  if (!v.is_object()) throw FormatError(where + ": expected an object {token: id}, found " + std::string(v.type_name()));
  map.reserve(v.size());
  for (auto it = v.begin(); it != v.end(); ++it) {
    if (!it->is_number_integer() || it->get<int64_t>() < 0 || it->get<int64_t>() > INT32_MAX)
      throw FormatError(where + "[\"" + it.key() + "\"]: expected a non-negative integer id");
    int32_t id = static_cast<int32_t>(it->get<int64_t>());
    // `rev` is a dense id -> token table sized by the largest id, so an id far beyond the number of
    // entries would make a tiny file allocate gigabytes (id 2^31-1: 64 GiB). Hugging Face's hash
    // maps accept sparse ids; no published vocab has gaps near this bound.
    if (static_cast<std::size_t>(id) >= v.size() + kMaxVocabIdGap)
      throw UnsupportedError(where + "[\"" + it.key() + "\"]: id " + std::to_string(id) + " is far beyond the " +
                             std::to_string(v.size()) + " entries of the vocab (sparse ids are not supported)");
    map[it.key()] = id;
    if (static_cast<std::size_t>(id) >= rev.size()) rev.resize(static_cast<std::size_t>(id) + 1);
    rev[static_cast<std::size_t>(id)] = it.key();
  }
}

std::unique_ptr<Model> make_model(const json& j, const std::string& where) {
  if (!j.is_object()) throw FormatError(where + ": expected an object");
  std::string type;
  if (j.contains("type")) {
    type = get_type(j, where);
  } else if (j.contains("merges")) {
    type = "BPE";
  } else if (j.contains("vocab") && j["vocab"].is_array()) {
    type = "Unigram";
  } else if (j.contains("max_input_chars_per_word")) {
    type = "WordPiece";
  } else {
    type = "WordLevel";
  }
  if (type == "BPE") return make_bpe(j, where);
  if (type == "WordPiece") return make_wordpiece(j, where);
  if (type == "WordLevel") return make_wordlevel(j, where);
  if (type == "Unigram") return make_unigram(j, where);
  throw FormatError(where + ".type: unknown model type '" + type + "'");
}

}  // namespace transformers::tokenizers_detail
