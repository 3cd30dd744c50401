// NumPy arrays in and out of the engine without copies (the buffer of one is the memory of the other).
#include "bindings.hpp"

#include <optional>
#include <string>

#include "transformers/core/error.hpp"

namespace transformers_py {

using transformers::DType;

namespace {

// The NumPy dtype of a tensor dtype NumPy has (descriptor lookups by type, no Python-level parsing:
// this runs for every output of every call); nullopt for bfloat16 and the block-quantized types.
std::optional<py::dtype> numpy_dtype(DType d) {
  switch (d) {
    case DType::Float32: return py::dtype::of<float>();
    case DType::Float16: return py::dtype("float16");
    case DType::Float64: return py::dtype::of<double>();
    case DType::Int64: return py::dtype::of<int64_t>();
    case DType::Int32: return py::dtype::of<int32_t>();
    case DType::Int16: return py::dtype::of<int16_t>();
    case DType::Int8: return py::dtype::of<int8_t>();
    case DType::UInt8: return py::dtype::of<uint8_t>();
    case DType::Bool: return py::dtype::of<bool>();
    default: return std::nullopt;
  }
}

DType dtype_of_array(const py::array& a) {
  // pybind11 >= 2.12 reads the descriptor of NumPy 1 and 2 alike (CMakeLists.txt asks for it)
  const py::dtype dt = a.dtype();
  const char kind = dt.kind();
  const auto size = dt.itemsize();
  if (kind == 'f' && size == 4) return DType::Float32;
  if (kind == 'f' && size == 8) return DType::Float64;
  if (kind == 'f' && size == 2) return DType::Float16;
  if (kind == 'i' && size == 8) return DType::Int64;
  if (kind == 'i' && size == 4) return DType::Int32;
  if (kind == 'i' && size == 2) return DType::Int16;
  if (kind == 'i' && size == 1) return DType::Int8;
  if (kind == 'u' && size == 1) return DType::UInt8;
  if (kind == 'b' && size == 1) return DType::Bool;
  throw transformers::ValueError("transformers_cpp: expected an array of float16/32/64, int8/16/32/64, uint8 or bool, found dtype " +
                                 py::cast<std::string>(dt.attr("name")));
}

}  // namespace

py::object to_numpy(Tensor x) {
  if (!x.defined()) return py::none();
  std::optional<py::dtype> dt = numpy_dtype(x.dtype());
  if (!dt) {
    x = x.to(DType::Float32);
    dt = py::dtype::of<float>();
  }
  // NumPy's C API directly (pybind11's array constructor copies shape and strides into vectors and
  // checks its base): this runs for every output of every call.
  constexpr int kMaxDims = 32;  // NPY_MAXDIMS of NumPy 1
  const int ndim = int(x.dim());
  if (ndim > kMaxDims) throw transformers::ValueError("transformers_cpp: a tensor of " + std::to_string(ndim) + " dimensions has no NumPy array (at most 32)");
  Py_intptr_t shape[kMaxDims], strides[kMaxDims];
  for (int i = 0; i < ndim; ++i) {
    shape[i] = Py_intptr_t(x.size(i));
    strides[i] = Py_intptr_t(x.stride(i) * int64_t(x.element_size()));
  }
  const bool read_only = x.storage()->read_only();
  // The capsule owns a handle on the tensor: the storage lives as long as the array (and its views).
  auto* keep = new Tensor(std::move(x));  // moved, not copied: the per-call path hands over its outputs
  py::capsule base(keep, [](void* p) { delete static_cast<Tensor*>(p); });
  auto& api = py::detail::npy_api::get();
  const int flags = read_only ? 0 : py::detail::npy_api::NPY_ARRAY_WRITEABLE_;
  py::object arr = py::reinterpret_steal<py::object>(api.PyArray_NewFromDescr_(
      api.PyArray_Type_, dt->release().ptr(), ndim, shape, strides, keep->numel() ? keep->data_ptr() : nullptr, flags,
      nullptr));
  if (!arr) throw py::error_already_set();
  if (api.PyArray_SetBaseObject_(arr.ptr(), base.release().ptr()) != 0) throw py::error_already_set();
  return arr;
}

Tensor from_numpy(const py::array& a) {
  const DType dt = dtype_of_array(a);
  if (!(a.flags() & py::array::c_style))
    throw transformers::ValueError("transformers_cpp: expected a C-contiguous array, found strides that are not (use numpy.ascontiguousarray)");
  transformers::Shape shape(a.shape(), a.shape() + a.ndim());
  const bool read_only = !a.writeable();
  // The deleter may run on an engine thread after the GIL was released: take it to drop the reference.
  auto* ref = new py::object(py::reinterpret_borrow<py::object>(a));
  std::shared_ptr<const void> owner(ref, [](const void* p) {
    if (!Py_IsInitialized()) return;  // interpreter gone: nothing left to release
    auto* obj = static_cast<const py::object*>(p);
    if (PyGILState_Check()) {  // the usual case (inputs are released when the call returns): no GIL dance
      delete obj;
      return;
    }
    py::gil_scoped_acquire gil;
    delete obj;
  });
  return Tensor::from_blob(const_cast<void*>(a.data()), shape, dt, std::move(owner), read_only);
}

Tensor optional_tensor(const py::object& o) {
  if (o.is_none()) return Tensor();
  if (!py::isinstance<py::array>(o))
    throw transformers::ValueError("transformers_cpp: expected a numpy.ndarray or None, found " +
                                   std::string(py::str(py::type::of(o).attr("__name__"))));
  return from_numpy(py::reinterpret_borrow<py::array>(o));
}

}  // namespace transformers_py
