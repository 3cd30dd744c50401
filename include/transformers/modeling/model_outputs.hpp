#pragma once
// Inputs and outputs shared by every architecture, named like Python's arguments and ModelOutput
// fields. A field left undefined is Python's None.
#include <optional>
#include <vector>

#include "transformers/core/tensor.hpp"

namespace transformers {

class Cache;  // nn/kv_cache.hpp: preallocated key/value cache shared with generation

struct ModelInputs {
  Tensor input_ids;       // int64 [batch, seq]
  Tensor attention_mask;  // int64/bool/float [batch, seq] (1 = attend); undefined = all ones
  Tensor token_type_ids;  // int64 [batch, seq] (BERT)
  Tensor position_ids;    // int64 [batch, seq]; undefined = derived as Python derives it
  Tensor inputs_embeds;   // float [batch, seq, hidden] instead of input_ids
  Tensor head_mask;       // float [layers, heads] or [heads] (1 keep, 0 mask)
  Tensor labels;          // int64 [batch, seq]: the loss is computed when defined (-100 = ignored)
  // Tokens counted over all accumulated batches: the loss is then sum / this (loss_utils.hpp).
  std::optional<int64_t> num_items_in_batch;
  Cache* past_key_values = nullptr;
  std::optional<bool> use_cache;
  std::optional<bool> output_attentions;
  std::optional<bool> output_hidden_states;
  // Only compute logits for the last N positions (generation); 0 = all (Python's logits_to_keep).
  int64_t logits_to_keep = 0;
};

struct ModelOutput {
  Tensor loss;
  Tensor logits;
  Tensor last_hidden_state;
  Tensor pooler_output;
  Tensor start_logits, end_logits;                    // QuestionAnsweringModelOutput
  Tensor prediction_logits, seq_relationship_logits;  // BertForPreTrainingOutput
  std::vector<Tensor> hidden_states;  // embeddings output + one per layer (when asked)
  std::vector<Tensor> attentions;     // one [batch, heads, q, k] per layer (when asked, eager path)
  Cache* past_key_values = nullptr;
};

}  // namespace transformers
