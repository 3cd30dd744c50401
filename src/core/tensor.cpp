#include "transformers/core/tensor.hpp"

#include "core/isa/convert.hpp"
#include "prefault.hpp"
#include "transformers/core/autograd.hpp"
#include "transformers/core/checked.hpp"
#include "transformers/core/parallel.hpp"
#include "transformers/core/quant_blocks.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <sstream>

namespace transformers {

namespace {
// A contiguous conversion splits over the pool in chunks of at least this many elements (below it
// runs inline: a decode step's bias or activation row); each chunk converts kConvertBlock elements at
// a time (the prefault unit).
constexpr int64_t kConvertGrain = 16384;
constexpr int64_t kConvertBlock = int64_t(1) << 16;
// Below this many elements the scalar conversion is used (per-element gathers of copy_elements):
// the vector kernels give the same bits, the table lookup would cost more than it saves.
constexpr int64_t kVectorConvertMin = 16;
}  // namespace

std::string shape_str(const Shape& s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + "]";
}

int64_t shape_numel(const Shape& s) {
  int64_t n = 1;
  for (int64_t d : s)
    if (__builtin_mul_overflow(n, d, &n)) throw OverflowError("shape " + shape_str(s) + ": element count overflows a 64-bit size", s);
  return n;
}

Shape contiguous_strides(const Shape& s) {
  Shape st(s.size());
  int64_t acc = 1;
  for (size_t i = s.size(); i-- > 0;) {
    st[i] = acc;
    acc *= std::max<int64_t>(s[i], 1);
  }
  return st;
}

Shape broadcast_shapes(const Shape& a, const Shape& b) {
  const size_t n = std::max(a.size(), b.size());
  Shape out(n);
  for (size_t i = 0; i < n; ++i) {
    const int64_t da = i < n - a.size() ? 1 : a[i - (n - a.size())];
    const int64_t db = i < n - b.size() ? 1 : b[i - (n - b.size())];
    if (da != db && da != 1 && db != 1)
      throw ShapeError("shapes " + shape_str(a) + " and " + shape_str(b) + " cannot be broadcast together");
    out[i] = da == 1 ? db : da;
  }
  return out;
}

int64_t wrap_dim(int64_t dim, int64_t ndim) {
  const int64_t n = std::max<int64_t>(ndim, 1);
  if (dim < -n || dim >= n)
    throw ValueError("dimension out of range: expected in [" + std::to_string(-n) + ", " + std::to_string(n - 1) +
                     "], found " + std::to_string(dim));
  return dim < 0 ? dim + n : dim;
}

// ---------------- autograd of the views ----------------

namespace {
// Whether a view of `t` records a backward: t has history or is a leaf requiring grad, and grad
// mode is on. The cheap pointer test comes first, so inference pays one branch per view.
bool recording(const Tensor& t) { return t.requires_grad() && autograd::is_grad_enabled(); }

// What a view's backward needs of its input: not the input itself (that would keep its storage
// alive), only where to build the zero gradient it scatters into.
struct InputGeometry {
  Shape sizes;
  DType dtype;
  Device device;
  Tensor zeros() const { return autograd::zeros_on(device, sizes, dtype); }
};
InputGeometry input_geometry(const Tensor& t) { return {t.sizes(), t.dtype(), t.device()}; }

// view / reshape / (un)squeeze: the gradient is the output gradient in the input's shape.
void record_reshape(Tensor& out, const Tensor& in, const char* name) {
  if (!recording(in)) return;
  autograd::record(name, out, {&in},
                   [sizes = in.sizes()](const Tensor& g) { return std::vector<Tensor>{g.reshape(sizes)}; });
}
}  // namespace

Tensor Tensor::alias() const {
  Tensor t;
  t.storage_ = storage_;
  t.sizes_ = sizes_;
  t.strides_ = strides_;
  t.offset_ = offset_;
  t.dtype_ = dtype_;
  return t;
}

// ---------------- factories ----------------

namespace {
// Bytes of a new tensor of `shape`: every dimension non-negative, the count and the byte size
// checked for overflow before anything is allocated (sizes reach here from config.json and the CLI).
size_t checked_nbytes(const Shape& shape, DType dtype) {
  for (int64_t d : shape)
    if (d < 0) throw ShapeError("negative dimension in shape " + shape_str(shape));
  const int64_t numel = shape_numel(shape);
  // block dtypes (dtype_traits) store whole blocks: the byte count is per block, not per element
  const DTypeTraits& traits = dtype_traits(dtype);
  int64_t bytes;
  if (__builtin_mul_overflow(numel / traits.block_elems, int64_t(traits.block_bytes), &bytes))
    throw OverflowError("shape " + shape_str(shape) + " of " + std::string(dtype_name(dtype)) + ": byte size overflows a 64-bit size", shape);
  if (bytes > kMaxAllocationBytes)
    throw OverflowError("shape " + shape_str(shape) + " of " + std::string(dtype_name(dtype)) + ": " + std::to_string(bytes) +
                            " bytes exceed the largest possible allocation (2^47 bytes, the address space)",
                        shape);
  return dtype_nbytes(dtype, numel);  // refuses a count that is not whole blocks
}
}  // namespace

Tensor Tensor::empty(const Shape& shape, DType dtype, Device device) {
  const size_t nbytes = checked_nbytes(shape, dtype);
  Tensor t;
  t.storage_ = Storage::allocate(nbytes, device);
  t.sizes_ = shape;
  t.strides_ = contiguous_strides(shape);
  t.dtype_ = dtype;
  return t;
}

Tensor Tensor::zeros(const Shape& shape, DType dtype) {
  const size_t nbytes = checked_nbytes(shape, dtype);
  Tensor t;
  t.storage_ = Storage::allocate_zeroed(nbytes);
  t.sizes_ = shape;
  t.strides_ = contiguous_strides(shape);
  t.dtype_ = dtype;
  return t;
}

Tensor Tensor::ones(const Shape& shape, DType dtype) { return full(shape, 1.0, dtype); }

Tensor Tensor::full(const Shape& shape, double value, DType dtype) {
  Tensor t = empty(shape, dtype);
  t.fill_(value);
  return t;
}

Tensor Tensor::arange(double start, double end, double step, DType dtype) {
  if (step == 0) throw ValueError("arange: step must be nonzero");
  const double steps = std::ceil((end - start) / step);
  if (!(steps < 9.2e18)) throw OverflowError("arange(" + std::to_string(start) + ", " + std::to_string(end) + ", " +
                                              std::to_string(step) + "): length does not fit a 64-bit size");
  const int64_t n = std::max<int64_t>(0, int64_t(steps));
  Tensor d = empty({n}, DType::Float64);
  double* p = d.data<double>();
  for (int64_t i = 0; i < n; ++i) p[i] = start + double(i) * step;
  return d.to(dtype);
}

Tensor Tensor::from_blob(void* data, const Shape& shape, DType dtype, std::shared_ptr<const void> owner,
                         bool read_only) {
  Tensor t;
  t.storage_ = Storage::borrow(data, checked_nbytes(shape, dtype), std::move(owner), read_only);
  t.sizes_ = shape;
  t.strides_ = contiguous_strides(shape);
  t.dtype_ = dtype;
  return t;
}

Tensor Tensor::make_view(std::shared_ptr<Storage> storage, const Shape& shape, const Shape& strides,
                         int64_t offset, DType dtype) {
  if (shape.size() != strides.size())
    throw ShapeError("make_view: shape " + shape_str(shape) + " and strides " + shape_str(strides) + " differ in rank");
  Tensor t;
  t.storage_ = std::move(storage);
  t.sizes_ = shape;
  t.strides_ = strides;
  t.offset_ = offset;
  t.dtype_ = dtype;
  // Check that every addressed element lies inside the storage.
  if (shape_numel(shape) > 0) {
    int64_t lo = offset, hi = offset;
    for (size_t i = 0; i < shape.size(); ++i) {
      const int64_t span = checked_mul(shape[i] - 1, strides[i], "make_view: shape * stride");
      if (strides[i] >= 0) hi = checked_add(hi, span, "make_view: view extent");
      else lo = checked_add(lo, span, "make_view: view extent");
    }
    const int64_t cap = int64_t(t.storage_->nbytes() / dtype_size(dtype));
    if (lo < 0 || hi >= cap)
      throw ShapeError("view " + shape_str(shape) + " with strides " + shape_str(strides) + " at offset " +
                       std::to_string(offset) + " exceeds storage of " + std::to_string(cap) + " elements");
  }
  return t;
}

// ---------------- properties ----------------

int64_t Tensor::size(int64_t d) const { return sizes_[size_t(wrap_dim(d, dim()))]; }
int64_t Tensor::stride(int64_t d) const { return strides_[size_t(wrap_dim(d, dim()))]; }

bool Tensor::is_contiguous() const {
  int64_t expected = 1;
  for (size_t i = sizes_.size(); i-- > 0;) {
    if (sizes_[i] == 1) continue;
    if (sizes_[i] == 0) return true;
    if (strides_[i] != expected) return false;
    expected *= sizes_[i];
  }
  return true;
}

bool Tensor::is_same(const Tensor& o) const {
  return storage_ == o.storage_ && offset_ == o.offset_ && sizes_ == o.sizes_ && strides_ == o.strides_ &&
         dtype_ == o.dtype_;
}

void* Tensor::data_ptr() const {
  if (!storage_) throw ValueError("data_ptr() on an undefined tensor");
  return static_cast<char*>(storage_->data()) + offset_ * int64_t(dtype_size(dtype_));
}

void* Tensor::mutable_data_ptr() const {
  if (storage_ && storage_->read_only())
    throw ValueError("tensor " + to_string() + " views read-only memory (a mapped checkpoint); clone() it first");
  return data_ptr();
}

namespace {
double load_as_double(const void* p, DType dt) {
  switch (dt) {
    case DType::Float32: return *static_cast<const float*>(p);
    case DType::Float64: return *static_cast<const double*>(p);
    case DType::Float16: return fp16_to_float(*static_cast<const uint16_t*>(p));
    case DType::BFloat16: return bf16_to_float(*static_cast<const uint16_t*>(p));
    case DType::Int64: return double(*static_cast<const int64_t*>(p));
    case DType::Int32: return *static_cast<const int32_t*>(p);
    case DType::Int16: return *static_cast<const int16_t*>(p);
    case DType::Int8: return *static_cast<const int8_t*>(p);
    case DType::UInt8: return *static_cast<const uint8_t*>(p);
    case DType::Bool: return *static_cast<const uint8_t*>(p) ? 1.0 : 0.0;
    case DType::Float8E4M3: return fp8e4m3_to_float(*static_cast<const uint8_t*>(p));
    case DType::Float8E5M2: return fp8e5m2_to_float(*static_cast<const uint8_t*>(p));
    default: break;
  }
  // Block types have no per-element address: Tensor::to(float32) dequantizes whole blocks.
  throw UnsupportedError("element access to a " + std::string(dtype_name(dt)) +
                         " tensor: expected a non-quantized dtype (dequantize with .to(float32) first)");
}

template <typename I>
I saturating_int(double v) {
  // PyTorch's float->int casts truncate toward zero; out-of-range is undefined there, we clamp.
  if (std::isnan(v)) return 0;
  if (v >= double(std::numeric_limits<I>::max())) return std::numeric_limits<I>::max();
  if (v <= double(std::numeric_limits<I>::min())) return std::numeric_limits<I>::min();
  return static_cast<I>(v);
}

void store_from_double(void* p, DType dt, double v) {
  switch (dt) {
    case DType::Float32: *static_cast<float*>(p) = float(v); break;
    case DType::Float64: *static_cast<double*>(p) = v; break;
    case DType::Float16: *static_cast<uint16_t*>(p) = float_to_fp16(float(v)); break;
    case DType::BFloat16: *static_cast<uint16_t*>(p) = float_to_bf16(float(v)); break;
    case DType::Int64: *static_cast<int64_t*>(p) = saturating_int<int64_t>(v); break;
    case DType::Int32: *static_cast<int32_t*>(p) = saturating_int<int32_t>(v); break;
    case DType::Int16: *static_cast<int16_t*>(p) = saturating_int<int16_t>(v); break;
    case DType::Int8: *static_cast<int8_t*>(p) = saturating_int<int8_t>(v); break;
    case DType::UInt8: *static_cast<uint8_t*>(p) = saturating_int<uint8_t>(v); break;
    case DType::Bool: *static_cast<uint8_t*>(p) = v != 0 ? 1 : 0; break;
    case DType::Float8E4M3: *static_cast<uint8_t*>(p) = float_to_fp8e4m3(float(v)); break;
    case DType::Float8E5M2: *static_cast<uint8_t*>(p) = float_to_fp8e5m2(float(v)); break;
    default:
      throw UnsupportedError("writing elements of a " + std::string(dtype_name(dt)) +
                             " tensor: quantizing to a block type is not supported");
  }
}

// Calls fn(offset_in_elements) for every element of a strided geometry in logical (row-major) order.
template <typename Fn>
void for_each_offset(const Shape& sizes, const Shape& strides, int64_t base, Fn&& fn) {
  const int64_t n = shape_numel(sizes);
  if (n == 0) return;
  const size_t nd = sizes.size();
  if (nd == 0) { fn(base); return; }
  std::vector<int64_t> idx(nd, 0);
  int64_t off = base;
  const int64_t inner = sizes[nd - 1], inner_stride = strides[nd - 1];
  for (int64_t done = 0; done < n; done += inner) {
    for (int64_t j = 0; j < inner; ++j) fn(off + j * inner_stride);
    for (size_t d = nd - 1; d-- > 0;) {
      off += strides[d];
      if (++idx[d] < sizes[d]) break;
      off -= strides[d] * sizes[d];
      idx[d] = 0;
    }
  }
}
}  // namespace

double Tensor::item() const {
  if (numel() != 1) throw ValueError("item(): expected a tensor with one element, found shape " + shape_str(sizes_));
  return load_as_double(data_ptr(), dtype_);
}

double Tensor::at(const std::vector<int64_t>& idx) const {
  if (int64_t(idx.size()) != dim())
    throw ValueError("at(): expected " + std::to_string(dim()) + " indices, found " + std::to_string(idx.size()));
  int64_t off = offset_;
  for (size_t i = 0; i < idx.size(); ++i) {
    int64_t k = idx[i] < 0 ? idx[i] + sizes_[i] : idx[i];
    if (k < 0 || k >= sizes_[i])
      throw ValueError("at(): index " + std::to_string(idx[i]) + " out of range for size " + std::to_string(sizes_[i]));
    off += k * strides_[i];
  }
  return load_as_double(static_cast<char*>(storage_->data()) + off * int64_t(dtype_size(dtype_)), dtype_);
}
double Tensor::at(std::initializer_list<int64_t> idx) const { return at(std::vector<int64_t>(idx)); }

// ---------------- views ----------------

Tensor Tensor::narrow(int64_t d, int64_t start, int64_t length) const {
  d = wrap_dim(d, dim());
  if (start < 0) start += sizes_[size_t(d)];
  if (start < 0 || length < 0 || start + length > sizes_[size_t(d)])
    throw ValueError("narrow: range [" + std::to_string(start) + ", " + std::to_string(start + length) +
                     ") out of bounds for dim " + std::to_string(d) + " of size " + std::to_string(sizes_[size_t(d)]));
  Tensor t = alias();
  t.sizes_[size_t(d)] = length;
  t.offset_ += start * strides_[size_t(d)];
  if (recording(*this))
    autograd::record("NarrowBackward0", t, {this}, [=, in = input_geometry(*this)](const Tensor& g) {
      Tensor z = in.zeros();
      z.narrow(d, start, length).copy_(g);
      return std::vector<Tensor>{z};
    });
  return t;
}

Tensor Tensor::slice(int64_t d, int64_t start, int64_t end, int64_t step) const {
  d = wrap_dim(d, dim());
  if (step <= 0) throw ValueError("slice: step must be positive, found " + std::to_string(step));
  const int64_t n = sizes_[size_t(d)];
  if (start < 0) start += n;
  if (end < 0) end += n;
  start = std::clamp<int64_t>(start, 0, n);
  end = std::clamp<int64_t>(end, start, n);
  Tensor t = alias();
  t.sizes_[size_t(d)] = (end - start + step - 1) / step;
  t.strides_[size_t(d)] *= step;
  t.offset_ += start * strides_[size_t(d)];
  if (recording(*this))
    autograd::record("SliceBackward0", t, {this}, [=, in = input_geometry(*this)](const Tensor& g) {
      Tensor z = in.zeros();
      z.slice(d, start, end, step).copy_(g);
      return std::vector<Tensor>{z};
    });
  return t;
}

Tensor Tensor::select(int64_t d, int64_t index) const {
  d = wrap_dim(d, dim());
  const int64_t n = sizes_[size_t(d)];
  if (index < -n || index >= n)
    throw ValueError("select: index " + std::to_string(index) + " out of range for dim " + std::to_string(d) +
                     " of size " + std::to_string(n));
  if (index < 0) index += n;
  Tensor t = alias();
  t.offset_ += index * strides_[size_t(d)];
  t.sizes_.erase(t.sizes_.begin() + d);
  t.strides_.erase(t.strides_.begin() + d);
  if (recording(*this))
    autograd::record("SelectBackward0", t, {this}, [=, in = input_geometry(*this)](const Tensor& g) {
      Tensor z = in.zeros();
      z.select(d, index).copy_(g);
      return std::vector<Tensor>{z};
    });
  return t;
}

Tensor Tensor::transpose(int64_t d0, int64_t d1) const {
  d0 = wrap_dim(d0, dim());
  d1 = wrap_dim(d1, dim());
  if (dim() == 0) return *this;
  Tensor t = alias();
  std::swap(t.sizes_[size_t(d0)], t.sizes_[size_t(d1)]);
  std::swap(t.strides_[size_t(d0)], t.strides_[size_t(d1)]);
  if (recording(*this))
    autograd::record("TransposeBackward0", t, {this},
                     [=](const Tensor& g) { return std::vector<Tensor>{g.transpose(d0, d1)}; });
  return t;
}

Tensor Tensor::permute(const std::vector<int64_t>& dims) const {
  if (int64_t(dims.size()) != dim())
    throw ValueError("permute: expected " + std::to_string(dim()) + " dims, found " + std::to_string(dims.size()));
  Tensor t = alias();
  std::vector<bool> seen(dims.size(), false);
  for (size_t i = 0; i < dims.size(); ++i) {
    const int64_t d = wrap_dim(dims[i], dim());
    if (seen[size_t(d)]) throw ValueError("permute: dim " + std::to_string(d) + " repeated");
    seen[size_t(d)] = true;
    t.sizes_[i] = sizes_[size_t(d)];
    t.strides_[i] = strides_[size_t(d)];
  }
  if (recording(*this)) {
    std::vector<int64_t> inverse(dims.size());
    for (size_t i = 0; i < dims.size(); ++i) inverse[size_t(wrap_dim(dims[i], dim()))] = int64_t(i);
    autograd::record("PermuteBackward0", t, {this},
                     [inverse](const Tensor& g) { return std::vector<Tensor>{g.permute(inverse)}; });
  }
  return t;
}

namespace {
Shape infer_shape(const Shape& shape, int64_t numel) {
  Shape out = shape;
  int64_t known = 1, infer = -1;
  for (size_t i = 0; i < out.size(); ++i) {
    if (out[i] == -1) {
      if (infer >= 0) throw ShapeError("only one dimension can be inferred in " + shape_str(shape));
      infer = int64_t(i);
    } else if (out[i] < 0) {
      throw ShapeError("invalid shape " + shape_str(shape));
    } else {
      known *= out[i];
    }
  }
  if (infer >= 0) {
    if (known == 0 || numel % known != 0)
      throw ShapeError("shape " + shape_str(shape) + " is invalid for input of size " + std::to_string(numel));
    out[size_t(infer)] = numel / known;
  } else if (known != numel) {
    throw ShapeError("shape " + shape_str(shape) + " is invalid for input of size " + std::to_string(numel));
  }
  return out;
}

// Strides for viewing (sizes, strides) as new_sizes without copying, if possible (PyTorch's rule:
// each group of old dims that merges into new dims must be contiguous within itself).
bool compute_view_strides(const Shape& old_sizes, const Shape& old_strides, const Shape& new_sizes, Shape& out) {
  out.assign(new_sizes.size(), 0);
  // An empty tensor, or a 0-dim one (one element: any shape of one element views it).
  if (shape_numel(old_sizes) == 0 || old_sizes.empty()) {
    out = contiguous_strides(new_sizes);
    return true;
  }
  int64_t view_d = int64_t(new_sizes.size()) - 1;
  int64_t chunk_base_stride = old_strides.empty() ? 1 : old_strides.back();
  int64_t tensor_numel = 1, view_numel = 1;
  for (int64_t tensor_d = int64_t(old_sizes.size()) - 1; tensor_d >= 0; --tensor_d) {
    tensor_numel *= old_sizes[size_t(tensor_d)];
    if (tensor_d == 0 || (old_sizes[size_t(tensor_d - 1)] != 1 &&
                          old_strides[size_t(tensor_d - 1)] != tensor_numel * chunk_base_stride)) {
      while (view_d >= 0 && (view_numel < tensor_numel || new_sizes[size_t(view_d)] == 1)) {
        out[size_t(view_d)] = view_numel * chunk_base_stride;
        view_numel *= new_sizes[size_t(view_d)];
        --view_d;
      }
      if (view_numel != tensor_numel) return false;
      if (tensor_d > 0) {
        chunk_base_stride = old_strides[size_t(tensor_d - 1)];
        tensor_numel = 1;
        view_numel = 1;
      }
    }
  }
  return view_d == -1;
}
}  // namespace

Tensor Tensor::view(const Shape& shape) const {
  Shape ns = infer_shape(shape, numel());
  Shape st;
  if (!compute_view_strides(sizes_, strides_, ns, st))
    throw ShapeError("view size " + shape_str(ns) + " is not compatible with input strides " + shape_str(strides_) +
                     " of shape " + shape_str(sizes_) + "; use reshape()");
  Tensor t = alias();
  t.sizes_ = ns;
  t.strides_ = st;
  record_reshape(t, *this, "ViewBackward0");
  return t;
}

Tensor Tensor::reshape(const Shape& shape) const {
  Shape ns = infer_shape(shape, numel());
  Shape st;
  if (compute_view_strides(sizes_, strides_, ns, st)) {
    Tensor t = alias();
    t.sizes_ = ns;
    t.strides_ = st;
    record_reshape(t, *this, "ViewBackward0");
    return t;
  }
  return clone().view(ns);
}

Tensor Tensor::flatten(int64_t start_dim, int64_t end_dim) const {
  if (dim() == 0) return reshape({1});
  start_dim = wrap_dim(start_dim, dim());
  end_dim = wrap_dim(end_dim, dim());
  if (start_dim > end_dim) throw ValueError("flatten: start_dim must not exceed end_dim");
  Shape ns(sizes_.begin(), sizes_.begin() + start_dim);
  int64_t m = 1;
  for (int64_t i = start_dim; i <= end_dim; ++i) m *= sizes_[size_t(i)];
  ns.push_back(m);
  ns.insert(ns.end(), sizes_.begin() + end_dim + 1, sizes_.end());
  return reshape(ns);
}

Tensor Tensor::unflatten(int64_t d, const Shape& sizes) const {
  d = wrap_dim(d, dim());
  Shape ns(sizes_.begin(), sizes_.begin() + d);
  Shape inner = infer_shape(sizes, sizes_[size_t(d)]);
  ns.insert(ns.end(), inner.begin(), inner.end());
  ns.insert(ns.end(), sizes_.begin() + d + 1, sizes_.end());
  return view(ns);
}

Tensor Tensor::expand(const Shape& shape) const {
  if (shape.size() < sizes_.size())
    throw ShapeError("expand: target " + shape_str(shape) + " has fewer dims than " + shape_str(sizes_));
  Tensor t = alias();
  const size_t lead = shape.size() - sizes_.size();
  t.sizes_.assign(shape.size(), 0);
  t.strides_.assign(shape.size(), 0);
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i < lead) {
      if (shape[i] < 0) throw ShapeError("expand: -1 not allowed in new leading dims of " + shape_str(shape));
      t.sizes_[i] = shape[i];
      t.strides_[i] = 0;
      continue;
    }
    const int64_t cur = sizes_[i - lead];
    const int64_t want = shape[i] == -1 ? cur : shape[i];
    if (cur == want) {
      t.sizes_[i] = cur;
      t.strides_[i] = strides_[i - lead];
    } else if (cur == 1) {
      t.sizes_[i] = want;
      t.strides_[i] = 0;
    } else {
      throw ShapeError("expand: size " + std::to_string(cur) + " at dim " + std::to_string(i - lead) +
                       " cannot expand to " + std::to_string(want) + " (target " + shape_str(shape) + ")");
    }
  }
  if (recording(*this))
    autograd::record("ExpandBackward0", t, {this}, [sizes = sizes_](const Tensor& g) {
      return std::vector<Tensor>{autograd::sum_to_shape(g, sizes)};
    });
  return t;
}

