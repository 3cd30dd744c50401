#pragma once
// Auto classes: pick the model class from config.json's model_type through the registry that
// models/<arch>/ fill (register_model_class / register_config_class), then load it with
// from_pretrained. User code extends them by registering its own classes the same way.
//
//   auto m = AutoModelForCausalLM::from_pretrained("path/to/gpt2", {.torch_dtype = "auto"});
//   auto c = AutoConfig::from_pretrained("path/to/bert");
//   auto b = AutoModelForMaskedLM::from_config(c);
//   auto x = from_pretrained_class("BertForSequenceClassification", path, {.num_labels = 5});
#include <memory>
#include <string>

#include "transformers/modeling/modeling_utils.hpp"

namespace transformers {

// Registers every built-in architecture once (models/register_all.cpp); the Auto entry points call it.
void ensure_models_registered();

class AutoConfig {
 public:
  static std::shared_ptr<PretrainedConfig> from_pretrained(const std::string& path, const ConfigLoadOptions& opts = {});
  // A config of `model_type` with its class defaults, updated by `kwargs` (Python's AutoConfig.for_model).
  static std::shared_ptr<PretrainedConfig> for_model(const std::string& model_type, const json& kwargs = json::object());
};

// The class an Auto class would build for this config ("BertForMaskedLM"); ValueError naming the
// model type and the registered ones when there is none.
const ModelClassInfo& resolve_auto_class(const std::string& auto_class, const PretrainedConfig& config);

std::shared_ptr<PreTrainedModel> auto_from_pretrained(const std::string& auto_class, const std::string& path,
                                                      const FromPretrainedOptions& opts = {});
std::shared_ptr<PreTrainedModel> auto_from_config(const std::string& auto_class, std::shared_ptr<PretrainedConfig> config,
                                                  std::optional<uint64_t> seed = std::nullopt);

// Loads the registered class `class_name` (the CLI's --model-class). An empty name takes the first
// entry of the config's `architectures`.
std::shared_ptr<PreTrainedModel> from_pretrained_class(const std::string& class_name, const std::string& path,
                                                       const FromPretrainedOptions& opts = {});

#define TRANSFORMERS_AUTO_CLASS(NAME)                                                                      \
  struct NAME {                                                                                            \
    static constexpr const char* kName = #NAME;                                                            \
    static std::shared_ptr<PreTrainedModel> from_pretrained(const std::string& path,                      \
                                                            const FromPretrainedOptions& opts = {}) {      \
      return auto_from_pretrained(kName, path, opts);                                                      \
    }                                                                                                      \
    static std::shared_ptr<PreTrainedModel> from_config(std::shared_ptr<PretrainedConfig> config,         \
                                                        std::optional<uint64_t> seed = std::nullopt) {     \
      return auto_from_config(kName, std::move(config), seed);                                             \
    }                                                                                                      \
  };
TRANSFORMERS_AUTO_CLASS(AutoModel)
TRANSFORMERS_AUTO_CLASS(AutoModelForCausalLM)
TRANSFORMERS_AUTO_CLASS(AutoModelForMaskedLM)
TRANSFORMERS_AUTO_CLASS(AutoModelForSequenceClassification)
TRANSFORMERS_AUTO_CLASS(AutoModelForTokenClassification)
TRANSFORMERS_AUTO_CLASS(AutoModelForPreTraining)
TRANSFORMERS_AUTO_CLASS(AutoModelForQuestionAnswering)
TRANSFORMERS_AUTO_CLASS(AutoModelForMultipleChoice)
TRANSFORMERS_AUTO_CLASS(AutoModelForNextSentencePrediction)
#undef TRANSFORMERS_AUTO_CLASS

}  // namespace transformers
