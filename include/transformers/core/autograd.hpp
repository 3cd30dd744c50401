#pragma once
// Reverse-mode autograd (torch.autograd's model). A tensor that requires grad is either a leaf (a
// parameter: `set_requires_grad(true)`) or the result of a recorded op, whose `grad_fn` is a Node
// holding what the backward needs and one edge per input. `backward()` walks the graph from a
// root in dependency order, sums the gradients that reach each node, and accumulates into the
// leaves' `grad()` (AccumulateGrad). It lives in core because the view methods of Tensor
// (narrow, view, transpose, expand, ...) are core and record themselves here; the op front ends
// (src/ops/*.cpp) record theirs in the one dispatch hook (src/ops/dispatch.hpp).
//
// Recording happens only when grad mode is on (default, as in torch) and an input requires grad,
// so inference under NoGradGuard (generate(), the CLI) records nothing. In-place ops (copy_,
// fill_, add_, mul_, normal_) are not recorded: they are for buffers, caches and optimisers.
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <vector>

#include "transformers/core/tensor.hpp"

namespace transformers::autograd {

// ---- grad mode (thread-local, on by default) ----
bool is_grad_enabled();
void set_grad_enabled(bool enabled);

// torch.set_grad_enabled(mode) as a scope.
class GradModeGuard {
 public:
  explicit GradModeGuard(bool enabled) : previous_(is_grad_enabled()) { set_grad_enabled(enabled); }
  ~GradModeGuard() { set_grad_enabled(previous_); }
  GradModeGuard(const GradModeGuard&) = delete;
  GradModeGuard& operator=(const GradModeGuard&) = delete;

 private:
  bool previous_;
};

// torch.no_grad(): nothing run in its scope is recorded.
class NoGradGuard : public GradModeGuard {
 public:
  NoGradGuard() : GradModeGuard(false) {}
};

// Inside torch.utils.checkpoint's no-grad forward (modeling/gradient_checkpointing.cpp): ops whose
// no-grad kernel differs from the recorded one (sdpa's fused kernel) take the recorded run's
// kernels, so the forward equals the recomputation and the plain run bit for bit, as torch's CPU
// kernels do with and without grad. Thread-local, off by default.
bool mirrors_recording();
class MirrorRecordingGuard {
 public:
  MirrorRecordingGuard();
  ~MirrorRecordingGuard();
  MirrorRecordingGuard(const MirrorRecordingGuard&) = delete;
  MirrorRecordingGuard& operator=(const MirrorRecordingGuard&) = delete;

 private:
  bool previous_;
};

// ---- the graph ----
class Node {
 public:
  explicit Node(const char* name);
  virtual ~Node() = default;
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  // The gradient of each input (in `next` order; an undefined tensor for none) from the gradient
  // of this node's one output. Runs with grad mode off.
  virtual std::vector<Tensor> apply(const Tensor& grad_output) = 0;
  // Frees what the backward saved (after a backward without retain_graph).
  virtual void release() {}
  virtual bool released() const { return false; }

  const char* name() const { return name_; }
  uint64_t sequence_nr() const { return sequence_nr_; }

  // Per input: the node that receives that input's gradient (its grad_fn, or a leaf's
  // AccumulateGrad); null when the input does not require grad.
  std::vector<std::shared_ptr<Node>> next;
  // Input shapes and dtypes, to check every gradient a backward returns.
  std::vector<Shape> input_shapes;
  std::vector<DType> input_dtypes;
  // The output's state when it asked for retain_grad().
  std::weak_ptr<AutogradMeta> retained_output;

 private:
  const char* name_;
  uint64_t sequence_nr_;
};

// A node whose backward is a function (the form every op records). The function's captures are
// the saved tensors; release() drops them.
using BackwardFn = std::function<std::vector<Tensor>(const Tensor& grad_output)>;

// Whether an op over these inputs is recorded: grad mode on and any input requires grad.
bool needs_record(std::initializer_list<const Tensor*> inputs);
bool needs_record(const std::vector<Tensor>& inputs);

// Makes `output` the result of a node `name` over `inputs` (null entries: non-tensor or
// non-differentiable arguments, which get no gradient) whose backward is `fn`. No-op unless
// needs_record(inputs) and `output` is floating point. `name` must be a string literal.
void record(const char* name, Tensor& output, const std::vector<const Tensor*>& inputs, BackwardFn fn);

// The engine behind Tensor::backward.
void backward(const Tensor& root, const Tensor& gradient, bool retain_graph);

// ---- helpers for backward functions (all run under the engine's no-grad scope) ----
// Sum of `grad` over the dimensions broadcasting added, back to `shape` (float64 accumulation).
Tensor sum_to_shape(const Tensor& grad, const Shape& shape);
// Elementwise a + b of two same-shape gradients into a fresh contiguous tensor of a's dtype.
Tensor add_grads(const Tensor& a, const Tensor& b);
// A zero tensor of `shape` and `dtype` on `device`.
Tensor zeros_on(Device device, const Shape& shape, DType dtype);

}  // namespace transformers::autograd
