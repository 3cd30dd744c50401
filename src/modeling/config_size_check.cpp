// The config's implied parameter count is compared with the checkpoint's before the model is
// built: building allocates (and init_weights writes) every parameter the config describes, so a
// hostile num_hidden_layers or vocab_size would exhaust memory long before any shape check.
#include "config_size_check.hpp"

#include <cstdio>

namespace transformers::detail {

namespace {
std::string count_str(double n) {
  char buf[64];
  std::snprintf(buf, sizeof buf, n < 1e15 ? "%.0f" : "%.3g", n);
  return buf;
}
}  // namespace

void check_config_sizes(const PretrainedConfig& config, double checkpoint_numel, const std::string& where) {
  const ConfigClassInfo* info = config.class_info();
  if (!info || !info->base_model_num_parameters) return;
  const auto& count = info->base_model_num_parameters;
  const double implied = count(config);
  const double limit = kSizeFactor * checkpoint_numel + kSizeSlackParameters;
  if (!(implied > limit)) return;
  // Name the integer key whose reduction to 1 shrinks the count most: the one that makes it absurd.
  std::string culprit;
  double best = implied;
  for (auto& [key, value] : config.raw().items()) {
    if (!value.is_number() || !(value.get<double>() > 1)) continue;
    PretrainedConfig trial = *config.clone();
    trial.raw()[key] = 1;
    double n = implied;
    try {
      n = count(trial);
    } catch (const Error&) {
      continue;
    }
    if (n < best) {
      best = n;
      culprit = key;
    }
  }
  const std::string what = culprit.empty() ? std::string("its sizes")
                                           : "config key '" + culprit + "' = " + config.raw().at(culprit).dump();
  throw ValueError(where + ": " + what + " implies " + count_str(implied) + " parameters in the base model, but the "
                   "checkpoint holds " + count_str(checkpoint_numel) + " (refused above " + count_str(kSizeFactor) +
                   "x the checkpoint + " + count_str(kSizeSlackParameters) + "); the config does not describe this "
                   "checkpoint");
}

}  // namespace transformers::detail
