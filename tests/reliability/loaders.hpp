#pragma once
// The loaders a user's file reaches, each run to the end (every tensor read to its last byte,
// every accessor the model code calls), so a mutation that gets past the parser still has to be
// handled wherever it would be used.
#include <filesystem>
#include <string>
#include <vector>

#include "transformers/generation/configuration_utils.hpp"
#include "transformers/io/checkpoint.hpp"
#include "transformers/io/shard_index.hpp"
#include "transformers/modeling/configuration_utils.hpp"
#include "transformers/tokenizers/auto_tokenizer.hpp"
#include "transformers/tokenizers/tokenizer.hpp"

namespace reliability {

inline void touch(const transformers::Tensor& t) {
  const transformers::Tensor c = t.contiguous();
  const auto* p = static_cast<const unsigned char*>(c.data_ptr());
  volatile unsigned sum = 0;
  for (size_t i = 0, n = c.nbytes(); i < n; ++i) sum = sum + p[i];
}

// One checkpoint file (safetensors, torch zip, legacy torch), every tensor read.
inline void load_checkpoint_file(const std::filesystem::path& file) {
  auto r = transformers::io::open_checkpoint_file(file);
  for (const auto& name : r->keys()) touch(r->get_tensor(name));
}

// A folder or index as from_pretrained resolves it, every tensor of every shard read.
inline void load_checkpoint(const std::filesystem::path& path) {
  auto ck = transformers::io::open_checkpoint(path);
  for (const auto& [name, t] : ck.tensors) touch(t);
}

// config.json in `dir`, and the accessors model constructors use.
inline void load_config(const std::filesystem::path& dir) {
  auto c = transformers::PretrainedConfig::from_pretrained(dir.string());
  volatile int64_t sink = 0;
  if (c->has("vocab_size")) sink = sink + c->vocab_size();
  if (c->has("hidden_size")) sink = sink + c->hidden_size();
  if (c->has("num_hidden_layers")) sink = sink + c->num_hidden_layers();
  if (c->has("num_attention_heads")) sink = sink + c->num_attention_heads();
  sink = sink + c->tie_word_embeddings() + c->num_labels() + int64_t(c->id2label().size());
  sink = sink + int64_t(c->pruned_heads().size()) + c->torch_dtype().has_value() + c->rope_theta().has_value();
  sink = sink + int64_t(c->architectures().size()) + int64_t(c->to_json_string().size());
}

inline void load_generation_config(const std::filesystem::path& dir) {
  auto g = transformers::GenerationConfig::from_pretrained(dir.string());
  volatile int64_t sink = int64_t(g->eos_token_ids().size());
  sink = sink + g->get<int64_t>("max_length", 20) + g->get<int64_t>("num_beams", 1) + g->get<bool>("do_sample", false);
  sink = sink + int64_t(g->to_json_string().size());
}

inline const std::vector<std::string>& sample_texts() {
  static const std::vector<std::string> t = {"Hello world!", " héllo\tnaïve 東京 \xf0\x9f\x98\x80 <s> [CLS] [SEP]", ""};
  return t;
}

inline void load_tokenizer_json(const std::filesystem::path& file) {
  auto tok = transformers::Tokenizer::from_file(file);
  for (const auto& s : sample_texts()) {
    auto e = tok.encode(s);
    volatile size_t sink = tok.decode(e.ids).size();
    (void)sink;
  }
}

// tokenizer.json + tokenizer_config.json (+ special_tokens_map.json) in `dir`.
inline void load_auto_tokenizer(const std::filesystem::path& dir) {
  auto tok = transformers::AutoTokenizer::from_pretrained(dir);
  auto batch = tok(sample_texts(), {.padding = transformers::Padding::Longest, .truncation = true, .max_length = 8});
  for (const auto& ids : batch.input_ids) {
    volatile size_t sink = tok.decode(ids, {.skip_special_tokens = true}).size();
    (void)sink;
  }
}

}  // namespace reliability
