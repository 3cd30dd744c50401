// The GGUF reader against what gguf-py reads from the same file (tests/oracle/make_gguf_goldens.py
// writes blocks.gguf with gguf.GGUFWriter and records gguf.GGUFReader's view of it), and the block
// dequantizers bit-exact against gguf.quants.dequantize.
#include <gtest/gtest.h>

#include <cstring>
#include <set>
#include <nlohmann/json.hpp>

#include "common/compare.hpp"
#include "io/io_test_util.hpp"
#include "transformers/core/quant_blocks.hpp"
#include "transformers/io/gguf.hpp"
#include "transformers/io/safetensors.hpp"

using namespace transformers;
using namespace iotest;

namespace {

fs::path gguf_dir() { return data_dir() / "gguf"; }
nlohmann::json expected() { return nlohmann::json::parse(read_file(gguf_dir() / "blocks_expected.json")); }

io::GGUFType type_from_name(const std::string& n) {
  static const char* names[] = {"UINT8", "INT8",  "UINT16", "INT16",  "UINT32", "INT32",  "FLOAT32",
                                "BOOL",  "STRING", "ARRAY", "UINT64", "INT64",  "FLOAT64"};
  for (uint32_t i = 0; i < 13; ++i)
    if (n == names[i]) return io::GGUFType(i);
  ADD_FAILURE() << "unknown type " << n;
  return io::GGUFType::UInt8;
}

}  // namespace

TEST(GGUFRead, HeaderAndEveryMetadataValueTypeAsGgufPyReadsThem) {
  io::GGUFReader r(gguf_dir() / "blocks.gguf");
  const auto want = expected();
  EXPECT_EQ(r.version(), 3u);
  EXPECT_EQ(r.alignment(), want["alignment"].get<uint64_t>());
  EXPECT_EQ(r.data_start(), want["data_offset"].get<uint64_t>());
  std::vector<std::string> want_keys;
  int checked = 0;
  for (const auto& f : want["fields"]) {
    const std::string key = f["key"];
    if (key.rfind("GGUF.", 0) == 0) continue;  // gguf-py's pseudo-fields for the header counts
    want_keys.push_back(key);
    const io::GGUFValue& v = r.field(key);
    ASSERT_EQ(v.type, type_from_name(f["types"][0])) << key;
    const auto& value = f["value"];
    switch (v.type) {
      case io::GGUFType::String: EXPECT_EQ(r.get_string(key), value.get<std::string>()) << key; break;
      case io::GGUFType::Bool: EXPECT_EQ(r.get_bool(key), value.get<bool>()) << key; break;
      case io::GGUFType::Float32: EXPECT_EQ(float(r.get_float(key)), value.get<float>()) << key; break;
      case io::GGUFType::Float64: EXPECT_EQ(r.get_float(key), value.get<double>()) << key; break;
      case io::GGUFType::Array: {
        const io::GGUFType et = type_from_name(f["types"][1]);
        ASSERT_EQ(v.element_type, et) << key;
        if (et == io::GGUFType::String) EXPECT_EQ(r.get_strings(key), value.get<std::vector<std::string>>()) << key;
        else if (et == io::GGUFType::Float32) EXPECT_EQ(r.get_floats(key), value.get<std::vector<double>>()) << key;
        else if (et == io::GGUFType::Array) {
          // [[1, 2], [3]]: gguf-py shows nested arrays only as raw parts, so the values are the writer's
          const auto outer = v.elements();
          ASSERT_EQ(outer.size(), 2u);
          EXPECT_EQ(outer[0].element_type, io::GGUFType::Int32);
          ASSERT_EQ(outer[0].elements().size(), 2u);
          EXPECT_EQ(outer[0].elements()[1].as_int("x"), 2);
          ASSERT_EQ(outer[1].elements().size(), 1u);
          EXPECT_EQ(outer[1].elements()[0].as_int("x"), 3);
        } else EXPECT_EQ(r.get_ints(key), value.get<std::vector<int64_t>>()) << key;
        break;
      }
      default:
        if (v.type == io::GGUFType::UInt64) EXPECT_EQ(uint64_t(r.get_int(key)), value.get<uint64_t>()) << key;
        else EXPECT_EQ(r.get_int(key), value.get<int64_t>()) << key;
    }
    ++checked;
  }
  EXPECT_EQ(checked, 18);  // the writer's 18 keys: every value type, arrays of 4 kinds
  EXPECT_EQ(r.field_keys(), want_keys);
  EXPECT_EQ(r.metadata().at("general.architecture"), "llama");
  EXPECT_EQ(r.metadata().at("test.u64"), "9223372036854775803");
}

TEST(GGUFRead, TensorTableAsGgufPyReadsIt) {
  io::GGUFReader r(gguf_dir() / "blocks.gguf");
  const auto want = expected()["tensors"];
  ASSERT_EQ(want.size(), 13u);
  ASSERT_EQ(r.keys().size(), 13u);
  for (size_t i = 0; i < want.size(); ++i) {
    const auto& t = r.tensor_infos()[i];
    EXPECT_EQ(t.name, want[i]["name"].get<std::string>());
    EXPECT_EQ(std::string(t.type->name), want[i]["type"].get<std::string>());
    EXPECT_EQ(t.shape, want[i]["shape"].get<Shape>()) << t.name;
    EXPECT_EQ(t.offset, want[i]["offset"].get<uint64_t>()) << t.name;
    EXPECT_EQ(t.nbytes, want[i]["n_bytes"].get<uint64_t>()) << t.name;
    const io::TensorEntry e = r.entry(t.name);
    EXPECT_EQ(e.shape, t.shape);
    EXPECT_EQ(e.dtype_name, t.type->name);
  }
  EXPECT_EQ(r.format(), "gguf");
  EXPECT_THROW(r.entry("nope"), KeyError);
}

