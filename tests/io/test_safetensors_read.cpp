// safetensors reader: every fixture checkpoint against its twin and facts.json, zero-copy views,
// and each malformed header refused with a FormatError.
#include <set>

#include "io_test_util.hpp"
#include "transformers/io/safetensors.hpp"

using namespace transformers;
using namespace iotest;

namespace {
const char* kArchs[] = {"bert", "gpt2", "llama"};

std::map<std::string, Tensor> as_map(const io::NamedTensors& v) { return {v.begin(), v.end()}; }
}  // namespace

TEST(SafetensorsRead, FixtureModelsMatchFacts) {
  const auto facts = load_facts();
  for (const char* arch : kArchs) {
    SCOPED_TRACE(arch);
    io::SafetensorsReader r(models_dir() / arch / "model" / "model.safetensors");
    const auto want = facts[arch]["saved_keys"].get<std::vector<std::string>>();
    std::vector<std::string> sorted_want = want;
    std::sort(sorted_want.begin(), sorted_want.end());
    EXPECT_EQ(r.keys(), sorted_want);
    EXPECT_EQ(r.metadata(), (io::Metadata{{"format", "pt"}}));
    EXPECT_TRUE(r.has_metadata());
    for (const auto& k : r.keys()) {
      const Tensor t = r.get_tensor(k);
      EXPECT_EQ(t.dtype(), DType::Float32) << k;
      EXPECT_EQ(t.shape(), r.entry(k).shape) << k;
      EXPECT_TRUE(t.is_contiguous());
    }
  }
}

TEST(SafetensorsRead, ShardedVariantAndCastFoldersMatchTheModelFolder) {
  for (const char* arch : kArchs) {
    SCOPED_TRACE(arch);
    const auto base = as_map(io::load_safetensors(models_dir() / arch / "model" / "model.safetensors"));
    std::map<std::string, Tensor> sharded;
    for (int i = 1; i <= 3; ++i) {
      char name[64];
      std::snprintf(name, sizeof name, "model-%05d-of-00003.safetensors", i);
      for (auto& [k, t] : io::load_safetensors(models_dir() / arch / "sharded" / name)) {
        EXPECT_TRUE(sharded.emplace(k, t).second) << "duplicate " << k;
      }
    }
    const auto variant = as_map(io::load_safetensors(models_dir() / arch / "variant" / "model.v2.safetensors"));
    const auto fp16 = as_map(io::load_safetensors(models_dir() / arch / "fp16" / "model.safetensors"));
    const auto bf16 = as_map(io::load_safetensors(models_dir() / arch / "bf16" / "model.safetensors"));
    ASSERT_EQ(sharded.size(), base.size());
    ASSERT_EQ(variant.size(), base.size());
    ASSERT_EQ(fp16.size(), base.size());
    ASSERT_EQ(bf16.size(), base.size());
    for (const auto& [k, t] : base) {
      EXPECT_TRUE(same_tensor(sharded.at(k), t)) << k;
      EXPECT_TRUE(same_tensor(variant.at(k), t)) << k;
      // torch's .half()/.bfloat16() round to nearest even, as does our bit-exact conversion.
      EXPECT_EQ(fp16.at(k).dtype(), DType::Float16);
      EXPECT_TRUE(same_tensor(fp16.at(k), t.to(DType::Float16))) << k;
      EXPECT_EQ(bf16.at(k).dtype(), DType::BFloat16);
      EXPECT_TRUE(same_tensor(bf16.at(k), t.to(DType::BFloat16))) << k;
    }
  }
}

TEST(SafetensorsRead, ExpectedFilesRead) {
  for (const char* arch : kArchs) {
    io::SafetensorsReader r(models_dir() / arch / "expected.safetensors");
    EXPECT_TRUE(r.contains("logits"));
    EXPECT_EQ(r.get_tensor("input_ids").dtype(), DType::Int64);
  }
}

