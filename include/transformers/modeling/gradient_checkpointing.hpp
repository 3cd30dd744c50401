#pragma once
// Gradient checkpointing as 4.51 runs it: a module that loops over layers (GPT2Model, LlamaModel,
// BertEncoder, DistilBERT's Transformer) carries Python's `gradient_checkpointing` attribute; when
// it is set and the module is in train(), each layer runs through checkpoint(): its forward under
// no-grad (the layer's intermediates are not kept), and in backward the layer's forward again, with
// the random generator restored so dropout draws the same masks (torch's preserve_rng_state), then
// a backward through that recomputation. The gradients equal the plain run's; the memory held
// between forward and backward is the layers' inputs only.
//
// The model-level calls are free functions here (Python's PreTrainedModel methods of the same
// names) so that the PreTrainedModel header every model includes stays as it is.
#include <functional>
#include <optional>
#include <vector>

#include "transformers/core/tensor.hpp"
#include "transformers/modeling/modeling_utils.hpp"

namespace transformers {

// gradient_checkpointing_kwargs; 4.51 passes {"use_reentrant": True} when none are given.
struct GradientCheckpointingOptions {
  // true: torch's reentrant checkpoint: the layer's output requires grad only when its input does
  // (with a frozen input, e.g. frozen embeddings, the layer's parameters get no gradient, and torch
  // warns "None of the inputs have requires_grad=True. Gradients will be None"). false: the
  // non-reentrant one: the layer's parameters get gradients either way.
  bool use_reentrant = true;
};

// The `gradient_checkpointing` attribute of a module that runs layers.
class GradientCheckpointingLayers {
 public:
  virtual ~GradientCheckpointingLayers() = default;
  bool gradient_checkpointing = false;
  GradientCheckpointingOptions gradient_checkpointing_kwargs;
  // The options when layers are to be checkpointed now (`self.gradient_checkpointing and
  // self.training`), else nullopt.
  std::optional<GradientCheckpointingOptions> active_checkpointing(bool training) const {
    if (gradient_checkpointing && training) return gradient_checkpointing_kwargs;
    return std::nullopt;
  }
};

// PreTrainedModel.gradient_checkpointing_enable / _disable: sets the attribute on every module that
// has it; ValueError naming the class when none has (Python: "... does not support gradient
// checkpointing.").
void gradient_checkpointing_enable(PreTrainedModel& model, const GradientCheckpointingOptions& options = {});
void gradient_checkpointing_disable(PreTrainedModel& model);
// Python's is_gradient_checkpointing property: any module has the attribute set.
bool is_gradient_checkpointing(PreTrainedModel& model);

// torch.utils.checkpoint.checkpoint(layer, input, use_reentrant=...) for a layer of one tensor
// input and output; `params` are the layer's parameters (what the non-reentrant form also makes
// the output depend on). Outside grad mode it is just layer(input).
Tensor checkpoint(const std::function<Tensor(const Tensor&)>& layer, const Tensor& input,
                  const std::vector<Tensor>& params, const GradientCheckpointingOptions& options);

// The warning 4.51's decoders give when use_cache meets checkpointing in training, once.
void warn_use_cache_with_checkpointing();

}  // namespace transformers
