// tf_model.h5 (Keras save_weights layout and TF shards) through the HDF5 C library (Debian
// libhdf5-dev). The library is not built thread-safe on Debian, so every call holds one mutex; its
// automatic error-stack printing is switched off (a failure becomes one typed error, and the CLI
// prints exactly one `error:` line).
#include <hdf5.h>

#include <algorithm>
#include <cstring>
#include <mutex>

#include "transformers/core/checked.hpp"
#include "transformers/core/quote.hpp"
#include "transformers/io/json_file.hpp"
#include "transformers/io/tf_flax.hpp"

namespace transformers::io {

namespace {

std::mutex& h5_mutex() {
  static std::mutex m;
  return m;
}

// Held for every use of the library; silences HDF5's stderr error stacks.
struct H5Lock {
  std::lock_guard<std::mutex> guard{h5_mutex()};
  H5Lock() { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); }
};

// An HDF5 identifier closed with its own close function.
class Id {
 public:
  Id(hid_t id, herr_t (*close)(hid_t)) : id_(id), close_(close) {}
  ~Id() {
    if (id_ >= 0) close_(id_);
  }
  Id(const Id&) = delete;
  Id& operator=(const Id&) = delete;
  Id(Id&& o) noexcept : id_(o.id_), close_(o.close_) { o.id_ = -1; }
  hid_t get() const { return id_; }
  bool ok() const { return id_ >= 0; }

