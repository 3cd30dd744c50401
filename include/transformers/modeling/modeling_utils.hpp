#pragma once
// PreTrainedModel: the base of every model class (BertForMaskedLM, GPT2LMHeadModel, ...). Holds the
// config, knows its base_model_prefix and tied weights, loads and saves the Hugging Face layout.
// Architectures derive from it in models/<arch>/ and register themselves in the model registry
// (modeling/auto.hpp) so the Auto classes and from_pretrained can build them from config.json.
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "transformers/generation/configuration_utils.hpp"
#include "transformers/hub/push_to_hub.hpp"
#include "transformers/modeling/bitsandbytes.hpp"
#include "transformers/modeling/configuration_utils.hpp"
#include "transformers/modeling/device_map.hpp"
#include "transformers/modeling/model_outputs.hpp"
#include "transformers/nn/module.hpp"

namespace transformers {

class PreTrainedModel;
// A factory registered per (model_type, class name) by models/<arch>/.
using ModelFactory = std::function<std::shared_ptr<PreTrainedModel>(std::shared_ptr<PretrainedConfig>)>;

// A checkpoint tensor whose shape differs from the model's (only with ignore_mismatched_sizes).
struct MismatchedKey {
  std::string key;
  Shape checkpoint_shape;
  Shape model_shape;
};

// Python's output_loading_info dict.
struct LoadingInfo {
  std::vector<std::string> missing_keys;     // sorted
  std::vector<std::string> unexpected_keys;  // sorted
  std::vector<MismatchedKey> mismatched_keys;
  std::vector<std::string> error_msgs;
  // {"missing_keys": [...], "unexpected_keys": [...], "mismatched_keys": [[name, [ckpt], [model]], ...],
  //  "error_msgs": [...]} (the CLI's load-info shape; 4.51 itself lists mismatched names only)
  json to_json() const;
};

// torch_dtype argument: unset (float32, 4.51's default), a dtype, or "auto".
struct DTypeArg {
  DTypeArg() = default;
  DTypeArg(DType d) : dtype(d) {}
  DTypeArg(const char* name) { parse(name); }
  DTypeArg(const std::string& name) { parse(name); }
  std::optional<DType> dtype;
  bool is_auto = false;

