#pragma once
// A cross-encoder as sentence-transformers 3.4.1's CrossEncoder runs it: the folder's
// AutoModelForSequenceClassification (num_labels forced to 1 when config.architectures names no
// *ForSequenceClassification, as CrossEncoder.__init__ does), each (query, document) pair stripped and
// tokenized together (padding, truncation "longest_first" to the tokenizer's model_max_length,
// token_type_ids where the tokenizer's model_input_names carry them), the logits through the default
// activation: config.sbert_ce_default_activation_function when set, else Sigmoid for one label and
// Identity otherwise.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "source_path.hpp"
#include "transformers/modeling/modeling_utils.hpp"
#include "transformers/tokenizers/auto_tokenizer.hpp"

namespace transformers::cli {

struct RankedDocument {
  size_t corpus_id;
  double score;
};

class CrossEncoder {
 public:
  static CrossEncoder load(const Source& src);
  // CrossEncoder.predict(pairs, batch_size, activation_fct): one row of num_labels scores per pair;
  // `activation` ("sigmoid", "identity", ...) replaces the default when given.
  std::vector<std::vector<float>> predict(const std::vector<std::pair<std::string, std::string>>& pairs,
                                          const std::optional<std::string>& activation = std::nullopt,
                                          size_t batch_size = 32) const;
  // CrossEncoder.rank(query, documents): the one-label scores sorted high to low (stable, as
  // Python's sorted). ValueError when the model has more than one label, as rank() raises.
  std::vector<RankedDocument> rank(const std::string& query, const std::vector<std::string>& documents,
                                   const std::optional<std::string>& activation = std::nullopt) const;

  std::shared_ptr<PreTrainedModel> model;
  std::shared_ptr<PreTrainedTokenizerFast> tokenizer;
  int64_t num_labels = 1;
  std::string default_activation;
};

}  // namespace transformers::cli