 private:
  hid_t id_;
  herr_t (*close_)(hid_t);
};

// Reads one string-array attribute (fixed-length or variable-length strings); nullopt when absent.
std::optional<std::vector<std::string>> read_string_attr(hid_t loc, const std::string& name, const std::string& where) {
  const htri_t exists = H5Aexists(loc, name.c_str());
  if (exists < 0) throw FormatError(where + ": cannot read attribute '" + name + "' (corrupted HDF5 file)");
  if (exists == 0) return std::nullopt;
  const Id a(H5Aopen(loc, name.c_str(), H5P_DEFAULT), H5Aclose);
  const Id ft(a.ok() ? H5Aget_type(a.get()) : -1, H5Tclose);
  const Id sp(a.ok() ? H5Aget_space(a.get()) : -1, H5Sclose);
  if (!ft.ok() || !sp.ok()) throw FormatError(where + ": cannot open attribute '" + name + "' (corrupted HDF5 file)");
  const hssize_t n = H5Sget_simple_extent_npoints(sp.get());
  if (n < 0) throw FormatError(where + ": attribute '" + name + "' has no valid extent");
  std::vector<std::string> out;
  if (n == 0) return out;  // h5py writes an empty list as an empty float64 array
  if (H5Tget_class(ft.get()) != H5T_STRING)
    throw FormatError(where + ": attribute '" + name + "' must hold strings");
  if (H5Tis_variable_str(ft.get()) > 0) {
    std::vector<char*> ptrs(size_t(n), nullptr);
    const Id mt(H5Tcopy(H5T_C_S1), H5Tclose);
    H5Tset_size(mt.get(), H5T_VARIABLE);
    if (H5Aread(a.get(), mt.get(), ptrs.data()) < 0) throw FormatError(where + ": cannot read attribute '" + name + "'");
    for (char* p : ptrs) out.emplace_back(p ? p : "");
    H5Dvlen_reclaim(mt.get(), sp.get(), H5P_DEFAULT, ptrs.data());
    return out;
  }
  const size_t width = H5Tget_size(ft.get());
  if (width == 0) throw FormatError(where + ": attribute '" + name + "' has strings of size 0");
  std::string buf(size_t(checked_mul(int64_t(n), int64_t(width), where + " attribute " + name)), '\0');
  const Id mt(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(mt.get(), width);
  H5Tset_strpad(mt.get(), H5T_STR_NULLPAD);
  if (H5Aread(a.get(), mt.get(), buf.data()) < 0) throw FormatError(where + ": cannot read attribute '" + name + "'");
  for (hssize_t i = 0; i < n; ++i) {
    std::string s = buf.substr(size_t(i) * width, width);
    s.resize(std::min(s.size(), s.find('\0')));
    out.push_back(std::move(s));
  }
  return out;
}

// Keras' load_attributes_from_hdf5_group: `name`, or the chunks name0, name1, ... of a long list.
std::optional<std::vector<std::string>> read_keras_attr(hid_t loc, const std::string& name, const std::string& where) {
  if (auto v = read_string_attr(loc, name, where)) return v;
  std::optional<std::vector<std::string>> all;
  for (int i = 0;; ++i) {
    auto part = read_string_attr(loc, name + std::to_string(i), where);
    if (!part) break;
    if (!all) all.emplace();
    all->insert(all->end(), part->begin(), part->end());
  }
  return all;
}

DType dataset_dtype(hid_t ft, const std::string& at) {
  const H5T_class_t cls = H5Tget_class(ft);
  const size_t size = H5Tget_size(ft);
  if (size > 1 && H5Tget_order(ft) != H5T_ORDER_LE)
    throw UnsupportedError(at + ": big-endian datasets are not supported");
  if (cls == H5T_FLOAT) {
    if (size == 4) return DType::Float32;
    if (size == 8) return DType::Float64;
    if (size == 2) return DType::Float16;
  } else if (cls == H5T_INTEGER) {
    const bool sign = H5Tget_sign(ft) == H5T_SGN_2;
    if (sign && size == 8) return DType::Int64;
    if (sign && size == 4) return DType::Int32;
    if (sign && size == 2) return DType::Int16;
    if (sign && size == 1) return DType::Int8;
    if (!sign && size == 1) return DType::UInt8;
  } else if (cls == H5T_ENUM && size == 1) {
    return DType::Bool;  // h5py's bool
  }
  throw UnsupportedError(at + ": HDF5 datatype of class " + std::to_string(int(cls)) + " and size " +
                         std::to_string(size) + " is not supported (expected float16/32/64, an int or bool)");
}

Tensor read_dataset(hid_t loc, const std::string& name, const std::string& where, uint64_t file_size) {
  const std::string at = where + " dataset " + quote_input(name);
  const Id d(H5Dopen2(loc, name.c_str(), H5P_DEFAULT), H5Dclose);
  if (!d.ok()) throw FormatError(at + " is listed but cannot be opened (missing or corrupted)");
  const Id ft(H5Dget_type(d.get()), H5Tclose);
  const Id sp(H5Dget_space(d.get()), H5Sclose);
  const Id dcpl(H5Dget_create_plist(d.get()), H5Pclose);
  if (!ft.ok() || !sp.ok() || !dcpl.ok()) throw FormatError(at + ": corrupted dataset header");
  const DType dt = dataset_dtype(ft.get(), at);
  if (H5Pget_nfilters(dcpl.get()) != 0) throw UnsupportedError(at + ": compressed or filtered datasets are not supported");
  const int rank = H5Sget_simple_extent_ndims(sp.get());
  if (rank < 0 || rank > 32) throw FormatError(at + ": invalid rank " + std::to_string(rank));
  std::vector<hsize_t> dims(static_cast<size_t>(rank));
  if (rank > 0 && H5Sget_simple_extent_dims(sp.get(), dims.data(), nullptr) < 0) throw FormatError(at + ": invalid extent");
  Shape shape;
  for (hsize_t v : dims) {
    if (v > hsize_t(kMaxAllocationBytes)) throw FormatError(at + ": dimension " + std::to_string(v) + " is too large");
    shape.push_back(int64_t(v));
  }
  const int64_t nbytes = checked_mul(checked_product(shape, at), int64_t(dtype_size(dt)), at);
  // Uncompressed data lies in the file: a header claiming more than the file holds is corrupt, and
  // is refused before anything is allocated.
  if (uint64_t(nbytes) > file_size)
    throw FormatError(at + ": shape " + shape_str(shape) + " needs " + std::to_string(nbytes) + " bytes, the file has " +
                      std::to_string(file_size));
  Tensor t = Tensor::empty(shape, dt);
  if (nbytes > 0 && H5Dread(d.get(), ft.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, t.data_ptr()) < 0)
    throw FormatError(at + ": cannot read its data (truncated or corrupted file)");
  return t;
}

bool is_dataset(hid_t loc, const std::string& name) {
  const Id d(H5Dopen2(loc, name.c_str(), H5P_DEFAULT), H5Dclose);
  return d.ok();
}

}  // namespace

H5WeightsReader::H5WeightsReader(const std::filesystem::path& file) {
  require_regular_file(file, "TensorFlow weights file");
  path_ = file.string();
  const std::string where = "'" + path_ + "'";
  const uint64_t file_size = std::filesystem::file_size(file);
  H5Lock lock;
  if (H5Fis_hdf5(path_.c_str()) <= 0) throw FormatError(where + " is not an HDF5 file (no HDF5 signature)");
  const Id f(H5Fopen(path_.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
  if (!f.ok()) throw FormatError(where + " cannot be opened as HDF5 (truncated or corrupted)");
  auto layers = read_keras_attr(f.get(), "layer_names", where);
  if (!layers) throw FormatError(where + " is not a Keras weights file: the root has no 'layer_names' attribute");
  layer_names_ = *layers;
  bool shard = false;
  for (size_t i = 0; i < layer_names_.size(); ++i) {
    const std::string& layer = layer_names_[i];
    if (i == 0) shard = is_dataset(f.get(), layer);
    if (shard) {  // a TF shard: the names are datasets at the root
      add(layer, read_dataset(f.get(), layer, where, file_size));
      continue;
    }
    const Id g(H5Gopen2(f.get(), layer.c_str(), H5P_DEFAULT), H5Gclose);
    if (!g.ok()) throw FormatError(where + ": layer " + quote_input(layer) + " is listed in layer_names but has no group");
    auto names = read_keras_attr(g.get(), "weight_names", where + " layer " + quote_input(layer));
    if (!names) throw FormatError(where + ": layer " + quote_input(layer) + " has no 'weight_names' attribute");
    // A variable shared by two layers (BERT's MLM head reuses the word embeddings) is listed by
    // both; Keras loads it once.
    for (const auto& w : *names)
      if (!contains(w)) add(w, read_dataset(g.get(), w, where + " layer " + quote_input(layer), file_size));
  }
  metadata_ = {{"format", "tf"}, {"layout", shard ? "tf-shard" : "keras"}};
}

namespace {

Id file_type(DType dt, const std::string& name) {
  switch (dt) {
    case DType::Float32: return Id(H5Tcopy(H5T_IEEE_F32LE), H5Tclose);
    case DType::Float64: return Id(H5Tcopy(H5T_IEEE_F64LE), H5Tclose);
    case DType::Int64: return Id(H5Tcopy(H5T_STD_I64LE), H5Tclose);
    case DType::Int32: return Id(H5Tcopy(H5T_STD_I32LE), H5Tclose);
    case DType::Float16: {  // IEEE half as h5py defines it: 1 sign, 5 exponent, 10 mantissa bits
      Id t(H5Tcopy(H5T_IEEE_F32LE), H5Tclose);
      H5Tset_fields(t.get(), 15, 10, 5, 0, 10);
      H5Tset_size(t.get(), 2);
      H5Tset_ebias(t.get(), 15);
      H5Tset_precision(t.get(), 16);
      return t;
    }
    default:
      throw UnsupportedError("tf_model.h5: weight " + quote_input(name) + " has dtype " + std::string(dtype_name(dt)) +
                             ", which is not written (expected float16/32/64, int32 or int64)");
  }
}

void write_string_attr(hid_t loc, const char* name, const std::vector<std::string>& values, bool scalar, const std::string& where) {
  size_t width = 1;
  for (const auto& v : values) width = std::max(width, v.size());
  std::string buf(values.size() * width, '\0');
  for (size_t i = 0; i < values.size(); ++i) std::memcpy(buf.data() + i * width, values[i].data(), values[i].size());
  const Id t(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(t.get(), width);
  H5Tset_strpad(t.get(), H5T_STR_NULLPAD);
  const hsize_t n = values.size();
  const Id sp(scalar ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, &n, nullptr), H5Sclose);
  const Id a(H5Acreate2(loc, name, t.get(), sp.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
  if (!a.ok() || H5Awrite(a.get(), t.get(), buf.data()) < 0)
    throw EnvironmentError(where + ": cannot write attribute '" + std::string(name) + "'");
}

void write_dataset(hid_t loc, const std::string& name, const Tensor& tensor, const std::string& where) {
  const Tensor t = tensor.contiguous();
  const Id ft = file_type(t.dtype(), name);
  std::vector<hsize_t> dims(t.sizes().begin(), t.sizes().end());
  const Id sp(dims.empty() ? H5Screate(H5S_SCALAR) : H5Screate_simple(int(dims.size()), dims.data(), nullptr), H5Sclose);
  const Id lcpl(H5Pcreate(H5P_LINK_CREATE), H5Pclose);
  H5Pset_create_intermediate_group(lcpl.get(), 1);
  const Id d(H5Dcreate2(loc, name.c_str(), ft.get(), sp.get(), lcpl.get(), H5P_DEFAULT, H5P_DEFAULT), H5Dclose);
  if (!d.ok()) throw EnvironmentError(where + ": cannot create dataset " + quote_input(name));
  if (t.numel() > 0 && H5Dwrite(d.get(), ft.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, t.data_ptr()) < 0)
    throw EnvironmentError(where + ": cannot write dataset " + quote_input(name));
}

// An HDF5 file in memory (core driver, no backing store); its image is the file's bytes.
template <class Fill>
std::string h5_image(Fill fill) {
  H5Lock lock;
  const std::string where = "in-memory HDF5 file";
  const Id fapl(H5Pcreate(H5P_FILE_ACCESS), H5Pclose);
  if (!fapl.ok() || H5Pset_fapl_core(fapl.get(), 1 << 16, 0) < 0) throw EnvironmentError(where + ": cannot set up HDF5's core driver");
  const Id f(H5Fcreate("tf_model.h5", H5F_ACC_TRUNC, H5P_DEFAULT, fapl.get()), H5Fclose);
  if (!f.ok()) throw EnvironmentError(where + ": cannot create it");
  fill(f.get(), where);
  if (H5Fflush(f.get(), H5F_SCOPE_GLOBAL) < 0) throw EnvironmentError(where + ": cannot flush it");
  const ssize_t n = H5Fget_file_image(f.get(), nullptr, 0);
  if (n < 0) throw EnvironmentError(where + ": cannot get its image");
  std::string bytes(size_t(n), '\0');
  if (H5Fget_file_image(f.get(), bytes.data(), size_t(n)) != n) throw EnvironmentError(where + ": cannot copy its image");
  return bytes;
}

}  // namespace

std::string keras_h5_serialize(const std::vector<KerasLayer>& layers) {
  return h5_image([&](hid_t f, const std::string& where) {
    std::vector<std::string> names;
    for (const auto& l : layers) names.push_back(l.name);
    write_string_attr(f, "layer_names", names, false, where);
    write_string_attr(f, "backend", {"tensorflow"}, true, where);
    write_string_attr(f, "keras_version", {"2.19.0"}, true, where);
    std::vector<const KerasLayer*> sorted;
    for (const auto& l : layers) sorted.push_back(&l);
    std::sort(sorted.begin(), sorted.end(), [](auto* a, auto* b) { return a->name < b->name; });
    for (const KerasLayer* l : sorted) {
      const Id g(H5Gcreate2(f, l->name.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose);
      if (!g.ok()) throw EnvironmentError(where + ": cannot create group " + quote_input(l->name));
      std::vector<std::string> wn;
      for (const auto& [n, t] : l->weights) wn.push_back(n);
      write_string_attr(g.get(), "weight_names", wn, false, where);
      for (const auto& [n, t] : l->weights) write_dataset(g.get(), n, t, where);
    }
  });
}

std::string tf_h5_shard_serialize(const NamedTensors& weights) {
  return h5_image([&](hid_t f, const std::string& where) {
    std::vector<std::string> names;
    for (const auto& [n, t] : weights) names.push_back(n);
    for (const auto& [n, t] : weights) write_dataset(f, n, t, where);
    write_string_attr(f, "layer_names", names, false, where);
  });
}

}  // namespace transformers::io
