#pragma once
// TensorFlow and Flax weights into a PyTorch-layout model, as 4.51's modeling_tf_pytorch_utils
// (load_tf2_state_dict_in_pytorch_model) and modeling_flax_pytorch_utils
// (load_flax_weights_in_pytorch_model) convert them: framework names in, model state-dict names
// and layouts out. from_pretrained hands the result to its usual key bookkeeping.
#include <optional>
#include <string>
#include <vector>

#include "transformers/io/checkpoint.hpp"
#include "transformers/io/shard_index.hpp"

namespace transformers {
class PreTrainedModel;
}

namespace transformers::detail {

enum class WeightsFramework { PyTorch, TF, Flax };

struct FrameworkWeights {
  WeightsFramework framework = WeightsFramework::PyTorch;
  io::NamedTensors tensors;  // TF: full variable names; Flax: '/'-joined param paths
};
// The weights of `files` (one file, or the shards of `index_file`) when they are TensorFlow or
// Flax weights: tf_model.h5 / its shards, flax_model.msgpack / its shards, or a single safetensors
// file whose metadata says format "tf" / "flax" (4.51 then loads it as from_tf / from_flax).
// nullopt for PyTorch checkpoints. A sharded index whose weight_map names a weight its shard does
// not hold is a FormatError.
std::optional<FrameworkWeights> read_framework_weights(const std::vector<std::string>& files, const std::string& index_file);

// convert_tf_weight_name_to_pt_weight_name: the PyTorch name of a TF variable name and how the
// array is transposed (0 none, 1 simple, 2 conv1d, 3 conv2d).
struct TfToPtName {
  std::string name;
  int transpose = 0;
};
TfToPtName convert_tf_weight_name_to_pt_weight_name(const std::string& tf_name, const std::string& start_prefix_to_remove,
                                                    size_t rank);

// TF variables (full names, "tf_bert_for_masked_lm/bert/.../kernel:0") -> the model's parameters
// that they provide, transposed/reshaped to the parameter's shape. Parameters without a TF
// variable are left out (4.51 loads with allow_missing_keys=True and reports them missing).
io::NamedTensors tf_weights_to_pytorch(const PreTrainedModel& model, const io::NamedTensors& tf_weights);

// Flax params ('/'-joined paths) -> PyTorch names; bfloat16 params are cast to float32 first (all
// of them, when any is bf16, as 4.51 does). A weight the model does not have keeps its converted
// name (reported as unexpected); a shape that differs from the model's is a ValueError.
io::NamedTensors flax_weights_to_pytorch(const PreTrainedModel& model, const io::NamedTensors& flax_params);

}  // namespace transformers::detail

namespace transformers::detail {

// save_pretrained({.format = "tf" | "flax"}): the weights files 4.51's TF / Flax class of `model`
// would save. `state` is the model's parameters by PyTorch name; tied aliases (tied_weights_keys
// sharing a tensor) are left out, as those frameworks hold one weight. Names are the inverse of the
// load conversions: Flax kernel/scale/embedding, TF kernel/gamma/beta/embeddings, "_._" list
// levels, Keras layer groups. Above max_shard_size (bytes; convert_file_size_to_int's rules for
// strings) the weights are split as tf_shard_checkpoint / flax_shard_checkpoint do: Keras weight
// order / Flax's sorted param paths, files tf_model-0000k-of-0000n.h5 (datasets at the root) /
// flax_model-0000k-of-0000n.msgpack and an index {"metadata": {"total_size"}, "weight_map"}.
struct FrameworkSave {
  std::string weights_name;                                 // tf_model.h5 / flax_model.msgpack
  std::string index_name;                                   // <weights_name>.index.json
  std::vector<std::pair<std::string, std::string>> files;   // (file name, bytes), shard order
  std::optional<io::ShardIndex> index;                      // when sharded
};
FrameworkSave framework_weights_files(PreTrainedModel& model, const io::NamedTensors& state, const std::string& format,
                                      int64_t max_shard_size);
// The Flax params of `state` (the model's parameters by PyTorch name): '/'-joined paths in Flax's
// sorted order, Flax layouts (what save_pretrained(format="flax") writes).
io::NamedTensors flax_state(PreTrainedModel& model, const io::NamedTensors& state);
// The name Keras gives 4.51's TF class of `cls` by default (BertForMaskedLM -> tf_bert_for_masked_lm):
// the first level of its variable names.
std::string tf_model_name(const std::string& cls);
// After the save: files named <weights_name>* that it did not write are removed (4.51's cleanup).
void remove_stale_framework_files(const std::string& dir, const FrameworkSave& saved);

}  // namespace transformers::detail
