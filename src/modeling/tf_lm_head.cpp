// TFPreTrainedModel.get_lm_head / get_output_layer_with_bias / get_prefix_bias_name / get_bias /
// set_bias in PyTorch-layout models (see tf_lm_head.hpp).
#include "transformers/modeling/tf_lm_head.hpp"

#include "modeling/tf_flax_load.hpp"
#include "transformers/core/logging.hpp"
#include "transformers/core/quote.hpp"

namespace transformers {

namespace {

struct HeadPaths {
  const char* module;   // the head in our (PyTorch) module tree
  const char* tf_path;  // its name scope under the TF model
};

// The 4.51 TF classes whose get_lm_head returns a layer (tests/data/tfflax/tf_lm_head.json, from
// tests/oracle/make_tf_lm_head.py), with where that layer is here.
std::optional<HeadPaths> head_of(const std::string& cls) {
  static const std::map<std::string, HeadPaths> heads = {
      {"BertForMaskedLM", {"cls.predictions", "mlm___cls/predictions"}},
      {"BertForPreTraining", {"cls.predictions", "mlm___cls/predictions"}},
      {"BertLMHeadModel", {"cls.predictions", "mlm___cls/predictions"}},
      {"DistilBertForMaskedLM", {"vocab_projector", "vocab_projector"}},
      {"RobertaForMaskedLM", {"lm_head", "lm_head"}},
      {"RobertaForCausalLM", {"lm_head", "lm_head"}},
      {"XLMRobertaForMaskedLM", {"lm_head", "lm_head"}},
      {"XLMRobertaForCausalLM", {"lm_head", "lm_head"}},
  };
  auto it = heads.find(cls);
  if (it == heads.end()) return std::nullopt;
  return it->second;
}

const logging::Logger& tf_logger() {
  static const logging::Logger logger = logging::get_logger("transformers.modeling_tf_utils");
  return logger;
}

Tensor* head_bias(PreTrainedModel& model) {
  nn::Module* head = get_lm_head(model);
  if (!head) return nullptr;
  Tensor* bias = head->find_parameter("bias");
  if (!bias) throw KeyError("get_bias: the LM head of " + model.name() + " has no parameter 'bias'");
  return bias;
}

}  // namespace

nn::Module* get_lm_head(PreTrainedModel& model) {
  const auto paths = head_of(model.name());
  return paths ? model.find_module(paths->module) : nullptr;
}

nn::Module* get_output_layer_with_bias(PreTrainedModel& model) {
  tf_logger().warning_once("The method get_output_layer_with_bias is deprecated. Please use `get_lm_head` instead.");
  return get_lm_head(model);
}

std::optional<std::string> get_prefix_bias_name(PreTrainedModel& model) {
  tf_logger().warning_once("The method get_prefix_bias_name is deprecated. Please use `get_bias` instead.");
  const auto paths = head_of(model.name());
  if (!paths) return std::nullopt;
  return detail::tf_model_name(model.name()) + "/" + paths->tf_path;
}

std::optional<TfBias> get_bias(PreTrainedModel& model) {
  Tensor* bias = head_bias(model);
  if (!bias) return std::nullopt;
  return TfBias{{"bias", *bias}};
}

void set_bias(PreTrainedModel& model, const TfBias& value) {
  Tensor* bias = head_bias(model);
  if (!bias) return;
  auto it = value.find("bias");
  if (it == value.end()) throw KeyError("set_bias: the value has no key 'bias' (the LM head of " + model.name() + " has one bias)");
  const Tensor& t = it->second;
  if (!t.defined() || t.dim() != 1 || !t.is_floating_point())
    throw ValueError("set_bias: value['bias'] must be a 1-D floating tensor (one entry per vocabulary token), found " +
                     (t.defined() ? std::string(dtype_name(t.dtype())) + " of shape " + shape_str(t.sizes()) : std::string("none")));
  *bias = t;
  model.config().set("vocab_size", t.sizes()[0]);
}

}  // namespace transformers
