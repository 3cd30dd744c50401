#pragma once
// What `embed --input` reads and `embed --output` writes: a text file with one text per line, and the
// embeddings as NumPy .npy (format 1.0, float32, the header byte for byte as numpy.save writes it) or
// as safetensors (one float32 tensor "embeddings" [n, dim]).
#include <string>
#include <vector>

namespace transformers::cli {

// The lines of `file` ("\n" or "\r\n" ends a line; a final line needs no newline). FileNotFoundError
// naming the file when it cannot be read, ValueError when it holds no line.
std::vector<std::string> read_text_lines(const std::string& file);

// numpy.save's bytes for a C-order float32 array of `shape` (the header only; the data follows it).
std::string npy_header_v1(const std::vector<size_t>& shape);

// Whether `file` names a .npy (true) or .safetensors (false) output; ValueError for another suffix.
bool is_npy(const std::string& file);

// Writes rows (all of one length) to `file`: .npy, or .safetensors; ValueError for another suffix.
void write_embeddings(const std::string& file, const std::vector<std::vector<float>>& rows);

}  // namespace transformers::cli
