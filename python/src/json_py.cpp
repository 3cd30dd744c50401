// Python values <-> JSON (configs, generation kwargs, chat messages), and the Hub keyword arguments.
#include "bindings.hpp"

#include <string>

#include "transformers/core/error.hpp"

namespace transformers_py {

using ojson = nlohmann::ordered_json;

ojson to_json(const py::handle& o) {
  if (o.is_none()) return nullptr;
  if (py::isinstance<py::bool_>(o)) return o.cast<bool>();
  if (py::isinstance<py::int_>(o)) return o.cast<int64_t>();
  if (py::isinstance<py::float_>(o)) return o.cast<double>();
  if (py::isinstance<py::str>(o)) return o.cast<std::string>();
  if (py::isinstance<py::dict>(o)) {
    ojson out = ojson::object();
    for (auto [k, v] : o.cast<py::dict>()) {
      if (!py::isinstance<py::str>(k))
        throw transformers::ValueError("transformers_cpp: expected dict keys of type str, found " +
                                       std::string(py::str(py::type::of(k).attr("__name__"))));
      out[k.cast<std::string>()] = to_json(v);
    }
    return out;
  }
  if (py::isinstance<py::list>(o) || py::isinstance<py::tuple>(o)) {
    ojson out = ojson::array();
    for (auto v : o) out.push_back(to_json(v));
    return out;
  }
  // NumPy scalars and arrays (ids from a tokenizer output) through their Python values.
  if (py::hasattr(o, "tolist")) return to_json(o.attr("tolist")());
  throw transformers::ValueError("transformers_cpp: expected None, bool, int, float, str, list or dict, found " +
                                 std::string(py::str(py::type::of(o).attr("__name__"))));
}

template <typename J>
py::object from_json_any(const J& j) {
  switch (j.type()) {
    case J::value_t::null: return py::none();
    case J::value_t::boolean: return py::bool_(j.template get<bool>());
    case J::value_t::number_integer: return py::int_(j.template get<int64_t>());
    case J::value_t::number_unsigned: return py::int_(j.template get<uint64_t>());
    case J::value_t::number_float: return py::float_(j.template get<double>());
    case J::value_t::string: return py::str(j.template get<std::string>());
    case J::value_t::array: {
      py::list out;
      for (const auto& e : j) out.append(from_json_any(e));
      return out;
    }
    case J::value_t::object: {
      py::dict out;
      for (const auto& [k, v] : j.items()) out[py::str(k)] = from_json_any(v);
      return out;
    }
    default: return py::none();
  }
}

py::object from_json(const ojson& j) { return from_json_any(j); }
py::object from_json(const nlohmann::json& j) { return from_json_any(j); }

transformers::hub::HubOptions hub_options(py::dict& kwargs) {
  transformers::hub::HubOptions h;
  auto take = [&](const char* key) -> py::object {
    if (!kwargs.contains(key)) return py::none();
    py::object v = kwargs[key];
    PyDict_DelItemString(kwargs.ptr(), key);
    return v;
  };
  if (auto v = take("revision"); !v.is_none()) h.revision = v.cast<std::string>();
  if (auto v = take("cache_dir"); !v.is_none()) h.cache_dir = py::str(v).cast<std::string>();
  if (auto v = take("token"); !v.is_none()) {
    // token=False sends none, token=True the implicit one, a string that token (huggingface_hub's rule)
    if (py::isinstance<py::bool_>(v)) {
      if (!v.cast<bool>()) h.token = std::string();
    } else {
      h.token = v.cast<std::string>();
    }
  }
  if (auto v = take("force_download"); !v.is_none()) h.force_download = v.cast<bool>();
  if (auto v = take("local_files_only"); !v.is_none()) h.local_files_only = v.cast<bool>();
  if (auto v = take("proxies"); !v.is_none()) h.proxies = v.cast<std::map<std::string, std::string>>();
  if (auto v = take("subfolder"); !v.is_none()) h.subfolder = v.cast<std::string>();
  if (auto v = take("repo_type"); !v.is_none()) h.repo_type = v.cast<std::string>();
  return h;
}

}  // namespace transformers_py
