// from_pretrained's bitsandbytes steps (src/modeling/bnb_quantizer.hpp). 4.51 swaps the Linear layers
// for bnb.nn.Linear8bitLt / Linear4bit before loading and quantizes each weight as it is assigned;
// here a Linear keeps its class and its weight becomes the stored bytes with the statistics attached
// (ops::set_bnb_state), which ops::linear dispatches on.
#include "modeling/bnb_quantizer.hpp"

#include <algorithm>
#include <set>

#include "transformers/core/checked.hpp"
#include "transformers/core/quote.hpp"
#include "transformers/ops/bnb.hpp"

namespace transformers::modeling_detail {
namespace {

std::string shown(const json& v) { return v.dump(-1, ' ', true, json::error_handler_t::replace); }

// 4.51's replace_with_bnb_linear test: a skipped key equals the module path or names a prefix of it.
bool skipped(const std::string& name, const std::vector<std::string>& skip) {
  return std::any_of(skip.begin(), skip.end(),
                     [&](const std::string& k) { return k == name || name.find(k + ".") != std::string::npos; });
}

std::string module_of(const std::string& param) {
  const auto dot = param.rfind('.');
  return dot == std::string::npos ? param : param.substr(0, dot);
}

// 4.51's get_keys_to_not_convert: the tied parameters' modules and the module of the last parameter
// (the output embeddings), none for a base model without ties.
std::vector<std::string> keys_to_not_convert(PreTrainedModel& model) {
  std::vector<std::string> out;
  const auto all = model.named_parameters("", true, false);
  std::set<std::string> tied;
  for (size_t i = 0; i < all.size(); ++i)
    for (size_t j = 0; j < all.size(); ++j)
      if (i != j && all[i].second.is_same(all[j].second)) tied.insert(module_of(all[i].first));
  const bool is_base = model.find_module(model.base_model_prefix()) == nullptr;
  if (tied.empty() && is_base) return out;
  out.assign(tied.begin(), tied.end());
  const auto params = model.named_parameters();
  if (!params.empty() && !tied.count(module_of(params.back().first))) out.push_back(module_of(params.back().first));
  return out;
}

const char* kStats4[] = {"absmax", "quant_map", "nested_absmax", "nested_quant_map"};

json parse_quant_state_json(const Tensor& t, const std::string& key) {
  if (t.dtype() != DType::UInt8 || t.dim() != 1)
    throw FormatError(key + ": expected a 1-D uint8 tensor holding the quant_state JSON, found " +
                      std::string(dtype_name(t.dtype())) + " " + shape_str(t.sizes()));
  const Tensor c = t.contiguous();
  const std::string text(static_cast<const char*>(c.data_ptr()), size_t(c.numel()));
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    throw FormatError(key + ": expected a JSON object (bitsandbytes' packed quant_state), found " + quote_input(text));
  return j;
}

int64_t json_int(const json& j, const char* k, const std::string& key) {
  auto it = j.find(k);
  if (it == j.end() || !it->is_number_integer())
    throw FormatError(key + ": quant_state." + k + " must be an integer, found " + (it == j.end() ? std::string("nothing") : shown(*it)));
  return it->get<int64_t>();
}

DType json_dtype(const json& j, const char* k, const std::string& key) {
  auto it = j.find(k);
  if (it == j.end() || !it->is_string())
    throw FormatError(key + ": quant_state." + k + " must name a torch dtype, found " + (it == j.end() ? std::string("nothing") : shown(*it)));
  try {
    return dtype_from_name(it->get<std::string>());
  } catch (const ValueError&) {
    throw FormatError(key + ": quant_state." + k + " must name a torch dtype, found " + shown(*it));
  }
}

const Tensor& stat(const std::map<std::string, Tensor>& stats, const std::string& key) {
  auto it = stats.find(key);
  if (it == stats.end()) throw FormatError("bitsandbytes checkpoint: the statistic " + quote_input(key) + " is missing");
  return it->second;
}

void require(const Tensor& t, DType dt, int64_t numel, const std::string& key) {
  if (t.dtype() != dt || t.numel() != numel)
    throw FormatError(key + ": expected " + std::string(dtype_name(dt)) + " with " + std::to_string(numel) +
                      " values, found " + std::string(dtype_name(t.dtype())) + " " + shape_str(t.sizes()));
}

void set_weight(nn::Linear& lin, Tensor w, std::shared_ptr<ops::BnbWeightState> st) {
  w.set_requires_grad(false);
  ops::set_bnb_state(w, std::move(st));
  lin.weight = std::move(w);
}

}  // namespace

std::optional<BitsAndBytesConfig> bnb_config_of_load(const FromPretrainedOptions& opts, const PretrainedConfig& config,
                                                     const std::string& where, bool& prequantized) {
  prequantized = false;
  std::optional<BitsAndBytesConfig> requested = opts.quantization_config;
  if (opts.load_in_8bit || opts.load_in_4bit) {
    if (requested)
      throw ValueError("You can't pass `load_in_4bit`or `load_in_8bit` as a kwarg when passing `quantization_config` "
                       "argument at the same time.");
    requested = BitsAndBytesConfig{.load_in_8bit = opts.load_in_8bit, .load_in_4bit = opts.load_in_4bit};
  }
  if (requested) requested->validate();
  const auto it = config.raw().find("quantization_config");
  if (it == config.raw().end()) return requested;
  if (!it->is_object())
    throw FormatError(where + ": quantization_config must be an object with a quant_method, found " + shown(*it));
  const auto qm = it->find("quant_method");
  if (qm == it->end())
    throw ValueError(where + ": The model's quantization config has no `quant_method` attribute. Make sure that the "
                     "model has been correctly quantized (found " + shown(*it) + ")");
  if (!qm->is_string() || qm->get<std::string>() != "bitsandbytes")
    throw UnsupportedError(where + ": quantization_config has quant_method " + shown(*qm) +
                           ", which this library cannot load; supported: " + kSupportedQuantMethods +
                           ", and GGUF files through gguf_file");
  prequantized = true;
  // 4.51 warns and keeps the checkpoint's config when both are given
  return BitsAndBytesConfig::from_dict(*it, where);
}

BnbTargets bnb_target_linears(PreTrainedModel& model, const BitsAndBytesConfig& config) {
  const std::vector<std::string> skip = config.llm_int8_skip_modules ? *config.llm_int8_skip_modules : keys_to_not_convert(model);
  BnbTargets out;
  for (auto& [name, m] : model.named_modules()) {
    if (name.empty() || skipped(name, skip)) continue;
    if (auto* lin = dynamic_cast<nn::Linear*>(m)) {
      out.push_back({name, lin, lin->weight.sizes()});
    } else if (dynamic_cast<nn::Conv1D*>(m)) {
      throw UnsupportedError("bitsandbytes quantization of " + model.name() + ": its Conv1D layer " + quote_input(name) +
                             " (GPT-2 style) is not supported yet; supported: nn.Linear layers (add it to "
                             "llm_int8_skip_modules to keep it in float)");
    }
  }
  return out;
}

bool is_bnb_statistic_key(const std::string& key) {
  auto ends = [&](const std::string& s) { return key.size() > s.size() && key.compare(key.size() - s.size(), s.size(), s) == 0; };
  if (ends(".SCB") || ends(".weight_format")) return true;
  for (const char* s : kStats4)
    if (ends(std::string(".weight.") + s)) return true;
  return key.find(".weight.quant_state.bitsandbytes__") != std::string::npos;
}

void bnb_shape_prequantized(const BnbTargets& targets,
                            const std::function<std::optional<std::pair<DType, Shape>>(const std::string&)>& entry,
                            const std::string& where) {
  for (auto& [name, lin, model_shape] : targets) {
    auto e = entry(name + ".weight");
    if (!e) continue;  // reported as missing by the load
    if (e->first != DType::UInt8 && e->first != DType::Int8)
      throw FormatError(where + ": " + quote_input(name + ".weight") + " of a bitsandbytes checkpoint must be int8 "
                        "(LLM.int8) or uint8 (4-bit), found " + std::string(dtype_name(e->first)));
    if (e->first == DType::Int8 && e->second != model_shape)
      throw FormatError(where + ": " + quote_input(name + ".weight") + " (LLM.int8) must have the layer's shape " +
                        shape_str(model_shape) + ", found " + shape_str(e->second));
    Tensor w = Tensor::empty(e->second, e->first);
    w.set_requires_grad(false);
    lin->weight = w;
  }
}

void bnb_attach_prequantized(const BnbTargets& targets, const BitsAndBytesConfig& config,
                             const std::map<std::string, Tensor>& stats, const std::string& where) {
  for (auto& [name, lin, model_shape] : targets) {
    const Tensor w = lin->weight;
    auto st = std::make_shared<ops::BnbWeightState>();
    if (config.load_in_8bit) {
      if (w.dtype() != DType::Int8 || w.dim() != 2)
        throw FormatError(where + ": " + quote_input(name + ".weight") + " must be int8 [out, in] for load_in_8bit, found " +
                          std::string(dtype_name(w.dtype())) + " " + shape_str(w.sizes()));
      const Tensor& scb = stat(stats, name + ".SCB");
      require(scb, DType::Float32, w.size(0), name + ".SCB");
      if (auto f = stats.find(name + ".weight_format"); f != stats.end()) {
        const Tensor c = f->second.contiguous();
        if (c.numel() != 1 || c.dtype() != DType::UInt8 || c.data<uint8_t>()[0] != 0)
          throw FormatError(name + ".weight_format: only the row format (uint8 0) is supported, found " +
                            std::string(dtype_name(c.dtype())) + " " + shape_str(c.sizes()));
      }
      st->q8 = ops::Bnb8bitState{.SCB = scb.contiguous(), .threshold = config.llm_int8_threshold};
    } else {
      const std::string key = name + ".weight.quant_state.bitsandbytes__" + config.bnb_4bit_quant_type;
      const json q = parse_quant_state_json(stat(stats, key), key);
      ops::Bnb4bitState s;
      if (!q.contains("quant_type") || !q["quant_type"].is_string() || q["quant_type"] != config.bnb_4bit_quant_type)
        throw FormatError(key + ": quant_state.quant_type must be " + quote_input(config.bnb_4bit_quant_type) + ", found " +
                          (q.contains("quant_type") ? shown(q["quant_type"]) : std::string("nothing")));
      s.quant_type = config.bnb_4bit_quant_type;
      s.blocksize = json_int(q, "blocksize", key);
      s.dtype = json_dtype(q, "dtype", key);
      if (!q.contains("shape") || !q["shape"].is_array()) throw FormatError(key + ": quant_state.shape must be a list");
      for (auto& d : q["shape"]) {
        if (!d.is_number_integer() || d.get<int64_t>() < 0) throw FormatError(key + ": quant_state.shape must hold sizes, found " + shown(q["shape"]));
        s.shape.push_back(d.get<int64_t>());
      }
      if (s.shape != model_shape)
        throw FormatError(key + ": quant_state.shape must be the layer's " + shape_str(model_shape) + ", found " + shown(q["shape"]));
      int64_t n = 1;
      for (int64_t d : s.shape) n = checked_mul(n, d, key);
      if (s.blocksize <= 0) throw FormatError(key + ": quant_state.blocksize must be positive, found " + std::to_string(s.blocksize));
      const int64_t blocks = (n + s.blocksize - 1) / s.blocksize;
      if (w.dtype() != DType::UInt8 || w.numel() != (n + 1) / 2)
        throw FormatError(where + ": " + quote_input(name + ".weight") + " must hold " + std::to_string((n + 1) / 2) +
                          " uint8 bytes for a 4-bit weight of shape " + shape_str(s.shape) + ", found " +
                          std::string(dtype_name(w.dtype())) + " " + shape_str(w.sizes()));
      s.quant_map = stat(stats, name + ".weight.quant_map").contiguous();
      require(s.quant_map, DType::Float32, 16, name + ".weight.quant_map");
      s.absmax = stat(stats, name + ".weight.absmax").contiguous();
      if (q.contains("nested_offset")) {
        s.nested = true;
        if (!q["nested_offset"].is_number()) throw FormatError(key + ": quant_state.nested_offset must be a number");
        s.offset = q["nested_offset"].get<float>();
        s.nested_blocksize = json_int(q, "nested_blocksize", key);
        if (s.nested_blocksize <= 0) throw FormatError(key + ": quant_state.nested_blocksize must be positive");
        s.nested_dtype = json_dtype(q, "nested_dtype", key);
        require(s.absmax, DType::UInt8, blocks, name + ".weight.absmax");
        s.nested_absmax = stat(stats, name + ".weight.nested_absmax").contiguous();
        require(s.nested_absmax, DType::Float32, (blocks + s.nested_blocksize - 1) / s.nested_blocksize,
                name + ".weight.nested_absmax");
        s.nested_quant_map = stat(stats, name + ".weight.nested_quant_map").contiguous();
        require(s.nested_quant_map, DType::Float32, 256, name + ".weight.nested_quant_map");
      } else {
        require(s.absmax, DType::Float32, blocks, name + ".weight.absmax");
      }
      s.compute_dtype = config.bnb_4bit_compute_dtype.value_or(DType::Float32);
      st->q4 = std::move(s);
    }
    set_weight(*lin, w.contiguous(), st);
  }
}

void bnb_quantize_linears(const BnbTargets& targets, const BitsAndBytesConfig& config) {
  for (auto& [name, lin, model_shape] : targets) {
    auto st = std::make_shared<ops::BnbWeightState>();
    Tensor w;
    if (config.load_in_8bit) {
      Tensor scb;
      w = ops::bnb_int8_quantize(lin->weight, scb);
      st->q8 = ops::Bnb8bitState{.SCB = scb, .threshold = config.llm_int8_threshold};
    } else {
      ops::Bnb4bitState s;
      w = ops::bnb_quantize_4bit(lin->weight, config.bnb_4bit_quant_type, 64, config.bnb_4bit_use_double_quant, s);
      s.compute_dtype = config.bnb_4bit_compute_dtype.value_or(DType::Float32);
      st->q4 = std::move(s);
    }
    set_weight(*lin, w, st);
  }
}

namespace {
// bitsandbytes' QuantState.as_dict(packed=True) JSON, as Python's json.dumps writes it.
std::string quant_state_json(const ops::Bnb4bitState& s) {
  std::string shape;
  for (int64_t d : s.shape) shape += (shape.empty() ? "" : ", ") + std::to_string(d);
  std::string j = "{\"quant_type\": \"" + s.quant_type + "\", \"blocksize\": " + std::to_string(s.blocksize) +
                  ", \"dtype\": \"" + std::string(dtype_name(s.dtype)) + "\", \"shape\": [" + shape + "]";
  if (s.nested)
    j += ", \"nested_blocksize\": " + std::to_string(s.nested_blocksize) + ", \"nested_dtype\": \"" +
         std::string(dtype_name(s.nested_dtype)) + "\", \"nested_offset\": " + json(double(s.offset)).dump();
  return j + "}";
}
}  // namespace

void add_bnb_state_entries(const PreTrainedModel& model, nn::NamedTensors& state) {
  for (auto& [name, m] : model.named_modules()) {
    const auto* lin = dynamic_cast<const nn::Linear*>(m);
    if (!lin) continue;
    const auto st = ops::bnb_state(lin->weight);
    if (!st) continue;
    nn::NamedTensors extra;
    if (st->q8) {
      extra.emplace_back(name + ".SCB", st->q8->SCB);
      extra.emplace_back(name + ".weight_format", Tensor::zeros({}, DType::UInt8));
    } else if (st->q4) {
      const auto& s = *st->q4;
      const std::string p = name + ".weight.";
      extra.emplace_back(p + "absmax", s.absmax);
      extra.emplace_back(p + "quant_map", s.quant_map);
      if (s.nested) {
        extra.emplace_back(p + "nested_absmax", s.nested_absmax);
        extra.emplace_back(p + "nested_quant_map", s.nested_quant_map);
      }
      const std::string js = quant_state_json(s);
      Tensor t = Tensor::empty({int64_t(js.size())}, DType::UInt8);
      std::copy(js.begin(), js.end(), static_cast<char*>(t.data_ptr()));
      extra.emplace_back(p + "quant_state.bitsandbytes__" + s.quant_type, t);
    }
    // after the module's own entries (weight, bias), as Linear8bitLt / Linear4bit._save_to_state_dict
    auto last = std::find_if(state.rbegin(), state.rend(), [&](const auto& kv) { return module_of(kv.first) == name; });
    state.insert(last == state.rend() ? state.end() : last.base(), extra.begin(), extra.end());
  }
}

}  // namespace transformers::modeling_detail
