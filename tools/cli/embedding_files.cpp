// embed's input and output files (see the header).
#include "embedding_files.hpp"

#include <cstdint>
#include <fstream>
#include <sstream>

#include "transformers/core/error.hpp"
#include "transformers/core/quote.hpp"
#include "transformers/io/atomic_file.hpp"
#include "transformers/io/safetensors.hpp"

namespace transformers::cli {

std::vector<std::string> read_text_lines(const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw FileNotFoundError(file + ": cannot read the --input file of texts");
  std::vector<std::string> lines;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(std::move(line));
  }
  if (in.bad()) throw EnvironmentError(file + ": read error");
  if (lines.empty()) throw ValueError(file + ": expected one text per line, found an empty file");
  return lines;
}

// numpy.lib.format._write_array_header: the dict literal with sorted keys, spare spaces so the first
// dimension can grow to 21 digits in place, then spaces and "\n" to a multiple of 64 bytes in all.
std::string npy_header_v1(const std::vector<size_t>& shape) {
  std::string dims;
  for (size_t i = 0; i < shape.size(); ++i) dims += (i ? ", " : "") + std::to_string(shape[i]);
  if (shape.size() == 1) dims += ",";
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + dims + "), }";
  if (!shape.empty()) header += std::string(21 - std::to_string(shape[0]).size(), ' ');
  const size_t magic_and_len = 6 + 2 + 2, hlen = header.size() + 1;
  const size_t pad = 64 - ((magic_and_len + hlen) % 64);
  header += std::string(pad, ' ') + "\n";
  if (header.size() > 65535) throw ValueError("npy header too long for format 1.0");
  const uint16_t n = uint16_t(header.size());
  std::string out("\x93NUMPY\x01\x00", 8);
  out += char(n & 0xff);
  out += char(n >> 8);
  return out + header;
}

bool is_npy(const std::string& file) {
  if (file.ends_with(".npy")) return true;
  if (file.ends_with(".safetensors")) return false;
  throw ValueError("--output " + escape_input(file) + ": expected a name ending in .npy or .safetensors");
}

void write_embeddings(const std::string& file, const std::vector<std::vector<float>>& rows) {
  const bool npy = is_npy(file);
  const size_t n = rows.size(), dim = rows.empty() ? 0 : rows[0].size();
  for (auto& r : rows)
    if (r.size() != dim) throw ShapeError("embeddings of different lengths cannot form one array");
  if (npy) {
    std::string bytes = npy_header_v1({n, dim});
    for (auto& r : rows) bytes.append(reinterpret_cast<const char*>(r.data()), r.size() * sizeof(float));
    io::write_file_atomic(file, bytes);
  } else {
    std::vector<float> flat;
    flat.reserve(n * dim);
    for (auto& r : rows) flat.insert(flat.end(), r.begin(), r.end());
    io::save_safetensors(file, {{"embeddings", Tensor::from_vector(flat, {int64_t(n), int64_t(dim)})}});
  }
}

}  // namespace transformers::cli
