// gradient_checkpointing_enable/disable and torch.utils.checkpoint's recomputation.
#include "transformers/modeling/gradient_checkpointing.hpp"

#include "transformers/core/autograd.hpp"
#include "transformers/core/error.hpp"
#include "transformers/core/logging.hpp"
#include "transformers/ops/random.hpp"

namespace transformers {

namespace {
// Every module of the model carrying the attribute (the model itself included).
std::vector<GradientCheckpointingLayers*> checkpointing_modules(PreTrainedModel& model) {
  std::vector<GradientCheckpointingLayers*> out;
  for (auto& [name, m] : model.named_modules())
    if (auto* g = dynamic_cast<GradientCheckpointingLayers*>(m)) out.push_back(g);
  return out;
}

void set_checkpointing(PreTrainedModel& model, bool enable, const GradientCheckpointingOptions& options) {
  const auto modules = checkpointing_modules(model);
  if (modules.empty()) throw ValueError(model.name() + " does not support gradient checkpointing.");
  for (GradientCheckpointingLayers* g : modules) {
    g->gradient_checkpointing = enable;
    g->gradient_checkpointing_kwargs = options;
  }
}
}  // namespace

void gradient_checkpointing_enable(PreTrainedModel& model, const GradientCheckpointingOptions& options) {
  set_checkpointing(model, true, options);
}

void gradient_checkpointing_disable(PreTrainedModel& model) { set_checkpointing(model, false, {}); }

bool is_gradient_checkpointing(PreTrainedModel& model) {
  for (GradientCheckpointingLayers* g : checkpointing_modules(model))
    if (g->gradient_checkpointing) return true;
  return false;
}

void warn_use_cache_with_checkpointing() {
  logging::get_logger("transformers.modeling_utils")
      .warning_once("`use_cache=True` is incompatible with gradient checkpointing. Setting `use_cache=False`.");
}

Tensor checkpoint(const std::function<Tensor(const Tensor&)>& layer, const Tensor& input,
                  const std::vector<Tensor>& params, const GradientCheckpointingOptions& options) {
  if (!autograd::is_grad_enabled()) return layer(input);
  if (options.use_reentrant && !input.requires_grad())
    logging::get_logger("torch.utils.checkpoint").warning_once("None of the inputs have requires_grad=True. Gradients will be None");
  const ops::Generator rng = ops::default_generator();  // preserve_rng_state
  Tensor output;
  {
    autograd::NoGradGuard no_grad;
    autograd::MirrorRecordingGuard same_kernels_as_the_recomputation;
    output = layer(input);
  }
  // The node's inputs: the layer's input, and for the non-reentrant form its parameters too (so the
  // output requires grad when they do). The recomputation's own backward accumulates into the
  // parameters; the node returns the input's gradient only.
  std::vector<const Tensor*> edges{&input};
  if (!options.use_reentrant)
    for (const Tensor& p : params) edges.push_back(&p);
  const Tensor saved = input.detach();
  const bool input_requires_grad = input.requires_grad();
  const size_t n_edges = edges.size();
  autograd::record("CheckpointBackward", output, edges,
                   [layer, saved, input_requires_grad, rng, n_edges](const Tensor& grad_output) {
                     autograd::GradModeGuard grad_on(true);
                     const ops::Generator now = ops::default_generator();
                     ops::default_generator() = rng;
                     Tensor x = saved.detach();
                     if (input_requires_grad) x.set_requires_grad(true);
                     Tensor y;
                     try {
                       y = layer(x);
                     } catch (...) {
                       ops::default_generator() = now;
                       throw;
                     }
                     ops::default_generator() = now;
                     if (y.requires_grad()) y.backward(grad_output, false);
                     std::vector<Tensor> grads(n_edges);
                     if (input_requires_grad) grads[0] = x.grad();
                     return grads;
                   });
  return output;
}

}  // namespace transformers
