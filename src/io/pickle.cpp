// Restricted unpickler (see pickle.hpp). Opcode set: what torch's weights_only loader accepts, plus
// the protocol-4 conveniences other writers emit (FRAME, MEMOIZE, SHORT_BINUNICODE, BINBYTES,
// STACK_GLOBAL); any other opcode is a FormatError.
#include "io/pickle.hpp"

#include <cstring>
#include <set>
#include <unordered_map>

namespace transformers::io::detail {

namespace {
using K = Value::Kind;

const std::set<std::string, std::less<>>& storage_prefixes() {
  static const std::set<std::string, std::less<>> s = {
      "Double", "Float", "Half", "BFloat16", "Long", "Int", "Short", "Char", "Byte", "Bool",
      "ComplexFloat", "ComplexDouble", "QInt8", "QUInt8", "QInt32", "QUInt4x2", "QUInt2x4"};
  return s;
}

const std::set<std::string, std::less<>>& torch_dtype_names() {
  static const std::set<std::string, std::less<>> s = {
      "float32", "float", "float64", "double", "float16", "half", "bfloat16", "int64", "long", "int32", "int",
      "int16", "short", "int8", "uint8", "bool", "complex32", "complex64", "complex128", "cfloat", "cdouble",
      "chalf", "float8_e4m3fn", "float8_e5m2", "float8_e4m3fnuz", "float8_e5m2fnuz", "float8_e8m0fnu",
      "float4_e2m1fn_x2", "uint16", "uint32", "uint64", "uint1", "uint2", "uint3", "uint4", "uint5", "uint6",
      "uint7", "int1", "int2", "int3", "int4", "int5", "int6", "int7", "quint8", "qint8", "qint32", "quint4x2",
      "quint2x4", "bits1x8", "bits2x4", "bits4x2", "bits8", "bits16", "per_tensor_affine", "per_channel_affine",
      "per_tensor_symmetric", "per_channel_symmetric", "per_channel_affine_float_qparams"};
  return s;
}

const std::set<std::string, std::less<>>& allowed_exact() {
  static const std::set<std::string, std::less<>> s = {
      "collections.OrderedDict", "collections.Counter", "torch.nn.parameter.Parameter",
      "torch.serialization._get_layout", "torch.Size", "torch.Tensor", "torch.device", "_codecs.encode",
      "builtins.bytearray", "builtins.set", "builtins.complex",
      "torch.storage.TypedStorage", "torch.storage.UntypedStorage", "torch._tensor._rebuild_from_type_v2",
      "torch._utils._rebuild_parameter", "torch._utils._rebuild_parameter_with_state",
      "torch._utils._rebuild_qtensor", "torch._utils._rebuild_tensor", "torch._utils._rebuild_tensor_v2",
      "torch._utils._rebuild_tensor_v3", "torch._utils._rebuild_sparse_tensor",
      "torch._utils._rebuild_meta_tensor_no_storage", "torch._utils._rebuild_wrapper_subclass",
      "torch._utils._rebuild_device_tensor_from_numpy", "torch._utils._rebuild_device_tensor_from_cpu_tensor",
      "torch._utils._rebuild_nested_tensor"};
  return s;
}

bool ends_with(std::string_view s, std::string_view suf) {
  return s.size() >= suf.size() && s.substr(s.size() - suf.size()) == suf;
}

std::optional<DType> torch_dtype(std::string_view name) {
  static const std::pair<std::string_view, DType> m[] = {
      {"float32", DType::Float32}, {"float", DType::Float32},   {"float64", DType::Float64},
      {"double", DType::Float64},  {"float16", DType::Float16}, {"half", DType::Float16},
      {"bfloat16", DType::BFloat16}, {"int64", DType::Int64},   {"long", DType::Int64},
      {"int32", DType::Int32},     {"int", DType::Int32},       {"int16", DType::Int16},
      {"short", DType::Int16},     {"int8", DType::Int8},       {"uint8", DType::UInt8},
      {"bool", DType::Bool},       {"float8_e4m3fn", DType::Float8E4M3}, {"float8_e5m2", DType::Float8E5M2}};
  for (const auto& [n, d] : m)
    if (n == name) return d;
  return std::nullopt;
}
}  // namespace

const char* kind_name(Value::Kind k) {
  static const char* names[] = {"None", "bool", "int", "int", "float", "str", "bytes", "tuple",
                                "list", "dict", "global", "storage", "tensor"};
  return names[static_cast<int>(k)];
}

std::optional<DType> storage_class_dtype(std::string_view name) {
  static const std::pair<std::string_view, DType> m[] = {
      {"DoubleStorage", DType::Float64}, {"FloatStorage", DType::Float32}, {"HalfStorage", DType::Float16},
      {"BFloat16Storage", DType::BFloat16}, {"LongStorage", DType::Int64}, {"IntStorage", DType::Int32},
      {"ShortStorage", DType::Int16},    {"CharStorage", DType::Int8},     {"ByteStorage", DType::UInt8},
      {"BoolStorage", DType::Bool},      {"UntypedStorage", DType::UInt8}};
  for (const auto& [n, d] : m)
    if (n == name) return d;
  return std::nullopt;
}

bool weights_only_allows(std::string_view module, std::string_view name) {
  if (module == "sys" || module == "os" || module == "posix" || module == "nt" || module.rfind("os.", 0) == 0 ||
      module.rfind("sys.", 0) == 0)
    return false;
  const std::string full = std::string(module) + "." + std::string(name);
  if (allowed_exact().count(full)) return true;
  if (module == "torch" || module == "torch.cuda") {
    for (std::string_view suf : {std::string_view("Storage"), std::string_view("Tensor")})
      if (ends_with(name, suf) && storage_prefixes().count(name.substr(0, name.size() - suf.size()))) return true;
    if (module == "torch" && torch_dtype_names().count(name)) return true;
  }
  return false;
}

Unpickled::~Unpickled() {
  for (auto& c : containers) {
    c->items.clear();
    c->dict.clear();
  }
}

namespace {
class Machine {
 public:
  Machine(std::string_view data, size_t& pos, const UnpickleOptions& o, Unpickled& out)
      : d_(data), p_(pos), o_(o), out_(out) {}

