// The autograd engine: grad mode, graph recording, the backward walk and leaf accumulation.
#include "transformers/core/autograd.hpp"

#include <atomic>
#include <string>
#include <unordered_map>
#include <utility>

namespace transformers::autograd {

namespace {
thread_local bool grad_enabled = true;
thread_local bool mirror_recording = false;
std::atomic<uint64_t> next_sequence_nr{0};

class FunctionNode final : public Node {
 public:
  FunctionNode(const char* name, BackwardFn fn) : Node(name), fn_(std::move(fn)) {}
  std::vector<Tensor> apply(const Tensor& grad_output) override { return fn_(grad_output); }
  void release() override { fn_ = nullptr; }
  bool released() const override { return !fn_; }

 private:
  BackwardFn fn_;
};

// In-place a += b for same-shape gradients (torch accumulates into .grad in place, so a tensor
// an optimiser holds keeps seeing the sum). Falls back to a fresh sum for other layouts.
template <typename T>
void add_loop(T* out, const T* a, const T* b, int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] = a[i] + b[i];
}

void accumulate_into(Tensor& acc, const Tensor& g) {
  const DType dt = acc.dtype();
  if (acc.is_contiguous() && (dt == DType::Float32 || dt == DType::Float64)) {
    const Tensor b = g.to(dt).contiguous();
    if (dt == DType::Float32) add_loop(acc.data<float>(), acc.data<float>(), b.data<float>(), acc.numel());
    else add_loop(acc.data<double>(), acc.data<double>(), b.data<double>(), acc.numel());
    return;
  }
  acc = add_grads(acc, g);
}

// Whether g is a whole contiguous storage that no other tensor refers to.
bool sole_owner(const Tensor& g) {
  return g.is_contiguous() && g.storage() && g.storage().use_count() == 1 && !g.storage()->read_only() &&
         g.storage_offset() == 0 &&
         g.storage()->nbytes() == size_t(g.numel()) * dtype_size(g.dtype()) && !g.requires_grad();
}

// A leaf's sink: sums what reaches it into the leaf's grad.
class AccumulateGrad final : public Node {
 public:
  explicit AccumulateGrad(std::shared_ptr<AutogradMeta> leaf) : Node("AccumulateGrad"), leaf_(std::move(leaf)) {}
  std::vector<Tensor> apply(const Tensor& g) override {
    // Own copy: g may be shared with other inputs. A gradient nobody else holds (the engine's
    // buffer is its only owner, no view or saved tensor shares its storage) is taken as it is, as
    // torch's AccumulateGrad steals an unshared gradient: no copy of every parameter's gradient.
    if (!leaf_->grad.defined()) leaf_->grad = sole_owner(g) ? g.detach() : g.clone();
    else accumulate_into(leaf_->grad, g);
    return {};
  }

 private:
  std::shared_ptr<AutogradMeta> leaf_;
};

std::shared_ptr<Node> grad_accumulator(const std::shared_ptr<AutogradMeta>& meta) {
  std::shared_ptr<Node> acc = meta->grad_accumulator.lock();
  if (!acc) {
    acc = std::make_shared<AccumulateGrad>(meta);
    meta->grad_accumulator = acc;
  }
  return acc;
}

// The node a gradient for `t` flows to (null when t does not require grad).
std::shared_ptr<Node> gradient_edge(const Tensor& t) {
  if (!t.defined() || !t.requires_grad()) return nullptr;
  const auto& meta = t.autograd_meta();
  return meta->grad_fn ? meta->grad_fn : grad_accumulator(meta);
}

std::string shape_dtype(const Shape& s, DType d) { return shape_str(s) + " " + std::string(dtype_name(d)); }
}  // namespace

bool is_grad_enabled() { return grad_enabled; }
void set_grad_enabled(bool enabled) { grad_enabled = enabled; }

Node::Node(const char* name) : name_(name), sequence_nr_(next_sequence_nr.fetch_add(1)) {}

bool mirrors_recording() { return mirror_recording; }
MirrorRecordingGuard::MirrorRecordingGuard() : previous_(mirror_recording) { mirror_recording = true; }
MirrorRecordingGuard::~MirrorRecordingGuard() { mirror_recording = previous_; }

bool needs_record(std::initializer_list<const Tensor*> inputs) {
  if (!grad_enabled) return false;
  for (const Tensor* t : inputs)
    if (t && t->requires_grad()) return true;
  return false;
}

bool needs_record(const std::vector<Tensor>& inputs) {
  if (!grad_enabled) return false;
  for (const Tensor& t : inputs)
    if (t.requires_grad()) return true;
  return false;
}