 private:
  void parse(const std::string& name);
};

// Python's from_pretrained keyword arguments.
struct FromPretrainedOptions {
  std::shared_ptr<PretrainedConfig> config;  // used (deep-copied) instead of reading config.json
  std::string config_path;                   // read the config from here instead of the model path
  std::optional<std::vector<std::pair<std::string, Tensor>>> state_dict;  // weights instead of files
  DTypeArg torch_dtype;
  std::string variant;                   // "v2" -> model.v2.safetensors, ...
  std::optional<bool> use_safetensors;   // nullopt: prefer safetensors, fall back to .bin
  bool ignore_mismatched_sizes = false;
  // Loading info is always recorded on the model (PreTrainedModel::loading_info()); this flag only
  // exists so Python call sites translate one to one.
  bool output_loading_info = false;
  std::optional<int64_t> num_labels;     // shorthand for config_overrides["num_labels"]
  json config_overrides = json::object();  // other config kwargs (hidden_dropout_prob, ...)
  std::string attn_implementation;       // "eager" | "sdpa" ("" keeps the config's)
  // key_mapping: regex -> replacement ("\\1" groups), tried in order, first substituting one wins.
  std::vector<std::pair<std::string, std::string>> key_mapping;
  std::optional<uint64_t> seed;          // seeds the init of newly created weights
  std::shared_ptr<GenerationConfig> generation_config;
  // A GGUF checkpoint (a file, or a file name in the folder / repo `path`): config from its metadata,
  // weights dequantized to float32 (then torch_dtype), as 4.51's gguf_file= (src/modeling/gguf_load.cpp).
  std::string gguf_file;
  // TensorFlow / Flax weights (tf_model.h5, flax_model.msgpack, or their sharded index), converted
  // as 4.51's modeling_tf_pytorch_utils / modeling_flax_pytorch_utils do (src/modeling/tf_flax_load.cpp).
  bool from_tf = false;
  bool from_flax = false;
  // Beyond 4.51 (which always dequantizes): with a gguf_file, the Linear weights of block types
  // (Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q2_K..Q6_K: all have native kernels) stay quantized in memory and
  // run on them (ops::linear; docs/gguf.md). Only read for a GGUF checkpoint; a torch_dtype other than float32
  // dequantizes them again.
  bool keep_quantized = false;
  // bitsandbytes (4.51's quantization_config / load_in_8bit / load_in_4bit): the Linear layers of a
  // float checkpoint quantized at load on the CPU (LLM.int8 rows, or nf4 / fp4 in blocks of 64 with
  // optional double quantization), the config saved as config.json's quantization_config. A
  // checkpoint whose config.json carries one loads pre-quantized. Without a torch_dtype the other
  // weights load in float16, as 4.51 does. (modeling/bitsandbytes.hpp, ops/bnb.hpp)
  std::optional<BitsAndBytesConfig> quantization_config;
  bool load_in_8bit = false;
  bool load_in_4bit = false;
  // Where the files come from (revision, token, cache_dir, local_files_only, force_download,
  // proxies, subfolder): the same struct the config, generation config and tokenizer loads take.
  ::transformers::hub::HubOptions hub;
  // Big models (modeling/device_map.hpp): a strategy ("auto", "balanced", "balanced_low_0",
  // "sequential", "cpu", "disk") or an explicit map, computed/checked as 4.51 does and kept in
  // model->hf_device_map(); max_memory as 4.51 takes it ({"cpu": "600MB"}); offload_folder is
  // required, as in 4.51, when a map sends weights to disk and the checkpoint is not safetensors.
  std::optional<DeviceMapArg> device_map;
  std::optional<MaxMemory> max_memory;
  std::string offload_folder;
  std::optional<bool> offload_state_dict;
  bool offload_buffers = false;
  std::optional<bool> low_cpu_mem_usage;  // 4.51 turns it on with a device_map
};

struct SavePretrainedOptions {
  // Bytes, or "5GB" / "30KB"; unset: the class's own default, "5GB" (PreTrainedModel,
  // TFPreTrainedModel) or "10GB" (FlaxPreTrainedModel, format "flax"), as 4.51's signatures have it.
  std::optional<std::variant<int64_t, std::string>> max_shard_size;
  bool safe_serialization = true;
  std::string variant;
  std::optional<std::vector<std::pair<std::string, Tensor>>> state_dict;  // default: model.state_dict()
  bool is_main_process = true;
  // "pt" (model.safetensors / pytorch_model.bin), or the files 4.51's TF / Flax classes save:
  // "tf" (tf_model.h5, Keras save_weights layout) and "flax" (flax_model.msgpack), in those
  // frameworks' names, layouts and shards (src/modeling/tf_flax_save.cpp; above max_shard_size).
  std::string format = "pt";
  // push_to_hub: after the save, the model card (the repo's README.md, or a new one, tagged with
  // model_tags()) is written into the folder as README.md, and the files this save wrote are
  // uploaded to repo_id (default: the folder's name) in one commit, as 4.51 does.
  bool push_to_hub = false;
  std::string repo_id;
  std::optional<std::string> token;    // nullopt: implicit (HF_TOKEN, token file)
  hub::PushToHubOptions push_options;  // commit_message, private_repo, create_pr, revision, endpoint, ...
};

class PreTrainedModel : public nn::Module {
 public:
  explicit PreTrainedModel(std::shared_ptr<PretrainedConfig> config) : config_(std::move(config)) {}

