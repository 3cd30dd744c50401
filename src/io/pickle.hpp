#pragma once
// A restricted unpickler for torch checkpoints. It builds plain values (numbers, strings, tuples,
// lists, dicts) and tensor *descriptions*; it never imports or calls anything. GLOBAL names are
// checked against torch's weights_only allow-list before anything else happens: a name outside
// it (os.system, posix.system, builtins.eval, ...) is a SecurityError naming it. Allowed names we
// do not implement (quantized or sparse rebuilds, ...) are an UnsupportedError.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "transformers/core/tensor.hpp"

namespace transformers::io::detail {

// A storage named by a persistent id; its bytes are attached after unpickling (zip records are
// looked up by key; legacy files store the data after the pickles).
struct StorageSlot {
  std::string key;
  DType dtype = DType::UInt8;        // element type of the storage class (UntypedStorage: bytes)
  std::string type_name;             // "FloatStorage", ...
  uint64_t numel = 0;                // in elements of dtype
  std::shared_ptr<Storage> storage;  // filled by the container reader
  // legacy view_metadata: this storage is [offset, offset+numel) elements of `root`
  std::shared_ptr<StorageSlot> root;
  uint64_t view_offset = 0;
};

struct TensorSpec {
  std::shared_ptr<StorageSlot> slot;
  DType dtype;
  int64_t offset;
  Shape size, stride;
};

struct Value;
using ValuePtr = std::shared_ptr<Value>;

struct Value {
  enum class Kind { None, Bool, Int, BigInt, Float, Str, Bytes, Tuple, List, Dict, Global, Storage, Tensor };
  Kind kind = Kind::None;
  bool b = false;
  int64_t i = 0;
  double f = 0;
  std::string s;                                // Str, Bytes, BigInt (LE two's complement), Global "module.name"
  std::vector<ValuePtr> items;                  // Tuple, List
  std::vector<std::pair<ValuePtr, ValuePtr>> dict;  // Dict, insertion order
  std::shared_ptr<StorageSlot> slot;            // Storage
  std::shared_ptr<TensorSpec> tensor;           // Tensor
  std::optional<DType> dtype_global;            // a Global naming a torch dtype we support
};

const char* kind_name(Value::Kind k);

struct UnpickleOptions {
  std::string file;  // for messages
  // Turns a persistent id (the tuple) into a Value (usually a Storage); throws on bad ids.
  std::function<ValuePtr(const Value& pid)> persistent_load;
};

// The result of one pickle. Every container created while unpickling is registered here and
// emptied on destruction, so hostile graphs (cycles through the memo, million-deep nesting) are
// freed without recursion and without leaks. Read what you need before it goes away.
struct Unpickled {
  ValuePtr root;
  std::vector<ValuePtr> containers;
  Unpickled() = default;
  Unpickled(Unpickled&&) = default;
  Unpickled& operator=(Unpickled&&) = default;
  ~Unpickled();
};

// Unpickles one pickle starting at `pos`; on return `pos` is just past its STOP opcode.
// Throws SecurityError / UnsupportedError / FormatError naming opts.file.
Unpickled unpickle(std::string_view data, size_t& pos, const UnpickleOptions& opts);

// Whether torch.load(weights_only=True) would resolve this global (after Python-2 remapping).
bool weights_only_allows(std::string_view module, std::string_view name);
// The element type of a torch storage class name ("FloatStorage" -> Float32); nullopt if unsupported.
std::optional<DType> storage_class_dtype(std::string_view name);

}  // namespace transformers::io::detail