Tensor Tensor::unsqueeze(int64_t d) const {
  d = wrap_dim(d, dim() + 1);
  Tensor t = alias();
  const int64_t st = d < dim() ? sizes_[size_t(d)] * strides_[size_t(d)] : 1;
  t.sizes_.insert(t.sizes_.begin() + d, 1);
  t.strides_.insert(t.strides_.begin() + d, st);
  record_reshape(t, *this, "UnsqueezeBackward0");
  return t;
}

Tensor Tensor::squeeze(int64_t d) const {
  if (dim() == 0) return *this;
  d = wrap_dim(d, dim());
  if (sizes_[size_t(d)] != 1) return *this;
  Tensor t = alias();
  t.sizes_.erase(t.sizes_.begin() + d);
  t.strides_.erase(t.strides_.begin() + d);
  record_reshape(t, *this, "SqueezeBackward1");
  return t;
}

Tensor Tensor::squeeze() const {
  Tensor t = alias();
  t.sizes_.clear();
  t.strides_.clear();
  for (size_t i = 0; i < sizes_.size(); ++i)
    if (sizes_[i] != 1) {
      t.sizes_.push_back(sizes_[i]);
      t.strides_.push_back(strides_[i]);
    }
  record_reshape(t, *this, "SqueezeBackward0");
  return t;
}

