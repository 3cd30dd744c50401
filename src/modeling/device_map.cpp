// device_map placement as transformers 4.51 computes it through accelerate (< 1.8): the functions
// below follow accelerate.utils.modeling step by step (the order modules are treated in, the room
// kept for the largest layer, tied modules placed together, the split of a module that does not
// fit unless its class is in _no_split_modules), so the maps equal pip accelerate's
// (tests/modeling/test_device_map.cpp against tests/oracle/make_device_map_goldens.py).
// Sizes are counted in bits: accelerate counts a bool element as 1/8 byte.
#include "transformers/modeling/device_map.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <functional>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <unordered_map>

#include "transformers/core/checked.hpp"
#include "transformers/core/error.hpp"
#include "transformers/core/quote.hpp"
#include "transformers/io/json_file.hpp"
#include "modeling/disk_offload.hpp"
#include "transformers/modeling/modeling_utils.hpp"

namespace transformers {

namespace {

bool ends_with_ci(const std::string& s, const std::string& suffix) {
  if (s.size() < suffix.size()) return false;
  for (size_t i = 0; i < suffix.size(); ++i)
    if (std::toupper(static_cast<unsigned char>(s[s.size() - suffix.size() + i])) != suffix[i]) return false;
  return true;
}

// Python's float(text) for the number part of a size (digits, one point, an exponent).
double parse_number(const std::string& num, const std::string& whole) {
  size_t used = 0;
  double v = 0;
  try {
    v = std::stod(num, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  std::string rest = num.substr(used);
  if (num.empty() || used == 0 || !rest.empty() || !std::isfinite(v) || v < 0)
    throw ValueError("`size` " + quote_input(whole) +
                     " is not in a valid format. Use an integer for bytes, or a string with an unit (like '5.0GB').");
  return v;
}

int64_t to_bytes(double v, const std::string& whole) {
  if (v >= 9.2e18)
    throw ValueError("`size` " + quote_input(whole) + " is too large (more than 2^63 bytes)");
  return int64_t(v);  // int(float * unit): truncation, as Python's int()
}

}  // namespace

int64_t convert_file_size_to_int(const std::string& size) {
  // Plain digits: bytes (Python passes an int through unchanged).
  if (!size.empty() && std::all_of(size.begin(), size.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    if (size.size() > 18) throw ValueError("`size` " + quote_input(size) + " is too large (more than 2^63 bytes)");
    return std::stoll(size);
  }
  struct Unit {
    const char* suffix;
    double scale;
    bool bits_if_lower_b;
  };
  static const Unit units[] = {{"GIB", 1073741824.0, false}, {"MIB", 1048576.0, false}, {"KIB", 1024.0, false},
                               {"GB", 1e9, true},            {"MB", 1e6, true},         {"KB", 1e3, true}};
  for (const Unit& u : units) {
    const std::string suf = u.suffix;
    if (!ends_with_ci(size, suf)) continue;
    const std::string num = size.substr(0, size.size() - suf.size());
    int64_t bytes = to_bytes(parse_number(num, size) * u.scale, size);
    if (u.bits_if_lower_b && size.back() == 'b') bytes /= 8;  // "5Gb": gigabits
    return bytes;
  }
  throw ValueError("`size` " + quote_input(size) +
                   " is not in a valid format. Use an integer for bytes, or a string with an unit (like '5.0GB').");
}

MaxMemory parse_max_memory(const std::string& text) {
  MaxMemory out;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    const size_t eq = item.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == item.size())
      throw ValueError("max_memory entry " + quote_input(item) + ": expected DEVICE=SIZE (e.g. cpu=600MB), found " +
                       (eq == std::string::npos ? std::string("no '='") : std::string("an empty side")));
    const std::string value = item.substr(eq + 1);
    convert_file_size_to_int(value);  // validated here so the message names the flag's text
    out.emplace_back(item.substr(0, eq), value);
  }
  if (out.empty()) throw ValueError("max_memory " + quote_input(text) + ": expected DEVICE=SIZE[,DEVICE=SIZE...]");
  return out;
}

DeviceMap parse_device_map_json(const std::string& text, const std::string& where) {
  const nlohmann::ordered_json j = io::parse_ordered_json(text, where);
  if (!j.is_object())
    throw ValueError("device map " + quote_input(where) + ": expected a JSON object {\"module\": \"cpu\"|\"disk\"}, found " +
                     std::string(j.type_name()));
  DeviceMap map;
  for (auto& [k, v] : j.items()) {
    if (v.is_number_integer())
      throw UnsupportedError("device map " + quote_input(where) + " puts " + quote_input(k) + " on GPU " + escape_input(v.dump()) +
                             ": this build has no GPU backend (devices: \"cpu\", \"disk\")");
    if (!v.is_string())
      throw ValueError("device map " + quote_input(where) + ": the device of " + quote_input(k) +
                       " must be \"cpu\" or \"disk\", found " + escape_input(v.dump()));
    map.emplace_back(k, v.get<std::string>());
  }
  return map;
}

namespace {

int64_t mem_available_bytes() {
  std::ifstream f("/proc/meminfo");
  std::string key;
  int64_t kb = 0;
  std::string unit;
  while (f >> key >> kb >> unit)
    if (key == "MemAvailable:") return kb * 1024;
  return 0;
}

// "0", "cuda", "cuda:1", "mps": accelerator devices, which this build has none of.
bool is_gpu_index(const std::string& d) {
  if (d == "cuda" || d == "mps") return true;
  const std::string s = d.rfind("cuda:", 0) == 0 ? d.substr(5) : d;
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

[[noreturn]] void refuse_gpu(const std::string& where, const std::string& device) {
  throw UnsupportedError(where + " names device " + quote_input(device) +
                         ": this build has no GPU backend; the devices are \"cpu\" and \"disk\"");
}

}  // namespace

std::vector<std::pair<std::string, int64_t>> get_max_memory(const std::optional<MaxMemory>& max_memory) {
  if (!max_memory) return {{"cpu", mem_available_bytes()}};
  std::map<std::string, int64_t> given;
  for (auto& [dev, size] : *max_memory) {
    if (is_gpu_index(dev)) refuse_gpu("max_memory", dev);
    if (dev != "cpu" && dev != "disk")
      throw ValueError("max_memory: Device " + quote_input(dev) +
                       " is not recognized, available devices are integers(for GPU/XPU), 'mps', 'cpu' and 'disk'");
    int64_t bytes = std::holds_alternative<int64_t>(size) ? std::get<int64_t>(size)
                                                          : convert_file_size_to_int(std::get<std::string>(size));
    given[dev] = bytes;
  }
  std::vector<std::pair<std::string, int64_t>> out;
  for (const char* d : {"cpu", "disk"})
    if (auto it = given.find(d); it != given.end()) out.emplace_back(d, it->second);
  return out;
}

namespace {

// Bits of one tensor as accelerate counts it under the load dtype.
int64_t tensor_bits(const Tensor& t, std::optional<DType> dtype) {
  const DType own = t.dtype();
  auto bits_per = [](DType d) -> int64_t { return d == DType::Bool ? 1 : int64_t(dtype_size(d)) * 8; };
  int64_t per = bits_per(own);
  if (dtype && is_floating_point(own)) per = std::min(per, bits_per(*dtype));
  return checked_mul(t.numel(), per, "device map size");
}

}  // namespace

std::vector<std::pair<std::string, int64_t>> compute_module_sizes_bits(const nn::Module& model,
                                                                      std::optional<DType> dtype) {
  std::vector<std::pair<std::string, int64_t>> out;
  std::unordered_map<std::string, size_t> at;
  auto add = [&](const std::string& name, int64_t bits) {
    // every prefix: "", "model", "model.layers", ..., the name itself
    std::vector<std::string> prefixes{""};
    for (size_t p = name.find('.'); p != std::string::npos; p = name.find('.', p + 1)) prefixes.push_back(name.substr(0, p));
    prefixes.push_back(name);
    for (auto& p : prefixes) {
      auto [it, fresh] = at.emplace(p, out.size());
      if (fresh) out.emplace_back(p, 0);
      out[it->second].second = checked_add(out[it->second].second, bits, "device map size");
    }
  };
  for (auto& [n, t] : model.named_parameters()) add(n, tensor_bits(t, dtype));
  for (auto& [n, t] : model.named_buffers()) add(n, tensor_bits(t, dtype));
  return out;
}

std::vector<std::vector<std::string>> find_tied_parameters(const nn::Module& model) {
  // accelerate groups named_parameters(remove_duplicate=False) by tensor object; ours share storage,
  // offset and shape.
  std::vector<std::pair<std::string, Tensor>> firsts;
  std::vector<std::vector<std::string>> groups;
  for (auto& [n, t] : model.named_parameters("", true, false)) {
    bool found = false;
    for (size_t i = 0; i < firsts.size(); ++i)
      if (firsts[i].second.is_same(t)) {
        groups[i].push_back(n);
        found = true;
        break;
      }
    if (!found) {
      firsts.emplace_back(n, t);
      groups.push_back({n});
    }
  }
  std::vector<std::vector<std::string>> out;
  for (auto& g : groups)
    if (g.size() > 1) {
      std::sort(g.begin(), g.end());
      out.push_back(g);
    }
  return out;
}

namespace {

// Python's _no_split_modules of one PreTrainedModel class (nullopt: None).
std::optional<std::vector<std::string>> class_no_split_modules(const PreTrainedModel& m) {
  const std::string cls = m.name();
  const std::string& mt = m.config().model_type();
  if (cls == "RobertaModel") return std::vector<std::string>{"RobertaEmbeddings", "RobertaLayer"};
  if (cls == "XLMRobertaModel") return std::vector<std::string>{"XLMRobertaEmbeddings", "XLMRobertaLayer"};
  if (mt == "roberta") return std::vector<std::string>{"RobertaEmbeddings", "RobertaSelfAttention", "RobertaSdpaSelfAttention"};
  if (mt == "xlm-roberta")
    return std::vector<std::string>{"XLMRobertaEmbeddings", "XLMRobertaSelfAttention", "XLMRobertaSdpaSelfAttention"};
  if (mt == "bert") return std::vector<std::string>{"BertEmbeddings", "BertLayer"};
  if (mt == "gpt2") return std::vector<std::string>{"GPT2Block"};
  static const std::map<std::string, std::string> decoder_layer = {
      {"llama", "LlamaDecoderLayer"}, {"mistral", "MistralDecoderLayer"}, {"qwen2", "Qwen2DecoderLayer"},
      {"qwen3", "Qwen3DecoderLayer"}, {"gemma", "GemmaDecoderLayer"},     {"gemma2", "Gemma2DecoderLayer"},
      {"phi3", "Phi3DecoderLayer"},   {"olmo2", "Olmo2DecoderLayer"}};
  if (auto it = decoder_layer.find(mt); it != decoder_layer.end()) return std::vector<std::string>{it->second};
  return std::nullopt;  // DistilBERT and anything not listed: 4.51 has None
}

// The Python class name of a module: the Llama-like families reuse Llama's C++ classes under their
// own Python names (Qwen2DecoderLayer is our LlamaDecoderLayer in a Qwen2 model).
std::string python_class_name(const nn::Module& m, const std::string& family_prefix) {
  std::string n = m.name();
  if (!family_prefix.empty() && family_prefix != "Llama" && n.rfind("Llama", 0) == 0) n = family_prefix + n.substr(5);
  return n;
}

std::string family_prefix_of(const PreTrainedModel& model) {
  static const std::map<std::string, std::string> prefix = {
      {"llama", "Llama"}, {"mistral", "Mistral"}, {"qwen2", "Qwen2"}, {"qwen3", "Qwen3"},
      {"gemma", "Gemma"}, {"gemma2", "Gemma2"},   {"phi3", "Phi3"},   {"olmo2", "Olmo2"}};
  auto it = prefix.find(model.config().model_type());
  return it == prefix.end() ? "" : it->second;
}

}  // namespace

std::vector<std::string> get_no_split_modules(const PreTrainedModel& model, const std::string& strategy) {
  std::set<std::string> out;
  const std::string fam = family_prefix_of(model);
  std::vector<const nn::Module*> stack{&model};
  while (!stack.empty()) {
    const nn::Module* m = stack.back();
    stack.pop_back();
    if (out.count(python_class_name(*m, fam))) continue;
    if (auto* pm = dynamic_cast<const PreTrainedModel*>(m)) {
      auto list = class_no_split_modules(*pm);
      if (!list)
        throw ValueError(pm->name() + " does not support `device_map='" + strategy +
                         "'`. To implement support, the model class needs to implement the `_no_split_modules` attribute.");
      out.insert(list->begin(), list->end());
    }
    for (auto& [n, c] : m->named_children()) stack.push_back(c);
  }
  return {out.begin(), out.end()};
}

DeviceMap clean_device_map(DeviceMap map) {
  // accelerate's clean_device_map, recursively from the root: a prefix whose entries (more than one)
  // share one device becomes one entry.
  std::function<void(const std::string&)> clean = [&](const std::string& module_name) {
    const std::string prefix = module_name.empty() ? "" : module_name + ".";
    std::vector<std::string> values;
    for (auto& [k, v] : map)
      if (k.rfind(prefix, 0) == 0) values.push_back(v);
    const bool one = !values.empty() && std::all_of(values.begin(), values.end(), [&](auto& v) { return v == values[0]; });
    if (one && values.size() > 1) {
      std::string dev = values[0];
      std::erase_if(map, [&](auto& kv) { return kv.first.rfind(prefix, 0) == 0; });
      map.emplace_back(module_name, dev);
    }
    // the first `depth` dotted components of each deeper key
    const size_t depth = module_name.empty() ? 1 : size_t(std::count(module_name.begin(), module_name.end(), '.')) + 2;
    std::vector<std::string> children;
    for (auto& [k, v] : map) {
      if (k.rfind(prefix, 0) != 0 || k.size() <= module_name.size()) continue;
      size_t pos = std::string::npos, seen = 0;
      for (size_t i = 0; i < k.size(); ++i)
        if (k[i] == '.' && ++seen == depth) {
          pos = i;
          break;
        }
      std::string child = pos == std::string::npos ? k : k.substr(0, pos);
      if (std::find(children.begin(), children.end(), child) == children.end()) children.push_back(child);
    }
    for (auto& c : children) clean(c);
  };
  clean("");
  return map;
}

namespace {

// One entry of accelerate's modules_to_treat: a module, or a parameter/buffer (no children).
struct Item {
  std::string name;
  const nn::Module* module = nullptr;  // nullptr: a tensor
};

// Python's parameterless children that our modules do not register (nn.Dropout members): accelerate
// places them like any module (size 0), so they appear in its maps. Class -> (the child it follows, name).
const std::map<std::string, std::pair<std::string, std::string>>& parameterless_children() {
  static const std::map<std::string, std::pair<std::string, std::string>> m = {
      {"GPT2Model", {"wpe", "drop"}},
      {"BertForSequenceClassification", {"bert", "dropout"}},
      {"BertForTokenClassification", {"bert", "dropout"}},
      {"BertForMultipleChoice", {"bert", "dropout"}},
  };
  return m;
}

// named_children() as Python lists them (phantom parameterless modules as size-0 leaves).
std::vector<Item> children_items(const nn::Module& m, const std::string& prefix) {
  std::vector<Item> out;
  const auto& extra = parameterless_children();
  auto it = extra.find(m.name());
  const std::string pre = prefix.empty() ? "" : prefix + ".";
  for (auto& [n, c] : m.named_children()) {
    out.push_back({pre + n, c});
    if (it != extra.end() && it->second.first == n) out.push_back({pre + it->second.second, nullptr});
  }
  return out;
}


struct Placement {
  const std::unordered_map<std::string, int64_t>& sizes;
  const std::set<std::string>& no_split;
  std::string family;

