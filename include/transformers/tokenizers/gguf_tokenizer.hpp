#pragma once
// The tokenizer transformers 4.51 builds from a GGUF file's tokenizer.ggml.* metadata
// (AutoTokenizer.from_pretrained(path, gguf_file=...), integrations/ggml.py's converters), as the
// tokenizer.json its backend serialises to, plus the special tokens and chat template it carries.
//
//   io::GGUFReader r("model.gguf");
//   GGUFTokenizer t = gguf_tokenizer(r);
//   t.tokenizer.encode("Hello", {.add_special_tokens = true});   t.chat_template;
//
// Done: Llama-architecture files with a byte-level BPE vocabulary (tokenizer.ggml.model other
// than "llama": 4.51's "Llama 3" branch, e.g. SmolLM2). Other combinations are UnsupportedError.
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "transformers/io/gguf.hpp"
#include "transformers/tokenizers/tokenizer.hpp"

namespace transformers {

struct GGUFTokenizer {
  nlohmann::ordered_json tokenizer_json;  // what 4.51's backend_tokenizer.to_str() holds
  Tokenizer tokenizer;                    // built from it
  // As 4.51's LlamaTokenizerFast holds them: eos is the bos id's token (its converter swaps the
  // names), pad_token stays None (the padding id only becomes pad_token_id).
  std::optional<std::string> bos_token, eos_token, unk_token, pad_token;
  std::optional<std::string> chat_template;  // tokenizer.chat_template
};

GGUFTokenizer gguf_tokenizer(const io::GGUFReader& reader);

}  // namespace transformers
