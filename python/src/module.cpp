// transformers_cpp._core: the extension module. C++ errors become the Python exceptions transformers
// raises for the same failure, with the C++ message unchanged (the Python package adds the API).
#include "bindings.hpp"

#include "transformers/core/error.hpp"
#include "transformers/ops/random.hpp"
#include "transformers/tokenizers/jinja.hpp"

namespace transformers_py {
namespace {
// jinja2.exceptions.TemplateError's place (a plain Exception subclass, as in jinja2).
py::handle template_error;
}  // namespace

void translate_exception(std::exception_ptr p) {
  try {
    if (p) std::rethrow_exception(p);
  } catch (const transformers::jinja::TemplateError& e) {
    PyErr_SetString(template_error.ptr(), e.message().c_str());
  } catch (const transformers::FileNotFoundError& e) {
    // transformers raises OSError for a missing file / repo / revision (hub errors derive from it)
    PyErr_SetString(PyExc_OSError, e.what());
  } catch (const transformers::EnvironmentError& e) {
    PyErr_SetString(PyExc_OSError, e.what());
  } catch (const transformers::FormatError& e) {
    // an unreadable file: transformers' "is not a valid JSON file" / "Unable to load weights" are OSError
    PyErr_SetString(PyExc_OSError, e.what());
  } catch (const transformers::SecurityError& e) {
    PyErr_SetString(PyExc_OSError, e.what());
  } catch (const transformers::ValueError& e) {
    PyErr_SetString(PyExc_ValueError, e.what());
  } catch (const transformers::KeyError& e) {
    PyErr_SetString(PyExc_KeyError, e.what());
  } catch (const transformers::UnsupportedError& e) {
    PyErr_SetString(PyExc_NotImplementedError, e.what());
  } catch (const transformers::ShapeError& e) {
    // torch's size mismatches are RuntimeError
    PyErr_SetString(PyExc_RuntimeError, e.what());
  } catch (const transformers::Error& e) {
    PyErr_SetString(PyExc_RuntimeError, e.what());
  }
}

namespace {

void translate_errors(py::module_& m) {
  static py::exception<transformers::jinja::TemplateError> error_type(m, "TemplateError", PyExc_Exception);
  template_error = error_type;
  py::register_exception_translator(&translate_exception);
}

}  // namespace
}  // namespace transformers_py

PYBIND11_MODULE(_core, m) {
  using namespace transformers_py;
  m.doc() = "transformers.cpp engine (use the transformers_cpp package, not this module)";
  translate_errors(m);
  m.def(
      "set_seed", [](uint64_t seed) { transformers::ops::default_generator().manual_seed(seed); }, py::arg("seed"),
      "Seeds the default generator (sampling, new weights), as transformers.set_seed seeds torch's.");
  bind_config(m);
  bind_models(m);
  bind_forward(m);
  bind_tokenizer(m);  // before generate, whose tokenizer= argument names its type
  bind_generate(m);
  bind_bench_probe(m);
  bind_train(m);
}
