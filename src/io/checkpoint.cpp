// Format sniffing and the whole-checkpoint entry points.
#include <algorithm>
#include <cstring>
#include <fstream>
#include <set>

#include "transformers/io/checkpoint.hpp"
#include "transformers/io/safetensors.hpp"
#include "transformers/io/torch_pickle.hpp"

namespace transformers::io {

namespace {
std::string first_bytes(const std::filesystem::path& file, size_t n) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw FileNotFoundError("cannot open checkpoint file '" + file.string() + "'");
  std::string s(n, '\0');
  in.read(s.data(), std::streamsize(n));
  s.resize(size_t(in.gcount()));
  return s;
}
}  // namespace

std::unique_ptr<CheckpointReader> open_checkpoint_file(const std::filesystem::path& file) {
  if (std::filesystem::is_directory(file))
    throw FileNotFoundError("'" + file.string() + "' is a folder, expected a checkpoint file (use open_checkpoint)");
  const std::string head = first_bytes(file, 8);
  if (head.rfind("version", 0) == 0)
    throw FormatError("'" + file.string() + "' is a git-lfs pointer, not a checkpoint: the repository was cloned "
                      "without git-lfs");
  if (head.rfind("PK\x03\x04", 0) == 0 || head.rfind("\x80\x02\x8a\x0a", 0) == 0)
    return std::make_unique<TorchReader>(file);
  return std::make_unique<SafetensorsReader>(file);
}

NamedTensors load_checkpoint_files(const std::vector<std::filesystem::path>& files) {
  NamedTensors out;
  std::set<std::string> seen;
  for (const auto& f : files) {
    auto r = open_checkpoint_file(f);
    for (const auto& k : r->keys()) {
      if (!seen.insert(k).second)
        throw FormatError("tensor '" + k + "' appears in more than one checkpoint file (again in '" + f.string() + "')");
      out.emplace_back(k, r->get_tensor(k));
    }
  }
  return out;
}

}  // namespace transformers::io