Tensor Tensor::as_strided(const Shape& shape, const Shape& strides, int64_t offset) const {
  return make_view(storage_, shape, strides, offset, dtype_);
}

// ---------------- copies ----------------

Tensor Tensor::contiguous() const { return is_contiguous() ? *this : clone(); }

Tensor Tensor::clone() const {
  Tensor out = empty(sizes_, dtype_, device());
  copy_elements(out, *this);
  if (recording(*this))
    autograd::record("CloneBackward0", out, {this}, [](const Tensor& g) { return std::vector<Tensor>{g}; });
  return out;
}

Tensor Tensor::to(DType dtype, const ToOptions& opts) const {
  if (dtype == dtype_) return *this;
  if (is_quantized(dtype))
    throw UnsupportedError("to(" + std::string(dtype_name(dtype)) + "): quantizing to a block type is not supported");
  if (is_quantized(dtype_)) {
    // A block-quantized tensor (a GGUF weight) is whole contiguous blocks: dequantize them.
    if (!is_contiguous())
      throw UnsupportedError("to(" + std::string(dtype_name(dtype)) + "): a " + std::string(dtype_name(dtype_)) +
                             " tensor must be contiguous to dequantize");
    Tensor f = empty(sizes_, DType::Float32, device());
    dequantize_blocks(dtype_, data_ptr(), f.data<float>(), numel());
    return f.to(dtype);
  }
  Tensor out = empty(sizes_, dtype, device());
  if (!is_contiguous()) {
    copy_elements(out, *this);
  } else {
    // float16/bfloat16 <-> float32 around every 16-bit op and model.to(bfloat16) over whole weight
    // matrices: memory-bound, so split over the pool (one core reaches about half the bandwidth).
    const char* s = static_cast<const char*>(data_ptr());
    char* d = static_cast<char*>(out.data_ptr());
    const int64_t ss = int64_t(dtype_size(dtype_)), ds = int64_t(dtype_size(dtype));
    const DType st = dtype_;
    parallel_for(0, numel(), kConvertGrain, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; i += kConvertBlock) {
        const int64_t m = std::min(kConvertBlock, e - i);
        if (opts.prefault) detail::populate_for_write(d + i * ds, size_t(m * ds));
        convert_contiguous(s + i * ss, st, d + i * ds, dtype, m);
      }
    });
  }
  if (recording(*this))
    autograd::record("ToCopyBackward0", out, {this},
                     [from = dtype_](const Tensor& g) { return std::vector<Tensor>{g.to(from)}; });
  return out;
}

