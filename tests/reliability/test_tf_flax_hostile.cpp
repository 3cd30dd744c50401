// Truncated, corrupted and hand-made hostile TensorFlow (.h5, through the HDF5 C library) and Flax
// (.msgpack, through msgpack-c) weight files: each is refused with a typed transformers::Error (or,
// for a flipped byte inside tensor data, read as it is), never a crash, a hang or an allocation
// beyond the input's size (issue 25).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "reliability_util.hpp"
#include "transformers/io/checkpoint.hpp"
#include "transformers/io/tf_flax.hpp"

namespace reliability {
namespace {

using namespace transformers;

fs::path tfflax(const std::string& rel) { return fs::path(TRANSFORMERS_TEST_DATA_DIR) / "tfflax" / rel; }

// Every tensor of a file through the sniffing entry point (what from_pretrained opens).
void read_all(const fs::path& file) {
  auto r = io::open_checkpoint_file(file);
  for (const auto& k : r->keys()) (void)r->get_tensor(k).contiguous();
}

void read_msgpack(const std::string& bytes) {
  auto r = io::FlaxMsgpackReader::from_bytes(bytes, "hostile.msgpack");
  for (const auto& k : r->keys()) (void)r->get_tensor(k).contiguous();
}

// A msgpack str (fixstr or str8).
std::string mp_str(const std::string& s) {
  return (s.size() < 32 ? std::string(1, char(0xa0 | s.size())) : std::string("\xd9") + char(s.size())) + s;
}
// A flax ndarray: ext 1 (ext8) holding [shape, dtype, bin8 data].
std::string mp_ndarray(const std::vector<uint8_t>& shape_bytes, size_t rank, const std::string& dtype, const std::string& data) {
  std::string payload = "\x93";
  payload += char(0x90 | rank);
  payload.append(shape_bytes.begin(), shape_bytes.end());
  payload += mp_str(dtype);
  payload += "\xc4";
  payload += char(data.size());
  payload += data;
  return std::string("\xc7") + char(payload.size()) + char(1) + payload;
}

TEST(TfFlaxHostile, TruncatedH5IsFormatError) {
  const std::string whole = read_file(tfflax("gpt2/tf/tf_model.h5"));
  TempDir d;
  int refused = 0;
  for (size_t cut : {size_t(0), size_t(7), size_t(8), size_t(100), size_t(2047), whole.size() / 3, whole.size() / 2,
                     whole.size() - 4096, whole.size() - 1}) {
    const fs::path f = d.path / "tf_model.h5";
    write_file(f, whole.substr(0, cut));
    Result r = run_loader([&] { read_all(f); });
    EXPECT_EQ(r.outcome, Outcome::TypedError) << "cut at " << cut << ": " << r.what;
    refused += r.outcome == Outcome::TypedError;
  }
  EXPECT_EQ(refused, 9);
}

TEST(TfFlaxHostile, CorruptedH5IsTypedOrReadAsIs) {
  const std::string whole = read_file(tfflax("bert/tf/tf_model.h5"));
  TempDir d;
  int typed = 0, cases = 0;
  // Bytes flipped across the superblock, the object headers, the B-trees and the data.
  for (size_t at = 8; at < whole.size(); at += whole.size() / 97) {
    std::string bad = whole;
    bad[at] = char(~bad[at]);
    bad[(at * 7 + 13) % bad.size()] ^= 0x5a;
    const fs::path f = d.path / "tf_model.h5";
    write_file(f, bad);
    Result r = run_loader([&] { read_all(f); });
    EXPECT_NE(r.outcome, Outcome::UntypedError) << "byte " << at << ": " << r.what;
    typed += r.outcome == Outcome::TypedError;
    ++cases;
  }
  EXPECT_EQ(cases, 98);
  EXPECT_GT(typed, 0);  // some flips hit structure, not only tensor data
}

TEST(TfFlaxHostile, NotAnH5FileGivenToTheH5Reader) {
  TempDir d;
  write_file(d.path / "tf_model.h5", "this is not HDF5");
  EXPECT_THROW(io::H5WeightsReader(d.path / "tf_model.h5"), FormatError);
  EXPECT_THROW(io::H5WeightsReader(d.path / "missing.h5"), FileNotFoundError);
  // The HDF5 signature alone, then nothing: HDF5 cannot open it.
  write_file(d.path / "sig.h5", std::string("\x89HDF\r\n\x1a\n", 8));
  EXPECT_THROW(read_all(d.path / "sig.h5"), FormatError);
}

TEST(TfFlaxHostile, TruncatedMsgpackIsFormatError) {
  const std::string whole = read_file(tfflax("llama/flax/flax_model.msgpack"));
  int refused = 0, cases = 0;
  for (size_t cut = 0; cut < whole.size(); cut += whole.size() / 101 + 1, ++cases) {
    Result r = run_loader([&] { read_msgpack(whole.substr(0, cut)); });
    EXPECT_EQ(r.outcome, Outcome::TypedError) << "cut at " << cut;
    refused += r.outcome == Outcome::TypedError;
  }
  EXPECT_EQ(refused, cases);
  EXPECT_EQ(cases, 101);
  EXPECT_NO_THROW(read_msgpack(whole));
}

TEST(TfFlaxHostile, CorruptedMsgpackIsTypedOrReadAsIs) {
  const std::string whole = read_file(tfflax("bert/flax_sharded/flax_model-00001-of-00003.msgpack"));
  int typed = 0, cases = 0;
  for (size_t at = 0; at < whole.size(); at += whole.size() / 89 + 1, ++cases) {
    std::string bad = whole;
    bad[at] = char(~bad[at]);
    Result r = run_loader([&] { read_msgpack(bad); });
    EXPECT_NE(r.outcome, Outcome::UntypedError) << "byte " << at << ": " << r.what;
    typed += r.outcome == Outcome::TypedError;
  }
  EXPECT_EQ(cases, 89);
  EXPECT_GT(typed, 0);
}

TEST(TfFlaxHostile, HandMadeMsgpack) {
  // A map or array header declaring 2^32-1 entries in 5 bytes: refused before msgpack-c allocates
  // room for them (counts are limited by the input's size).
  EXPECT_THROW(read_msgpack(std::string("\xdf\xff\xff\xff\xff", 5)), FormatError);
  EXPECT_THROW(read_msgpack(std::string("\xdd\xff\xff\xff\xff", 5)), FormatError);
  // Not a map at the top; trailing bytes; a key that is not a string.
  EXPECT_THROW(read_msgpack("\x01"), FormatError);
  EXPECT_THROW(read_msgpack(std::string("\x80\x80", 2)), FormatError);
  EXPECT_THROW(read_msgpack(std::string("\x81\x01\x80", 3)), FormatError);
  // 100,000 nested maps: over the depth limit, no stack overflow.
  std::string deep;
  for (int i = 0; i < 100000; ++i) deep += std::string("\x81") + mp_str("a");
  deep += "\x80";
  EXPECT_THROW(read_msgpack(deep), FormatError);
  // An ndarray whose shape claims 2^40 x 2^7 floats and carries 4 bytes: refused, nothing allocated.
  const std::vector<uint8_t> huge = {0xcf, 0, 0, 1, 0, 0, 0, 0, 0, 0x7f};
  EXPECT_THROW(read_msgpack("\x81" + mp_str("w") + mp_ndarray(huge, 2, "float32", "abcd")), FormatError);
  // Shape and bytes disagree; an unknown dtype; an unknown extension type; a chunked array.
  EXPECT_THROW(read_msgpack("\x81" + mp_str("w") + mp_ndarray({3}, 1, "float32", "abcd")), FormatError);
  EXPECT_THROW(read_msgpack("\x81" + mp_str("w") + mp_ndarray({1}, 1, "complex64", "abcdefgh")), UnsupportedError);
  EXPECT_THROW(read_msgpack("\x81" + mp_str("w") + std::string("\xd4\x07\x00", 3)), UnsupportedError);
  EXPECT_THROW(read_msgpack("\x81" + mp_str("w") + "\x81" + mp_str("__msgpack_chunked_array__") + "\x80"),
               UnsupportedError);
  // The same weight name twice.
  const std::string w = mp_ndarray({1}, 1, "float32", "abcd");
  EXPECT_THROW(read_msgpack("\x82" + mp_str("w") + w + mp_str("w") + w), FormatError);
  // A well-formed one is read.
  auto r = io::FlaxMsgpackReader::from_bytes("\x81" + mp_str("w") + "\x81" + mp_str("kernel") + w);
  ASSERT_EQ(r->keys(), std::vector<std::string>{"w/kernel"});
  EXPECT_EQ(r->get_tensor("w/kernel").sizes(), Shape({1}));
}

}  // namespace
}  // namespace reliability