  int64_t size(const std::string& n) const {
    auto it = sizes.find(n);
    return it == sizes.end() ? 0 : it->second;  // Python's defaultdict(int)
  }
  bool unsplittable(const Item& it) const {
    return !it.module || it.module->named_children().empty() || no_split.count(python_class_name(*it.module, family));
  }
  // get_max_layer_size: the largest unsplittable piece and every name of that size.
  std::pair<int64_t, std::vector<std::string>> max_layer(std::vector<Item> todo) const {
    int64_t best = 0;
    std::vector<std::string> names;
    while (!todo.empty()) {
      Item it = todo.front();
      todo.erase(todo.begin());
      if (unsplittable(it)) {
        const int64_t s = size(it.name);
        if (s > best) {
          best = s;
          names = {it.name};
        } else if (s == best) {
          names.push_back(it.name);
        }
      } else {
        std::vector<Item> kids = children_items(*it.module, it.name);
        todo.insert(todo.begin(), kids.begin(), kids.end());
      }
    }
    return {best, names};
  }
};

std::vector<Item> modules_only(const std::vector<Item>& v) {
  std::vector<Item> out;
  for (auto& it : v)
    if (it.module) out.push_back(it);
  return out;
}

// Python's `name + "." in k + "."` (a substring test, not a prefix test).
bool inside(const std::string& name, const std::string& k) { return (k + ".").find(name + ".") != std::string::npos; }

std::vector<Item> own_tensors_then_children(const nn::Module& m, const std::string& name) {
  std::vector<Item> out;
  for (auto& [n, t] : m.named_parameters("", false)) out.push_back({name + "." + n, nullptr});
  for (auto& kid : children_items(m, name)) out.push_back(kid);
  return out;
}

}  // namespace

namespace modeling_detail {

// accelerate's get_max_layer_size over the whole model, in bytes (rounded up): the room the cpu
// budget keeps for the piece being computed.
int64_t max_layer_bytes(const PreTrainedModel& model, std::optional<DType> dtype) {
  std::unordered_map<std::string, int64_t> sizes;
  for (auto& [n, b] : compute_module_sizes_bits(model, dtype)) sizes[n] = b;
  const auto ns = get_no_split_modules(model, "auto");
  const std::set<std::string> no_split(ns.begin(), ns.end());
  Placement P{sizes, no_split, family_prefix_of(model)};
  std::vector<Item> todo;
  for (auto& [n, t] : model.named_parameters("", false)) todo.push_back({n, nullptr});
  for (auto& kid : children_items(model, "")) todo.push_back(kid);
  for (auto& [n, t] : model.named_buffers("", false)) todo.push_back({n, nullptr});
  return (P.max_layer(todo).first + 7) / 8;
}

}  // namespace modeling_detail

DeviceMap infer_auto_device_map(const PreTrainedModel& model, const InferDeviceMapOptions& opts) {
  std::vector<std::string> devices;
  std::map<std::string, int64_t> max_memory;
  for (auto& [d, b] : opts.max_memory) {
    devices.push_back(d);
    max_memory[d] = b;
  }
  if (std::find(devices.begin(), devices.end(), "disk") == devices.end()) devices.push_back("disk");
  std::unordered_map<std::string, int64_t> sizes;
  for (auto& [n, b] : compute_module_sizes_bits(model, opts.dtype)) sizes[n] = b;
  const auto tied = find_tied_parameters(model);
  const std::set<std::string> no_split(opts.no_split_module_classes.begin(), opts.no_split_module_classes.end());
  Placement P{sizes, no_split, family_prefix_of(model)};

  std::vector<Item> todo;
  for (auto& [n, t] : model.named_parameters("", false)) todo.push_back({n, nullptr});
  for (auto& kid : children_items(model, "")) todo.push_back(kid);
  for (auto& [n, t] : model.named_buffers("", false)) todo.push_back({n, nullptr});

  DeviceMap map;
  size_t current = 0;
  std::map<std::string, int64_t> used;  // bits
  auto [max_layer_size, max_layer_names] = P.max_layer(todo);

  while (!todo.empty()) {
    Item item = todo.front();
    todo.erase(todo.begin());
    const std::string& name = item.name;
    std::erase_if(max_layer_names, [&](const std::string& n) { return n == name || n.rfind(name + ".", 0) == 0; });
    if (max_layer_names.empty()) std::tie(max_layer_size, max_layer_names) = P.max_layer(modules_only(todo));
    const int64_t module_size = P.size(name);

    // tied parameters inside this module whose partners are outside it
    std::vector<std::string> tied_params;
    for (auto& g : tied) {
      bool any = false, all = true;
      for (auto& k : g) {
        const bool in = inside(name, k);
        any = any || in;
        all = all && in;
      }
      if (!any || all) continue;
      for (auto& p : g)
        if (!inside(name, p)) tied_params.push_back(p);
    }
    if (current >= devices.size())
      throw ValueError("device map: no device left for " + quote_input(name));  // unreachable: disk takes all
    const std::string device = devices[current];
    const bool on_disk = device == "disk";
    int64_t current_max = on_disk ? 0 : checked_mul(max_memory[device], int64_t(8), "max_memory");
    int64_t reserved = 0;
    if (device == "cpu") {  // accelerate's main device: keeps room for the largest layer
      current_max -= max_layer_size;
      reserved = max_layer_size;
    }
    // get_module_size_with_ties
    int64_t size_with_ties = module_size;
    std::vector<Item> tied_modules;
    for (auto& tp : tied_params) {
      auto it = std::find_if(todo.begin(), todo.end(), [&](const Item& m) { return tp.rfind(m.name + ".", 0) == 0; });
      if (it == todo.end())
        throw ValueError("device map: the parameter " + quote_input(tp) + " tied to one in " + quote_input(name) +
                         " belongs to no module still to place (accelerate fails here with an IndexError)");
      tied_modules.push_back(*it);
      size_with_ties += P.size(it->name) - P.size(tp);
    }
    if (on_disk || used[device] + size_with_ties <= current_max) {
      used[device] += size_with_ties;
      map.emplace_back(name, device);
      for (auto& tm : tied_modules) {
        std::erase_if(todo, [&](const Item& m) { return m.name == tm.name; });
        map.emplace_back(tm.name, device);
      }
      continue;
    }
    if (!tied_params.empty() && used[device] + module_size <= current_max) {
      bool split = false;
      for (auto& tm : tied_modules) {
        if (P.unsplittable(tm)) continue;
        std::vector<Item> kids = own_tensors_then_children(*tm.module, tm.name);
        auto idx = std::find_if(todo.begin(), todo.end(), [&](const Item& m) { return m.name == tm.name; });
        std::vector<Item> next{item};
        next.insert(next.end(), todo.begin(), idx);
        next.insert(next.end(), kids.begin(), kids.end());
        next.insert(next.end(), idx + 1, todo.end());
        todo = std::move(next);
        std::tie(max_layer_size, max_layer_names) = P.max_layer(modules_only(todo));
        split = true;
        break;
      }
      if (split) continue;
    }
    if (used[device] + module_size >= current_max && !P.unsplittable(item)) {
      std::vector<Item> kids = own_tensors_then_children(*item.module, name);
      todo.insert(todo.begin(), kids.begin(), kids.end());
      std::tie(max_layer_size, max_layer_names) = P.max_layer(modules_only(todo));
      continue;
    }
    used[device] += reserved;
    ++current;
    todo.insert(todo.begin(), item);
  }
  return opts.clean_result ? clean_device_map(std::move(map)) : map;
}

namespace {

bool any_prefix_of(const DeviceMap& map, const std::string& name) {
  for (auto& [k, v] : map)
    if (k.empty() || name == k || name.rfind(k + ".", 0) == 0) return true;
  return false;
}

}  // namespace

std::string device_of(const DeviceMap& map, const std::string& name) {
  const std::pair<std::string, std::string>* best = nullptr;
  for (auto& kv : map)
    if (kv.first.empty() || name == kv.first || name.rfind(kv.first + ".", 0) == 0)
      if (!best || kv.first.size() > best->first.size()) best = &kv;
  if (!best) throw ValueError(quote_input(name) + " doesn't have any device set.");
  return best->second;
}

void check_device_map(const nn::Module& model, const DeviceMap& map) {
  std::vector<std::string> names;  // every module, parameter and buffer name
  for (auto& [n, m] : model.named_modules()) names.push_back(n);
  std::vector<std::string> tensors;
  for (auto& [n, t] : model.named_parameters("", true, false)) tensors.push_back(n);
  for (auto& [n, t] : model.named_buffers()) tensors.push_back(n);
  names.insert(names.end(), tensors.begin(), tensors.end());
  std::string unknown;
  for (auto& [k, v] : map) {
    if (is_gpu_index(v)) refuse_gpu("device map entry " + quote_input(k), v);
    if (v != "cpu" && v != "disk")
      throw ValueError("device map entry " + quote_input(k) + ": expected the device \"cpu\" or \"disk\", found " +
                       quote_input(v));
    if (!k.empty() && std::find(names.begin(), names.end(), k) == names.end())
      unknown += (unknown.empty() ? "" : ", ") + quote_input(k);
  }
  if (!unknown.empty())
    throw ValueError("device map names modules the model does not have: " + unknown + " (expected " +
                     model.name() + "'s module, parameter or buffer names)");
  std::string missing;
  size_t n_missing = 0;
  for (auto& t : tensors)
    if (!any_prefix_of(map, t) && n_missing++ < 8) missing += (missing.empty() ? "" : ", ") + quote_input(t);
  if (n_missing)
    throw ValueError("device map leaves " + std::to_string(n_missing) + " parameters/buffers without a device: " +
                     missing + (n_missing > 8 ? ", ..." : "") + " (each needs an entry for itself or a module holding it)");
  for (auto& g : find_tied_parameters(model)) {
    std::set<std::string> devs;
    for (auto& p : g) devs.insert(device_of(map, p));
    if (devs.size() > 1) {
      std::string list;
      for (auto& p : g) list += (list.empty() ? "" : ", ") + quote_input(p) + " -> " + device_of(map, p);
      throw ValueError("device map puts tied parameters on different devices: " + list);
    }
  }
}

DeviceMap get_device_map(const PreTrainedModel& model, const DeviceMapArg& device_map,
                         const std::optional<MaxMemory>& max_memory, std::optional<DType> dtype) {
  const std::string& s = device_map.strategy;
  if (s.empty()) {
    check_device_map(model, device_map.map);
    return device_map.map;
  }
  if (s == "cpu" || s == "disk") return {{"", s}};
  if (is_gpu_index(s)) refuse_gpu("device_map", s);
  if (s != "auto" && s != "balanced" && s != "balanced_low_0" && s != "sequential")
    throw ValueError("When passing device_map as a string, the value needs to be a device name (e.g. cpu, cuda:0) or "
                     "'auto', 'balanced', 'balanced_low_0', 'sequential' but found " + quote_input(s) + ".");
  InferDeviceMapOptions o;
  o.no_split_module_classes = get_no_split_modules(model, s);
  o.dtype = dtype;
  o.max_memory = get_max_memory(max_memory);
  // get_balanced_memory (every strategy but "sequential") asks torch for each max_memory key's device
  // type; torch knows no "disk" device, so 4.51 fails there (RuntimeError) -- refused the same way.
  if (s != "sequential")
    for (auto& [d, b] : o.max_memory)
      if (d == "disk")
        throw ValueError("max_memory has a \"disk\" entry, which device_map='" + s +
                         "' cannot use (4.51's get_balanced_memory: torch knows no device type 'disk'); "
                         "use device_map='sequential' or leave disk out (disk takes what cpu does not)");
  return infer_auto_device_map(model, o);
}

}  // namespace transformers