Tensor& Tensor::copy_(const Tensor& src) {
  if (src.sizes_ == sizes_) copy_elements(*this, src);
  else copy_elements(*this, src.expand(sizes_));
  return *this;
}

Tensor& Tensor::fill_(double value) {
  if (numel() == 0) return *this;
  alignas(8) unsigned char buf[8];
  store_from_double(buf, dtype_, value);
  const size_t es = dtype_size(dtype_);
  char* base = static_cast<char*>(storage_->data());
  mutable_data_ptr();  // read-only check
  char* p = base + offset_ * int64_t(es);
  if (is_contiguous() && reinterpret_cast<uintptr_t>(p) % es == 0) {
    // The constructors' ones/full (every LayerNorm weight) come here: a plain typed fill.
    const int64_t n = numel();
    if (es == 4) {
      uint32_t v;
      std::memcpy(&v, buf, 4);
      std::fill_n(reinterpret_cast<uint32_t*>(p), n, v);
    } else if (es == 2) {
      uint16_t v;
      std::memcpy(&v, buf, 2);
      std::fill_n(reinterpret_cast<uint16_t*>(p), n, v);
    } else if (es == 1) {
      std::memset(p, buf[0], size_t(n));
    } else {
      for (int64_t i = 0; i < n; ++i) std::memcpy(p + i * int64_t(es), buf, es);
    }
    return *this;
  }
  for_each_offset(sizes_, strides_, offset_, [&](int64_t off) { std::memcpy(base + off * int64_t(es), buf, es); });
  return *this;
}