  ValuePtr run();

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw FormatError("pickle in '" + o_.file + "' at byte " + std::to_string(op_pos_) + ": " + what);
  }
  [[noreturn]] void unsupported(const std::string& what) const {
    throw UnsupportedError("pickle in '" + o_.file + "': " + what);
  }
  const uint8_t* take(size_t n) {
    if (n > d_.size() - p_) fail("truncated: needs " + std::to_string(n) + " more bytes");
    const uint8_t* r = reinterpret_cast<const uint8_t*>(d_.data()) + p_;
    p_ += n;
    return r;
  }
  uint64_t le(size_t n) {
    const uint8_t* b = take(n);
    uint64_t v = 0;
    for (size_t i = n; i-- > 0;) v = (v << 8) | b[i];
    return v;
  }
  std::string line() {
    const size_t nl = d_.find('\n', p_);
    if (nl == std::string_view::npos) fail("GLOBAL without newline");
    std::string s(d_.substr(p_, nl - p_));
    p_ = nl + 1;
    return s;
  }
  ValuePtr make(K k) {
    auto v = std::make_shared<Value>();
    v->kind = k;
    if (k == K::Tuple || k == K::List || k == K::Dict) out_.containers.push_back(v);
    return v;
  }
  ValuePtr pop() {
    if (stack_.size() <= (marks_.empty() ? 0 : marks_.back())) fail("stack underflow");
    ValuePtr v = std::move(stack_.back());
    stack_.pop_back();
    return v;
  }
  ValuePtr& top() {
    if (stack_.size() <= (marks_.empty() ? 0 : marks_.back())) fail("stack underflow");
    return stack_.back();
  }
  std::vector<ValuePtr> pop_mark() {
    if (marks_.empty()) fail("no MARK to pop to");
    const size_t m = marks_.back();
    marks_.pop_back();
    std::vector<ValuePtr> r(std::make_move_iterator(stack_.begin() + std::ptrdiff_t(m)),
                            std::make_move_iterator(stack_.end()));
    stack_.resize(m);
    return r;
  }
  ValuePtr tuple(std::vector<ValuePtr> items) {
    auto t = make(K::Tuple);
    t->items = std::move(items);
    return t;
  }
  void set_item(Value& dict, ValuePtr k, ValuePtr v) {
    if (dict.kind != K::Dict) fail("SETITEM on a " + std::string(kind_name(dict.kind)) + ", expected a dict");
    if (k->kind == K::Str || k->kind == K::Int) {
      // Python dict semantics: a repeated key keeps its first position and takes the new value.
      for (auto& [ek, ev] : dict.dict)
        if (ek->kind == k->kind && ek->s == k->s && ek->i == k->i) { ev = std::move(v); return; }
    }
    dict.dict.emplace_back(std::move(k), std::move(v));
  }
  ValuePtr global(std::string module, std::string name);
  ValuePtr reduce(const Value& fn, const Value& args);
  ValuePtr rebuild_tensor(const std::string& fn, const std::vector<ValuePtr>& a, size_t first, std::optional<DType> dt);
  Shape int_tuple(const Value& v, const char* what);

