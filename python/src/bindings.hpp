#pragma once
// Shared helpers of the transformers_cpp._core extension: NumPy <-> Tensor without copies, Python
// objects <-> JSON, the Hub keyword arguments, and the bind_* functions each file contributes.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <nlohmann/json.hpp>

#include "transformers/core/tensor.hpp"
#include "transformers/hub/options.hpp"

namespace transformers_py {

namespace py = pybind11;
using transformers::Tensor;

// A NumPy array viewing the tensor's memory (the array keeps the storage alive; read-only when the
// storage is, e.g. a mapped checkpoint). bfloat16 and block-quantized tensors, which NumPy cannot
// hold, are converted to float32 first. An undefined tensor is None.
py::object to_numpy(Tensor t);  // by value: callers std::move a tensor they no longer need
// A tensor viewing a C-contiguous NumPy array's memory (the tensor holds a reference to the array,
// released under the GIL). ValueError for a non-contiguous array or a dtype without a Tensor peer.
Tensor from_numpy(const py::array& a);
// None -> undefined tensor, else from_numpy.
Tensor optional_tensor(const py::object& o);

// Python values (None, bool, int, float, str, list/tuple, dict with str keys) <-> JSON.
nlohmann::ordered_json to_json(const py::handle& o);
py::object from_json(const nlohmann::ordered_json& j);
py::object from_json(const nlohmann::json& j);

// Python's Hub keyword arguments (revision, token, cache_dir, force_download, local_files_only,
// proxies, subfolder) read from a dict; keys it uses are removed from `kwargs`.
transformers::hub::HubOptions hub_options(py::dict& kwargs);

// The module's exception translator (module.cpp): the engine's errors as the Python exceptions
// transformers raises; other exceptions are rethrown (for pybind11's own translation).
void translate_exception(std::exception_ptr p);

void bind_config(py::module_& m);
void bind_models(py::module_& m);
void bind_generate(py::module_& m);
void bind_tokenizer(py::module_& m);
void bind_bench_probe(py::module_& m);
// train.cpp: train / evaluate over training/trainer.hpp (transformers_cpp.Trainer).
void bind_train(py::module_& m);
// forward.cpp: _forward (model(**inputs): output objects of 4.51's classes) and DynamicCache.
void bind_forward(py::module_& m);

}  // namespace transformers_py
