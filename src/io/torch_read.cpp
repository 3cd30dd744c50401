// PyTorch checkpoint reader: zip container or legacy stream -> restricted unpickler -> tensors
// that view the file mapping (spec §2.1-2.5, §2.8).
#include <algorithm>
#include <cstring>
#include <map>

#include "io/mapped_file.hpp"
#include "io/pickle.hpp"
#include "io/zip_reader.hpp"
#include "transformers/io/torch_pickle.hpp"

namespace transformers::io {

namespace {
using detail::StorageSlot;
using detail::Value;
using K = detail::Value::Kind;

void byteswap(uint8_t* p, size_t nbytes, size_t width) {
  if (width <= 1) return;
  for (size_t i = 0; i + width <= nbytes; i += width) std::reverse(p + i, p + i + width);
}

// A Storage over `nbytes` at `p`: borrowed from the mapping when aligned for the dtype and no
// byte swap is needed, otherwise an owned (and possibly swapped) copy.
std::shared_ptr<Storage> attach(const uint8_t* p, size_t nbytes, DType dt, bool swap,
                                const std::shared_ptr<const void>& owner) {
  const size_t w = dtype_size(dt);
  if (!swap && reinterpret_cast<uintptr_t>(p) % w == 0)
    return Storage::borrow(const_cast<uint8_t*>(p), nbytes, owner, /*read_only=*/true);
  auto s = Storage::allocate(nbytes);
  if (nbytes) std::memcpy(s->data(), p, nbytes);
  if (swap) byteswap(static_cast<uint8_t*>(s->data()), nbytes, w);
  return s;
}

// ('storage', <torch.XStorage>, key, location, numel[, view_metadata]) -> a slot (not yet attached).
std::shared_ptr<StorageSlot> storage_slot(const Value& pid, const std::string& file, size_t min_items) {
  auto fail = [&](const std::string& w) -> std::shared_ptr<StorageSlot> {
    throw FormatError("pickle in '" + file + "': persistent id " + w);
  };
  if (pid.kind != K::Tuple || pid.items.empty()) return fail("must be a tuple");
  if (pid.items[0]->kind == K::Str && pid.items[0]->s == "module")
    throw UnsupportedError("pickle in '" + file + "' stores a whole Python module (legacy nn.Module save); only state dicts are read");
  if (pid.items[0]->kind != K::Str || pid.items[0]->s != "storage") return fail("must start with 'storage'");
  if (pid.items.size() < min_items) return fail("has " + std::to_string(pid.items.size()) + " fields, expected " + std::to_string(min_items));
  const Value& type = *pid.items[1];
  const Value& key = *pid.items[2];
  const Value& numel = *pid.items[4];
  if (type.kind != K::Global) return fail("storage type must be a torch storage class");
  if (key.kind != K::Str) return fail("key must be a str");
  if (numel.kind != K::Int || numel.i < 0) return fail("numel must be a non-negative int");
  const std::string cls = type.s.substr(type.s.rfind('.') + 1);
  const auto dt = detail::storage_class_dtype(cls);
  if (!dt) throw UnsupportedError("pickle in '" + file + "': storage class '" + type.s + "' is not supported");
  auto slot = std::make_shared<StorageSlot>();
  slot->key = key.s;
  slot->dtype = *dt;
  slot->type_name = cls;
  slot->numel = uint64_t(numel.i);
  if (slot->numel > (uint64_t(1) << 62) / dtype_size(*dt)) return fail("numel " + std::to_string(numel.i) + " is too large");
  return slot;
}

Tensor materialize(const detail::TensorSpec& spec) {
  return Tensor::make_view(spec.slot->storage, spec.size, spec.stride, spec.offset, spec.dtype);
}

std::string read_pid_str(const Value& v) { return v.kind == K::Str ? v.s : std::string(); }
}  // namespace

TorchReader::TorchReader(const std::filesystem::path& file) {
  auto m = detail::MappedFile::open(file);
  path_ = m->path();
  mapping_ = m;
  if (m->size() >= 4 && std::memcmp(m->data(), "PK\x03\x04", 4) == 0) read_zip();
  else read_legacy();
}

void TorchReader::read_zip() {
  const auto* m = static_cast<const detail::MappedFile*>(mapping_.get());
  detail::ZipReader zip(m->data(), m->size(), path_);
  if (zip.entries().empty()) throw FormatError("torch archive '" + path_ + "' is an empty zip");
  const std::string& first = zip.entries().front().name;
  const size_t slash = first.find('/');
  if (slash == std::string::npos || slash == 0)
    throw FormatError("torch archive '" + path_ + "': first entry '" + first + "' is not inside a folder");
  const std::string prefix = first.substr(0, slash + 1);
  for (const auto& e : zip.entries())
    if (e.name.rfind(prefix, 0) != 0)
      throw FormatError("torch archive '" + path_ + "': entry '" + e.name + "' lies outside the folder '" + prefix + "'");
  if (zip.find(prefix + "constants.pkl"))
    throw UnsupportedError("'" + path_ + "' is a TorchScript archive (constants.pkl), not a torch.save checkpoint");
  const auto* pkl = zip.find(prefix + "data.pkl");
  if (!pkl) throw FormatError("torch archive '" + path_ + "' has no '" + prefix + "data.pkl' entry");
  const std::string_view pickle = zip.read(*pkl);
  if (detail::crc32(pickle.data(), pickle.size()) != pkl->crc32)
    throw FormatError("torch archive '" + path_ + "': CRC of data.pkl does not match (corrupt file)");
  bool swap = false;
  if (const auto* bo = zip.find(prefix + "byteorder")) {
    const std::string_view order = zip.read(*bo);
    if (order == "big") swap = true;
    else if (order != "little")
      throw FormatError("torch archive '" + path_ + "': byteorder is '" + std::string(order) + "', expected little or big");
  }

  std::map<std::string, std::shared_ptr<StorageSlot>> slots;
  detail::UnpickleOptions opts;
  opts.file = path_;
  opts.persistent_load = [&](const Value& pid) {
    auto slot = storage_slot(pid, path_, 5);
    auto [it, fresh] = slots.emplace(slot->key, slot);
    if (!fresh && (it->second->dtype != slot->dtype || it->second->numel != slot->numel))
      throw FormatError("pickle in '" + path_ + "': storage '" + slot->key + "' is described twice differently");
    auto v = std::make_shared<Value>();
    v->kind = K::Storage;
    v->slot = it->second;
    return v;
  };
  size_t pos = 0;
  detail::Unpickled u = detail::unpickle(pickle, pos, opts);

  for (auto& [key, slot] : slots) {
    const auto* rec = zip.find(prefix + "data/" + key);
    if (!rec) throw FormatError("torch archive '" + path_ + "': storage record '" + prefix + "data/" + key + "' is missing");
    const std::string_view bytes = zip.read(*rec);
    const uint64_t need = slot->numel * dtype_size(slot->dtype);
    if (bytes.size() != need)
      throw FormatError("torch archive '" + path_ + "': record 'data/" + key + "' holds " + std::to_string(bytes.size()) +
                        " bytes, its " + slot->type_name + " of " + std::to_string(slot->numel) + " elements needs " +
                        std::to_string(need));
    slot->storage = attach(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), slot->dtype, swap, mapping_);
  }

