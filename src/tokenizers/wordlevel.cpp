// WordLevel: the whole pre-token maps to one id, or to unk.
#include "tokenizers/models.hpp"
#include "transformers/core/error.hpp"

namespace transformers::tokenizers_detail {

namespace {

class WordLevel : public VocabModel {
 public:
  std::string unk_token;

  void tokenize(std::string_view word, std::vector<Token>& out) const override {
    const uint32_t len = static_cast<uint32_t>(word.size());
    auto it = vocab_.find(word);
    if (it != vocab_.end()) {
      out.push_back({it->second, std::string(word), 0, len});
      return;
    }
    auto u = vocab_.find(unk_token);
    if (u == vocab_.end()) throw ValueError("WordLevel: unk_token '" + unk_token + "' is not in the vocab_");
    out.push_back({u->second, unk_token, 0, len});
  }
};

}  // namespace

std::unique_ptr<Model> make_wordlevel(const json& j, const std::string& where) {
  auto m = std::make_unique<WordLevel>();
  read_vocab_object(field(j, "vocab", where), where + ".vocab", m->vocab_, m->vocab_r);
  m->unk_token = get_opt_string(j, "unk_token", where).value_or("<unk>");
  return m;
}

}  // namespace transformers::tokenizers_detail