void record(const char* name, Tensor& output, const std::vector<const Tensor*>& inputs, BackwardFn fn) {
  if (!grad_enabled || !output.defined() || !output.is_floating_point()) return;
  bool any = false;
  for (const Tensor* t : inputs) any = any || (t && t->requires_grad());
  if (!any) return;
  auto node = std::make_shared<FunctionNode>(name, std::move(fn));
  node->next.reserve(inputs.size());
  for (const Tensor* t : inputs) {
    node->next.push_back(t ? gradient_edge(*t) : nullptr);
    node->input_shapes.push_back(t && t->defined() ? t->sizes() : Shape{});
    node->input_dtypes.push_back(t && t->defined() ? t->dtype() : DType::Float32);
  }
  auto meta = std::make_shared<AutogradMeta>();
  meta->grad_fn = std::move(node);
  output.mutable_autograd_meta() = std::move(meta);
}

void backward(const Tensor& root, const Tensor& gradient, bool retain_graph) {
  if (!root.defined()) throw ValueError("backward: called on an undefined tensor");
  if (!root.requires_grad())
    throw ValueError("backward: element 0 of tensors does not require grad and does not have a grad_fn");
  NoGradGuard no_grad;
  Tensor g = gradient;
  if (!g.defined()) {
    if (root.numel() != 1)
      throw ValueError("backward: grad can be implicitly created only for scalar outputs, found shape " +
                       shape_str(root.sizes()));
    g = Tensor::empty(root.sizes(), root.dtype(), root.device());
    g.fill_(1.0);
  } else if (g.sizes() != root.sizes()) {
    throw ShapeError("backward: gradient of shape " + shape_str(g.sizes()) + " does not match the tensor's shape " +
                     shape_str(root.sizes()));
  }
  const std::shared_ptr<Node> start = gradient_edge(root);

  // Dependencies: how many edges reach each node from the root's subgraph.
  std::unordered_map<Node*, int> deps;
  std::vector<Node*> stack{start.get()};
  deps[start.get()] = 0;
  while (!stack.empty()) {
    Node* n = stack.back();
    stack.pop_back();
    for (const auto& nx : n->next) {
      if (!nx) continue;
      auto [it, fresh] = deps.try_emplace(nx.get(), 0);
      ++it->second;
      if (fresh) stack.push_back(nx.get());
    }
  }

  std::unordered_map<Node*, Tensor> buffers;
  buffers[start.get()] = g.to(root.dtype());
  std::vector<Node*> ready{start.get()};
  while (!ready.empty()) {
    Node* n = ready.back();
    ready.pop_back();
    Tensor gin = std::move(buffers[n]);
    buffers.erase(n);
    std::vector<Tensor> outs;
    if (gin.defined()) {
      if (n->released())
        throw ValueError(std::string("backward: trying to backward through the graph a second time (node ") +
                         n->name() + "); its saved tensors were freed; pass retain_graph=true the first time");
      if (auto meta = n->retained_output.lock()) {
        if (!meta->grad.defined()) meta->grad = gin.clone();
        else accumulate_into(meta->grad, gin);
      }
      outs = n->apply(gin);
      if (!retain_graph) n->release();
      if (outs.size() != n->next.size())
        throw ValueError(std::string("backward: node ") + n->name() + " returned " + std::to_string(outs.size()) +
                         " gradients for " + std::to_string(n->next.size()) + " inputs");
    }
    for (size_t i = 0; i < n->next.size(); ++i) {
      Node* nx = n->next[i].get();
      if (!nx) continue;
      if (i < outs.size() && outs[i].defined()) {
        Tensor gi = outs[i];
        if (gi.sizes() != n->input_shapes[i])
          throw ShapeError(std::string("backward: node ") + n->name() + " returned a gradient of " +
                           shape_dtype(gi.sizes(), gi.dtype()) + " for input " + std::to_string(i) + " of " +
                           shape_dtype(n->input_shapes[i], n->input_dtypes[i]));
        gi = gi.to(n->input_dtypes[i]);
        Tensor& buf = buffers[nx];
        // A buffer nobody else holds takes the sum in place (no fresh tensor per extra use).
        if (!buf.defined()) buf = gi;
        else if (sole_owner(buf) && (buf.dtype() == DType::Float32 || buf.dtype() == DType::Float64)) accumulate_into(buf, gi);
        else buf = add_grads(buf, gi);
      }
      if (--deps[nx] == 0) ready.push_back(nx);
    }
  }
}

