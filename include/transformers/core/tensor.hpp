#pragma once
// The n-dimensional tensor: shape, strides (in elements), storage offset, dtype, device and shared
// storage. Views (narrow, select, transpose, permute, view, expand, ...) share storage and never
// copy; reshape copies only when a view is impossible, like PyTorch.
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "transformers/core/dtype.hpp"
#include "transformers/core/error.hpp"
#include "transformers/core/storage.hpp"

namespace transformers {

namespace autograd {
class Node;
struct AutogradMeta;
}  // namespace autograd

using Shape = std::vector<int64_t>;
std::string shape_str(const Shape& s);  // "[2, 3]"
int64_t shape_numel(const Shape& s);
Shape contiguous_strides(const Shape& s);
// Broadcast two shapes as NumPy/PyTorch do; throws ShapeError naming both.
Shape broadcast_shapes(const Shape& a, const Shape& b);

// Keyword arguments of Tensor::to.
struct ToOptions {
  // The destination is fresh memory written once (a checkpoint converted while loading): its pages
  // are populated block by block just before they are written instead of one fault per 4 KiB
  // (~18 % less time for the 249 MB of a bf16 GPT-2 here). An op's output, usually a reused block
  // of the allocation cache, does not ask.
  bool prefault = false;
};

class Tensor {
 public:
  Tensor() = default;  // undefined tensor (like an empty at::Tensor)

  // ---- factories ----
  static Tensor empty(const Shape& shape, DType dtype = DType::Float32, Device device = Device::CPU);
  static Tensor zeros(const Shape& shape, DType dtype = DType::Float32);
  static Tensor ones(const Shape& shape, DType dtype = DType::Float32);
  static Tensor full(const Shape& shape, double value, DType dtype = DType::Float32);
  static Tensor arange(int64_t end, DType dtype = DType::Int64) { return arange(0, end, 1, dtype); }
  static Tensor arange(double start, double end, double step = 1, DType dtype = DType::Int64);
  static Tensor scalar(double value, DType dtype = DType::Float32) { return full({}, value, dtype); }
  // Copies `data` (numel(shape) elements of T) into a new tensor.
  template <typename T>
  static Tensor from_vector(const std::vector<T>& data, const Shape& shape);
  template <typename T>
  static Tensor from_vector(const std::vector<T>& data) { return from_vector(data, {int64_t(data.size())}); }
  // Wraps existing memory without copying; `owner` keeps it alive.
  static Tensor from_blob(void* data, const Shape& shape, DType dtype, std::shared_ptr<const void> owner = nullptr,
                          bool read_only = false);
  // A view on any storage with explicit geometry (checked against the storage size).
  static Tensor make_view(std::shared_ptr<Storage> storage, const Shape& shape, const Shape& strides,
                          int64_t offset, DType dtype);

