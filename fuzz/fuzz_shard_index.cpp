// model.safetensors.index.json / pytorch_model.bin.index.json: parse, validate shard names (no
// escape from the folder), list the shard files and write the index back.
#include <cstdint>

#include "fuzz_util.hpp"
#include "transformers/io/shard_index.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace transformers;
  const auto path = fuzz::write_file("model.safetensors.index.json", fuzz::as_view(data, size));
  fuzz::expect_typed([&] {
    io::ShardIndex index = io::read_shard_index(path);
    volatile size_t sink = index.shard_files().size();
    sink = sink + io::shard_index_json(index).size();
  });
  return 0;
}
