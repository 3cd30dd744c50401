#pragma once
// Options shared by the commands that load a model (--model, --revision, --model-class, --dtype,
// --variant, --gguf-file, --from-tf, --from-flax, --attn, --threads) and the one place that turns them into from_pretrained's options.
#include <memory>
#include <string>

#include "big_model_options.hpp"
#include "cli_common.hpp"
#include "int_options.hpp"
#include "source_path.hpp"
#include "transformers/modeling/auto.hpp"

namespace transformers::cli {

struct ModelArgs {
  std::string model;
  std::string revision;     // --revision ("" : from model@revision, else main)
  std::string model_class;  // Auto class or concrete class; empty: config.architectures[0]
  std::string dtype = "float32";
  std::string variant;
  std::string attn;
  std::string gguf_file;  // --gguf-file, or PATH itself when it is a .gguf file
  bool from_tf = false;    // --from-tf: tf_model.h5 (or its sharded index)
  bool from_flax = false;  // --from-flax: flax_model.msgpack (or its sharded index)
  bool keep_quantized = false;  // --keep-quantized (GGUF block weights run natively, docs/gguf.md)
  int threads = 0;
  BigModelArgs big;  // --device-map, --max-memory, --offload-folder, --low-cpu-mem-usage, --tp-plan
  // --tp-plan only where the sharded model is run, never saved (forward, bench; generate has its own)
  bool with_tp_plan = false;

  void add_to(CLI::App& app, bool with_attn = true) {
    app.add_option("--model", model, "model folder, checkpoint file or Hub repo id org/name[@revision]")->required();
    app.add_option("--revision", revision, "Hub branch, tag, commit or refs/pr/N of a repo id --model");
    app.add_option("--model-class", model_class, "Auto class or concrete class (default: config.architectures[0])");
    app.add_option("--dtype", dtype, "auto, float32, float16, bfloat16, float64 or int8")->capture_default_str();
    app.add_option("--variant", variant, "weights variant (model.VARIANT.safetensors)");
    app.add_option("--gguf-file", gguf_file, "GGUF checkpoint in the folder / repo PATH (a PATH.gguf needs none)");
    app.add_flag("--from-tf", from_tf, "load TensorFlow weights (tf_model.h5) as from_pretrained(from_tf=True)");
    app.add_flag("--from-flax", from_flax, "load Flax weights (flax_model.msgpack) as from_pretrained(from_flax=True)");
    add_keep_quantized_flag(app, keep_quantized);
    if (with_attn) app.add_option("--attn", attn, "attention implementation: eager or sdpa")->check(CLI::IsMember({"eager", "sdpa"}));
    app.add_option("--threads", threads, "threads for computation (default: physical cores)")->check(ThreadsRange());
    big.add_to(app, with_tp_plan);
  }

  FromPretrainedOptions options() const {
    FromPretrainedOptions o;
    if (dtype == "auto") o.torch_dtype = DTypeArg("auto");
    else if (auto d = parse_dtype_option(dtype)) o.torch_dtype = DTypeArg(*d);
    o.variant = variant;
    o.attn_implementation = attn;
    o.hub = source().hub;
    o.gguf_file = gguf_file_for(source(), gguf_file);
    o.from_tf = from_tf;
    o.from_flax = from_flax;
    o.keep_quantized = keep_quantized;
    big.apply(o);
    return o;
  }
  // --model split into the folder / file / repo id and its revision.
  Source source() const { return parse_source(model, revision); }

  std::shared_ptr<PreTrainedModel> load() const {
    apply_threads(threads);
    const FromPretrainedOptions o = options();
    const std::string path = source().path;
    // a GGUF config names no architectures: its models are causal LMs
    const std::string cls = model_class.empty() && !o.gguf_file.empty() ? "AutoModelForCausalLM" : model_class;
    auto model = cls.rfind("Auto", 0) == 0 ? auto_from_pretrained(cls, path, o) : from_pretrained_class(cls, path, o);
    big.after_load(*model);
    return model;
  }
};

}  // namespace transformers::cli
