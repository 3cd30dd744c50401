// PretrainedConfig as transformers_cpp._core.Config (AutoConfig in the Python package).
#include "bindings.hpp"

#include "transformers/hub/push_to_hub.hpp"
#include "transformers/modeling/auto.hpp"

namespace transformers_py {

using transformers::PretrainedConfig;
using ConfigPtr = std::shared_ptr<PretrainedConfig>;

transformers::hub::PushToHubOptions push_options(py::dict& kwargs);

void bind_config(py::module_& m) {
  py::class_<PretrainedConfig, ConfigPtr>(m, "Config")
      .def_static(
          "from_pretrained",
          [](const std::string& path, py::dict kwargs) {
            transformers::ConfigLoadOptions o;
            o.hub = hub_options(kwargs);
            o.overrides = to_json(kwargs);
            py::gil_scoped_release nogil;
            return transformers::AutoConfig::from_pretrained(path, o);
          },
          py::arg("path"), py::arg("kwargs"))
      .def_static(
          "for_model",
          [](const std::string& model_type, py::dict kwargs) {
            return transformers::AutoConfig::for_model(model_type, to_json(kwargs));
          },
          py::arg("model_type"), py::arg("kwargs"))
      .def_property_readonly("model_type", &PretrainedConfig::model_type)
      .def("has", &PretrainedConfig::has_attribute, py::arg("key"))
      .def("get", [](const PretrainedConfig& c, const std::string& key) { return from_json(c.raw_at(key)); },
           py::arg("key"))
      .def("set", [](PretrainedConfig& c, const std::string& key, py::handle v) {
        c.set(key, transformers::json(to_json(v)));
      }, py::arg("key"), py::arg("value"))
      .def("to_dict", [](const PretrainedConfig& c) { return from_json(c.to_dict()); })
      .def("to_diff_dict", [](const PretrainedConfig& c) { return from_json(c.to_diff_dict()); })
      .def("to_json_string", &PretrainedConfig::to_json_string, py::arg("use_diff") = true)
      .def("save_pretrained", [](const PretrainedConfig& c, const std::string& dir) { c.save_pretrained(dir); },
           py::arg("save_directory"))
      .def("push_to_hub", [](const PretrainedConfig& c, const std::string& repo_id, py::dict kwargs) {
        auto o = push_options(kwargs);
        py::gil_scoped_release nogil;
        return transformers::hub::push_to_hub(c, repo_id, o).commit_url;
      }, py::arg("repo_id"), py::arg("kwargs"));
}

}  // namespace transformers_py
