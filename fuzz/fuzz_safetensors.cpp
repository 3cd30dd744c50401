// safetensors header + data section: validate the header, then read every tensor and touch every
// byte of it (a wrong offset check shows up as an ASan read overflow here).
#include <cstdint>

#include "fuzz_util.hpp"
#include "transformers/io/safetensors.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace transformers;
  fuzz::expect_typed([&] {
    auto reader = io::SafetensorsReader::from_bytes(fuzz::as_view(data, size), "fuzz.safetensors");
    volatile uint64_t sink = reader->metadata().size();
    for (const auto& name : reader->keys()) {
      fuzz::expect_typed([&] {
        auto entry = reader->entry(name);
        auto [b, e] = reader->data_offsets(name);
        sink = sink + b + e + entry.shape.size();
        Tensor t = reader->get_tensor(name).contiguous();
        const auto* p = static_cast<const uint8_t*>(t.data_ptr());
        for (size_t i = 0, n = t.nbytes(); i < n; ++i) sink = sink + p[i];
      });
    }
  });
  return 0;
}
