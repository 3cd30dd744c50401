#include "construct_model.hpp"

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "transformers/core/checked.hpp"

namespace transformers::modeling_detail {

namespace {
// The integer keys of `config` whose value is the largest operand of the overflow (the size that
// made it overflow); 0 and 1 are too common to point at anything.
uint64_t magnitude(int64_t v) { return v < 0 ? uint64_t(0) - uint64_t(v) : uint64_t(v); }

std::vector<std::string> keys_for(const PretrainedConfig& config, const std::vector<int64_t>& operands) {
  uint64_t largest = 1;
  for (int64_t v : operands) largest = std::max(largest, magnitude(v));
  std::vector<std::string> keys;
  if (largest <= 1) return keys;
  for (const auto& [k, v] : config.raw().items()) {
    if (!v.is_number_integer()) continue;
    const uint64_t m = v.is_number_unsigned() ? v.get<uint64_t>() : magnitude(v.get<int64_t>());
    if (m == largest) keys.push_back(k);
  }
  return keys;
}
}  // namespace

std::shared_ptr<PreTrainedModel> construct_model(const ModelFactory& factory, const std::shared_ptr<PretrainedConfig>& config) {
  try {
    return factory(config);
  } catch (const OverflowError& e) {
    const std::vector<std::string> keys = keys_for(*config, e.operands());
    if (keys.empty()) throw;
    std::string named;
    for (const auto& k : keys) named += (named.empty() ? "'" : ", '") + k + "' = " + config->raw().at(k).dump();
    const std::string file = config->name_or_path().empty() ? "config" : config->name_or_path() + "/config.json";
    throw OverflowError(file + ": " + named + " is too large for a " + config->model_type() + " model (" + e.what() + ")",
                        e.operands());
  }
}

}  // namespace transformers::modeling_detail