  std::string_view d_;
  size_t& p_;
  const UnpickleOptions& o_;
  Unpickled& out_;
  size_t op_pos_ = 0;
  std::vector<ValuePtr> stack_;
  std::vector<size_t> marks_;
  std::unordered_map<uint64_t, ValuePtr> memo_;
};

ValuePtr Machine::global(std::string module, std::string name) {
  if (module == "__builtin__") module = "builtins";
  if (module == "copy_reg") module = "copyreg";
  if (!weights_only_allows(module, name))
    throw SecurityError("pickle in '" + o_.file + "' asks for global '" + module + "." + name +
                        "', which a weights-only load refuses (nothing was run)");
  auto v = make(K::Global);
  v->s = module + "." + name;
  if (module == "torch") v->dtype_global = torch_dtype(name);
  return v;
}

Shape Machine::int_tuple(const Value& v, const char* what) {
  if (v.kind != K::Tuple && v.kind != K::List) fail(std::string(what) + " must be a tuple, found " + kind_name(v.kind));
  Shape s;
  for (const auto& e : v.items) {
    if (e->kind != K::Int) fail(std::string(what) + " holds a " + kind_name(e->kind) + ", expected int");
    s.push_back(e->i);
  }
  return s;
}

ValuePtr Machine::rebuild_tensor(const std::string& fn, const std::vector<ValuePtr>& a, size_t nargs_min,
                                 std::optional<DType> dt) {
  if (a.size() < nargs_min) fail(fn + " takes at least " + std::to_string(nargs_min) + " arguments, found " + std::to_string(a.size()));
  if (a[0]->kind != K::Storage) fail(fn + ": first argument must be a storage, found " + kind_name(a[0]->kind));
  if (a[1]->kind != K::Int) fail(fn + ": storage_offset must be an int");
  auto spec = std::make_shared<TensorSpec>();
  spec->slot = a[0]->slot;
  spec->dtype = dt ? *dt : spec->slot->dtype;
  spec->offset = a[1]->i;
  spec->size = int_tuple(*a[2], "size");
  spec->stride = int_tuple(*a[3], "stride");
  if (spec->size.size() != spec->stride.size())
    fail(fn + ": size " + shape_str(spec->size) + " and stride " + shape_str(spec->stride) + " differ in rank");
  // Every addressed element must lie inside the storage (checked without overflow).
  const __int128 cap = (__int128(spec->slot->numel) * __int128(dtype_size(spec->slot->dtype))) /
                       __int128(dtype_size(spec->dtype));
  if (spec->offset < 0 || spec->offset > cap) fail(fn + ": storage_offset " + std::to_string(spec->offset) + " out of range");
  bool empty = false;
  __int128 hi = spec->offset;
  for (size_t i = 0; i < spec->size.size(); ++i) {
    if (spec->size[i] < 0 || spec->stride[i] < 0)
      fail(fn + ": negative size or stride in " + shape_str(spec->size) + " / " + shape_str(spec->stride));
    if (spec->size[i] == 0) empty = true;
  }
  if (!empty) {
    for (size_t i = 0; i < spec->size.size(); ++i) {
      hi += __int128(spec->size[i] - 1) * __int128(spec->stride[i]);
      if (hi >= cap) break;
    }
    if (hi >= cap)
      fail(fn + ": size " + shape_str(spec->size) + " with stride " + shape_str(spec->stride) + " at offset " +
           std::to_string(spec->offset) + " runs past storage '" + spec->slot->key + "' of " +
           std::to_string(spec->slot->numel) + " elements");
  }
  auto v = make(K::Tensor);
  v->tensor = spec;
  return v;
}

ValuePtr Machine::reduce(const Value& fn, const Value& args) {
  if (fn.kind != K::Global) fail("REDUCE on a " + std::string(kind_name(fn.kind)) + ", expected an allowed global");
  if (args.kind != K::Tuple) fail("REDUCE arguments must be a tuple, found " + std::string(kind_name(args.kind)));
  const std::string& f = fn.s;
  const auto& a = args.items;
  if (f == "collections.OrderedDict" || f == "collections.Counter") {
    auto d = make(K::Dict);
    if (!a.empty() && a[0]->kind == K::List) {
      for (const auto& pair : a[0]->items) {
        if ((pair->kind != K::Tuple && pair->kind != K::List) || pair->items.size() != 2) fail(f + ": items must be pairs");
        set_item(*d, pair->items[0], pair->items[1]);
      }
    } else if (!a.empty() && a[0]->kind == K::Dict) {
      d->dict = a[0]->dict;
    } else if (!a.empty() && a[0]->kind != K::None) {
      fail(f + " called with a " + kind_name(a[0]->kind));
    }
    return d;
  }
  if (f == "torch._utils._rebuild_tensor_v2") return rebuild_tensor(f, a, 6, std::nullopt);
  if (f == "torch._utils._rebuild_tensor") return rebuild_tensor(f, a, 4, std::nullopt);
  if (f == "torch._utils._rebuild_tensor_v3") {
    if (a.size() < 7 || a[6]->kind != K::Global) fail(f + ": 7th argument must be a torch dtype");
    if (!a[6]->dtype_global) unsupported("tensor of dtype " + a[6]->s + " is not supported");
    return rebuild_tensor(f, a, 7, a[6]->dtype_global);
  }
  if (f == "torch._utils._rebuild_parameter" || f == "torch._utils._rebuild_parameter_with_state") {
    if (a.empty() || a[0]->kind != K::Tensor) fail(f + ": first argument must be a tensor");
    return a[0];
  }
  if (f == "torch.Size" || f == "builtins.set") {
    auto t = make(f == "torch.Size" ? K::Tuple : K::List);
    if (!a.empty() && (a[0]->kind == K::Tuple || a[0]->kind == K::List)) t->items = a[0]->items;
    return t;
  }
  if (f == "_codecs.encode") {
    if (a.empty() || a[0]->kind != K::Str) fail(f + ": expects a str");
    auto b = make(K::Bytes);
    const std::string enc = a.size() > 1 && a[1]->kind == K::Str ? a[1]->s : "utf-8";
    if (enc == "latin1" || enc == "latin-1") {
      // str -> bytes, each code point (< 256) one byte
      const std::string& s = a[0]->s;
      for (size_t i = 0; i < s.size();) {
        const uint8_t c = uint8_t(s[i]);
        if (c < 0x80) { b->s.push_back(char(c)); ++i; }
        else if ((c & 0xe0) == 0xc0 && i + 1 < s.size()) {
          const uint32_t cp = ((c & 0x1fu) << 6) | (uint8_t(s[i + 1]) & 0x3fu);
          if (cp > 0xff) fail(f + ": code point above 255 in latin1");
          b->s.push_back(char(cp));
          i += 2;
        } else fail(f + ": code point above 255 in latin1");
      }
    } else {
      b->s = a[0]->s;
    }
    return b;
  }
  if (f == "builtins.bytearray") {
    auto b = make(K::Bytes);
    if (!a.empty() && (a[0]->kind == K::Bytes || a[0]->kind == K::Str)) b->s = a[0]->s;
    return b;
  }
  if (f == "torch.device") {
    auto s = make(K::Str);
    if (!a.empty() && a[0]->kind == K::Str) s->s = a[0]->s;
    return s;
  }
  unsupported("'" + f + "' is allowed by torch's weights-only loader but not supported here");
}

ValuePtr Machine::run() {
  for (;;) {
    op_pos_ = p_;
    const uint8_t op = *take(1);
    switch (op) {
      case 0x80: {  // PROTO
        const uint8_t proto = *take(1);
        if (proto > 5) fail("unsupported pickle protocol " + std::to_string(proto));
        break;
      }
      case 0x95: take(8); break;  // FRAME: framing is only a read-ahead hint
      case '.': {                 // STOP
        if (stack_.size() != 1 || !marks_.empty()) fail("STOP with " + std::to_string(stack_.size()) + " values on the stack");
        return stack_.back();
      }
      case 'c': {
        std::string module = line();
        std::string name = line();
        stack_.push_back(global(std::move(module), std::move(name)));
        break;
      }
      case 0x93: {  // STACK_GLOBAL
        ValuePtr name = pop(), module = pop();
        if (module->kind != K::Str || name->kind != K::Str) fail("STACK_GLOBAL needs two str");
        stack_.push_back(global(module->s, name->s));
        break;
      }
      case 'R': {
        ValuePtr args = pop();
        ValuePtr fn = pop();
        stack_.push_back(reduce(*fn, *args));
        break;
      }
      case 0x81: {  // NEWOBJ: only allowed classes; none that a state dict needs
        ValuePtr args = pop();
        ValuePtr cls = pop();
        if (cls->kind != K::Global) fail("NEWOBJ on a " + std::string(kind_name(cls->kind)));
        if (cls->s == "collections.OrderedDict") { stack_.push_back(make(K::Dict)); break; }
        unsupported("NEWOBJ of '" + cls->s + "' is not supported");
      }
      case 'b': {  // BUILD: state of an OrderedDict (_metadata) or of a tensor is not needed
        ValuePtr state = pop();
        const ValuePtr& obj = top();
        if (obj->kind != K::Dict && obj->kind != K::Tensor)
          fail("BUILD on a " + std::string(kind_name(obj->kind)) + ", expected an OrderedDict or tensor");
        break;
      }
      case '(': marks_.push_back(stack_.size()); break;
      case 't': stack_.push_back(tuple(pop_mark())); break;
      case ')': stack_.push_back(tuple({})); break;
      case 0x85: { auto a = pop(); stack_.push_back(tuple({a})); break; }
      case 0x86: { auto b = pop(), a = pop(); stack_.push_back(tuple({a, b})); break; }
      case 0x87: { auto c = pop(), b = pop(), a = pop(); stack_.push_back(tuple({a, b, c})); break; }
      case ']': stack_.push_back(make(K::List)); break;
      case '}': stack_.push_back(make(K::Dict)); break;
      case 0x8f: stack_.push_back(make(K::List)); break;  // EMPTY_SET, kept as a list
      case 'a': {
        ValuePtr v = pop();
        Value& l = *top();
        if (l.kind != K::List) fail("APPEND to a " + std::string(kind_name(l.kind)));
        l.items.push_back(std::move(v));
        break;
      }
      case 'e':
      case 0x90: {  // APPENDS, ADDITEMS
        auto items = pop_mark();
        Value& l = *top();
        if (l.kind != K::List) fail("APPENDS to a " + std::string(kind_name(l.kind)));
        for (auto& v : items) l.items.push_back(std::move(v));
        break;
      }
      case 's': {
        ValuePtr v = pop(), k = pop();
        set_item(*top(), std::move(k), std::move(v));
        break;
      }
      case 'u': {
        auto items = pop_mark();
        if (items.size() % 2) fail("SETITEMS with an odd number of values");
        Value& dict = *top();
        for (size_t i = 0; i < items.size(); i += 2) set_item(dict, items[i], items[i + 1]);
        break;
      }
      case 'N': stack_.push_back(make(K::None)); break;
      case 0x88:
      case 0x89: { auto v = make(K::Bool); v->b = op == 0x88; stack_.push_back(v); break; }
      case 'J': { auto v = make(K::Int); v->i = int32_t(uint32_t(le(4))); stack_.push_back(v); break; }
      case 'K': { auto v = make(K::Int); v->i = int64_t(le(1)); stack_.push_back(v); break; }
      case 'M': { auto v = make(K::Int); v->i = int64_t(le(2)); stack_.push_back(v); break; }
      case 0x8a: {  // LONG1: little-endian two's complement
        const size_t n = *take(1);
        const uint8_t* b = take(n);
        auto v = make(K::Int);
        // fits int64 when every byte past the 8th is a sign extension
        const bool neg = n > 0 && (b[n - 1] & 0x80);
        bool fits = true;
        for (size_t i = 8; i < n; ++i) fits &= b[i] == (neg ? 0xff : 0x00);
        if (n > 8 && fits && ((b[7] & 0x80) != 0) != neg) fits = false;
        if (fits) {
          uint64_t u = neg ? ~uint64_t(0) : 0;
          for (size_t i = std::min<size_t>(n, 8); i-- > 0;) u = (u << 8) | b[i];
          if (n < 8 && n > 0 && neg) {
            // sign-extend from n bytes
            u |= ~uint64_t(0) << (8 * n);
          }
          v->i = int64_t(u);
        } else {
          v->kind = K::BigInt;
          v->s.assign(reinterpret_cast<const char*>(b), n);
        }
        stack_.push_back(v);
        break;
      }
      case 'G': {
        const uint8_t* b = take(8);
        uint64_t u = 0;
        for (int i = 0; i < 8; ++i) u = (u << 8) | b[i];  // big-endian
        auto v = make(K::Float);
        std::memcpy(&v->f, &u, 8);
        stack_.push_back(v);
        break;
      }
      case 'X':
      case 0x8c:
      case 0x8d:
      case 'U':
      case 'T':
      case 'B':
      case 'C': {
        size_t n = 0;
        if (op == 'X' || op == 'B') n = size_t(le(4));
        else if (op == 'T') { const int64_t s = int32_t(uint32_t(le(4))); if (s < 0) fail("negative string length"); n = size_t(s); }
        else if (op == 0x8d) n = size_t(le(8));
        else n = *take(1);
        const uint8_t* b = take(n);
        auto v = make(op == 'B' || op == 'C' ? K::Bytes : K::Str);
        v->s.assign(reinterpret_cast<const char*>(b), n);
        stack_.push_back(v);
        break;
      }
      case 'Q': {  // BINPERSID
        ValuePtr pid = pop();
        if (!o_.persistent_load) fail("persistent id in a pickle that allows none");
        stack_.push_back(o_.persistent_load(*pid));
        break;
      }
      case 'h':
      case 'j': {
        const uint64_t idx = op == 'h' ? le(1) : le(4);
        auto it = memo_.find(idx);
        if (it == memo_.end()) fail("memo key " + std::to_string(idx) + " was never stored");
        stack_.push_back(it->second);
        break;
      }
      case 'q':
      case 'r': {
        const uint64_t idx = op == 'q' ? le(1) : le(4);
        memo_[idx] = top();
        break;
      }
      case 0x94: {  // MEMOIZE
        const uint64_t idx = memo_.size();
        memo_[idx] = top();
        break;
      }
      default: {
        char hex[8];
        std::snprintf(hex, sizeof hex, "0x%02x", op);
        fail(std::string("opcode ") + hex + " is not allowed in a weights-only pickle");
      }
    }
  }
}
}  // namespace

Unpickled unpickle(std::string_view data, size_t& pos, const UnpickleOptions& opts) {
  Unpickled out;
  Machine m(data, pos, opts, out);
  out.root = m.run();
  return out;
}

}  // namespace transformers::io::detail
