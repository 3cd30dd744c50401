// The name and layout conversions of 4.51's modeling_tf_pytorch_utils and
// modeling_flax_pytorch_utils (TF / Flax weights -> PyTorch state dict), see tf_flax_load.hpp.
#include "modeling/tf_flax_load.hpp"

#include <algorithm>
#include <map>
#include <regex>
#include <set>

#include "transformers/core/quote.hpp"
#include "transformers/io/shard_index.hpp"
#include "transformers/modeling/modeling_utils.hpp"

namespace transformers::detail {

namespace {

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  for (size_t at; (at = s.find(sep, start)) != std::string::npos; start = at + 1) out.push_back(s.substr(start, at - start));
  out.push_back(s.substr(start));
  return out;
}

std::string join(const std::vector<std::string>& parts, const std::string& sep, size_t from = 0) {
  std::string out;
  for (size_t i = from; i < parts.size(); ++i) out += (i == from ? "" : sep) + parts[i];
  return out;
}

void replace_all(std::string& s, const std::string& from, const std::string& to) {
  for (size_t at = 0; (at = s.find(from, at)) != std::string::npos; at += to.size()) s.replace(at, from.size(), to);
}

// torch's weight_norm names: "<m>.parametrizations.weight.original0/1" are "<m>.weight_g/_v" in
// the other frameworks. Returns the framework-side name of a PyTorch key.
std::string weight_norm_name(const std::string& key) {
  std::vector<std::string> c = split(key, '.');
  if (c.size() >= 3 && c[c.size() - 3] == "parametrizations" &&
      (c.back() == "original0" || c.back() == "original1")) {
    const std::string name = c[c.size() - 2] + (c.back() == "original0" ? "_g" : "_v");
    c.resize(c.size() - 3);
    c.push_back(name);
    return join(c, ".");
  }
  return key;
}

// apply_transpose(pt_to_tf=False) then the squeeze / expand_dims / reshape to the model's shape.
Tensor to_pytorch_layout(const Tensor& w, int transpose, const Shape& match, const std::string& name) {
  Tensor t = w;
  if (transpose == 3) t = t.permute({3, 2, 0, 1});
  else if (transpose == 2) t = t.permute({2, 1, 0});
  else if (transpose == 1 && t.dim() >= 2) {
    std::vector<int64_t> rev;
    for (int64_t d = t.dim() - 1; d >= 0; --d) rev.push_back(d);
    t = t.permute(rev);
  }
  if (match.size() < size_t(t.dim())) t = t.squeeze();
  else if (match.size() > size_t(t.dim())) t = t.unsqueeze(0);
  if (t.sizes() != match) {
    if (shape_numel(t.sizes()) != shape_numel(match))
      throw ShapeError("TF weight for " + quote_input(name) + " has shape " + shape_str(w.sizes()) +
                       ", which cannot be reshaped to the model's " + shape_str(match));
    t = t.reshape(match);
  }
  return t.contiguous();
}

}  // namespace

TfToPtName convert_tf_weight_name_to_pt_weight_name(const std::string& tf_name, const std::string& start_prefix_to_remove,
                                                    size_t rank) {
  static const std::regex dup_layer("/[^/]*___([^/]*)/");
  static const std::regex empty_levels("//+");
  std::string n = tf_name;
  replace_all(n, ":0", "");                            // device ids
  n = std::regex_replace(n, dup_layer, "/$1/");        // '$1___$2' is $2
  replace_all(n, "_._", "/");                          // list items are a level
  n = std::regex_replace(n, empty_levels, "/");
  std::vector<std::string> parts = split(n, '/');
  if (parts.size() > 1) parts.erase(parts.begin());    // the model's own name
  std::string& last = parts.back();
  TfToPtName out;
  const bool projs = std::find(parts.begin(), parts.end(), "emb_projs") != parts.end() ||
                     std::find(parts.begin(), parts.end(), "out_projs") != parts.end();
  if (last == "kernel" && rank == 4) out.transpose = 3;
  else if (last == "kernel" && rank == 3) out.transpose = 2;
  else if (last == "kernel" || last == "pointwise_kernel" || last == "depthwise_kernel" || projs) out.transpose = 1;
  if (last == "kernel" || last == "embeddings" || last == "gamma") last = "weight";
  if (last == "beta") last = "bias";
  if (last == "pointwise_kernel") last = "pointwise.weight";
  if (last == "depthwise_kernel") last = "depthwise.weight";
  out.name = join(parts, ".");
  if (!start_prefix_to_remove.empty()) {
    const size_t at = out.name.find(start_prefix_to_remove);
    if (at != std::string::npos) out.name.erase(at, start_prefix_to_remove.size());
  }
  return out;
}

io::NamedTensors tf_weights_to_pytorch(const PreTrainedModel& model, const io::NamedTensors& tf_weights) {
  // Every name of a tied parameter is tried (4.51 walks named_parameters(), whose first name of a
  // tie follows torch's registration order; the TF variable may match either name).
  const io::NamedTensors params = model.named_parameters("", true, false);
  const std::string base = model.base_model_prefix();
  // TF models always carry their base model's name; a PyTorch base model does not.
  bool any_base = false;
  for (const auto& [k, t] : params) any_base |= k.rfind(base, 0) == 0;
  const std::string start_prefix = any_base ? "" : base + ".";
  std::map<std::string, std::pair<const Tensor*, int>> by_pt_name;
  for (const auto& [name, t] : tf_weights) {
    TfToPtName c = convert_tf_weight_name_to_pt_weight_name(name, start_prefix, size_t(t.dim()));
    by_pt_name[c.name] = {&t, c.transpose};
  }
  io::NamedTensors out;
  for (const auto& [key, p] : params) {
    auto it = by_pt_name.find(weight_norm_name(key));
    if (it == by_pt_name.end()) continue;  // missing (allow_missing_keys=True)
    out.emplace_back(key, to_pytorch_layout(*it->second.first, it->second.second, p.sizes(), key));
  }
  return out;
}