// Every block type, F32, F16 and BF16: our dequantized float32 bytes equal gguf-py's.
TEST(GGUFDequantize, EveryBlockTypeBitExactWithGgufPy) {
  io::GGUFReader r(gguf_dir() / "blocks.gguf");
  io::SafetensorsReader want(gguf_dir() / "blocks_dequant.safetensors");
  int compared = 0;
  for (const auto& name : r.keys()) {
    const Tensor stored = r.get_tensor(name);
    const Tensor got = stored.to(DType::Float32);
    const Tensor ref = want.get_tensor(name);
    EXPECT_TRUE(testcmp::allclose(got, ref, testcmp::kExact)) << name;
    EXPECT_TRUE(same_tensor(got, ref)) << name;  // bit for bit (signs of zero included)
    ++compared;
  }
  EXPECT_EQ(compared, 13);
}

TEST(GGUFDequantize, BlockTensorsAreZeroCopyViewsOfTheMapping) {
  io::GGUFReader r(gguf_dir() / "blocks.gguf");
  const Tensor q = r.get_tensor("t.Q4_K");
  EXPECT_EQ(q.dtype(), DType::Q4_K);
  EXPECT_EQ(q.shape(), (Shape{4, 512}));
  EXPECT_EQ(q.nbytes(), 4u * 2 * 144);
  EXPECT_TRUE(q.storage()->borrowed());
  EXPECT_TRUE(q.storage()->read_only());
  const Tensor f = r.get_tensor("t.F32");
  EXPECT_TRUE(f.storage()->borrowed());
  // No element access or quantizing into a block type
  EXPECT_THROW(q.at({0, 0}), UnsupportedError);
  EXPECT_THROW(f.to(DType::Q8_0), UnsupportedError);
  EXPECT_THROW(dtype_from_name("q4_0"), ValueError);  // not a torch dtype
  EXPECT_THROW(dequantize_blocks(DType::Q8_0, q.data_ptr(), nullptr, 31), ValueError);
}

TEST(GGUFRead, VersionTwoReadsLikeThreeAndOthersAreRefused) {
  const std::string bytes = read_file(gguf_dir() / "blocks.gguf");
  auto with_version = [&](uint32_t v) {
    std::string b = bytes;
    std::memcpy(b.data() + 4, &v, 4);
    return b;
  };
  auto r2 = io::GGUFReader::from_bytes(with_version(2), "v2.gguf");
  EXPECT_EQ(r2->version(), 2u);
  EXPECT_EQ(r2->keys().size(), 13u);
  EXPECT_TRUE(same_tensor(r2->get_tensor("t.Q6_K").to(DType::Float32),
                          io::GGUFReader(gguf_dir() / "blocks.gguf").get_tensor("t.Q6_K").to(DType::Float32)));
  for (uint32_t v : {1u, 4u, 0x03000000u}) {
    try {
      io::GGUFReader::from_bytes(with_version(v), "old.gguf");
      ADD_FAILURE() << "version " << v << " accepted";
    } catch (const UnsupportedError& e) {
      EXPECT_NE(std::string(e.what()).find("old.gguf"), std::string::npos) << e.what();
    }
  }
}

// Every prefix of the file that cuts into the header or a tensor is refused with a FormatError
// naming the file; prefixes that keep all tensor bytes parse. Every cut inside the header and the
// first tensor, the bytes around each tensor's end, and every 61st position in between.
TEST(GGUFRead, EveryTruncationIsAFormatError) {
  const std::string bytes = read_file(gguf_dir() / "blocks.gguf");
  const auto full = io::GGUFReader::from_bytes(bytes);
  uint64_t end = full->data_start();
  std::set<size_t> cuts;
  for (size_t n = 0; n < full->data_start() + 64; ++n) cuts.insert(n);
  for (const auto& t : full->tensor_infos()) {
    const uint64_t e = full->data_start() + t.offset + t.nbytes;
    end = std::max(end, e);
    cuts.insert({size_t(e - 1), size_t(e)});
  }
  for (size_t n = 0; n < bytes.size(); n += 61) cuts.insert(n);
  int refused = 0, accepted = 0;
  for (size_t n : cuts) {
    if (n > bytes.size()) continue;
    if (n >= end) {
      EXPECT_NO_THROW(io::GGUFReader::from_bytes(bytes.substr(0, n), "cut.gguf")) << n;
      ++accepted;
      continue;
    }
    try {
      io::GGUFReader::from_bytes(bytes.substr(0, n), "cut.gguf");
      ADD_FAILURE() << "prefix of " << n << " bytes accepted";
    } catch (const FormatError& e) {
      ++refused;
      if (std::string(e.what()).find("'cut.gguf'") == std::string::npos) ADD_FAILURE() << e.what();
    }
  }
  EXPECT_GT(refused, 1400);  // 1344 header bytes and the first tensor, plus the sampled cuts
  EXPECT_GE(accepted, 1);    // the whole file (the last tensor ends it)
}