TEST(SafetensorsRead, TensorsAreZeroCopyViewsKeepingTheMappingAlive) {
  Tensor t;
  {
    io::SafetensorsReader r(models_dir() / "gpt2" / "model" / "model.safetensors");
    t = r.get_tensor("transformer.wte.weight");
    EXPECT_TRUE(t.storage()->borrowed());
    EXPECT_TRUE(t.storage()->read_only());
    EXPECT_EQ(t.storage()->nbytes(), t.nbytes());  // one storage per tensor: no false ties
    EXPECT_THROW(t.mutable_data_ptr(), Error);
  }
  // the reader is gone; the tensor still reads the mapped bytes
  const auto again = io::load_safetensors(models_dir() / "gpt2" / "model" / "model.safetensors");
  EXPECT_TRUE(same_tensor(t, as_map(again).at("transformer.wte.weight")));
}

TEST(SafetensorsRead, MisalignedDataIsCopied) {
  // one U8 byte first, so the F32 tensor starts at data offset 1 (not 4-aligned)
  std::string data = "\x07";
  const float v[2] = {1.5f, -2.0f};
  data.append(reinterpret_cast<const char*>(v), 8);
  const std::string h = R"({"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"b":{"dtype":"F32","shape":[2],"data_offsets":[1,9]}})";
  auto r = io::SafetensorsReader::from_bytes(st_bytes(h, data));
  const Tensor b = r->get_tensor("b");
  EXPECT_FALSE(b.storage()->borrowed());
  EXPECT_EQ(b.to_vector<float>(), (std::vector<float>{1.5f, -2.0f}));
  EXPECT_EQ(r->get_tensor("a").to_vector<uint8_t>(), std::vector<uint8_t>{7});
  EXPECT_FALSE(r->has_metadata());
}

TEST(SafetensorsRead, EmptyScalarAndZeroTensorFiles) {
  {
    auto r = io::SafetensorsReader::from_bytes(st_bytes("{}      "));
    EXPECT_TRUE(r->keys().empty());
  }
  {
    auto r = io::SafetensorsReader::from_bytes(st_bytes(R"({"__metadata__":null})"));
    EXPECT_FALSE(r->has_metadata());
  }
  const float s = 3.25f;
  const std::string h =
      R"({"e1":{"dtype":"F32","shape":[0,4],"data_offsets":[0,0]},"s":{"dtype":"F32","shape":[],"data_offsets":[0,4]},)"
      R"("e2":{"dtype":"I64","shape":[3,0],"data_offsets":[0,0]}})";
  auto r = io::SafetensorsReader::from_bytes(st_bytes(h, std::string(reinterpret_cast<const char*>(&s), 4)));
  EXPECT_EQ(r->get_tensor("e1").shape(), (Shape{0, 4}));
  EXPECT_EQ(r->get_tensor("e2").numel(), 0);
  const Tensor sc = r->get_tensor("s");
  EXPECT_EQ(sc.dim(), 0);
  EXPECT_EQ(sc.item(), 3.25);
}