io::NamedTensors flax_weights_to_pytorch(const PreTrainedModel& model, const io::NamedTensors& flax_params) {
  bool any_bf16 = false;
  for (const auto& [k, t] : flax_params) any_bf16 |= t.dtype() == DType::BFloat16;
  std::map<std::string, Shape> pt_shape;
  std::set<std::string> pt_first;
  for (const auto& [k, t] : model.state_dict()) {
    pt_shape[k] = t.sizes();
    pt_first.insert(k.substr(0, k.find('.')));
  }
  std::map<std::string, std::string> special;  // weight_norm names
  for (const auto& [k, s] : pt_shape)
    if (weight_norm_name(k) != k) special[weight_norm_name(k)] = k;
  const std::string base = model.base_model_prefix();
  std::set<std::string> flax_top;
  for (const auto& [k, t] : flax_params) flax_top.insert(k.substr(0, k.find('/')));
  const bool head_into_base = flax_top.count(base) && !pt_first.count(base);
  const bool base_into_head = !flax_top.count(base) && pt_first.count(base);
  const bool batch_stats = flax_top.count("batch_stats") != 0;

  io::NamedTensors out;
  for (const auto& [path, tensor] : flax_params) {
    std::vector<std::string> key = split(path, '/');
    Tensor t = any_bf16 && tensor.dtype() == DType::BFloat16 ? tensor.to(DType::Float32) : tensor;
    const bool has_base = key[0] == base;
    const bool require_base = pt_shape.count(base + "." + join(key, ".")) != 0;
    if (head_into_base && has_base) key.erase(key.begin());
    else if (base_into_head && require_base) key.insert(key.begin(), base);
    std::string& last = key.back();
    const bool known = pt_shape.count(join(key, ".")) != 0;
    if (last == "kernel" && t.dim() == 4 && !known) {
      last = "weight";
      t = t.permute({3, 2, 0, 1});
    } else if (last == "kernel" && !known) {
      last = "weight";
      std::vector<int64_t> rev;
      for (int64_t d = t.dim() - 1; d >= 0; --d) rev.push_back(d);
      t = t.permute(rev);
    } else if (last == "scale" || last == "embedding") {
      last = "weight";
    } else if (last.find("mean") != std::string::npos) {
      last = "running_mean";
    } else if (last.find("var") != std::string::npos) {
      last = "running_var";
    }
    std::string flax_key = join(key, ".", batch_stats ? 1 : 0);
    if (auto sp = special.find(flax_key); sp != special.end()) flax_key = sp->second;
    auto it = pt_shape.find(flax_key);
    if (it != pt_shape.end() && t.sizes() != it->second)
      throw ValueError("Flax checkpoint seems to be incorrect. Weight " + quote_input(path) + " was expected to be of shape " +
                       shape_str(it->second) + ", but is " + shape_str(t.sizes()) + ".");
    out.emplace_back(flax_key, t.contiguous());
  }
  return out;
}

std::optional<FrameworkWeights> read_framework_weights(const std::vector<std::string>& files, const std::string& index_file) {
  if (files.empty()) return std::nullopt;
  FrameworkWeights fw;
  auto first = io::open_checkpoint_file(files[0]);
  const std::string fmt(first->format());
  const auto meta = first->metadata().find("format");
  const bool safetensors = fmt == "safetensors" && index_file.empty() && meta != first->metadata().end();
  if (fmt == "tf" || (safetensors && meta->second == "tf")) fw.framework = WeightsFramework::TF;
  else if (fmt == "flax" || (safetensors && meta->second == "flax")) fw.framework = WeightsFramework::Flax;
  else return std::nullopt;
  std::set<std::string> mapped;
  std::map<std::string, std::string> full_name;  // a TF shard's stored name -> the index's full name
  if (!index_file.empty())
    for (const auto& [k, shard] : io::read_shard_index(index_file).weight_map) {
      mapped.insert(k);
      const size_t slash = k.find('/');
      if (slash != std::string::npos) full_name.emplace(k.substr(slash + 1), k);
    }
  std::set<std::string> seen;
  for (size_t i = 0; i < files.size(); ++i) {
    auto r = i == 0 ? std::move(first) : io::open_checkpoint_file(files[i]);
    if (std::string(r->format()) != fmt)
      throw FormatError("'" + files[i] + "' is a " + std::string(r->format()) + " file among " + fmt + " shards");
    // TF shards and TF safetensors store names without the model's own first level (4.51's
    // strip_model_name_and_prefix) unless the index lists them whole; Flax safetensors join with '.'.
    const bool stripped = fw.framework == WeightsFramework::TF &&
                          (fmt == "safetensors" || (r->metadata().count("layout") && r->metadata().at("layout") == "tf-shard"));
    for (const auto& key : r->keys()) {
      std::string name = key;
      if (stripped && !mapped.count(key)) {
        auto it = full_name.find(key);
        name = it != full_name.end() ? it->second : "tf_model/" + key;
      }
      if (fmt == "safetensors" && fw.framework == WeightsFramework::Flax) replace_all(name, ".", "/");
      if (!seen.insert(name).second)
        throw FormatError("weight " + quote_input(name) + " appears twice (again in '" + files[i] + "')");
      fw.tensors.emplace_back(name, r->get_tensor(key));
    }
  }
  for (const auto& k : mapped)
    if (!seen.count(k))
      throw FormatError("index '" + index_file + "' maps " + quote_input(k) + " to a shard that does not hold it");
  return fw;
}

}  // namespace transformers::detail
