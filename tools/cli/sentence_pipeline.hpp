#pragma once
// The sentence-transformers pipeline a model folder (or Hub repo) describes, as SentenceTransformer
// 3.4.1 runs it in encode(): modules.json lists Transformer -> Pooling -> [Dense...] -> [Normalize];
// sentence_bert_config.json gives max_seq_length / do_lower_case, 1_Pooling/config.json the pooling
// modes (cls, max, mean, mean_sqrt_len, weightedmean, lasttoken, concatenated in that order) and
// include_prompt, <n>_Dense/ a Linear (config.json + weights) with its activation, and
// config_sentence_transformers.json the prompts. A folder without modules.json gets what this CLI
// always did for it: mean pooling and L2 normalisation.
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "source_path.hpp"
#include "transformers/modeling/modeling_utils.hpp"
#include "transformers/tokenizers/auto_tokenizer.hpp"

namespace transformers::cli {

// Python's str.strip(): leading and trailing ASCII whitespace removed.
std::string strip_whitespace(const std::string& s);
// A torch activation class path as sentence-transformers writes it ("torch.nn.modules.activation.Tanh")
// -> the name activate() takes; UnsupportedError naming `file` for any other class.
std::string torch_activation(const std::string& class_path, const std::string& file);
// tanh, relu, sigmoid, gelu (erf form) or identity of x.
double activate(double x, const std::string& activation);
// Whether the tokenizer's 4.51 model_input_names carry token_type_ids, i.e. whether sentence-
// transformers passes them to the model.
bool passes_token_type_ids(const PreTrainedTokenizerFast& tok);

struct PoolingConfig {
  bool cls_token = false, max_tokens = false, mean_tokens = true, mean_sqrt_len_tokens = false,
       weightedmean_tokens = false, lasttoken = false;
  bool include_prompt = true;
};

struct DenseLayer {
  Tensor weight;       // [out, in] float32
  Tensor bias;         // [out] or undefined
  std::string activation;  // "tanh", "identity", "relu", "sigmoid", "gelu"
};

struct EncodeOptions {
  std::optional<std::string> prompt_name;  // a key of the prompts (ValueError when unknown)
  std::optional<std::string> prompt;       // the prompt text itself (wins over prompt_name)
  size_t batch_size = 32;                  // encode(batch_size=32)
  // After each batch (a progress bar): `done` texts of `total` embedded so far. With
  // batches_in_parallel it is called from the pool's threads, one call at a time.
  std::function<void(size_t done, size_t total)> on_batch;
  // Run whole batches side by side, one per thread of the pool (parallel_tasks), instead of one
  // batch at a time with every op split over the threads. The rows are the same either way; for
  // a long input (embed --input) it is the faster split, but it holds the pool for the whole call,
  // so a caller sharing the pool with other work (serve) leaves it off.
  bool batches_in_parallel = false;
};

class SentencePipeline {
 public:
  // Reads the folder's (or repo's) sentence-transformers files; typed errors name the file and key.
  static SentencePipeline load(const Source& src);
  // SentenceTransformer.encode(texts, prompt_name=..., prompt=..., batch_size=...): one float32 row
  // per text, in input order (batches formed longest text first, as encode forms them).
  std::vector<std::vector<float>> encode(const std::vector<std::string>& texts, const EncodeOptions& opts = {}) const;

  std::shared_ptr<PreTrainedModel> model;
  std::shared_ptr<PreTrainedTokenizerFast> tokenizer;
  std::optional<size_t> max_seq_length;
  bool do_lower_case = false;
  PoolingConfig pooling;
  std::vector<DenseLayer> dense;
  bool normalize = false;
  std::map<std::string, std::string> prompts;
  std::optional<std::string> default_prompt_name;

 private:
  // One batch of prepared (prompted, stripped, lowered) texts through tokenizer, model, pooling,
  // Dense and Normalize; `prompt_length` tokens are masked out of pooling when include_prompt=False.
  std::vector<std::vector<float>> encode_batch(const std::vector<std::string>& inputs, const TokenizerCallOptions& call,
                                               int64_t prompt_length, bool has_prompt) const;
};

}  // namespace transformers::cli