void convert_contiguous(const void* src, DType sdt, void* dst, DType ddt, int64_t n) {
  if (sdt == ddt) {
    std::memcpy(dst, src, size_t(n) * dtype_size(sdt));
    return;
  }
  // float32 <-> float16 / bfloat16: the kernels of the current level (scalar loops at the scalar
  // level and for short runs); the rest go through double.
  const bool f32_src = sdt == DType::Float32, f32_dst = ddt == DType::Float32;
  if ((f32_src && (ddt == DType::BFloat16 || ddt == DType::Float16)) ||
      (f32_dst && (sdt == DType::BFloat16 || sdt == DType::Float16))) {
    const isa::ConvertKernels& k = n >= kVectorConvertMin ? isa::current_convert_kernels()
                                                          : isa::convert_kernels<KernelLevel::Scalar>();
    auto* fs = static_cast<const float*>(src);
    auto* hs = static_cast<const uint16_t*>(src);
    auto* fd = static_cast<float*>(dst);
    auto* hd = static_cast<uint16_t*>(dst);
    if (ddt == DType::BFloat16) k.f32_to_bf16(fs, hd, n);
    else if (ddt == DType::Float16) k.f32_to_f16(fs, hd, n);
    else if (sdt == DType::BFloat16) k.bf16_to_f32(hs, fd, n);
    else k.f16_to_f32(hs, fd, n);
    return;
  }
  const size_t ss = dtype_size(sdt), ds = dtype_size(ddt);
  auto* s = static_cast<const char*>(src);
  auto* d = static_cast<char*>(dst);
  // float16/bfloat16 -> other: go through float (exact), then to the target.
  for (int64_t i = 0; i < n; ++i) store_from_double(d + i * ds, ddt, load_as_double(s + i * ss, sdt));
}

