// transformers-cli load-info: Python's output_loading_info for loading PATH into a class.
#include "int_options.hpp"
#include "model_options.hpp"
#include "transformers/modeling/config_limits.hpp"

namespace transformers::cli {
namespace {

REGISTER_COMMAND("load-info", "missing / unexpected / mismatched keys of loading a checkpoint into a class",
                 [](CLI::App& app) {
  auto model = std::make_shared<std::string>();
  auto revision = std::make_shared<std::string>();
  auto model_class = std::make_shared<std::string>();
  auto gguf_file = std::make_shared<std::string>();
  auto num_labels = std::make_shared<int64_t>(0);
  auto ignore = std::make_shared<bool>(false);
  auto as_json = std::make_shared<bool>(false);
  auto from_tf = std::make_shared<bool>(false);
  auto from_flax = std::make_shared<bool>(false);
  app.add_option("--model", *model, "model folder, checkpoint file or Hub repo id org/name[@revision]")->required();
  app.add_option("--revision", *revision, "Hub branch, tag, commit or refs/pr/N of a repo id --model");
  app.add_option("--model-class", *model_class, "Auto class or concrete class")->required();
  app.add_option("--gguf-file", *gguf_file, "GGUF checkpoint in the folder / repo PATH (a PATH.gguf needs none)");
  app.add_option("--num-labels", *num_labels, "config override num_labels")->check(IntRange(1, kMaxNumLabels));
  app.add_flag("--ignore-mismatched-sizes", *ignore, "re-initialise weights whose shapes differ");
  app.add_flag("--json", *as_json, "print one JSON document");
  app.add_flag("--from-tf", *from_tf, "load TensorFlow weights (tf_model.h5) as from_pretrained(from_tf=True)");
  app.add_flag("--from-flax", *from_flax, "load Flax weights (flax_model.msgpack) as from_pretrained(from_flax=True)");
  // Capture as_json explicitly: the output is JSON either way, so the body never reads it, and an
  // implicit [=] would leave CLI11 writing the flag into a freed bool (ASan: heap-use-after-free).
  return [=, as_json = as_json] {
    (void)as_json;
    const Source src = parse_source(*model, *revision);
    FromPretrainedOptions o;
    o.hub = src.hub;
    o.gguf_file = gguf_file_for(src, *gguf_file);
    if (*num_labels > 0) o.num_labels = *num_labels;
    o.ignore_mismatched_sizes = *ignore;
    o.output_loading_info = true;
    o.from_tf = *from_tf;
    o.from_flax = *from_flax;
    auto m = model_class->rfind("Auto", 0) == 0 ? auto_from_pretrained(*model_class, src.path, o)
                                                : from_pretrained_class(*model_class, src.path, o);
    print_json(m->loading_info().to_json());
    return 0;
  };
});

}  // namespace
}  // namespace transformers::cli
