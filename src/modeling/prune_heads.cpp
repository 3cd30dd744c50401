// prune_heads: the config bookkeeping of PreTrainedModel.prune_heads (4.51); the tensor surgery lives
// in each architecture's prune_heads_impl (models/) over nn/pruning.hpp.
#include <set>

#include "transformers/core/error.hpp"
#include "transformers/core/quote.hpp"
#include "transformers/io/json_file.hpp"
#include "transformers/modeling/prune.hpp"

namespace transformers {

void prune_heads(PreTrainedModel& model, const HeadsToPrune& heads_to_prune) {
  const int64_t layers = model.config().num_hidden_layers();
  const int64_t heads = model.config().num_attention_heads();
  // Validate first so a bad request leaves both the config and the weights untouched.
  for (auto& [layer, hs] : heads_to_prune) {
    if (layer < 0 || layer >= layers)
      throw ValueError("prune_heads: layer " + std::to_string(layer) + " does not exist (config.num_hidden_layers = " +
                       std::to_string(layers) + ")");
    for (int64_t h : hs)
      if (h < 0 || h >= heads)
        throw ValueError("prune_heads: head " + std::to_string(h) + " of layer " + std::to_string(layer) +
                         " does not exist (config.num_attention_heads = " + std::to_string(heads) + ")");
  }
  auto merged = model.config().pruned_heads();
  for (auto& [layer, hs] : heads_to_prune) {
    std::set<int64_t> u(merged[layer].begin(), merged[layer].end());
    u.insert(hs.begin(), hs.end());
    merged[layer] = std::vector<int64_t>(u.begin(), u.end());
  }
  model.prune_heads_impl(heads_to_prune);
  model.config().set_pruned_heads(merged);
}

void apply_config_pruned_heads(PreTrainedModel& model) {
  const auto ph = model.config().pruned_heads();
  if (!ph.empty()) prune_heads(model, ph);
}

HeadsToPrune parse_heads_to_prune(const std::string& text) {
  json j;
  try {
    j = io::parse_ordered_json(text, "heads to prune", {.what = "argument"});
  } catch (const FormatError& e) {
    throw ValueError(std::string("expected JSON like {\"0\": [0, 2]}: ") + e.what());
  }
  if (!j.is_object())
    throw ValueError("heads to prune: expected a JSON object {layer: [heads]}, found " + quote_input(j.dump()));
  HeadsToPrune out;
  for (auto& [k, v] : j.items()) {
    int64_t layer;
    size_t used = 0;
    try {
      layer = std::stoll(k, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != k.size())
      throw ValueError("heads to prune: layer key " + quote_input(k) + " is not an integer");
    if (!v.is_array()) throw ValueError("heads to prune: layer " + k + " must map to a list of heads, found " + quote_input(v.dump()));
    for (auto& h : v) {
      if (!h.is_number_integer()) throw ValueError("heads to prune: layer " + k + " lists a non-integer head " + quote_input(h.dump()));
      out[layer].push_back(h.get<int64_t>());
    }
  }
  return out;
}

}  // namespace transformers
