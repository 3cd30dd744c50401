#pragma once
// PreTrainedModel: the base of every model class (BertForMaskedLM, GPT2LMHeadModel, ...). Holds the
// config, knows its base_model_prefix and tied weights, loads and saves the Hugging Face layout.
// Architectures derive from it in models/<arch>/ and register themselves in the model registry
// (modeling/auto.hpp) so the Auto classes and from_pretrained can build them from config.json.
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "transformers/modeling/configuration_utils.hpp"
#include "transformers/modeling/model_outputs.hpp"
#include "transformers/nn/module.hpp"

namespace transformers {

class PreTrainedModel : public nn::Module {
 public:
  explicit PreTrainedModel(std::shared_ptr<PretrainedConfig> config) : config_(std::move(config)) {}

  // ---- what each architecture provides ----
  virtual ModelOutput forward(const ModelInputs& inputs) = 0;
  // "bert", "transformer" (GPT-2), "model" (Llama): the attribute holding the base model.
  virtual std::string base_model_prefix() const = 0;
  // Python's _tied_weights_keys, e.g. {"lm_head.weight"}; empty when nothing is tied.
  virtual std::vector<std::string> tied_weights_keys() const { return {}; }
  // The base model (this when the class is the base model itself).
  virtual nn::Module* base_model() { return this; }
  // Input/output embedding modules (nullptr when there is none, e.g. BertModel's output).
  virtual nn::Module* get_input_embeddings() { return nullptr; }
  virtual nn::Module* get_output_embeddings() { return nullptr; }
  // Hugging Face's _init_weights for one module (used for newly created weights, e.g. on resize).
  virtual void init_weights(nn::Module& module) {}
  // Python's _keys_to_ignore_on_load_missing / _keys_to_ignore_on_load_unexpected (regex strings).
  virtual std::vector<std::string> keys_to_ignore_on_load_missing() const { return {}; }
  virtual std::vector<std::string> keys_to_ignore_on_load_unexpected() const { return {}; }
  virtual bool can_generate() const { return false; }
  // Prune heads in the base model's layers ({layer: heads}); UnsupportedError where Python has none.
  virtual void prune_heads_impl(const std::map<int64_t, std::vector<int64_t>>& heads);

  PretrainedConfig& config() { return *config_; }
  const PretrainedConfig& config() const { return *config_; }
  std::shared_ptr<PretrainedConfig> config_ptr() const { return config_; }

 protected:
  std::shared_ptr<PretrainedConfig> config_;
};

// A factory registered per (model_type, class name) by models/<arch>/.
using ModelFactory = std::function<std::shared_ptr<PreTrainedModel>(std::shared_ptr<PretrainedConfig>)>;

struct ModelClassInfo {
  std::string model_type;   // "bert"
  std::string class_name;   // "BertForMaskedLM"
  // Auto classes this class serves: "AutoModel", "AutoModelForCausalLM", "AutoModelForMaskedLM",
  // "AutoModelForSequenceClassification", "AutoModelForTokenClassification", "AutoModelForPreTraining"
  std::vector<std::string> auto_classes;
  ModelFactory factory;
};
void register_model_class(ModelClassInfo info);
const ModelClassInfo* find_model_class(const std::string& class_name);
const ModelClassInfo* find_auto_model_class(const std::string& auto_class, const std::string& model_type);
std::vector<std::string> registered_model_classes();

// Architectures register at static-initialisation time with this helper; because the library is
// static, each models/<arch>/ also exposes a `void register_<arch>()` that
// modeling/auto.cpp calls once (so the linker never drops a registration).
struct RegisterModelClass {
  explicit RegisterModelClass(ModelClassInfo info) { register_model_class(std::move(info)); }
};

}  // namespace transformers