  // ---- properties ----
  bool defined() const { return storage_ != nullptr; }
  int64_t dim() const { return int64_t(sizes_.size()); }
  const Shape& sizes() const { return sizes_; }
  const Shape& shape() const { return sizes_; }
  const Shape& strides() const { return strides_; }
  int64_t size(int64_t d) const;
  int64_t stride(int64_t d) const;
  int64_t numel() const { return shape_numel(sizes_); }
  size_t nbytes() const { return dtype_nbytes(dtype_, numel()); }
  size_t element_size() const { return dtype_size(dtype_); }
  DType dtype() const { return dtype_; }
  Device device() const { return storage_ ? storage_->device() : Device::CPU; }
  int64_t storage_offset() const { return offset_; }
  const std::shared_ptr<Storage>& storage() const { return storage_; }
  bool is_contiguous() const;
  bool is_floating_point() const { return transformers::is_floating_point(dtype_); }
  // ---- autograd (core/autograd.hpp; state shared by every copy of this handle, like a
  // torch.Tensor object, but not by views, which get their own history) ----
  // True for a leaf asked to require grad and for every result of a recorded op.
  bool requires_grad() const;
  // Python's requires_grad_(r). On a non-leaf (a recorded result) it first detaches the handle,
  // making it a fresh leaf: the C++ idiom `*slot = x.clone(); slot->set_requires_grad(rg)` that
  // replaces a parameter must give a leaf (torch would raise there instead).
  Tensor& set_requires_grad(bool r);
  // The accumulated gradient (undefined until a backward reached this tensor); shares storage.
  Tensor grad() const;
  void set_grad(const Tensor& g);  // `t.grad = g` (an undefined g is Python's None)
  // The node that computes this tensor's gradient inputs (null for leaves).
  const std::shared_ptr<autograd::Node>& grad_fn() const;
  bool is_leaf() const;
  // Keep the gradient of this non-leaf in grad() during backward (Python's retain_grad()).
  void retain_grad();
  bool retains_grad() const;
  // Python's backward(gradient=None, retain_graph=False); gradient may be undefined for a
  // one-element tensor (then it is 1).
  void backward() const;
  void backward(const Tensor& gradient, bool retain_graph = false) const;
  // Same storage and geometry, no history, requires_grad false.
  Tensor detach() const;
  // The shared autograd state (null when none was ever needed); for the engine.
  const std::shared_ptr<autograd::AutogradMeta>& autograd_meta() const { return autograd_; }
  std::shared_ptr<autograd::AutogradMeta>& mutable_autograd_meta() { return autograd_; }
  // Same storage and same geometry (Python's `a is b` for parameters after tying).
  bool is_same(const Tensor& o) const;
  bool shares_storage(const Tensor& o) const { return storage_ && storage_ == o.storage_; }

  // Raw pointer to the first element (at storage offset). Typed access checks the dtype.
  void* data_ptr() const;
  template <typename T> T* data() const;
  // Writable pointer: throws if the storage is a read-only mapping.
  void* mutable_data_ptr() const;

  // Scalar value of a one-element tensor, converted.
  double item() const;
  template <typename T> T item() const { return static_cast<T>(item()); }
  // Element at a multi-index, converted to double (tests and slow paths).
  double at(std::initializer_list<int64_t> idx) const;
  double at(const std::vector<int64_t>& idx) const;
  // All elements in logical order, converted to T.
  template <typename T> std::vector<T> to_vector() const;

  // ---- views (no copy) ----
  Tensor narrow(int64_t dim, int64_t start, int64_t length) const;
  Tensor slice(int64_t dim, int64_t start, int64_t end, int64_t step = 1) const;  // python-style clamping
  Tensor select(int64_t dim, int64_t index) const;
  Tensor operator[](int64_t index) const { return select(0, index); }
  Tensor transpose(int64_t d0, int64_t d1) const;
  Tensor t() const { return dim() < 2 ? *this : transpose(0, 1); }  // like torch: 0-D/1-D unchanged
  Tensor permute(const std::vector<int64_t>& dims) const;
  Tensor view(const Shape& shape) const;  // throws ShapeError when the strides don't allow it; -1 inferred
  Tensor expand(const Shape& shape) const;  // -1 keeps a size
  Tensor broadcast_to(const Shape& shape) const { return expand(shape); }
  Tensor unsqueeze(int64_t dim) const;
  Tensor squeeze(int64_t dim) const;
  Tensor squeeze() const;
  Tensor as_strided(const Shape& shape, const Shape& strides, int64_t offset) const;
  Tensor unflatten(int64_t dim, const Shape& sizes) const;

  // ---- may copy ----
  Tensor reshape(const Shape& shape) const;  // view if possible, else contiguous copy
  Tensor flatten(int64_t start_dim = 0, int64_t end_dim = -1) const;
  Tensor contiguous() const;                 // self if already contiguous
  Tensor clone() const;                      // always a fresh contiguous copy
  // Self if same dtype, else a converted copy: the library's one conversion routine (every op's
  // casts come here). Contiguous tensors convert in blocks over the thread pool with the vector
  // conversions of the kernel level (convert_contiguous).
  Tensor to(DType dtype, const ToOptions& opts = {}) const;
  Tensor& copy_(const Tensor& src);          // broadcasting, converting copy into self
  Tensor& fill_(double value);
  Tensor& zero_() { return fill_(0); }

