#include <algorithm>
#include <mutex>

#include "transformers/modeling/modeling_utils.hpp"

namespace transformers {

namespace {
std::vector<ModelClassInfo>& model_registry() {
  static std::vector<ModelClassInfo> r;
  return r;
}
std::mutex& model_registry_mutex() {
  static std::mutex m;
  return m;
}
}  // namespace

void register_model_class(ModelClassInfo info) {
  std::lock_guard<std::mutex> lk(model_registry_mutex());
  auto& r = model_registry();
  r.erase(std::remove_if(r.begin(), r.end(), [&](const ModelClassInfo& i) { return i.class_name == info.class_name; }),
          r.end());
  r.push_back(std::move(info));
}

const ModelClassInfo* find_model_class(const std::string& class_name) {
  std::lock_guard<std::mutex> lk(model_registry_mutex());
  for (auto& i : model_registry())
    if (i.class_name == class_name) return &i;
  return nullptr;
}

const ModelClassInfo* find_auto_model_class(const std::string& auto_class, const std::string& model_type) {
  std::lock_guard<std::mutex> lk(model_registry_mutex());
  for (auto& i : model_registry())
    if (i.model_type == model_type &&
        std::find(i.auto_classes.begin(), i.auto_classes.end(), auto_class) != i.auto_classes.end())
      return &i;
  return nullptr;
}

std::vector<std::string> registered_model_classes() {
  std::lock_guard<std::mutex> lk(model_registry_mutex());
  std::vector<std::string> out;
  for (auto& i : model_registry()) out.push_back(i.class_name);
  return out;
}

void PreTrainedModel::prune_heads_impl(const std::map<int64_t, std::vector<int64_t>>&) {
  throw UnsupportedError("prune_heads is not supported by this model class");
}

}  // namespace transformers
