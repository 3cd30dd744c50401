// Trainer's weight-decay split and num_items_in_batch (trainer.py / trainer_pt_utils.py, 4.51).
#include "transformers/training/trainer_pt_utils.hpp"

#include <algorithm>
#include <cctype>
#include <limits>
#include <numeric>
#include <random>

#include "transformers/core/autograd.hpp"
#include "transformers/core/error.hpp"

namespace transformers::training {

namespace {
std::string lower(std::string s) {
  for (char& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool has_forbidden_name(const std::string& name, const std::vector<std::string>& forbidden) {
  const std::string l = lower(name);
  return std::any_of(forbidden.begin(), forbidden.end(), [&](const std::string& f) { return l.find(f) != std::string::npos; });
}
}  // namespace

std::vector<std::string> get_parameter_names(const nn::Module& model, const std::set<std::string>& forbidden_layer_types,
                                             const std::vector<std::string>& forbidden_layer_names) {
  std::vector<std::string> result;
  for (auto& [name, child] : model.named_children()) {
    if (forbidden_layer_types.count(child->name())) continue;  // isinstance(child, forbidden types)
    for (const std::string& n : get_parameter_names(*child, forbidden_layer_types, forbidden_layer_names)) {
      const std::string full = name + "." + n;
      if (!has_forbidden_name(full, forbidden_layer_names)) result.push_back(full);
    }
  }
  for (auto& [k, t] : model.named_parameters("", /*recurse=*/false, /*remove_duplicate=*/false))
    if (!has_forbidden_name(k, forbidden_layer_names)) result.push_back(k);
  return result;
}

std::vector<std::string> get_decay_parameter_names(const PreTrainedModel& model) {
  // Our RMSNorm reports "LlamaRMSNorm" for every Llama-family model; in Python only Llama's own
  // class is in ALL_LAYERNORM_LAYERS.
  std::set<std::string> types{"LayerNorm"};
  if (model.config().model_type() == "llama") types.insert("LlamaRMSNorm");
  return get_parameter_names(model, types, {"bias", "layernorm", "rmsnorm"});
}

std::vector<ParamGroup> decay_parameter_groups(PreTrainedModel& model, double weight_decay) {
  trainable_parameters(model);  // makes every parameter writable first
  const std::vector<std::string> names = get_decay_parameter_names(model);
  const std::set<std::string> decay(names.begin(), names.end());
  std::vector<ParamGroup> groups(2);
  groups[0].weight_decay = weight_decay;
  groups[1].weight_decay = 0.0;
  for (auto& [name, p] : model.named_parameters())
    if (p.requires_grad()) groups[decay.count(name) ? 0 : 1].params.push_back(p);
  return groups;
}

int64_t count_num_items_in_batch(const std::vector<Tensor>& labels_per_batch) {
  int64_t n = 0;
  for (const Tensor& labels : labels_per_batch)
    for (int64_t v : labels.to_vector<int64_t>()) n += v != -100;
  return n;
}

std::vector<int64_t> seeded_random_order(int64_t n, uint64_t seed, int64_t epoch) {
  if (n < 0 || n >= int64_t(std::numeric_limits<uint32_t>::max() / 20))
    throw ValueError("seeded_random_order: " + std::to_string(n) + " rows are outside [0, uint32 max / 20)");
  std::mt19937 gen{uint32_t(seed + uint64_t(epoch))};  // torch.Generator().manual_seed(seed + epoch)
  std::vector<int64_t> r(size_t(n), 0);
  std::iota(r.begin(), r.end(), int64_t(0));
  for (int64_t i = 0; i + 1 < n; ++i) std::swap(r[size_t(i)], r[size_t(i + int64_t(gen() % uint64_t(n - i)))]);
  return r;
}

}  // namespace transformers::training