Tensor zeros_on(Device device, const Shape& shape, DType dtype) {
  Tensor z = Tensor::empty(shape, dtype, device);
  z.zero_();
  return z;
}

Tensor sum_to_shape(const Tensor& grad, const Shape& shape) {
  if (grad.sizes() == shape) return grad;
  const int64_t nd = grad.dim(), lead = nd - int64_t(shape.size());
  if (lead < 0) throw ShapeError("sum_to_shape: cannot reduce " + shape_str(grad.sizes()) + " to " + shape_str(shape));
  for (size_t i = 0; i < shape.size(); ++i)
    if (shape[i] != 1 && shape[i] != grad.size(int64_t(i) + lead))
      throw ShapeError("sum_to_shape: cannot reduce " + shape_str(grad.sizes()) + " to " + shape_str(shape));
  const Tensor src = grad.contiguous().to(DType::Float64);
  Tensor out = zeros_on(grad.device(), shape, DType::Float64);
  const double* s = src.data<double>();
  double* o = out.data<double>();
  // Output stride of each grad dim (0 where the target broadcast or lacks the dim).
  const Shape ost = contiguous_strides(shape);
  std::vector<int64_t> stride(size_t(nd), 0), idx(size_t(nd), 0);
  for (int64_t d = lead; d < nd; ++d)
    stride[size_t(d)] = shape[size_t(d - lead)] == 1 ? 0 : ost[size_t(d - lead)];
  const int64_t n = src.numel();
  int64_t off = 0;
  for (int64_t i = 0; i < n; ++i) {
    o[off] += s[i];
    for (int64_t d = nd - 1; d >= 0; --d) {  // odometer step
      off += stride[size_t(d)];
      if (++idx[size_t(d)] < grad.size(d)) break;
      off -= stride[size_t(d)] * idx[size_t(d)];
      idx[size_t(d)] = 0;
    }
  }
  return out.to(grad.dtype());
}

Tensor add_grads(const Tensor& a, const Tensor& b) {
  if (a.sizes() != b.sizes())
    throw ShapeError("autograd: gradients of shapes " + shape_str(a.sizes()) + " and " + shape_str(b.sizes()) +
                     " cannot be summed");
  const DType dt = a.dtype();
  const DType wide = dt == DType::Float64 ? DType::Float64 : DType::Float32;
  const Tensor x = a.to(wide).contiguous(), y = b.to(wide).contiguous();
  Tensor out = Tensor::empty(a.sizes(), wide, a.device());
  if (wide == DType::Float32) add_loop(out.data<float>(), x.data<float>(), y.data<float>(), out.numel());
  else add_loop(out.data<double>(), x.data<double>(), y.data<double>(), out.numel());
  return out.to(dt);
}

}  // namespace transformers::autograd

namespace transformers {

using autograd::AutogradMeta;

Tensor& Tensor::set_requires_grad(bool r) {
  if (autograd_ && autograd_->grad_fn) autograd_ = std::make_shared<AutogradMeta>();  // detach into a leaf
  if (!autograd_) {
    if (!r) return *this;
    autograd_ = std::make_shared<AutogradMeta>();
  }
  autograd_->requires_grad = r;
  return *this;
}

Tensor Tensor::grad() const { return autograd_ ? autograd_->grad : Tensor(); }

void Tensor::set_grad(const Tensor& g) {
  if (g.defined() && g.sizes() != sizes_)
    throw ShapeError("set_grad: gradient of shape " + shape_str(g.sizes()) + " for a tensor of shape " +
                     shape_str(sizes_));
  if (!autograd_) autograd_ = std::make_shared<AutogradMeta>();
  autograd_->grad = g;
}

const std::shared_ptr<autograd::Node>& Tensor::grad_fn() const {
  static const std::shared_ptr<autograd::Node> none;
  return autograd_ ? autograd_->grad_fn : none;
}

bool Tensor::is_leaf() const { return !autograd_ || !autograd_->grad_fn; }

void Tensor::retain_grad() {
  if (!requires_grad()) throw ValueError("retain_grad: can't retain_grad on a Tensor that has requires_grad=False");
  if (is_leaf()) return;  // leaves keep their grad anyway
  autograd_->retains_grad = true;
  autograd_->grad_fn->retained_output = autograd_;
}

bool Tensor::retains_grad() const { return autograd_ && autograd_->retains_grad; }

void Tensor::backward() const { autograd::backward(*this, Tensor(), false); }

void Tensor::backward(const Tensor& gradient, bool retain_graph) const {
  autograd::backward(*this, gradient, retain_graph);
}

Tensor Tensor::detach() const { return alias(); }

}  // namespace transformers