TEST(SafetensorsRead, AllDTypeStringsValidateAndUnsupportedOnesSayWhich) {
  // 10 F4 elements = 5 bytes, 4 F6 = 3 bytes, C64 [1] = 8 bytes, F8 variants 1 byte each
  const std::string h =
      R"({"c":{"dtype":"C64","shape":[1],"data_offsets":[0,8]},"u":{"dtype":"U64","shape":[1],"data_offsets":[8,16]},)"
      R"("f4":{"dtype":"F4","shape":[2,5],"data_offsets":[16,21]},"f6":{"dtype":"F6_E2M3","shape":[4],"data_offsets":[21,24]},)"
      R"("a":{"dtype":"F8_E4M3FNUZ","shape":[1],"data_offsets":[24,25]},"b":{"dtype":"F8_E5M2FNUZ","shape":[1],"data_offsets":[25,26]},)"
      R"("d":{"dtype":"F8_E8M0","shape":[1],"data_offsets":[26,27]},"e":{"dtype":"F8_E4M3","shape":[1],"data_offsets":[27,28]},)"
      R"("g":{"dtype":"F8_E5M2","shape":[1],"data_offsets":[28,29]},"h":{"dtype":"U16","shape":[1],"data_offsets":[29,31]},)"
      R"("i":{"dtype":"U32","shape":[1],"data_offsets":[31,35]},"j":{"dtype":"F6_E3M2","shape":[4],"data_offsets":[35,38]}})";
  std::string data(38, '\0');
  data[27] = 0x38;  // e4m3 1.0
  data[28] = 0x3c;  // e5m2 1.0
  auto r = io::SafetensorsReader::from_bytes(st_bytes(h, data));
  EXPECT_EQ(r->keys().size(), 12u);
  EXPECT_EQ(r->get_tensor("e").dtype(), DType::Float8E4M3);
  EXPECT_EQ(r->get_tensor("e").item(), 1.0);
  EXPECT_EQ(r->get_tensor("g").item(), 1.0);
  EXPECT_EQ(r->entry("f4").dtype_name, "F4");
  EXPECT_FALSE(r->entry("f4").dtype.has_value());
  try {
    r->get_tensor("a");
    FAIL() << "expected UnsupportedError";
  } catch (const UnsupportedError& e) {
    EXPECT_NE(std::string(e.what()).find("F8_E4M3FNUZ"), std::string::npos);
  }
  // an odd number of F4 elements is not a whole byte
  EXPECT_THROW(io::SafetensorsReader::from_bytes(
                   st_bytes(R"({"f":{"dtype":"F4","shape":[3],"data_offsets":[0,1]}})", std::string(1, '\0'))),
               FormatError);
}

// ---- hostile inputs: each a FormatError naming the problem, never a crash ----
namespace {
void expect_format_error(const std::string& bytes, const std::string& needle) {
  try {
    io::SafetensorsReader::from_bytes(bytes, "bad.safetensors");
    ADD_FAILURE() << "accepted a bad file (expected '" << needle << "')";
  } catch (const FormatError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("bad.safetensors"), std::string::npos) << msg;
    EXPECT_NE(msg.find(needle), std::string::npos) << msg;
  }
}
const std::string kOne = R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
}  // namespace

TEST(SafetensorsHostile, HeaderLength) {
  expect_format_error("", "shorter than the 8-byte");
  expect_format_error("\x01\x02\x03", "shorter than the 8-byte");
  expect_format_error(st_bytes(kOne, std::string(8, 'x'), 100'000'001, true), "exceeds the limit");
  expect_format_error(st_bytes(kOne, std::string(8, 'x'), uint64_t(-1), true), "exceeds the limit");
  expect_format_error(st_bytes(kOne, "", 5000, true), "past the end");
}

TEST(SafetensorsHostile, JsonShape) {
  expect_format_error(st_bytes("", ""), "JSON");
  expect_format_error(st_bytes("{\"a\":", ""), "JSON");
  expect_format_error(st_bytes("[1,2]", ""), "must be a JSON object");
  expect_format_error(st_bytes("{\"a\":\"\xff\xfe\"}", ""), "JSON");  // not UTF-8
  expect_format_error(st_bytes(R"({"a":5})"), "must be an object");
  expect_format_error(st_bytes(R"({"a":{"dtype":"F32","shape":[2]}})", std::string(8, 0)), "data_offsets");
  expect_format_error(st_bytes(R"({"a":{"dtype":"F33","shape":[2],"data_offsets":[0,8]}})", std::string(8, 0)),
                      "unknown dtype 'F33'");
  expect_format_error(st_bytes(R"({"a":{"dtype":"f32","shape":[2],"data_offsets":[0,8]}})", std::string(8, 0)),
                      "unknown dtype");
  expect_format_error(st_bytes(R"({"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", std::string(8, 0)),
                      "non-negative integer");
  expect_format_error(st_bytes(R"({"a":{"dtype":"F32","shape":[2.0],"data_offsets":[0,8]}})", std::string(8, 0)),
                      "non-negative integer");
  expect_format_error(st_bytes(R"({"a":{"dtype":"F32","shape":2,"data_offsets":[0,8]}})", std::string(8, 0)),
                      "shape must be an array");
  expect_format_error(st_bytes(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8,9]}})", std::string(8, 0)),
                      "data_offsets must be");
  expect_format_error(st_bytes(R"({"__metadata__":{"format":1}})"), "__metadata__ value");
  expect_format_error(st_bytes(R"({"__metadata__":[1]})"), "__metadata__ must be");
}

