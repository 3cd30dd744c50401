// PreTrainedModel as transformers_cpp._core.Model: loading through the Auto registry or a class name,
// the forward pass (GIL released, NumPy in and out without copies), saving, pushing, resizing,
// pruning and the parameter counts. The Python package (transformers_cpp/modeling.py) gives these
// transformers' keyword names and output objects.
#include "bindings.hpp"

#include "transformers/core/autograd.hpp"
#include "transformers/generation/utils.hpp"
#include "transformers/hub/push_to_hub.hpp"
#include "transformers/modeling/auto.hpp"
#include "transformers/modeling/prune.hpp"
#include "transformers/modeling/resize.hpp"

namespace transformers_py {

using transformers::PreTrainedModel;
using ModelPtr = std::shared_ptr<PreTrainedModel>;

namespace {

// from_pretrained's keyword arguments the engine knows; the rest are config attributes (as
// transformers passes unused kwargs to the config).
transformers::FromPretrainedOptions load_options(py::dict kwargs) {
  transformers::FromPretrainedOptions o;
  o.hub = hub_options(kwargs);
  auto take = [&](const char* key) -> py::object {
    if (!kwargs.contains(key)) return py::none();
    py::object v = kwargs[key];
    PyDict_DelItemString(kwargs.ptr(), key);
    return v;
  };
  if (auto v = take("torch_dtype"); !v.is_none()) o.torch_dtype = transformers::DTypeArg(v.cast<std::string>());
  if (auto v = take("config"); !v.is_none()) o.config = v.cast<std::shared_ptr<transformers::PretrainedConfig>>();
  if (auto v = take("variant"); !v.is_none()) o.variant = v.cast<std::string>();
  if (auto v = take("use_safetensors"); !v.is_none()) o.use_safetensors = v.cast<bool>();
  if (auto v = take("ignore_mismatched_sizes"); !v.is_none()) o.ignore_mismatched_sizes = v.cast<bool>();
  if (auto v = take("output_loading_info"); !v.is_none()) o.output_loading_info = v.cast<bool>();
  if (auto v = take("num_labels"); !v.is_none()) o.num_labels = v.cast<int64_t>();
  if (auto v = take("attn_implementation"); !v.is_none()) o.attn_implementation = v.cast<std::string>();
  if (auto v = take("gguf_file"); !v.is_none()) o.gguf_file = py::str(v).cast<std::string>();
  if (auto v = take("seed"); !v.is_none()) o.seed = v.cast<uint64_t>();
  if (auto v = take("key_mapping"); !v.is_none())
    for (auto [k, r] : v.cast<py::dict>()) o.key_mapping.emplace_back(k.cast<std::string>(), r.cast<std::string>());
  o.config_overrides = to_json(kwargs);
  return o;
}

}  // namespace

transformers::hub::PushToHubOptions push_options(py::dict& kwargs) {
  transformers::hub::PushToHubOptions o;
  for (auto [k, v] : kwargs) {
    const std::string key = k.cast<std::string>();
    if (v.is_none()) continue;
    if (key == "commit_message") o.commit_message = v.cast<std::string>();
    else if (key == "private") o.private_repo = v.cast<bool>();
    else if (key == "token") o.token = v.cast<std::string>();
    else if (key == "max_shard_size") {
      if (py::isinstance<py::int_>(v)) o.max_shard_size = v.cast<int64_t>();
      else o.max_shard_size = v.cast<std::string>();
    } else if (key == "create_pr") o.create_pr = v.cast<bool>();
    else if (key == "safe_serialization") o.safe_serialization = v.cast<bool>();
    else if (key == "revision") o.revision = v.cast<std::string>();
    else if (key == "commit_description") o.commit_description = v.cast<std::string>();
    else if (key == "tags") o.tags = v.cast<std::vector<std::string>>();
    else if (key == "endpoint") o.endpoint = v.cast<std::string>();
    else if (key == "cache_dir") o.cache_dir = py::str(v).cast<std::string>();
    else if (key == "proxies") o.proxies = v.cast<std::map<std::string, std::string>>();
    else throw transformers::ValueError("push_to_hub: unexpected keyword argument '" + key + "'");
  }
  return o;
}

void bind_models(py::module_& m) {
  m.def("registered_model_classes", [] {
    transformers::ensure_models_registered();
    return transformers::registered_model_classes();
  });
  // The class an Auto class builds for a config ("GPT2LMHeadModel").
  m.def("resolve_auto_class", [](const std::string& auto_class, const transformers::PretrainedConfig& c) {
    transformers::ensure_models_registered();
    return transformers::resolve_auto_class(auto_class, c).class_name;
  });

  py::class_<PreTrainedModel, ModelPtr>(m, "Model")
      // `name` is an Auto class ("AutoModelForCausalLM") when `is_auto`, else a registered class name.
      .def_static(
          "from_pretrained",
          [](const std::string& name, bool is_auto, const std::string& path, py::dict kwargs) {
            auto o = load_options(kwargs);
            py::gil_scoped_release nogil;
            return is_auto ? transformers::auto_from_pretrained(name, path, o)
                           : transformers::from_pretrained_class(name, path, o);
          },
          py::arg("name"), py::arg("is_auto"), py::arg("path"), py::arg("kwargs"))
      .def_static(
          "from_config",
          [](const std::string& name, bool is_auto, std::shared_ptr<transformers::PretrainedConfig> c,
             std::optional<uint64_t> seed) {
            transformers::ensure_models_registered();
            if (is_auto) return transformers::auto_from_config(name, std::move(c), seed);
            const auto* info = transformers::find_model_class(name);
            if (!info) throw transformers::ValueError("Unrecognized model class " + name);
            return transformers::build_model_from_config(info->factory, std::move(c), seed);
          },
          py::arg("name"), py::arg("is_auto"), py::arg("config"), py::arg("seed") = py::none())
      .def_property_readonly("class_name", &PreTrainedModel::name)
      .def_property_readonly("config", &PreTrainedModel::config_ptr)
      .def_property_readonly("dtype", [](const PreTrainedModel& mdl) { return std::string(transformers::dtype_name(mdl.dtype())); })
      .def_property_readonly("can_generate", &PreTrainedModel::can_generate)
      .def_property_readonly("base_model_prefix", &PreTrainedModel::base_model_prefix)
      .def_property_readonly("training", &PreTrainedModel::training)
      .def("train", [](PreTrainedModel& mdl, bool mode) { mdl.train(mode); }, py::arg("mode") = true)
      .def("loading_info", [](const PreTrainedModel& mdl) { return from_json(mdl.loading_info().to_json()); })
      .def("num_parameters", &PreTrainedModel::num_parameters, py::arg("only_trainable") = false,
           py::arg("exclude_embeddings") = false)
      .def("get_memory_footprint", &PreTrainedModel::get_memory_footprint, py::arg("return_buffers") = true)
      .def("state_dict", [](const PreTrainedModel& mdl) {
        py::dict d;
        for (const auto& [k, t] : mdl.state_dict()) d[py::str(k)] = to_numpy(t);
        return d;
      })
      .def("to_dtype", [](PreTrainedModel& mdl, const std::string& dt) { mdl.to(transformers::dtype_from_name(dt)); })
      .def("generation_config", [](PreTrainedModel& mdl) { return from_json(transformers::model_generation_config(mdl)); })
      .def("save_pretrained",
           [](PreTrainedModel& mdl, const std::string& dir, py::object max_shard_size, bool safe_serialization,
              const std::string& variant, bool is_main_process, bool push_to_hub, py::dict push_kwargs) {
             transformers::SavePretrainedOptions o;
             if (py::isinstance<py::int_>(max_shard_size)) o.max_shard_size = max_shard_size.cast<int64_t>();
             else o.max_shard_size = max_shard_size.cast<std::string>();
             o.safe_serialization = safe_serialization;
             o.variant = variant;
             o.is_main_process = is_main_process;
             o.push_to_hub = push_to_hub;
             if (push_to_hub) {
               if (push_kwargs.contains("repo_id")) {
                 o.repo_id = push_kwargs["repo_id"].cast<std::string>();
                 PyDict_DelItemString(push_kwargs.ptr(), "repo_id");
               }
               o.push_options = push_options(push_kwargs);
               o.token = o.push_options.token;
             }
             py::gil_scoped_release nogil;
             mdl.save_pretrained(dir, o);
           },
           py::arg("save_directory"), py::arg("max_shard_size") = "5GB", py::arg("safe_serialization") = true,
           py::arg("variant") = "", py::arg("is_main_process") = true, py::arg("push_to_hub") = false,
           py::arg("push_kwargs") = py::dict())
      .def("push_to_hub",
           [](PreTrainedModel& mdl, const std::string& repo_id, py::dict kwargs) {
             auto o = push_options(kwargs);
             py::gil_scoped_release nogil;
             return transformers::hub::push_to_hub(mdl, repo_id, o).commit_url;
           },
           py::arg("repo_id"), py::arg("kwargs"))
      .def("resize_token_embeddings",
           [](PreTrainedModel& mdl, std::optional<int64_t> new_num_tokens, std::optional<int64_t> pad_to_multiple_of,
              bool mean_resizing) {
             py::gil_scoped_release nogil;
             auto& e = transformers::resize_token_embeddings(
                 mdl, {.new_num_tokens = new_num_tokens, .pad_to_multiple_of = pad_to_multiple_of, .mean_resizing = mean_resizing, .seed = std::nullopt});
             return e.weight.size(0);
           },
           py::arg("new_num_tokens") = py::none(), py::arg("pad_to_multiple_of") = py::none(),
           py::arg("mean_resizing") = true)
      .def("prune_heads", [](PreTrainedModel& mdl, const transformers::HeadsToPrune& heads) {
        transformers::prune_heads(mdl, heads);
      }, py::arg("heads_to_prune"));
}

}  // namespace transformers_py
