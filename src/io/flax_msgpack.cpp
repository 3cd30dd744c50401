// flax_model.msgpack: flax.serialization's msgpack state (nested maps, ndarray extension type),
// parsed and written with msgpack-c (Debian libmsgpack-cxx-dev). Facts of the format: an ndarray is
// ext type 1 whose payload is itself msgpack of [shape array, dtype name, C-order bytes]; a numpy
// scalar is ext type 3 with [dtype name, bytes]; arrays above flax's chunk size are written as a
// map holding "__msgpack_chunked_array__" (refused here: no checkpoint of ours is that large).
#ifndef MSGPACK_NO_BOOST
#define MSGPACK_NO_BOOST  // msgpack-c without Boost (header-only use)
#endif
#include <msgpack.hpp>

#include <cstring>
#include <functional>

#include "io/mapped_file.hpp"
#include "transformers/core/checked.hpp"
#include "transformers/core/quote.hpp"
#include "transformers/io/tf_flax.hpp"

namespace transformers::io {

namespace {

constexpr int8_t kExtNdarray = 1;
constexpr int8_t kExtNpScalar = 3;
constexpr size_t kMaxDepth = 64;

// Counts cannot exceed the bytes that hold them, which bounds what msgpack-c allocates for a
// header declaring a huge array or map.
msgpack::unpack_limit limits_for(size_t size) {
  return msgpack::unpack_limit(size, size, size, size, size, kMaxDepth);
}

msgpack::object_handle unpack_all(const char* data, size_t size, const std::string& where) {
  size_t off = 0;
  msgpack::object_handle oh;
  try {
    oh = msgpack::unpack(data, size, off, nullptr, nullptr, limits_for(size));
  } catch (const std::exception& e) {  // msgpack-c's unpack_error, insufficient_bytes, *_size_overflow
    throw FormatError(where + " is not valid msgpack (" + e.what() + ")");
  }
  if (off != size)
    throw FormatError(where + ": " + std::to_string(size - off) + " bytes follow the msgpack object (expected none)");
  return oh;
}

std::string as_str(const msgpack::object& o, const std::string& where, const char* what) {
  if (o.type != msgpack::type::STR && o.type != msgpack::type::BIN)
    throw FormatError(where + ": " + what + " must be a string, found msgpack type " + std::to_string(int(o.type)));
  return o.type == msgpack::type::STR ? std::string(o.via.str.ptr, o.via.str.size)
                                      : std::string(o.via.bin.ptr, o.via.bin.size);
}

DType numpy_dtype(const std::string& name, const std::string& where) {
  try {
    const DType d = dtype_from_name(name);
    if (name.rfind("torch.", 0) != 0) return d;
  } catch (const Error&) {
  }
  throw UnsupportedError(where + ": dtype " + quote_input(name) +
                         " is not supported (expected float32, float16, bfloat16, float64, an int or bool)");
}

// [shape, dtype name, bytes] (ndarray) or [dtype name, bytes] (numpy scalar) -> a tensor.
Tensor decode_ext(const msgpack::object& ext, const std::string& where) {
  const int8_t type = ext.via.ext.type();
  if (type != kExtNdarray && type != kExtNpScalar)
    throw UnsupportedError(where + ": msgpack extension type " + std::to_string(int(type)) +
                           " is not supported (expected 1, a flax ndarray, or 3, a numpy scalar)");
  msgpack::object_handle oh = unpack_all(ext.via.ext.data(), ext.via.ext.size, where + " (ndarray payload)");
  const msgpack::object& o = oh.get();
  const size_t want = type == kExtNdarray ? 3 : 2;
  if (o.type != msgpack::type::ARRAY || o.via.array.size != want)
    throw FormatError(where + ": the ndarray payload must be an array of " + std::to_string(want) + " items");
  const msgpack::object* items = o.via.array.ptr;
  Shape shape;
  if (type == kExtNdarray) {
    if (items[0].type != msgpack::type::ARRAY) throw FormatError(where + ": the ndarray shape must be an array");
    for (uint32_t i = 0; i < items[0].via.array.size; ++i) {
      const msgpack::object& d = items[0].via.array.ptr[i];
      if (d.type != msgpack::type::POSITIVE_INTEGER || d.via.u64 > uint64_t(kMaxAllocationBytes))
        throw FormatError(where + ": ndarray dimension " + std::to_string(i) + " must be a non-negative integer below 2^47");
      shape.push_back(int64_t(d.via.u64));
    }
  }
  const DType dt = numpy_dtype(as_str(items[want - 2], where, "the dtype"), where);
  const std::string bytes_where = where + " (ndarray data)";
  const msgpack::object& data = items[want - 1];
  if (data.type != msgpack::type::BIN && data.type != msgpack::type::STR)
    throw FormatError(where + ": the ndarray data must be bytes");
  const size_t have = data.type == msgpack::type::BIN ? data.via.bin.size : data.via.str.size;
  const char* ptr = data.type == msgpack::type::BIN ? data.via.bin.ptr : data.via.str.ptr;
  const int64_t numel = checked_product(shape, where + " shape");
  const int64_t nbytes = checked_mul(numel, int64_t(dtype_size(dt)), where + " bytes");
  if (uint64_t(nbytes) != have)
    throw FormatError(where + ": shape " + shape_str(shape) + " of " + std::string(dtype_name(dt)) + " needs " +
                      std::to_string(nbytes) + " bytes, found " + std::to_string(have));
  Tensor t = Tensor::empty(shape, dt);
  if (nbytes) std::memcpy(t.data_ptr(), ptr, size_t(nbytes));
  return t;
}

}  // namespace

void FlaxMsgpackReader::parse(const uint8_t* data, size_t size) {
  const std::string where = "'" + path_ + "'";
  msgpack::object_handle oh = unpack_all(reinterpret_cast<const char*>(data), size, where);
  metadata_ = {{"format", "flax"}};
  // Depth is bounded by the unpack limit, so plain recursion is safe.
  std::function<void(const msgpack::object&, const std::string&)> walk = [&](const msgpack::object& o,
                                                                             const std::string& prefix) {
    const std::string at = where + (prefix.empty() ? "" : " at " + quote_input(prefix));
    if (o.type == msgpack::type::EXT) {
      if (prefix.empty()) throw FormatError(where + ": the top level must be a map of parameters, found an array");
      add(prefix, decode_ext(o, at));
      return;
    }
    if (o.type != msgpack::type::MAP)
      throw FormatError(at + ": expected a map or an ndarray, found msgpack type " + std::to_string(int(o.type)));
    for (uint32_t i = 0; i < o.via.map.size; ++i) {
      const std::string key = as_str(o.via.map.ptr[i].key, at, "a key");
      if (key == "__msgpack_chunked_array__")
        throw UnsupportedError(at + ": chunked arrays (over 2^30 bytes) are not supported");
      walk(o.via.map.ptr[i].val, prefix.empty() ? key : prefix + "/" + key);
    }
  };
  walk(oh.get(), "");
}

FlaxMsgpackReader::FlaxMsgpackReader(const std::filesystem::path& file) {
  const detail::ReaderBytes b = detail::ReaderBytes::map(file);
  path_ = b.path;
  parse(b.data, size_t(b.size));
}

std::unique_ptr<FlaxMsgpackReader> FlaxMsgpackReader::from_bytes(std::string_view bytes, std::string name) {
  std::unique_ptr<FlaxMsgpackReader> r(new FlaxMsgpackReader());
  r->path_ = std::move(name);
  r->parse(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  return r;
}

namespace {

// The '/'-joined names as a tree, children in first-appearance order (flax writes dict order).
// (Keys and children in two vectors: a vector of pairs holding the incomplete Node is refused by
// clang's libstdc++ checks, a vector of Node itself is allowed since C++17.)
struct Node {
  std::vector<std::string> keys;
  std::vector<Node> children;
  const Tensor* leaf = nullptr;
  Node& child(const std::string& k) {
    for (size_t i = 0; i < keys.size(); ++i)
      if (keys[i] == k) return children[i];
    keys.push_back(k);
    children.emplace_back();
    return children.back();
  }
};

void pack(msgpack::packer<msgpack::sbuffer>& pk, const Node& n) {
  if (n.leaf) {
    const Tensor t = n.leaf->contiguous();
    msgpack::sbuffer payload;
    msgpack::packer<msgpack::sbuffer> p(payload);
    p.pack_array(3);
    p.pack_array(uint32_t(t.dim()));
    for (int64_t d : t.sizes()) p.pack_uint64(uint64_t(d));
    const std::string_view name = dtype_name(t.dtype());
    p.pack_str(uint32_t(name.size()));
    p.pack_str_body(name.data(), uint32_t(name.size()));
    p.pack_bin(uint32_t(t.nbytes()));
    p.pack_bin_body(static_cast<const char*>(t.data_ptr()), uint32_t(t.nbytes()));
    pk.pack_ext(payload.size(), kExtNdarray);
    pk.pack_ext_body(payload.data(), uint32_t(payload.size()));
    return;
  }
  pk.pack_map(uint32_t(n.children.size()));
  for (size_t i = 0; i < n.keys.size(); ++i) {
    pk.pack_str(uint32_t(n.keys[i].size()));
    pk.pack_str_body(n.keys[i].data(), uint32_t(n.keys[i].size()));
    pack(pk, n.children[i]);
  }
}

}  // namespace

std::string flax_msgpack_serialize(const NamedTensors& tensors) {
  Node root;
  for (const auto& [name, t] : tensors) {
    if (t.nbytes() >= (size_t(1) << 30))
      throw UnsupportedError("flax msgpack: weight " + quote_input(name) + " is over 2^30 bytes (flax would chunk it)");
    Node* n = &root;
    size_t start = 0;
    for (size_t slash; (slash = name.find('/', start)) != std::string::npos; start = slash + 1) n = &n->child(name.substr(start, slash - start));
    Node& leaf = n->child(name.substr(start));
    if (leaf.leaf || !leaf.children.empty()) throw ValueError("flax msgpack: weight name " + quote_input(name) + " given twice or nested under another weight");
    leaf.leaf = &t;
  }
  msgpack::sbuffer buf;
  msgpack::packer<msgpack::sbuffer> pk(buf);
  pack(pk, root);
  return std::string(buf.data(), buf.size());
}

}  // namespace transformers::io
