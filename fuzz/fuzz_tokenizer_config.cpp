// tokenizer_config.json (special tokens, added_tokens_decoder, sizes, sides) read by
// AutoTokenizer::from_pretrained next to a fixed, tiny tokenizer.json; then a padded, truncated
// batch call and a decode, which use what the config set.
#include <cstdint>
#include <string>
#include <vector>

#include "fuzz_util.hpp"
#include "transformers/tokenizers/auto_tokenizer.hpp"

namespace {
// WordLevel, whitespace pre-tokenizer, a BERT-style template: small enough that loading it costs
// little next to the config under test.
const char* kTokenizerJson = R"({"version":"1.0","truncation":null,"padding":null,
"added_tokens":[{"id":0,"content":"[PAD]","single_word":false,"lstrip":false,"rstrip":false,"normalized":false,"special":true},
{"id":1,"content":"[UNK]","single_word":false,"lstrip":false,"rstrip":false,"normalized":false,"special":true},
{"id":2,"content":"[CLS]","single_word":false,"lstrip":false,"rstrip":false,"normalized":false,"special":true},
{"id":3,"content":"[SEP]","single_word":false,"lstrip":false,"rstrip":false,"normalized":false,"special":true}],
"normalizer":null,"pre_tokenizer":{"type":"WhitespaceSplit"},
"post_processor":{"type":"TemplateProcessing","single":[{"SpecialToken":{"id":"[CLS]","type_id":0}},{"Sequence":{"id":"A","type_id":0}},{"SpecialToken":{"id":"[SEP]","type_id":0}}],
"pair":[{"Sequence":{"id":"A","type_id":0}},{"Sequence":{"id":"B","type_id":1}}],
"special_tokens":{"[CLS]":{"id":"[CLS]","ids":[2],"tokens":["[CLS]"]},"[SEP]":{"id":"[SEP]","ids":[3],"tokens":["[SEP]"]}}},
"decoder":null,"model":{"type":"WordLevel","vocab":{"[PAD]":0,"[UNK]":1,"[CLS]":2,"[SEP]":3,"hello":4,"world":5,"the":6,"[MASK]":7},"unk_token":"[UNK]"}})";
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace transformers;
  static const bool once = (fuzz::write_file("tokenizer.json", kTokenizerJson), true);
  (void)once;
  fuzz::write_file("tokenizer_config.json", fuzz::as_view(data, size));
  fuzz::expect_typed([&] {
    auto tok = AutoTokenizer::from_pretrained(fuzz::scratch_dir());
    volatile size_t sink = tok.size();
    fuzz::expect_typed([&] {
      auto batch = tok(std::vector<std::string>{"hello world the", "the"},
                       {.padding = Padding::Longest, .truncation = true, .max_length = 4});
      sink = sink + batch.input_ids.size();
      sink = sink + tok.decode(batch.input_ids[0], {.skip_special_tokens = true}).size();
    });
    fuzz::expect_typed([&] { sink = sink + tok.encode("hello [MASK] world").size(); });
    fuzz::expect_typed([&] { sink = sink + tok.pad_token_id().value_or(0) + tok.eos_token_id().value_or(0); });
  });
  return 0;
}