  if (u.root->kind != K::Dict)
    throw UnsupportedError("'" + path_ + "' holds a pickled " + std::string(detail::kind_name(u.root->kind)) +
                           ", expected a state dict");
  for (const auto& [k, v] : u.root->dict) {
    if (k->kind != K::Str) throw FormatError("state dict in '" + path_ + "' has a non-string key");
    if (v->kind != K::Tensor) continue;  // e.g. bitsandbytes string metadata: not a weight
    keys_.push_back(k->s);
    tensors_.emplace(k->s, materialize(*v->tensor));
  }
}

void TorchReader::read_legacy() {
  const auto* m = static_cast<const detail::MappedFile*>(mapping_.get());
  const std::string_view data(reinterpret_cast<const char*>(m->data()), m->size());
  legacy_ = true;
  auto fail = [&](const std::string& w) { throw FormatError("legacy torch file '" + path_ + "': " + w); };
  detail::UnpickleOptions plain;
  plain.file = path_;
  size_t pos = 0;
  {
    static const unsigned char kMagic[] = {0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19};
    if (data.size() < 2 || uint8_t(data[0]) != 0x80)
      fail("neither a zip archive nor a pickle (not a PyTorch checkpoint)");
    auto magic = detail::unpickle(data, pos, plain);
    if (magic.root->kind != K::BigInt || magic.root->s != std::string(reinterpret_cast<const char*>(kMagic), 10))
      fail("wrong magic number (not a PyTorch checkpoint)");
    auto proto = detail::unpickle(data, pos, plain);
    if (proto.root->kind != K::Int || proto.root->i != 1001)
      fail("protocol version " + (proto.root->kind == K::Int ? std::to_string(proto.root->i) : std::string("?")) + ", expected 1001");
    auto sys_info = detail::unpickle(data, pos, plain);
    if (sys_info.root->kind == K::Dict)
      for (const auto& [k, v] : sys_info.root->dict)
        if (k->kind == K::Str && k->s == "little_endian" && v->kind == K::Bool && !v->b)
          throw UnsupportedError("legacy torch file '" + path_ + "' was written on a big-endian machine");
  }

  std::map<std::string, std::shared_ptr<StorageSlot>> roots, views;
  detail::UnpickleOptions opts;
  opts.file = path_;
  opts.persistent_load = [&](const Value& pid) {
    auto slot = storage_slot(pid, path_, 6);
    auto [it, fresh] = roots.emplace(slot->key, slot);
    if (!fresh && it->second->dtype != slot->dtype)
      throw FormatError("pickle in '" + path_ + "': storage '" + slot->key + "' is described twice differently");
    std::shared_ptr<StorageSlot> result = it->second;
    const Value& view = *pid.items[5];
    if (view.kind == K::Tuple) {
      // (view_key, offset, numel): a slice of the root storage, in elements
      if (view.items.size() != 3 || view.items[0]->kind != K::Str || view.items[1]->kind != K::Int ||
          view.items[2]->kind != K::Int || view.items[1]->i < 0 || view.items[2]->i < 0)
        throw FormatError("pickle in '" + path_ + "': malformed view metadata");
      auto [vit, vfresh] = views.emplace(view.items[0]->s, nullptr);
      if (vfresh) {
        vit->second = std::make_shared<StorageSlot>();
        vit->second->key = view.items[0]->s;
        vit->second->dtype = result->dtype;
        vit->second->type_name = result->type_name;
        vit->second->root = result;
        vit->second->view_offset = uint64_t(view.items[1]->i);
        vit->second->numel = uint64_t(view.items[2]->i);
      }
      result = vit->second;
    } else if (view.kind != K::None) {
      throw FormatError("pickle in '" + path_ + "': view metadata must be a tuple or None");
    }
    auto v = std::make_shared<Value>();
    v->kind = K::Storage;
    v->slot = result;
    return v;
  };
  detail::Unpickled obj = detail::unpickle(data, pos, opts);
  detail::Unpickled key_list = detail::unpickle(data, pos, plain);
  if (key_list.root->kind != K::List) fail("storage key list is not a list");

  for (const auto& kv : key_list.root->items) {
    const std::string key = read_pid_str(*kv);
    auto it = roots.find(key);
    if (it == roots.end()) fail("storage '" + key + "' in the key list is used by no tensor");
    if (data.size() - pos < 8) fail("truncated before the data of storage '" + key + "'");
    uint64_t count = 0;
    for (int i = 7; i >= 0; --i) count = (count << 8) | uint8_t(data[pos + size_t(i)]);
    pos += 8;
    const auto& slot = it->second;
    if (count != slot->numel)
      fail("storage '" + key + "' holds " + std::to_string(count) + " elements, its pickle says " + std::to_string(slot->numel));
    const uint64_t nbytes = count * dtype_size(slot->dtype);
    if (nbytes > data.size() - pos) fail("truncated inside the data of storage '" + key + "'");
    slot->storage = attach(m->data() + pos, size_t(nbytes), slot->dtype, false, mapping_);
    pos += size_t(nbytes);
  }
  for (auto& [k, root] : roots)
    if (!root->storage) fail("storage '" + k + "' has no data");
  for (auto& [k, view] : views) {
    const auto& root = view->root;
    if (view->view_offset > root->numel || view->numel > root->numel - view->view_offset)
      fail("view '" + k + "' of storage '" + root->key + "' runs past its end");
    const size_t w = dtype_size(root->dtype);
    view->storage = Storage::borrow(static_cast<uint8_t*>(root->storage->data()) + view->view_offset * w,
                                    size_t(view->numel * w), root->storage, root->storage->read_only());
  }

  if (obj.root->kind != K::Dict)
    throw UnsupportedError("'" + path_ + "' holds a pickled " + std::string(detail::kind_name(obj.root->kind)) +
                           ", expected a state dict");
  for (const auto& [k, v] : obj.root->dict) {
    if (k->kind != K::Str) throw FormatError("state dict in '" + path_ + "' has a non-string key");
    if (v->kind != K::Tensor) continue;
    keys_.push_back(k->s);
    tensors_.emplace(k->s, materialize(*v->tensor));
  }
}

TensorEntry TorchReader::entry(const std::string& name) const {
  const Tensor t = get_tensor(name);
  return {name, std::string(dtype_name(t.dtype())), t.dtype(), t.shape()};
}

Tensor TorchReader::get_tensor(const std::string& name) const {
  auto it = tensors_.find(name);
  if (it == tensors_.end()) throw KeyError("torch checkpoint '" + path_ + "' has no tensor named '" + name + "'");
  return it->second;
}

NamedTensors load_torch(const std::filesystem::path& file) { return TorchReader(file).tensors(); }

}  // namespace transformers::io
