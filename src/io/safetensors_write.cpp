// safetensors writer: the reference layout (spec §1.4), in memory or streamed to an atomic file.
#include <algorithm>
#include <cstring>
#include <map>
#include <set>

#include "io/weight_writers.hpp"
#include "transformers/io/atomic_file.hpp"
#include "io/json_text.hpp"
#include "transformers/io/safetensors.hpp"

namespace transformers::io {

namespace {
struct Planned {
  const std::string* name;
  const Tensor* tensor;
  const SafetensorsDType* dtype;
  uint64_t begin, end;
};

struct Plan {
  std::string header;  // length prefix + padded JSON
  std::vector<Planned> order;
};

Plan plan(const NamedTensors& tensors, const Metadata& metadata) {
  Plan p;
  std::set<std::string_view> seen;
  // Python refuses tensors sharing memory (_find_shared_tensors groups by storage pointer and size).
  std::map<std::pair<const void*, size_t>, const std::string*> storages;
  for (const auto& [name, t] : tensors) {
    if (name == "__metadata__") throw ValueError("safetensors: '__metadata__' is reserved and cannot name a tensor");
    if (!detail::is_valid_utf8(name)) throw ValueError("safetensors: tensor name '" + name + "' is not valid UTF-8");
    if (!seen.insert(name).second) throw ValueError("safetensors: duplicate tensor name '" + name + "'");
    if (!t.defined()) throw ValueError("safetensors: tensor '" + name + "' is undefined");
    const auto& s = t.storage();
    if (s->data() && s->nbytes() > 0) {
      auto [it, fresh] = storages.emplace(std::pair<const void*, size_t>(s->data(), s->nbytes()), &name);
      if (!fresh)
        throw ValueError("safetensors: tensors '" + *it->second + "' and '" + name +
                         "' share memory; safetensors stores each byte range once, so drop the alias "
                         "(tied weight) or clone it before saving");
    }
    const SafetensorsDType* dt = find_safetensors_dtype(dtype_safetensors_name(t.dtype()));
    // Block-quantized GGUF types (a model loaded with keep_quantized) have no safetensors dtype.
    if (!dt)
      throw ValueError("safetensors: tensor '" + name + "' has dtype " + std::string(dtype_name(t.dtype())) +
                       ", which safetensors cannot store (expected a float, integer or bool dtype); load the model "
                       "without keep_quantized, or save it as GGUF");
    p.order.push_back({&name, &t, dt, 0, 0});
  }
  for (const auto& [k, v] : metadata)
    if (!detail::is_valid_utf8(k) || !detail::is_valid_utf8(v))
      throw ValueError("safetensors: metadata entry '" + k + "' is not valid UTF-8");
  std::stable_sort(p.order.begin(), p.order.end(), [](const Planned& a, const Planned& b) {
    if (a.dtype->rank != b.dtype->rank) return a.dtype->rank < b.dtype->rank;
    return *a.name < *b.name;
  });
  uint64_t off = 0;
  for (auto& e : p.order) {
    e.begin = off;
    off += e.tensor->nbytes();
    e.end = off;
  }
  std::string json = "{";
  bool first = true;
  if (!metadata.empty()) {
    json += "\"__metadata__\":{";
    bool mf = true;
    for (const auto& [k, v] : metadata) {
      if (!mf) json += ',';
      mf = false;
      detail::append_json_string(json, k);
      json += ':';
      detail::append_json_string(json, v);
    }
    json += '}';
    first = false;
  }
  for (const auto& e : p.order) {
    if (!first) json += ',';
    first = false;
    detail::append_json_string(json, *e.name);
    json += ":{\"dtype\":\"";
    json += e.dtype->name;
    json += "\",\"shape\":[";
    for (size_t i = 0; i < e.tensor->shape().size(); ++i) {
      if (i) json += ',';
      json += std::to_string(e.tensor->shape()[i]);
    }
    json += "],\"data_offsets\":[" + std::to_string(e.begin) + "," + std::to_string(e.end) + "]}";
  }
  json += '}';
  json.append((8 - json.size() % 8) % 8, ' ');
  if (json.size() > kSafetensorsMaxHeader)
    throw ValueError("safetensors: header of " + std::to_string(json.size()) + " bytes exceeds the limit of " +
                     std::to_string(kSafetensorsMaxHeader));
  p.header.resize(8);
  const uint64_t n = json.size();
  for (int i = 0; i < 8; ++i) p.header[size_t(i)] = char((n >> (8 * i)) & 0xff);
  p.header += json;
  return p;
}

template <typename Sink>
void emit(const Plan& p, Sink&& sink) {
  sink(p.header.data(), p.header.size());
  for (const auto& e : p.order) {
    if (e.tensor->numel() == 0) continue;
    if (e.tensor->is_contiguous()) {
      sink(e.tensor->data_ptr(), e.tensor->nbytes());
    } else {
      const Tensor c = e.tensor->contiguous();
      sink(c.data_ptr(), c.nbytes());
    }
  }
}
}  // namespace

std::string safetensors_serialize(const NamedTensors& tensors, const Metadata& metadata) {
  const Plan p = plan(tensors, metadata);
  std::string out;
  out.reserve(p.header.size() + (p.order.empty() ? 0 : p.order.back().end));
  emit(p, [&](const void* d, size_t n) { out.append(static_cast<const char*>(d), n); });
  return out;
}

void write_safetensors(AtomicFile& out, const NamedTensors& tensors, const Metadata& metadata) {
  const Plan p = plan(tensors, metadata);
  emit(p, [&](const void* d, size_t n) { out.write(d, n); });
}

void save_safetensors(const std::filesystem::path& file, const NamedTensors& tensors, const Metadata& metadata) {
  AtomicFile out(file);
  write_safetensors(out, tensors, metadata);
  out.commit();
}

}  // namespace transformers::io
