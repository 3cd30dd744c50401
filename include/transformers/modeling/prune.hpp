#pragma once
// PreTrainedModel.prune_heads (4.51, spec hf-modeling.md §6.2) as a free function over any model
// whose base model implements prune_heads_impl (BERT: q/k/v rows and output.dense columns; GPT-2:
// Conv1D c_attn columns and c_proj rows).
//
//   prune_heads(*model, {{0, {1, 3}}, {1, {0}}});
#include <cstdint>
#include <map>
#include <vector>

#include "transformers/modeling/modeling_utils.hpp"

namespace transformers {

using HeadsToPrune = std::map<int64_t, std::vector<int64_t>>;

// config.pruned_heads[layer] becomes the union of what it held and `heads_to_prune[layer]` (kept
// sorted: Python's order is a set's, unspecified), then the base model prunes the request as given
// (heads already pruned are skipped; numbering is the original one). save_pretrained writes
// config.pruned_heads, and building the model from that config prunes again, so a saved pruned
// checkpoint loads with matching shapes. UnsupportedError for models without head pruning,
// ValueError for a layer or head out of range (the config is left unchanged then).
void prune_heads(PreTrainedModel& model, const HeadsToPrune& heads_to_prune);

// Re-applies config.pruned_heads to a freshly built model (Python does it in post_init); a no-op
// when the config holds none. Model constructors of prunable architectures call it.
void apply_config_pruned_heads(PreTrainedModel& model);

// Parses the CLI's / config's JSON form {"0": [0, 2], "2": [1]}; ValueError naming what is wrong.
HeadsToPrune parse_heads_to_prune(const std::string& json_text);

}  // namespace transformers
