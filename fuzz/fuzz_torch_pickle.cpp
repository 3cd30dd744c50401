// pytorch_model.bin: the torch zip container (ZIP64 too), the legacy pre-1.6 stream and the
// restricted unpickler behind both; every tensor it yields is read to the last byte.
#include <cstdint>

#include "fuzz_util.hpp"
#include "transformers/io/torch_pickle.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace transformers;
  const auto path = fuzz::write_file("pytorch_model.bin", fuzz::as_view(data, size));
  fuzz::expect_typed([&] {
    io::TorchReader reader(path);
    volatile uint64_t sink = 0;
    for (const auto& name : reader.keys()) {
      fuzz::expect_typed([&] {
        auto entry = reader.entry(name);
        sink = sink + entry.shape.size();
        Tensor t = reader.get_tensor(name).contiguous();
        const auto* p = static_cast<const uint8_t*>(t.data_ptr());
        for (size_t i = 0, n = t.nbytes(); i < n; ++i) sink = sink + p[i];
      });
    }
  });
  return 0;
}
