// FlaxPreTrainedModel init_weights / _do_init=False semantics (see flax_init.hpp).
#include "transformers/modeling/flax_init.hpp"

#include <algorithm>
#include <set>

#include "modeling/tf_flax_load.hpp"
#include "transformers/core/quote.hpp"

namespace transformers {

namespace {

std::vector<std::string> paths_of(const FlaxParams& params) {
  std::vector<std::string> out;
  for (const auto& [p, t] : params) out.push_back(p);
  return out;
}

// Flax's order: sorted level by level.
void sort_flax(FlaxParams& params) {
  auto parts = [](const std::string& p) {
    std::vector<std::string> v;
    size_t start = 0;
    for (size_t at; (at = p.find('/', start)) != std::string::npos; start = at + 1) v.push_back(p.substr(start, at - start));
    v.push_back(p.substr(start));
    return v;
  };
  std::stable_sort(params.begin(), params.end(), [&](const auto& a, const auto& b) { return parts(a.first) < parts(b.first); });
}

}  // namespace

std::vector<std::string> flax_required_params(PreTrainedModel& model) {
  return paths_of(detail::flax_state(model, model.state_dict()));
}

std::vector<std::string> flax_missing_keys(PreTrainedModel& model, const FlaxParams& params) {
  std::set<std::string> given;
  for (const auto& [p, t] : params) given.insert(p);
  std::vector<std::string> out;
  for (const auto& p : flax_required_params(model))
    if (!given.count(p)) out.push_back(p);
  std::sort(out.begin(), out.end());
  return out;
}

FlaxParams init_weights(PreTrainedModel& model, uint64_t seed, const Shape& input_shape, const FlaxParams* params) {
  if (input_shape.empty() || std::any_of(input_shape.begin(), input_shape.end(), [](int64_t d) { return d <= 0; }))
    throw ValueError("init_weights: input_shape must be a non-empty shape of positive sizes, found " + shape_str(input_shape));
  const ModelClassInfo* info = find_model_class(model.name());
  if (!info) throw ValueError("init_weights: " + quote_input(model.name()) + " is not a registered model class");
  auto fresh = build_model_from_config(info->factory, model.config().clone(), seed);
  FlaxParams random = detail::flax_state(*fresh, fresh->state_dict());
  if (!params) return random;
  FlaxParams out = *params;
  std::set<std::string> given;
  for (const auto& [p, t] : out) given.insert(p);
  for (auto& [p, t] : random)
    if (!given.count(p)) out.emplace_back(p, t);
  sort_flax(out);
  return out;
}

LoadingInfo load_flax_params(PreTrainedModel& model, const FlaxParams& params) {
  const auto missing = flax_missing_keys(model, params);
  if (!missing.empty()) {
    std::string list;
    for (const auto& m : missing) list += (list.empty() ? "" : ", ") + quote_input(m);
    throw KeyError("load_flax_params: the params lack required parameters of " + model.name() + ": [" + list +
                   "] (call init_weights(model, seed, input_shape, params) to initialise them)");
  }
  return load_state_dict_into_model(model, detail::flax_weights_to_pytorch(model, params));
}

}  // namespace transformers