  std::string to_string() const;  // short description: "Tensor(float32, [2, 3])"

 private:
  std::shared_ptr<Storage> storage_;
  Shape sizes_;
  Shape strides_;
  int64_t offset_ = 0;
  DType dtype_ = DType::Float32;
  std::shared_ptr<autograd::AutogradMeta> autograd_;

  // A handle on the same storage and geometry without autograd state: every view starts here.
  Tensor alias() const;
};

// Normalises a possibly negative dim against `ndim` (dims in [-ndim, ndim)); throws ValueError.
int64_t wrap_dim(int64_t dim, int64_t ndim);

// Converting element copy between any two tensors of the same shape (strided, any dtypes).
void copy_elements(const Tensor& dst, const Tensor& src);
// Converts n contiguous elements between dtypes (the element loop of to / copy_, for ops' kernels
// too): float32 <-> float16 / bfloat16 with the vector kernels of kernel_level() (src/core/isa/),
// bit-identical to the scalar conversions of dtype.hpp at every level; the rest through double.
void convert_contiguous(const void* src, DType src_dtype, void* dst, DType dst_dtype, int64_t n);

namespace autograd {
// The autograd state of a tensor (PyTorch's AutogradMeta): shared by copies of a handle.
struct AutogradMeta {
  bool requires_grad = false;  // a leaf's flag; non-leaves require grad through grad_fn
  bool retains_grad = false;
  Tensor grad;
  std::shared_ptr<Node> grad_fn;
  std::weak_ptr<Node> grad_accumulator;  // a leaf's AccumulateGrad, shared by every use in a graph
};
}  // namespace autograd

inline bool Tensor::requires_grad() const { return autograd_ && (autograd_->requires_grad || autograd_->grad_fn); }

// ---- template definitions ----
template <typename T>
T* Tensor::data() const {
  if (dtype_ != dtype_of<T>::value)
    throw ValueError("Tensor::data<T>: expected dtype " + std::string(dtype_name(dtype_of<T>::value)) +
                     ", found " + std::string(dtype_name(dtype_)));
  return static_cast<T*>(data_ptr());
}

template <typename T>
Tensor Tensor::from_vector(const std::vector<T>& data, const Shape& shape) {
  if (int64_t(data.size()) != shape_numel(shape))
    throw ShapeError("from_vector: shape " + shape_str(shape) + " needs " + std::to_string(shape_numel(shape)) +
                     " elements, found " + std::to_string(data.size()));
  Tensor t = empty(shape, dtype_of<T>::value);
  if constexpr (std::is_same_v<T, bool>) {
    auto* p = static_cast<uint8_t*>(t.data_ptr());
    for (size_t i = 0; i < data.size(); ++i) p[i] = data[i] ? 1 : 0;
  } else {
    if (!data.empty()) std::memcpy(t.data_ptr(), data.data(), data.size() * sizeof(T));  // memcpy(nullptr) is UB
  }
  return t;
}

template <typename T>
std::vector<T> Tensor::to_vector() const {
  if constexpr (requires { dtype_of<T>::value; } && !std::is_same_v<T, bool>) {
    if (dtype_ == dtype_of<T>::value) {
      Tensor c = contiguous();
      std::vector<T> out(size_t(c.numel()));
      if (!out.empty()) std::memcpy(out.data(), c.data_ptr(), out.size() * sizeof(T));
      return out;
    }
  }
  Tensor c = contiguous().to(DType::Float64);
  const double* p = static_cast<const double*>(c.data_ptr());
  std::vector<T> out(size_t(c.numel()));
  for (size_t i = 0; i < out.size(); ++i) out[i] = static_cast<T>(p[i]);
  return out;
}

}  // namespace transformers