TEST(SafetensorsHostile, DuplicateKeys) {
  expect_format_error(st_bytes(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                               R"("a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
                               std::string(8, 0)),
                      "duplicate key 'a'");
  expect_format_error(st_bytes(R"({"a":{"dtype":"F32","dtype":"F32","shape":[1],"data_offsets":[0,4]}})",
                               std::string(4, 0)),
                      "duplicate key 'dtype'");
}

TEST(SafetensorsHostile, Offsets) {
  // overlap: b starts inside a
  expect_format_error(st_bytes(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                               R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
                               std::string(12, 0)),
                      "tensor 'b'");
  // two names on the same bytes (aliases are refused)
  expect_format_error(st_bytes(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                               R"("b":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})",
                               std::string(8, 0)),
                      "expected it to begin at 8");
  // hole at the start
  expect_format_error(st_bytes(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})", std::string(12, 0)),
                      "expected it to begin at 0");
  // reversed range
  expect_format_error(st_bytes(R"({"a":{"dtype":"F32","shape":[0],"data_offsets":[0,0]},)"
                               R"("b":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}})",
                               std::string(8, 0)),
                      "tensor 'b'");
  // size does not match shape x dtype
  expect_format_error(st_bytes(R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", std::string(8, 0)),
                      "needs 12 bytes");
  // offsets beyond the file
  expect_format_error(st_bytes(R"({"a":{"dtype":"F32","shape":[1024],"data_offsets":[0,4096]}})", std::string(8, 0)),
                      "truncated");
  // trailing garbage
  expect_format_error(st_bytes(kOne, std::string(9, 0)), "trailing");
  // truncated data
  expect_format_error(st_bytes(kOne, std::string(7, 0)), "truncated");
}

TEST(SafetensorsHostile, HugeShapes) {
  expect_format_error(st_bytes(R"({"a":{"dtype":"F32","shape":[4611686018427387904,4611686018427387904],"data_offsets":[0,8]}})",
                               std::string(8, 0)),
                      "overflows");
  expect_format_error(st_bytes(R"({"a":{"dtype":"F64","shape":[4611686018427387904],"data_offsets":[0,8]}})",
                               std::string(8, 0)),
                      "overflows");
  expect_format_error(st_bytes(R"({"a":{"dtype":"F32","shape":[18446744073709551615,0],"data_offsets":[0,0]}})"),
                      "does not fit int64");
  expect_format_error(st_bytes(R"({"a":{"dtype":"F32","shape":[99999999999999999999999],"data_offsets":[0,8]}})",
                               std::string(8, 0)),
                      "non-negative integer");
}

TEST(SafetensorsHostile, TruncatedFixtureAtEveryCut) {
  const std::string full = read_file(models_dir() / "gpt2" / "model" / "model.safetensors");
  // every cut inside the header and a sample inside the data
  for (size_t cut = 0; cut < full.size(); cut += (cut < 2000 ? 1 : 997)) {
    EXPECT_THROW(io::SafetensorsReader::from_bytes(full.substr(0, cut)), FormatError) << cut;
  }
}

TEST(SafetensorsRead, MissingFileAndMissingKey) {
  EXPECT_THROW(io::SafetensorsReader("/nonexistent/model.safetensors"), FileNotFoundError);
  io::SafetensorsReader r(models_dir() / "gpt2" / "model" / "model.safetensors");
  EXPECT_THROW(r.get_tensor("nope"), KeyError);
}
