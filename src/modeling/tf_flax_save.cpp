// The weights of save_pretrained({.format = "tf" | "flax"}): PyTorch names and layouts turned into
// those 4.51's TF / Flax classes create (the inverse of tf_flax_load.cpp), see tf_flax_load.hpp.
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <map>
#include <regex>
#include <set>

#include "modeling/tf_flax_load.hpp"
#include "transformers/core/checked.hpp"
#include "transformers/core/quote.hpp"
#include "transformers/io/tf_flax.hpp"
#include "transformers/modeling/modeling_utils.hpp"
#include "transformers/nn/embedding.hpp"
#include "transformers/nn/linear.hpp"
#include "transformers/nn/normalization.hpp"

namespace transformers::detail {

namespace {

enum class Kind { Other, LayerNorm, Embedding, Linear, Conv1D };

Kind kind_of(const nn::Module* m) {
  if (dynamic_cast<const nn::LayerNorm*>(m)) return Kind::LayerNorm;
  if (dynamic_cast<const nn::Embedding*>(m)) return Kind::Embedding;
  if (dynamic_cast<const nn::Linear*>(m)) return Kind::Linear;
  if (dynamic_cast<const nn::Conv1D*>(m)) return Kind::Conv1D;
  return Kind::Other;
}

std::vector<std::string> split_dots(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  for (size_t at; (at = s.find('.', start)) != std::string::npos; start = at + 1) out.push_back(s.substr(start, at - start));
  out.push_back(s.substr(start));
  return out;
}

bool all_digits(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
}

// The parameters a TF / Flax model holds: tied aliases (a tied_weights_keys name whose tensor is
// another kept parameter) dropped; buffers are not weights there.
io::NamedTensors framework_params(PreTrainedModel& model, const io::NamedTensors& state) {
  std::map<std::string, Tensor> params;
  for (auto& [k, t] : model.named_parameters("", true, false)) params[k] = t;
  const auto tied = model.tied_weights_keys();
  auto is_tied_name = [&](const std::string& k) {
    for (const auto& t : tied)
      if (k.size() >= t.size() && k.compare(k.size() - t.size(), t.size(), t) == 0) return true;
    return false;
  };
  io::NamedTensors out;
  for (const auto& [k, t] : state) {
    if (!params.count(k)) continue;
    bool alias = false;
    if (is_tied_name(k))
      for (const auto& [k2, t2] : state)
        alias |= k2 != k && !is_tied_name(k2) && t2.is_same(t);
    if (!alias) out.emplace_back(k, t);
  }
  return out;
}

// The Flax params ('/'-joined paths) of the model's parameters, in the order 4.51's Flax model
// holds them after from_pretrained: jax's pytree functions rebuild dicts with sorted keys, so the
// flattened paths are sorted level by level (what flax_shard_checkpoint walks and to_bytes writes).
io::NamedTensors flax_params(PreTrainedModel& model, const io::NamedTensors& params) {
  std::vector<std::pair<std::vector<std::string>, Tensor>> flax;
  for (const auto& [k, t] : params) {
    std::vector<std::string> parts = split_dots(k);
    std::string& leaf = parts.back();
    const std::string module_path = k.substr(0, k.rfind('.'));
    const Kind kind = kind_of(model.find_module(module_path));
    Tensor v = t;
    if (leaf == "weight" && kind == Kind::LayerNorm) leaf = "scale";
    else if (leaf == "weight" && kind == Kind::Embedding) leaf = "embedding";
    else if (leaf == "weight" && (kind == Kind::Linear || kind == Kind::Conv1D)) {
      leaf = "kernel";
      v = v.t();
    }
    // Flax models compute in float32: the params are written as they are (a bf16 model stays bf16).
    flax.emplace_back(std::move(parts), v.contiguous());
  }
  std::stable_sort(flax.begin(), flax.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  io::NamedTensors out;
  for (auto& [parts, v] : flax) {
    std::string path;
    for (const auto& p : parts) path += (path.empty() ? "" : "/") + p;
    out.emplace_back(std::move(path), std::move(v));
  }
  return out;
}

// PyTorch top-level module names that 4.51's TF classes name differently.
std::string tf_layer_name(const std::string& cls, const std::string& first) {
  if (first == "cls" && cls == "BertForMaskedLM") return "mlm___cls";
  return first;
}

// Keras' model.weights order, which tf_shard_checkpoint walks: a layer's own variables, then its
// sub-layers' in the order they were attached, as PyTorch's state dict, except that TF's BERT-family
// embeddings layer creates its variables in build() as word, token_type, position (PyTorch
// registers position_embeddings before token_type_embeddings).
void keras_order(io::NamedTensors& weights) {
  for (size_t i = 0; i < weights.size(); ++i) {
    const std::string& n = weights[i].first;
    const size_t at = n.find("/position_embeddings/");
    if (at == std::string::npos) continue;
    const std::string sibling = n.substr(0, at) + "/token_type_embeddings/";
    size_t j = weights.size();
    for (size_t k = i + 1; k < weights.size(); ++k)
      if (weights[k].first.rfind(sibling, 0) == 0) j = k;
    if (j == weights.size()) continue;
    std::rotate(weights.begin() + long(i), weights.begin() + long(i) + 1, weights.begin() + long(j) + 1);
    --i;  // the entry now at i has not been looked at
  }
}

// The TF variables of the model (full names "tf_bert_for_masked_lm/bert/.../kernel:0", Keras
// order) and the top-level Keras layer each belongs to.
struct TfWeights {
  io::NamedTensors weights;
  std::vector<std::string> layer_of;  // per weight
};

TfWeights tf_weights(PreTrainedModel& model, const io::NamedTensors& params) {
  const std::string cls = model.name();
  const std::string root = tf_model_name(cls);
  TfWeights out;
  for (const auto& [k, t] : params) {
    std::vector<std::string> parts = split_dots(k);
    const std::string module_path = k.substr(0, k.rfind('.'));
    const nn::Module* m = model.find_module(module_path);
    const Kind kind = kind_of(m);
    std::string leaf = parts.back();
    Tensor v = t;
    if (kind == Kind::LayerNorm) leaf = leaf == "weight" ? "gamma" : leaf == "bias" ? "beta" : leaf;
    // TF's BERT-family embeddings layer creates the word embeddings itself, as
    // "word_embeddings/weight"; every other embedding is a Keras Embedding ("wte/embeddings").
    else if (kind == Kind::Embedding && leaf == "weight")
      leaf = parts.size() >= 2 && parts[parts.size() - 2] == "word_embeddings" ? "weight" : "embeddings";
    else if (kind == Kind::Linear && leaf == "weight") {
      leaf = "kernel";
      v = v.t();
    } else if (kind == Kind::Conv1D && leaf == "bias")
      v = v.unsqueeze(0);  // TFConv1D's bias is [1, nf]
    parts.back() = leaf;
    if (parts.size() < 2)
      throw UnsupportedError("save_pretrained(format=\"tf\"): parameter " + quote_input(k) +
                             " is not inside a layer; no Keras layer holds it");
    parts[0] = tf_layer_name(cls, parts[0]);
    std::string name = root;
    for (size_t i = 0; i < parts.size(); ++i) name += (all_digits(parts[i]) ? "_._" : "/") + parts[i];
    name += ":0";
    if (v.dtype() == DType::BFloat16) v = v.to(DType::Float32);  // HDF5 has no bfloat16; Keras weights are float32
    out.weights.emplace_back(name, v.contiguous());
  }
  keras_order(out.weights);
  for (const auto& [name, v] : out.weights) {
    const size_t a = name.find('/') + 1;
    out.layer_of.push_back(name.substr(a, name.find('/', a) - a));
  }
  return out;
}

std::string tf_bytes(PreTrainedModel& model, const TfWeights& tf) {
  std::vector<io::KerasLayer> layers;
  std::map<std::string, size_t> layer_index;
  io::NamedTensors shared_with_head;
  for (size_t i = 0; i < tf.weights.size(); ++i) {
    auto [it, fresh] = layer_index.emplace(tf.layer_of[i], layers.size());
    if (fresh) layers.push_back({tf.layer_of[i], {}});
    layers[it->second].weights.push_back(tf.weights[i]);
    // TF's BERT MLM head holds the input embeddings layer, so Keras lists that layer's weights in
    // the head's group too (TF reports them missing otherwise).
    if (model.name() == "BertForMaskedLM" && tf.weights[i].first.find("/bert/embeddings/") != std::string::npos)
      shared_with_head.push_back(tf.weights[i]);
  }
  if (layer_index.count("mlm___cls"))
    for (auto& w : shared_with_head) layers[layer_index.at("mlm___cls")].weights.push_back(w);
  return io::keras_h5_serialize(layers);
}

// tf_shard_checkpoint / flax_shard_checkpoint: weights in order, a new block whenever the next one
// would take the current block over max_shard_size (so a first weight above the limit leaves an
// empty first block, which 4.51 writes as an empty shard too). Sizes are numel * element size.
std::vector<io::NamedTensors> shard_blocks(const io::NamedTensors& weights, int64_t max_shard_size, int64_t& total) {
  std::vector<io::NamedTensors> blocks(1);
  int64_t current = 0;
  total = 0;
  for (const auto& w : weights) {
    const int64_t size = checked_mul(w.second.numel(), int64_t(w.second.element_size()), "weight " + w.first);
    if (current + size > max_shard_size) {
      blocks.emplace_back();
      current = 0;
    }
    blocks.back().push_back(w);
    current += size;
    total += size;
  }
  return blocks;
}

// "tf_model.h5" -> "tf_model-00002-of-00003.h5" (the suffix goes before the extension).
std::string shard_file_name(const std::string& weights_name, size_t k, size_t n) {
  char suffix[32];
  std::snprintf(suffix, sizeof suffix, "-%05zu-of-%05zu", k + 1, n);
  const size_t dot = weights_name.rfind('.');
  return weights_name.substr(0, dot) + suffix + weights_name.substr(dot);
}

// The datasets of a TF shard: sorted by name, under the name without the model's own first level
// (kept whole when it holds "model." or has no level), as 4.51's TFPreTrainedModel.save_pretrained.
io::NamedTensors tf_shard_datasets(io::NamedTensors block) {
  std::sort(block.begin(), block.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  for (auto& [name, t] : block)
    if (name.find("model.") == std::string::npos && name.find('/') != std::string::npos) name = name.substr(name.find('/') + 1);
  return block;
}

}  // namespace

io::NamedTensors flax_state(PreTrainedModel& model, const io::NamedTensors& state) {
  return flax_params(model, framework_params(model, state));
}

// Keras' default layer name of a class (to_snake_case of the TF class name):
// BertForMaskedLM -> tf_bert_for_masked_lm, GPT2LMHeadModel -> tfgpt2lm_head_model.
std::string tf_model_name(const std::string& cls) {
  std::string s = std::regex_replace("TF" + cls, std::regex("(.)([A-Z][a-z]+)"), "$1_$2");
  s = std::regex_replace(s, std::regex("([a-z])([A-Z])"), "$1_$2");
  for (char& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

FrameworkSave framework_weights_files(PreTrainedModel& model, const io::NamedTensors& state, const std::string& format,
                                      int64_t max_shard_size) {
  if (format != "tf" && format != "flax")
    throw ValueError("save_pretrained: format must be \"pt\", \"tf\" or \"flax\", found " + quote_input(format));
  const bool tf = format == "tf";
  const io::NamedTensors params = framework_params(model, state);
  FrameworkSave out;
  out.weights_name = tf ? "tf_model.h5" : "flax_model.msgpack";
  out.index_name = out.weights_name + ".index.json";
  const TfWeights tfw = tf ? tf_weights(model, params) : TfWeights{};
  const io::NamedTensors weights = tf ? tfw.weights : flax_params(model, params);
  int64_t total = 0;
  const std::vector<io::NamedTensors> blocks = shard_blocks(weights, max_shard_size, total);
  if (blocks.size() == 1) {
    out.files.emplace_back(out.weights_name, tf ? tf_bytes(model, tfw) : io::flax_msgpack_serialize(weights));
    return out;
  }
  out.index.emplace();
  out.index->metadata = {{"total_size", total}};
  for (size_t k = 0; k < blocks.size(); ++k) {
    const std::string file = shard_file_name(out.weights_name, k, blocks.size());
    for (const auto& w : blocks[k]) out.index->weight_map.emplace_back(w.first, file);
    out.files.emplace_back(file, tf ? io::tf_h5_shard_serialize(tf_shard_datasets(blocks[k]))
                                    : io::flax_msgpack_serialize(blocks[k]));
  }
  return out;
}

void remove_stale_framework_files(const std::string& dir, const FrameworkSave& saved) {
  // 4.51 deletes every file whose name starts with the weights name ("tf_model.h5",
  // "flax_model.msgpack": the single file and the index) that this save does not write; shards of
  // an older save (tf_model-0000k-...) stay. Done after the commit here, so a killed save leaves
  // the old checkpoint loadable.
  std::set<std::string> fresh;
  for (const auto& f : saved.files) fresh.insert(f.first);
  if (saved.index) fresh.insert(saved.index_name);
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (name.rfind(saved.weights_name, 0) == 0 && e.is_regular_file() && !fresh.count(name))
      std::filesystem::remove(e.path());
  }
}

}  // namespace transformers::detail
