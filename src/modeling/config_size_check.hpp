#pragma once
// from_pretrained's guard against config sizes a checkpoint cannot back (issue 18 item 14).
#include <string>

#include "transformers/modeling/configuration_utils.hpp"

namespace transformers::detail {

// Above this many parameters beyond 4x the checkpoint's count a config is refused. Legitimate
// loads stay far below: a base checkpoint into a head model adds at most an untied output layer
// (one more embedding matrix), and tiny test models are under the constant.
inline constexpr double kSizeSlackParameters = double(1 << 24);
inline constexpr double kSizeFactor = 4.0;

// Throws ValueError naming the config key that drives the size when the base model `config`
// implies more parameters than kSizeFactor * checkpoint_numel + kSizeSlackParameters. `where`
// names the config in the message. No-op for model types without a registered count.
void check_config_sizes(const PretrainedConfig& config, double checkpoint_numel, const std::string& where);

}  // namespace transformers::detail
