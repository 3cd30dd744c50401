#pragma once
// Token-embedding resizing and the embedding accessors of PreTrainedModel, with transformers 4.51's
// behaviour (spec hf-modeling.md §6.1, §6.3). Free functions over a PreTrainedModel so that every
// architecture gets them without a method of its own:
//
//   resize_token_embeddings(*model, {.new_num_tokens = 104, .pad_to_multiple_of = 8});
#include <cstdint>
#include <optional>

#include "transformers/modeling/modeling_utils.hpp"
#include "transformers/nn/embedding.hpp"
#include "transformers/nn/linear.hpp"
#include "transformers/ops/random.hpp"

namespace transformers {

struct ResizeTokenEmbeddingsOptions {
  std::optional<int64_t> new_num_tokens;      // nullopt: keep the row count (then only padding applies)
  std::optional<int64_t> pad_to_multiple_of;  // round the row count up to a multiple (must be > 0)
  // New rows drawn from N(mean of old rows, 1e-9 * covariance of old rows) (the mean itself when that
  // covariance is not positive definite); false: the model's init_weights (N(0, initializer_range)).
  bool mean_resizing = true;
  // Seeds ops::default_generator() first (the generator both initialisations draw from).
  std::optional<uint64_t> seed;
};

// PreTrainedModel.resize_token_embeddings: grows (new rows initialised as above) or shrinks (rows cut
// from the end) the input embedding; an untied output head (Linear) and its bias follow; a tied head
// is re-tied and its bias zero-padded or truncated; config.vocab_size becomes the new row count.
// With neither new_num_tokens nor pad_to_multiple_of nothing changes. Returns the input embedding
// module (the same object as before: its weight tensor is replaced, as Python replaces .data).
// UnsupportedError (Python's TypeError) when the input embedding is not an nn::Embedding or the
// output head not an nn::Linear; ValueError for a pad_to_multiple_of <= 0 or a row count < 1.
nn::Embedding& resize_token_embeddings(PreTrainedModel& model, const ResizeTokenEmbeddingsOptions& opts = {});

// The input embedding as an nn::Embedding (UnsupportedError when it is none or another kind), and the output
// head as an nn::Linear (nullptr when the model has none, e.g. BertModel).
nn::Embedding& input_embedding_module(PreTrainedModel& model);
nn::Linear* output_linear_module(PreTrainedModel& model);

// set_input_embeddings / set_output_embeddings: the model's embedding module takes `value`'s
// parameters (shared, not copied, as a Python attribute assignment shares the Parameter) and
// padding_idx. Ties are not re-made: call model.tie_weights() as Python code would.
void set_input_embeddings(PreTrainedModel& model, const nn::Embedding& value);
void set_output_embeddings(PreTrainedModel& model, const nn::Linear& value);

// The rows 4.51's mean resizing would add: `added` rows from N(mu, 1e-9 * Sigma) of `old` [rows, dim]
// computed in float32, or mu repeated when 1e-9 * Sigma fails the Cholesky check. Returned in
// float32 [added, dim]; exposed for tests.
Tensor mean_resized_rows(const Tensor& old, int64_t added, ops::Generator& gen);

}  // namespace transformers
