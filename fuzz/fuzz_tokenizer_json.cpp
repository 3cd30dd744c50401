// tokenizer.json: build the whole pipeline (added tokens, normalizer, pre-tokenizer, model,
// post-processor, decoder), then encode a few fixed texts (single and pair) and decode ids.
#include <cstdint>
#include <string>
#include <vector>

#include "fuzz_util.hpp"
#include "transformers/tokenizers/tokenizer.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace transformers;
  fuzz::expect_typed([&] {
    Tokenizer tok = Tokenizer::from_str(fuzz::as_view(data, size));
    static const std::vector<std::string> texts = {"", "Hello world!", " héllo\tnaïve 東京 \xf0\x9f\x98\x80 <s> [CLS]",
                                                   "a\xff\xfe b", std::string(70, 'z')};
    volatile size_t sink = tok.get_vocab_size(true);
    for (const auto& t : texts) {
      fuzz::expect_typed([&] {
        Encoding e = tok.encode(t);
        sink = sink + e.ids.size();
        std::vector<int32_t> ids(e.ids.begin(), e.ids.end());
        sink = sink + tok.decode(ids).size();
      });
    }
    fuzz::expect_typed([&] { sink = sink + tok.encode_pair("first part", "second").ids.size(); });
    fuzz::expect_typed([&] { sink = sink + tok.decode({0, 1, 2, 3, -1, 1 << 30}).size(); });
  });
  return 0;
}