void copy_elements(const Tensor& dst, const Tensor& src) {
  if (is_quantized(dst.dtype()) || is_quantized(src.dtype())) {
    if (dst.sizes() != src.sizes() || is_quantized(dst.dtype()))
      throw UnsupportedError("copy: from " + std::string(dtype_name(src.dtype())) + " to " +
                             std::string(dtype_name(dst.dtype())) + ": block-quantized tensors are only dequantized");
    copy_elements(dst, src.to(DType::Float32));
    return;
  }
  if (dst.sizes() != src.sizes())
    throw ShapeError("copy: destination shape " + shape_str(dst.sizes()) + " differs from source " +
                     shape_str(src.sizes()));
  if (dst.numel() == 0) return;
  void* dptr = dst.mutable_data_ptr();
  if (dst.is_contiguous() && src.is_contiguous()) {
    convert_contiguous(src.data_ptr(), src.dtype(), dptr, dst.dtype(), dst.numel());
    return;
  }
  // Both sides with unit-stride rows of some length (a narrow of the fused qkv, the heads'
  // transpose back to [B, S, H * D]): one convert_contiguous per row instead of one per element.
  if (const int64_t nd = dst.dim(), inner = nd ? dst.size(-1) : 0;
      nd >= 2 && inner >= 8 && dst.stride(-1) == 1 && src.stride(-1) == 1) {
    const size_t ss = dtype_size(src.dtype()), ds = dtype_size(dst.dtype());
    const char* sbase = static_cast<const char*>(src.storage()->data());
    char* dbase = static_cast<char*>(dst.storage()->data());
    std::vector<int64_t> idx(size_t(nd - 1), 0);
    int64_t so = src.storage_offset(), doff = dst.storage_offset();
    for (int64_t r = 0, rows = dst.numel() / inner; r < rows; ++r) {
      convert_contiguous(sbase + so * int64_t(ss), src.dtype(), dbase + doff * int64_t(ds), dst.dtype(), inner);
      for (int64_t d = nd - 2; d >= 0; --d) {  // odometer over the outer dims
        so += src.stride(d);
        doff += dst.stride(d);
        if (++idx[size_t(d)] < dst.size(d)) break;
        so -= src.stride(d) * dst.size(d);
        doff -= dst.stride(d) * dst.size(d);
        idx[size_t(d)] = 0;
      }
    }
    return;
  }
  // Gather the source into logical order, then convert in one pass.
  const size_t ss = dtype_size(src.dtype()), ds = dtype_size(dst.dtype());
  const char* sbase = static_cast<const char*>(src.storage()->data());
  char* dbase = static_cast<char*>(dst.storage()->data());
  if (dst.is_contiguous()) {
    char* d = static_cast<char*>(dptr);
    if (src.dtype() == dst.dtype()) {
      for_each_offset(src.sizes(), src.strides(), src.storage_offset(), [&](int64_t off) {
        std::memcpy(d, sbase + off * int64_t(ss), ss);
        d += ss;
      });
    } else {
      for_each_offset(src.sizes(), src.strides(), src.storage_offset(), [&](int64_t off) {
        convert_contiguous(sbase + off * int64_t(ss), src.dtype(), d, dst.dtype(), 1);
        d += ds;
      });
    }
    return;
  }
  Tensor tmp = src.is_contiguous() ? src : src.clone();
  const char* s = static_cast<const char*>(tmp.data_ptr());
  for_each_offset(dst.sizes(), dst.strides(), dst.storage_offset(), [&](int64_t off) {
    convert_contiguous(s, src.dtype(), dbase + off * int64_t(ds), dst.dtype(), 1);
    s += ss;
  });
}

std::string Tensor::to_string() const {
  if (!defined()) return "Tensor(undefined)";
  return "Tensor(" + std::string(dtype_name(dtype_)) + ", " + shape_str(sizes_) + ")";
}

}  // namespace transformers
