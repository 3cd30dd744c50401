#pragma once
// The sentence-transformers pipeline a model folder (or Hub repo) describes, as SentenceTransformer
// 3.4.1 runs it in encode(): modules.json lists Transformer -> Pooling -> [Dense...] -> [Normalize];
// sentence_bert_config.json gives max_seq_length / do_lower_case, 1_Pooling/config.json the pooling
// modes (cls, max, mean, mean_sqrt_len, weightedmean, lasttoken, concatenated in that order) and
// include_prompt, <n>_Dense/ a Linear (config.json + weights) with its activation, and
// config_sentence_transformers.json the prompts. A folder without modules.json gets what this CLI
// always did for it: mean pooling and L2 normalisation.
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "source_path.hpp"
#include "transformers/modeling/modeling_utils.hpp"
#include "transformers/tokenizers/auto_tokenizer.hpp"

namespace transformers::cli {

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
};

class SentencePipeline {
 public:
  // Reads the folder's (or repo's) sentence-transformers files; typed errors name the file and key.
  static SentencePipeline load(const Source& src);
  // SentenceTransformer.encode(texts, prompt_name=..., prompt=...): one float32 row per text.
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
};

}  // namespace transformers::cli