  // ---- what each architecture provides ----
  virtual ModelOutput forward(const ModelInputs& inputs) = 0;
  // "bert", "transformer" (GPT-2), "model" (Llama): the attribute holding the base model.
  virtual std::string base_model_prefix() const = 0;
  // Python's _tied_weights_keys, e.g. {"lm_head.weight"}; empty when nothing is tied.
  virtual std::vector<std::string> tied_weights_keys() const { return {}; }
  // The base model (this when the class is the base model itself).
  virtual nn::Module* base_model() { return this; }
  // Input/output embedding modules (nullptr when there is none, e.g. BertModel's output). The
  // default input embeddings delegate to base_model() when it is another PreTrainedModel.
  virtual nn::Module* get_input_embeddings();
  virtual nn::Module* get_output_embeddings() { return nullptr; }
  // Hugging Face's _init_weights for one module (used for newly created weights, e.g. on resize).
  virtual void init_weights(nn::Module& module) {}
  // Python's _keys_to_ignore_on_load_missing / _keys_to_ignore_on_load_unexpected (regex strings).
  virtual std::vector<std::string> keys_to_ignore_on_load_missing() const { return {}; }
  virtual std::vector<std::string> keys_to_ignore_on_load_unexpected() const { return {}; }
  virtual bool can_generate() const { return false; }
  // Prune heads in the base model's layers ({layer: heads}); UnsupportedError where Python has none.
  virtual void prune_heads_impl(const std::map<int64_t, std::vector<int64_t>>& heads);
  // Python's _keys_to_ignore_on_save (exact names).
  virtual std::vector<std::string> keys_to_ignore_on_save() const { return {}; }
  // Python's _tie_weights() of submodules (BERT's LM head re-links decoder.bias = bias); called
  // at the end of tie_weights().
  virtual void tie_submodule_weights() {}

  PretrainedConfig& config() { return *config_; }
  const PretrainedConfig& config() const { return *config_; }
  std::shared_ptr<PretrainedConfig> config_ptr() const { return config_; }

  // ---- loading / saving ----
  // Builds M from the checkpoint at `path` (folder, file, or Hub repo id) as 4.51 does.
  template <typename M>
  static std::shared_ptr<M> from_pretrained(const std::string& path, const FromPretrainedOptions& opts = {});
  // config.json, generation_config.json (when can_generate) and the weights (shards + index).
  void save_pretrained(const std::string& dir, const SavePretrainedOptions& opts = {});
  // PreTrainedModel.add_model_tags: tags for the model card of a push, appended when not present.
  void add_model_tags(const std::vector<std::string>& tags);
  const std::vector<std::string>& model_tags() const { return model_tags_; }
  // What the last from_pretrained reported (empty for a model built from a config).
  const LoadingInfo& loading_info() const { return loading_info_; }
  void set_loading_info(LoadingInfo info) { loading_info_ = std::move(info); }

  // Ties the output embeddings to the input embeddings when config.tie_word_embeddings (shares the
  // tensor, or clones it with config.torchscript) and zero-pads/truncates the output bias to the
  // new row count; then tie_submodule_weights().
  virtual void tie_weights();
  // Parameters counted once per distinct tensor (tied weights once); exclude_embeddings drops the
  // weight of every Embedding module; only_trainable keeps parameters with requires_grad.
  int64_t num_parameters(bool only_trainable = false, bool exclude_embeddings = false) const;
  // Bytes of the distinct parameters, plus the buffers when return_buffers.
  int64_t get_memory_footprint(bool return_buffers = true) const;
  // The first floating-point parameter's dtype (then last parameter, then buffers), float32 if none.
  DType dtype() const;
  // PreTrainedModel.dequantize(): every parameter held as GGUF blocks (keep_quantized) becomes its
  // float32 dequantization (bit-exact with the gguf package), tied slots staying tied, so the model
  // saves as any float model. A model with nothing quantized raises 4.51's ValueError.
  void dequantize();
  // 4.51's model.is_quantized: some weights are bitsandbytes bytes or GGUF blocks.
  bool is_quantized() const;

  // The generation config (can_generate models): loaded by from_pretrained, else derived from the
  // model config on first use; nullptr for models that cannot generate.
  std::shared_ptr<GenerationConfig> generation_config();
  void set_generation_config(std::shared_ptr<GenerationConfig> g) { generation_config_ = std::move(g); }

  // Python's model.hf_device_map: set by from_pretrained with a device_map (nullopt otherwise, where
  // Python has no such attribute).
  const std::optional<DeviceMap>& hf_device_map() const { return hf_device_map_; }
  void set_hf_device_map(std::optional<DeviceMap> m) { hf_device_map_ = std::move(m); }

