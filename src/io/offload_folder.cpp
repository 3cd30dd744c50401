// See offload_folder.hpp. The .dat bytes are the tensor's own (numpy.memmap writes them raw, in C
// order, on this little-endian host); bfloat16 keeps its bit patterns (accelerate stores them as
// int16 and names the dtype "bfloat16"). Each file goes through AtomicFile, so a failed load never
// leaves a half-written tensor under its final name.
#include "transformers/io/offload_folder.hpp"

#include <algorithm>
#include <cstdint>

#include "io/mapped_file.hpp"
#include "transformers/core/error.hpp"
#include "transformers/core/quote.hpp"
#include "transformers/core/storage.hpp"
#include "transformers/io/atomic_file.hpp"
#include "transformers/io/json_file.hpp"

namespace transformers::io {

namespace {

namespace fs = std::filesystem;

// numpy's name for the dtype accelerate records (str(array.dtype), or "bfloat16").
std::string numpy_dtype_name(DType dt, const std::string& name) {
  switch (dt) {
    case DType::Float32: case DType::Float16: case DType::BFloat16: case DType::Float64:
    case DType::Int64: case DType::Int32: case DType::Int16: case DType::Int8: case DType::UInt8: case DType::Bool:
      return std::string(dtype_name(dt));  // torch's spelling is numpy's for these
    default:
      throw UnsupportedError("offload_folder: the tensor " + quote_input(name) + " is " + std::string(dtype_name(dt)) +
                             ", which accelerate's offload layout cannot hold (expected a float, integer or bool dtype)");
  }
}

// Row blocks of about 16 MiB: a cast never holds more than one converted block besides the file.
constexpr int64_t kBlockBytes = int64_t(16) << 20;

}  // namespace

Tensor offload_weight(const Tensor& t, DType dtype, const std::string& name, const fs::path& folder,
                      nlohmann::ordered_json& index, const std::function<void(const Tensor&)>& after_block) {
  if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos ||
      name.find('\0') != std::string::npos)
    throw ValueError("offload_folder: " + quote_input(name) + " is no tensor name that can be a file name in " +
                     quote_input(folder.string()) + " (expected a dotted parameter name)");
  const std::string np_dtype = numpy_dtype_name(dtype, name);
  const fs::path file = folder / (name + ".dat");
  {
    AtomicFile out(file);
    const int64_t rows = t.dim() == 0 ? 1 : t.size(0);
    const int64_t row_bytes = rows == 0 ? 0 : int64_t(dtype_nbytes(dtype, t.numel())) / rows;
    const int64_t per = t.dim() == 0 || row_bytes == 0 ? std::max<int64_t>(rows, 1)
                                                       : std::max<int64_t>(1, kBlockBytes / row_bytes);
    for (int64_t r = 0; r < rows; r += per) {
      const int64_t n = std::min(per, rows - r);
      const Tensor piece = t.dim() == 0 || n == rows ? t : t.narrow(0, r, n);
      const Tensor bytes = piece.dtype() == dtype ? piece.contiguous() : piece.to(dtype);
      out.write(bytes.data_ptr(), bytes.nbytes());
      if (after_block) after_block(piece);
    }
    out.commit();
  }
  nlohmann::ordered_json shape = nlohmann::ordered_json::array();
  for (int64_t d : t.sizes()) shape.push_back(d);
  append_new_key(index, name, nlohmann::ordered_json{{"dtype", np_dtype}, {"shape", shape}});

  if (t.numel() == 0) return Tensor::empty(t.sizes(), dtype);
  auto mapped = detail::MappedFile::open(file);
  const size_t nbytes = dtype_nbytes(dtype, t.numel());
  if (mapped->size() != nbytes)
    throw EnvironmentError("offload_folder: " + quote_input(file.string()) + " holds " + std::to_string(mapped->size()) +
                           " bytes after writing " + std::to_string(nbytes) + " (changed by another process?)");
  auto storage = Storage::borrow(const_cast<uint8_t*>(mapped->data()), nbytes, mapped, /*read_only=*/true);
  Shape strides(t.sizes().size());
  int64_t s = 1;
  for (size_t i = strides.size(); i-- > 0;) {
    strides[i] = s;
    s *= t.sizes()[i];
  }
  return Tensor::make_view(storage, t.sizes(), strides, 0, dtype);
}

void save_offload_index(const nlohmann::ordered_json& index, const fs::path& folder) {
  if (index.empty()) return;
  const fs::path file = folder / "index.json";
  std::error_code ec;
  nlohmann::ordered_json current = fs::exists(file, ec) ? read_ordered_json_file(file) : nlohmann::ordered_json::object();
  if (!current.is_object())
    throw FormatError("offload_folder: " + quote_input(file.string()) + " holds a JSON " + std::string(current.type_name()) +
                      ", expected the object accelerate's save_offload_index writes");
  update_ordered(current, index);
  // json.dump(indent=2): ", " inside lines, ": " after keys, non-ASCII escaped, no final newline
  write_file_atomic(file, current.dump(2, ' ', /*ensure_ascii=*/true));
}

}  // namespace transformers::io
