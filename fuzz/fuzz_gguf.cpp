// GGUF header, metadata and tensor data: validate the file, decode every metadata value (arrays
// through the typed getters, nested arrays element by element), then read every tensor and
// dequantize it to float32, touching every byte (a wrong extent check shows up as an ASan read
// overflow here).
#include <cstdint>

#include "fuzz_util.hpp"
#include "transformers/core/tensor.hpp"
#include "transformers/io/gguf.hpp"

namespace {
using transformers::io::GGUFType;
using transformers::io::GGUFValue;

uint64_t touch(const GGUFValue& v, int depth) {
  uint64_t sink = v.count + v.nbytes;
  switch (v.type) {
    case GGUFType::Array:
      if (depth < 4 && v.count <= 4096)
        for (const auto& e : v.elements()) sink += touch(e, depth + 1);
      break;
    case GGUFType::String: sink += v.as_string("s").size(); break;
    case GGUFType::Bool: sink += v.as_bool("b"); break;
    case GGUFType::Float32: case GGUFType::Float64: sink += uint64_t(v.as_float("f") != 0); break;
    default: sink += uint64_t(v.as_int("i")); break;
  }
  return sink;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace transformers;
  fuzz::expect_typed([&] {
    auto reader = io::GGUFReader::from_bytes(fuzz::as_view(data, size), "fuzz.gguf");
    volatile uint64_t sink = reader->metadata().size();
    for (const auto& key : reader->field_keys()) {
      fuzz::expect_typed([&] {
        const io::GGUFValue& v = reader->field(key);
        sink = sink + touch(v, 0);
        if (v.is_array()) {
          if (v.element_type == io::GGUFType::String) sink = sink + reader->get_strings(key).size();
          else if (v.element_type != io::GGUFType::Array) sink = sink + reader->get_floats(key).size();
        }
      });
    }
    for (const auto& name : reader->keys()) {
      fuzz::expect_typed([&] {
        sink = sink + reader->entry(name).shape.size();
        Tensor t = reader->get_tensor(name);
        const auto* p = static_cast<const uint8_t*>(t.data_ptr());
        for (size_t i = 0, n = t.nbytes(); i < n; ++i) sink = sink + p[i];
        if (t.is_floating_point()) {
          Tensor f = t.to(DType::Float32);
          const float* q = f.data<float>();
          for (int64_t i = 0, n = f.numel(); i < n; ++i) sink = sink + uint64_t(q[i] != 0);
        }
      });
    }
  });
  return 0;
}
