// The forward pass as Python calls it: model(**inputs) -> one output object of 4.51's class
// (CausalLMOutputWithPast, MaskedLMOutput, ...), filled here in the class's field order, and
// DynamicCache (the engine's key/value cache) for past_key_values in and out.
//
// This is the per-call path bench/python_overhead.py measures, so it does the least Python work
// it can: int64 C-contiguous arrays pass straight through (anything else goes once through the
// package's converter), the output object is built directly (no intermediate dict), the field
// names are interned once, and the GIL is released while the engine computes.
#include "bindings.hpp"

#include "transformers/core/autograd.hpp"
#include "transformers/core/error.hpp"
#include "transformers/modeling/modeling_utils.hpp"
#include "transformers/nn/kv_cache.hpp"

namespace transformers_py {

using transformers::Cache;
using transformers::PreTrainedModel;

namespace {

// transformers_cpp._utils.as_ids / as_array: lists, other dtypes, torch tensors (DLPack).
const py::object& converter(const char* name) {
  static py::object ids, arrays;  // leaked on purpose: module globals outlive any call
  py::object& slot = name[3] == 'i' ? ids : arrays;
  if (!slot) slot = py::module_::import("transformers_cpp._utils").attr(name);
  return slot;
}

bool is_plain(const py::handle& o, bool want_int64) {
  if (!py::isinstance<py::array>(o)) return false;
  const auto& a = py::reinterpret_borrow<py::array>(o);
  if (!(a.flags() & py::array::c_style)) return false;
  return !want_int64 || (a.dtype().kind() == 'i' && a.itemsize() == 8);
}

// None -> undefined; an int64 C-contiguous array as is; anything else through as_ids.
Tensor ids_tensor(const py::object& o) {
  if (o.is_none()) return Tensor();
  if (is_plain(o, true)) return from_numpy(py::reinterpret_borrow<py::array>(o));
  return from_numpy(converter("as_ids")(o).cast<py::array>());
}

// None -> undefined; a C-contiguous array as is; anything else through as_array.
Tensor float_tensor(const py::object& o) {
  if (o.is_none()) return Tensor();
  if (is_plain(o, false)) return from_numpy(py::reinterpret_borrow<py::array>(o));
  return from_numpy(converter("as_array")(o).cast<py::array>());
}

std::optional<bool> optional_bool(const py::object& o) {
  if (o.is_none()) return std::nullopt;
  return o.cast<bool>();
}

py::tuple to_numpy_tuple(const std::vector<Tensor>& ts) {
  py::tuple out(ts.size());
  for (std::size_t i = 0; i < ts.size(); ++i) out[i] = to_numpy(ts[i]);
  return out;
}

// outputs.py's _ENGINE_FIELDS numbering.
enum Field { kLoss, kLogits, kLastHidden, kPooler, kStart, kEnd, kPrediction, kSeqRelationship, kPast, kHidden, kAttn };
constexpr Py_ssize_t kForwardArgs = 15;

// What forward_call reads from an output class (outputs.py's _codes and _with_cache), looked up
// once per class instead of twice per call. Holds the class, so its address is never reused.
struct OutputClassInfo {
  py::object cls;
  std::vector<int> codes;
  bool with_cache = false;
};

const OutputClassInfo& output_class_info(const py::handle& output_cls) {
  static auto* known = new std::vector<OutputClassInfo>();  // a few classes; leaked as module globals
  for (const OutputClassInfo& k : *known)
    if (k.cls.ptr() == output_cls.ptr()) return k;
  OutputClassInfo info{py::reinterpret_borrow<py::object>(output_cls), {}, false};
  for (auto c : output_cls.attr("_codes").cast<py::tuple>()) info.codes.push_back(c.cast<int>());
  info.with_cache = output_cls.attr("_with_cache").cast<bool>();
  known->push_back(std::move(info));
  return known->back();
}

py::object forward_call(PreTrainedModel& mdl, const py::handle& output_cls, PyObject* const* a) {
  auto arg = [&](int i) { return py::reinterpret_borrow<py::object>(a[i]); };
  transformers::ModelInputs in;
  in.input_ids = ids_tensor(arg(2));
  in.attention_mask = ids_tensor(arg(3));
  in.token_type_ids = ids_tensor(arg(4));
  in.position_ids = ids_tensor(arg(5));
  in.inputs_embeds = float_tensor(arg(6));
  in.head_mask = float_tensor(arg(7));
  in.labels = ids_tensor(arg(8));
  const py::object past_key_values = arg(9);
  in.use_cache = optional_bool(arg(10));
  in.output_attentions = optional_bool(arg(11));
  in.output_hidden_states = optional_bool(arg(12));
  in.logits_to_keep = arg(13).cast<int64_t>();
  const py::object return_dict = arg(14);
  const OutputClassInfo& info = output_class_info(output_cls);
  // A cache when the output class has one and use_cache (else config.use_cache, default true)
  // holds, as 4.51's decoders make a DynamicCache; one given is extended in place.
  std::shared_ptr<Cache> cache;
  if (!past_key_values.is_none()) {
    if (!py::isinstance<Cache>(past_key_values))
      throw transformers::ValueError("past_key_values: expected a DynamicCache (from an earlier call's output), found " +
                                     std::string(py::str(py::type::of(past_key_values).attr("__name__"))));
    cache = past_key_values.cast<std::shared_ptr<Cache>>();
  } else if (info.with_cache &&
             in.use_cache.value_or(mdl.config().get<bool>("use_cache", true))) {
    cache = std::make_shared<Cache>();
  }
  in.past_key_values = cache.get();
  transformers::ModelOutput out;
  {
    py::gil_scoped_release nogil;
    transformers::autograd::NoGradGuard no_grad;  // inference: the outputs leave as NumPy arrays
    out = mdl.forward(in);
  }
  static const char* const kNames[] = {"loss", "logits", "last_hidden_state", "pooler_output", "start_logits",
                                       "end_logits", "prediction_logits", "seq_relationship_logits",
                                       "past_key_values", "hidden_states", "attentions"};
  static py::object* interned = [] {  // leaked on purpose, as module globals
    auto* keys = new py::object[std::size(kNames)];
    for (std::size_t i = 0; i < std::size(kNames); ++i)
      keys[i] = py::reinterpret_steal<py::object>(PyUnicode_InternFromString(kNames[i]));
    return keys;
  }();
  py::object result = output_cls();
  // Each engine field is read at most once (a class names a field once), so it can be moved out.
  auto take = [](Tensor& t) { return t.defined() ? to_numpy(std::move(t)) : py::object(); };
  for (const int code : info.codes) {
    py::object v;
    switch (code) {
      case kLoss: v = take(out.loss); break;
      case kLogits: v = take(out.logits); break;
      case kLastHidden: v = take(out.last_hidden_state); break;
      case kPooler: v = take(out.pooler_output); break;
      case kStart: v = take(out.start_logits); break;
      case kEnd: v = take(out.end_logits); break;
      case kPrediction: v = take(out.prediction_logits); break;
      case kSeqRelationship: v = take(out.seq_relationship_logits); break;
      case kPast: if (cache && out.past_key_values) v = py::cast(cache); break;
      case kHidden: if (!out.hidden_states.empty()) v = to_numpy_tuple(out.hidden_states); break;
      case kAttn: if (!out.attentions.empty()) v = to_numpy_tuple(out.attentions); break;
      default: break;  // a field the engine never sets (cross_attentions, router_logits, ...)
    }
    if (v && PyDict_SetItem(result.ptr(), interned[code].ptr(), v.ptr()) != 0) throw py::error_already_set();
  }
  // return_dict=False, or config.return_dict false: the tuple of the set fields, as 4.51.
  const bool as_dict = return_dict.is_none() ? mdl.config().use_return_dict() : return_dict.cast<bool>();
  if (!as_dict) return result.attr("to_tuple")();
  return result;
}

PyObject* forward_fastcall(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
  try {
    if (nargs != kForwardArgs)
      throw py::type_error("_forward: expected " + std::to_string(kForwardArgs) + " arguments, found " + std::to_string(nargs));
    auto& mdl = py::cast<PreTrainedModel&>(py::handle(args[0]));
    return forward_call(mdl, py::handle(args[1]), args).release().ptr();
  } catch (py::error_already_set& e) {
    e.restore();
  } catch (py::builtin_exception& e) {
    e.set_error();
  } catch (...) {
    // what pybind11's dispatcher would do: the module's translator (ValueError, OSError, ...), then
    // its own rules for the rest
    try {
      translate_exception(std::current_exception());
    } catch (const std::bad_alloc&) {
      PyErr_SetString(PyExc_MemoryError, "std::bad_alloc");
    } catch (const std::exception& e) {
      PyErr_SetString(PyExc_RuntimeError, e.what());
    } catch (...) {
      PyErr_SetString(PyExc_RuntimeError, "Caught an unknown exception!");
    }
  }
  return nullptr;
}

}  // namespace

void bind_forward(py::module_& m) {
  py::class_<Cache, std::shared_ptr<Cache>>(m, "DynamicCache",
                                            "transformers' DynamicCache: the keys and values of the tokens seen so far, "
                                            "per layer; pass it back as past_key_values to continue.")
      .def(py::init<>())
      .def("get_seq_length", &Cache::get_seq_length, py::arg("layer_idx") = 0)
      .def("get_max_cache_shape", [](const Cache&) { return py::none(); })
      .def("__len__", &Cache::num_layers)
      // (key, value) of one layer, [batch, kv_heads, tokens, head_dim] copies (later steps do not change them)
      .def("__getitem__", [](const Cache& c, int64_t layer) {
        if (layer < 0) layer += c.num_layers();
        if (layer < 0 || layer >= c.num_layers())
          throw py::index_error("DynamicCache: layer " + std::to_string(layer) + " of " + std::to_string(c.num_layers()));
        return py::make_tuple(to_numpy(c.key_cache(layer).clone()), to_numpy(c.value_cache(layer).clone()));
      })
      .def_property_readonly("key_cache", [](const Cache& c) {
        py::list l;
        for (int64_t i = 0; i < c.num_layers(); ++i) l.append(to_numpy(c.key_cache(i).clone()));
        return l;
      })
      .def_property_readonly("value_cache", [](const Cache& c) {
        py::list l;
        for (int64_t i = 0; i < c.num_layers(); ++i) l.append(to_numpy(c.value_cache(i).clone()));
        return l;
      })
      .def("crop", &Cache::crop, py::arg("max_length"))
      .def("reorder_cache", [](Cache& c, const py::object& beam_idx) { c.reorder_cache(ids_tensor(beam_idx)); },
           py::arg("beam_idx"))
      .def("reset", &Cache::reset);

  // _forward(model, output_cls, input_ids, attention_mask, token_type_ids, position_ids, inputs_embeds,
  // head_mask, labels, past_key_values, use_cache, output_attentions, output_hidden_states,
  // logits_to_keep, return_dict): positional only, as a METH_FASTCALL function (pybind11's general
  // dispatcher costs about half a microsecond per call for fifteen arguments).
  static PyMethodDef def{"_forward", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(&forward_fastcall)),
                         METH_FASTCALL, "model(**inputs) for transformers_cpp.PreTrainedModel.__call__"};
  m.add_object("_forward", py::reinterpret_steal<py::object>(PyCFunction_NewEx(&def, nullptr, m.attr("__name__").ptr())));
}

}  // namespace transformers_py
