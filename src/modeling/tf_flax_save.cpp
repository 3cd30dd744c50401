// The weights of save_pretrained({.format = "tf" | "flax"}): PyTorch names and layouts turned into
// those 4.51's TF / Flax classes create (the inverse of tf_flax_load.cpp), see tf_flax_load.hpp.
#include <cctype>
#include <map>
#include <regex>

#include "modeling/tf_flax_load.hpp"
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

// Keras' default layer name of a class (to_snake_case): TFBertForMaskedLM -> tf_bert_for_masked_lm.
std::string keras_name(const std::string& cls) {
  std::string s = std::regex_replace(cls, std::regex("(.)([A-Z][a-z]+)"), "$1_$2");
  s = std::regex_replace(s, std::regex("([a-z])([A-Z])"), "$1_$2");
  for (char& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
  return s;
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

std::string flax_bytes(PreTrainedModel& model, const io::NamedTensors& params) {
  io::NamedTensors flax;
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
    std::string path;
    for (const auto& p : parts) path += (path.empty() ? "" : "/") + p;
    // Flax models compute in float32: the params are written as they are (a bf16 model stays bf16).
    flax.emplace_back(path, v.contiguous());
  }
  return io::flax_msgpack_serialize(flax);
}

// PyTorch top-level module names that 4.51's TF classes name differently.
std::string tf_layer_name(const std::string& cls, const std::string& first) {
  if (first == "cls" && cls == "BertForMaskedLM") return "mlm___cls";
  return first;
}

std::string tf_bytes(PreTrainedModel& model, const io::NamedTensors& params) {
  const std::string cls = model.name();
  const std::string root = keras_name("TF" + cls);
  const nn::Module* input_embeddings = model.get_input_embeddings();
  std::vector<io::KerasLayer> layers;
  std::map<std::string, size_t> layer_index;
  io::NamedTensors shared_with_head;
  for (const auto& [k, t] : params) {
    std::vector<std::string> parts = split_dots(k);
    const std::string module_path = k.substr(0, k.rfind('.'));
    const nn::Module* m = model.find_module(module_path);
    const Kind kind = kind_of(m);
    std::string leaf = parts.back();
    Tensor v = t;
    if (kind == Kind::LayerNorm) leaf = leaf == "weight" ? "gamma" : leaf == "bias" ? "beta" : leaf;
    else if (kind == Kind::Embedding && leaf == "weight") leaf = m == input_embeddings ? "weight" : "embeddings";
    else if (kind == Kind::Linear && leaf == "weight") {
      leaf = "kernel";
      v = v.t();
    }
    parts.back() = leaf;
    if (parts.size() < 2)
      throw UnsupportedError("save_pretrained(format=\"tf\"): parameter " + quote_input(k) +
                             " is not inside a layer; no Keras layer holds it");
    parts[0] = tf_layer_name(cls, parts[0]);
    std::string name = root;
    for (size_t i = 0; i < parts.size(); ++i) name += (all_digits(parts[i]) ? "_._" : "/") + parts[i];
    name += ":0";
    if (v.dtype() == DType::BFloat16) v = v.to(DType::Float32);  // HDF5 has no bfloat16; Keras weights are float32
    auto [it, fresh] = layer_index.emplace(parts[0], layers.size());
    if (fresh) layers.push_back({parts[0], {}});
    layers[it->second].weights.emplace_back(name, v.contiguous());
    // TF's BERT MLM head holds the input embeddings layer, so Keras lists that layer's weights in
    // the head's group too (TF reports them missing otherwise).
    if (cls == "BertForMaskedLM" && k.rfind("bert.embeddings.", 0) == 0) shared_with_head.emplace_back(name, v.contiguous());
  }
  if (layer_index.count("mlm___cls"))
    for (auto& w : shared_with_head) layers[layer_index.at("mlm___cls")].weights.push_back(w);
  return io::keras_h5_serialize(layers);
}

}  // namespace

std::pair<std::string, std::string> framework_weights_file(PreTrainedModel& model, const io::NamedTensors& state,
                                                           const std::string& format) {
  const io::NamedTensors params = framework_params(model, state);
  if (format == "flax") return {"flax_model.msgpack", flax_bytes(model, params)};
  if (format == "tf") return {"tf_model.h5", tf_bytes(model, params)};
  throw ValueError("save_pretrained: format must be \"pt\", \"tf\" or \"flax\", found " + quote_input(format));
}

}  // namespace transformers::detail
