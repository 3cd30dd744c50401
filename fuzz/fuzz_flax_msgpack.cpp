// flax_model.msgpack (flax.serialization: nested maps, ndarray extension type): parse, then read
// every tensor to its last byte (a wrong size check shows up as an ASan read overflow here).
#include <cstdint>

#include "fuzz_util.hpp"
#include "transformers/io/tf_flax.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace transformers;
  fuzz::expect_typed([&] {
    auto reader = io::FlaxMsgpackReader::from_bytes(fuzz::as_view(data, size), "fuzz.msgpack");
    volatile uint64_t sink = reader->metadata().size();
    for (const auto& name : reader->keys()) {
      Tensor t = reader->get_tensor(name).contiguous();
      const auto* p = static_cast<const uint8_t*>(t.data_ptr());
      for (size_t i = 0, n = t.nbytes(); i < n; ++i) sink = sink + p[i];
    }
  });
  return 0;
}