 protected:
  std::shared_ptr<PretrainedConfig> config_;
  std::shared_ptr<GenerationConfig> generation_config_;
  LoadingInfo loading_info_;
  std::vector<std::string> model_tags_;
  std::optional<DeviceMap> hf_device_map_;
};

// ---- the loading pipeline (modeling/modeling_utils.cpp) ----

// Builds a model with `factory` from the config and weights at `path` (what every from_pretrained
// ends in). `class_name` is used in messages and for architectures checks.
std::shared_ptr<PreTrainedModel> load_pretrained_model(const ModelFactory& factory, const std::string& class_name,
                                                       const std::string& path, const FromPretrainedOptions& opts = {});
// A model built from a config without weights: every module initialised with init_weights (seeded
// by `seed` when given), weights tied.
std::shared_ptr<PreTrainedModel> build_model_from_config(const ModelFactory& factory,
                                                         std::shared_ptr<PretrainedConfig> config,
                                                         std::optional<uint64_t> seed = std::nullopt);
// Loads `state` (checkpoint names) into an existing model with the prefix / rename / missing /
// unexpected / mismatched rules of from_pretrained; tensors become the parameters (no copy) when
// the dtype matches. Returns what output_loading_info reports.
LoadingInfo load_state_dict_into_model(PreTrainedModel& model, const std::vector<std::pair<std::string, Tensor>>& state,
                                       bool ignore_mismatched_sizes = false,
                                       const std::vector<std::pair<std::string, std::string>>& key_mapping = {},
                                       std::optional<uint64_t> seed = std::nullopt);

// 4.51's modeling_utils.load_sharded_checkpoint: loads the shards named by the folder's
// model.safetensors.index.json or pytorch_model.bin.index.json one at a time into `model` with
// load_state_dict(strict=false) (values copied in place, so tied weights stay tied). prefer_safe
// picks the safetensors index when both exist (without it, the pickle one when present).
// Missing keys: the model's state_dict names the index lacks; unexpected: index names the model
// lacks. strict: KeyError listing them, raised before any shard is read. ValueError when the
// folder has neither index.
nn::LoadStateDictResult load_sharded_checkpoint(nn::Module& model, const std::string& folder, bool strict = true,
                                                bool prefer_safe = true);

// The checkpoint files from_pretrained would read for `path` (spec §1.6 order), and the index
// when sharded. FileNotFoundError lists the names looked for, in order.
struct ResolvedCheckpoint {
  std::vector<std::string> files;  // shard files sorted, or the single file
  std::string index_file;          // "" when not sharded
  json index_metadata = json::object();
};
ResolvedCheckpoint resolve_checkpoint_files(const std::string& path, const FromPretrainedOptions& opts = {});

template <typename M>
std::shared_ptr<M> PreTrainedModel::from_pretrained(const std::string& path, const FromPretrainedOptions& opts) {
  auto m = load_pretrained_model([](std::shared_ptr<PretrainedConfig> c) { return std::make_shared<M>(std::move(c)); },
                                 "", path, opts);
  return std::static_pointer_cast<M>(m);
}


struct ModelClassInfo {
  std::string model_type;   // "bert"
  std::string class_name;   // "BertForMaskedLM"
  // Auto classes this class serves: "AutoModel", "AutoModelForCausalLM", "AutoModelForMaskedLM",
  // "AutoModelForSequenceClassification", "AutoModelForTokenClassification", "AutoModelForPreTraining"
  std::vector<std::string> auto_classes;
  ModelFactory factory;
};
void register_model_class(ModelClassInfo info);
const ModelClassInfo* find_model_class(const std::string& class_name);
const ModelClassInfo* find_auto_model_class(const std::string& auto_class, const std::string& model_type);
std::vector<std::string> registered_model_classes();

// Architectures register at static-initialisation time with this helper; because the library is
// static, each models/<arch>/ also exposes a `void register_<arch>()` that
// modeling/auto.cpp calls once (so the linker never drops a registration).
struct RegisterModelClass {
  explicit RegisterModelClass(ModelClassInfo info) { register_model_class(std::move(info)); }
};

}  // namespace transformers
