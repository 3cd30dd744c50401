// PyTorch .bin writer: the pickle save_pretrained(safe_serialization=False) produces (a plain dict of
// _rebuild_tensor_v2 calls, protocol 2; spec §2.2, §2.6) inside a torch.save zip archive.
#include <cstring>
#include <map>

#include "io/weight_writers.hpp"
#include "transformers/io/atomic_file.hpp"
#include "io/zip_writer.hpp"
#include "transformers/io/torch_pickle.hpp"

namespace transformers::io {

namespace {
const char* storage_class(DType dt) {
  switch (dt) {
    case DType::Float32: return "FloatStorage";
    case DType::Float16: return "HalfStorage";
    case DType::BFloat16: return "BFloat16Storage";
    case DType::Float64: return "DoubleStorage";
    case DType::Int64: return "LongStorage";
    case DType::Int32: return "IntStorage";
    case DType::Int16: return "ShortStorage";
    case DType::Int8: return "CharStorage";
    case DType::UInt8: return "ByteStorage";
    case DType::Bool: return "BoolStorage";
    default: return nullptr;  // float8: UntypedStorage + _rebuild_tensor_v3
  }
}

class PickleOut {
 public:
  std::string s = "\x80\x02";
  void op(char c) { s.push_back(c); }
  void u32(uint32_t v) { for (int i = 0; i < 4; ++i) s.push_back(char((v >> (8 * i)) & 0xff)); }
  void integer(int64_t v) {
    if (v >= 0 && v < 256) { op('K'); s.push_back(char(v)); }
    else if (v >= 0 && v < 65536) { op('M'); s.push_back(char(v & 0xff)); s.push_back(char(v >> 8)); }
    else if (v >= INT32_MIN && v <= INT32_MAX) { op('J'); u32(uint32_t(int32_t(v))); }
    else {
      // LONG1: minimal little-endian two's complement
      std::string b;
      uint64_t u = uint64_t(v);
      for (int i = 0; i < 8; ++i) b.push_back(char((u >> (8 * i)) & 0xff));
      while (b.size() > 1) {
        const uint8_t last = uint8_t(b.back()), prev = uint8_t(b[b.size() - 2]);
        if ((last == 0 && !(prev & 0x80)) || (last == 0xff && (prev & 0x80))) b.pop_back();
        else break;
      }
      op('\x8a');
      s.push_back(char(b.size()));
      s += b;
    }
  }
  // Memoised: repeated strings and globals become BINGET, as Python's pickler does.
  void str(const std::string& v, bool memo = false) {
    if (memo && get(v)) return;
    op('X');
    u32(uint32_t(v.size()));
    s += v;
    if (memo) put(v);
  }
  void global(const std::string& module, const std::string& name) {
    const std::string key = "\x01" + module + "\n" + name;
    if (get(key)) return;
    op('c');
    s += module + "\n" + name + "\n";
    put(key);
  }
  void tuple(const Shape& v) {
    if (v.empty()) { op(')'); return; }
    if (v.size() > 3) op('(');
    for (int64_t x : v) integer(x);
    if (v.size() == 1) op('\x85');
    else if (v.size() == 2) op('\x86');
    else if (v.size() == 3) op('\x87');
    else op('t');
  }

 private:
  bool get(const std::string& key) {
    auto it = memo_.find(key);
    if (it == memo_.end()) return false;
    if (it->second < 256) { op('h'); s.push_back(char(it->second)); }
    else { op('j'); u32(it->second); }
    return true;
  }
  void put(const std::string& key) {
    const uint32_t idx = uint32_t(memo_.size());
    memo_[key] = idx;
    if (idx < 256) { op('q'); s.push_back(char(idx)); }
    else { op('r'); u32(idx); }
  }
  std::map<std::string, uint32_t> memo_;
};

struct StorageOut {
  std::string key;
  std::shared_ptr<Storage> storage;
  const void* data;
  size_t nbytes;
  DType dtype;
};
}  // namespace

void write_torch(AtomicFile& out, const NamedTensors& tensors) {
  // One storage record per distinct storage (tied weights and views share one, as in torch),
  // provided every tensor on it has the same dtype; otherwise a tensor gets its own copy.
  std::map<std::pair<const void*, size_t>, size_t> by_storage;
  std::vector<StorageOut> storages;
  struct Item {
    const std::string* name;
    Tensor t;
    size_t storage;
  };
  std::vector<Item> items;
  std::map<std::string, int> seen;
  for (const auto& [name, t0] : tensors) {
    if (!seen.emplace(name, 0).second) throw ValueError("save_torch: duplicate tensor name '" + name + "'");
    if (!t0.defined()) throw ValueError("save_torch: tensor '" + name + "' is undefined");
    Tensor t = t0;
    const auto& s = t.storage();
    const std::pair<const void*, size_t> id{s->data(), s->nbytes()};
    auto it = by_storage.find(id);
    const bool whole_ok = s->nbytes() % dtype_size(t.dtype()) == 0;
    if (it != by_storage.end() && storages[it->second].dtype == t.dtype()) {
      items.push_back({&name, t, it->second});
      continue;
    }
    if (it != by_storage.end() || !whole_ok) t = t.clone();  // a fresh storage of its own
    const auto& ts = t.storage();
    const size_t idx = storages.size();
    storages.push_back({std::to_string(idx), ts, ts->data(), ts->nbytes(), t.dtype()});
    by_storage.emplace(std::pair<const void*, size_t>{ts->data(), ts->nbytes()}, idx);
    items.push_back({&name, t, idx});
  }

  PickleOut p;
  p.op('}');
  if (!items.empty()) p.op('(');
  size_t in_batch = 0;
  for (const auto& it : items) {
    if (in_batch == 1000) {  // SETITEMS batches of at most 1000 pairs, like Python
      p.op('u');
      p.op('(');
      in_batch = 0;
    }
    const StorageOut& so = storages[it.storage];
    const char* cls = storage_class(so.dtype);
    p.str(*it.name);
    p.global("torch._utils", cls ? "_rebuild_tensor_v2" : "_rebuild_tensor_v3");
    p.op('(');
    p.op('(');
    p.str("storage", true);
    p.global(cls ? "torch" : "torch.storage", cls ? cls : "UntypedStorage");
    p.str(so.key);
    p.str("cpu", true);
    p.integer(int64_t(so.nbytes / (cls ? dtype_size(so.dtype) : 1)));
    p.op('t');
    p.op('Q');
    p.integer(it.t.storage_offset());
    p.tuple(it.t.shape());
    p.tuple(it.t.strides());
    p.op('\x89');  // requires_grad=False
    p.global("collections", "OrderedDict");
    p.op(')');
    p.op('R');
    if (!cls) p.global("torch", std::string(dtype_name(so.dtype)));
    p.op('t');
    p.op('R');
    ++in_batch;
  }
  if (!items.empty()) p.op('u');
  p.op('.');

  detail::ZipWriter zip(out);
  const std::string prefix = "archive/";
  zip.add(prefix + "data.pkl", p.s);
  zip.add(prefix + ".format_version", "1");
  zip.add(prefix + ".storage_alignment", "64");
  zip.add(prefix + "byteorder", "little");
  for (const auto& so : storages)
    zip.add(prefix + "data/" + so.key, std::string_view(static_cast<const char*>(so.data), so.nbytes));
  zip.add(prefix + "version", "3\n");
  zip.finish();
}

void save_torch(const std::filesystem::path& file, const NamedTensors& tensors) {
  AtomicFile out(file);
  write_torch(out, tensors);
  out.commit();
}

}  // namespace transformers::io
