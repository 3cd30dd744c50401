#pragma once
// The tokenizer.* metadata llama.cpp's convert_hf_to_gguf.py writes for a byte-level BPE tokenizer
// (its `_set_vocab_gpt2`: `get_vocab_base` then gguf-py's `SpecialVocab(dir, load_merges=True)`)
// or a byte-fallback BPE (`_set_vocab_llama_hf`),
// read from a Hugging Face checkpoint folder and added to a GGUF being written (issue 21's writer).
// The inverse of gguf_tokenizer(): the reader builds 4.51's tokenizer from these keys.
//
//   io::GGUFWriter w;  ...hyperparameters...
//   auto r = add_gguf_tokenizer(w, "checkpoint/", /*vocab_size=*/config vocab_size);
//   if (!r.written) std::cerr << r.reason;
//
// Written, in llama.cpp's order: tokenizer.ggml.model "gpt2", tokenizer.ggml.pre, tokens (padded to
// vocab_size with "[PAD{i}]"), token_type (int32: 1 NORMAL, 3 CONTROL, 4 USER_DEFINED, 5 UNUSED),
// merges, the special token ids SpecialVocab finds (uint32), add_bos/eos/sep_token (bool),
// tokenizer.chat_template, for tokenizer.json's BPE without byte fallback and with a ByteLevel
// pre-tokenizer (what gguf_tokenizer reads back).
//
// A BPE with byte fallback and a Sequence decoder (Llama 1/2, Mistral: SentencePiece-style) is
// written as llama.cpp's `_set_vocab_llama_hf` writes it: tokenizer.ggml.model "llama", pre
// "default", tokens, scores (float32; the BPE's merge order, see gguf_tokenizer_write.cpp), token
// types (adding 6 BYTE for <0xXX>), then SpecialVocab's ids / add_* flags / chat template. 4.51's
// GGUF loading reads it back (our gguf_tokenizer does not read "llama" vocabularies yet).
// For any other kind nothing is added and `reason` says why.
#include <cstdint>
#include <filesystem>
#include <string>

#include "transformers/io/gguf_write.hpp"

namespace transformers {

struct GGUFTokenizerWritten {
  bool written = false;
  std::string reason;      // why nothing was written (when !written)
  std::string pre;         // tokenizer.ggml.pre as written
  bool pre_known = false;  // false: the pre-tokenizer hash is not in our table and "default" was written
  std::string chkhsh;      // sha256 of str(ids) of llama.cpp's check text, as convert_hf_to_gguf.py hashes it
};

// ValueError (naming the file) for a token id outside [0, vocab_size) or a negative special id;
// FormatError for unreadable JSON.
GGUFTokenizerWritten add_gguf_tokenizer(io::GGUFWriter& w, const std::filesystem::path& folder, int64_t vocab_size);

// A model converted from a GGUF: every tokenizer.* key of the source carried over with its type and
// value, in the source's order (as llama.cpp's quantize copies them). Arrays of strings, int32 and
// float32 (what llama.cpp's tokenizers use); another array element type is UnsupportedError naming
// the key. `written` is false when the source has no tokenizer.* key.
GGUFTokenizerWritten copy_gguf_tokenizer(io::GGUFWriter& w, const io::GGUFReader& source);

}  // namespace transformers
