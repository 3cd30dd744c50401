// PyTorch .bin reader: fixture checkpoints against their safetensors twins, torch's own view of
// oracle files (tests/oracle/io_torch_oracle.py), the evil pickle, and hostile archives/pickles.
#include <set>

#include "io/pickle.hpp"
#include "io_test_util.hpp"
#include "transformers/io/safetensors.hpp"
#include "transformers/io/torch_pickle.hpp"

using namespace transformers;
using namespace iotest;
using namespace std::string_literals;

namespace {
const char* kArchs[] = {"bert", "gpt2", "llama"};
std::map<std::string, Tensor> as_map(const io::NamedTensors& v) { return {v.begin(), v.end()}; }
}  // namespace

TEST(TorchRead, OracleFilesMatchTorchLoad) {
  std::ifstream in(data_dir() / "torch_expected.json");
  const auto facts = nlohmann::json::parse(in);
  const auto expected = as_map(io::load_safetensors(data_dir() / "torch_expected.safetensors"));
  for (const auto& [file, f] : facts.items()) {
    SCOPED_TRACE(file);
    const fs::path path = fs::exists(data_dir() / file) ? data_dir() / file : models_dir() / "legacy" / file;
    io::TorchReader r(path);
    EXPECT_EQ(r.format(), file == "legacy_format.bin" ? "pytorch-legacy" : "pytorch");
    EXPECT_EQ(r.keys(), f["keys"].get<std::vector<std::string>>());
    for (const auto& [name, t] : f["tensors"].items()) {
      SCOPED_TRACE(name);
      const Tensor got = r.get_tensor(name);
      EXPECT_EQ(dtype_name(got.dtype()), t["dtype"].get<std::string>());
      EXPECT_EQ(got.shape(), t["shape"].get<Shape>());
      EXPECT_EQ(got.strides(), t["stride"].get<Shape>());
      EXPECT_EQ(got.storage_offset(), t["storage_offset"].get<int64_t>());
      EXPECT_TRUE(same_tensor(got, expected.at(file + "/" + name)));
    }
    // sharing exactly as torch reports it
    std::map<std::string, int> group;
    int g = 0;
    for (const auto& s : f["shared"]) {
      for (const auto& n : s) group[n.get<std::string>()] = g;
      ++g;
    }
    for (const auto& a : r.keys())
      for (const auto& b : r.keys()) {
        if (a >= b) continue;
        const bool want = group.count(a) && group.count(b) && group[a] == group[b];
        EXPECT_EQ(r.get_tensor(a).shares_storage(r.get_tensor(b)), want) << a << " / " << b;
      }
  }
}

TEST(TorchRead, AlignedRecordsAreZeroCopy) {
  io::TorchReader r(data_dir() / "torch_views.bin");
  EXPECT_TRUE(r.get_tensor("embed.weight").storage()->borrowed());
  EXPECT_TRUE(r.get_tensor("embed.weight").storage()->read_only());
  // the ZIP64 copy is not 64-byte aligned any more: still correct (copied where misaligned)
  io::TorchReader z(data_dir() / "torch_zip64.bin");
  EXPECT_TRUE(same_tensor(z.get_tensor("wt"), r.get_tensor("wt")));
}

TEST(TorchRead, FixtureBinFoldersMatchSafetensors) {
  const auto facts = load_facts();
  for (const char* arch : kArchs) {
    SCOPED_TRACE(arch);
    const auto st = as_map(io::load_safetensors(models_dir() / arch / "model" / "model.safetensors"));
    io::TorchReader r(models_dir() / arch / "bin" / "pytorch_model.bin");
    EXPECT_EQ(r.keys(), facts[arch]["state_dict_keys"].get<std::vector<std::string>>());
    for (const auto& k : r.keys()) {
      const Tensor t = r.get_tensor(k);
      if (st.count(k)) {
        EXPECT_TRUE(same_tensor(t, st.at(k))) << k;
      } else {
        // a tied weight left out of the safetensors file: it must share storage with a saved one
        bool tied = false;
        for (const auto& [sk, sv] : st) {
          (void)sv;
          if (r.get_tensor(sk).shares_storage(t)) {
            tied = true;
            EXPECT_TRUE(same_tensor(t, st.at(sk))) << k << " tied to " << sk;
          }
        }
        EXPECT_TRUE(tied) << k << " is neither saved in safetensors nor tied";
      }
    }
    // the three shards together hold the same tensors
    std::map<std::string, Tensor> sharded;
    for (int i = 1; i <= 3; ++i) {
      char name[64];
      std::snprintf(name, sizeof name, "pytorch_model-%05d-of-00003.bin", i);
      for (auto& [k, t] : io::load_torch(models_dir() / arch / "bin_sharded" / name)) sharded.emplace(k, t);
    }
    EXPECT_EQ(sharded.size(), r.keys().size());
    for (const auto& k : r.keys()) EXPECT_TRUE(same_tensor(sharded.at(k), r.get_tensor(k))) << k;
  }
}

TEST(TorchRead, GptTiedHeadSharesStorage) {
  io::TorchReader r(models_dir() / "gpt2" / "bin" / "pytorch_model.bin");
  EXPECT_TRUE(r.get_tensor("lm_head.weight").shares_storage(r.get_tensor("transformer.wte.weight")));
}

TEST(TorchRead, EvilPickleIsRefusedAndNothingRuns) {
  std::error_code ec;
  fs::remove("/tmp/pwned", ec);
  try {
    io::TorchReader r(models_dir() / "evil" / "pytorch_model.bin");
    FAIL() << "evil pickle accepted";
  } catch (const SecurityError& e) {
    EXPECT_NE(std::string(e.what()).find("posix.system"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("pytorch_model.bin"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists("/tmp/pwned"));
  EXPECT_THROW(io::open_checkpoint_file(models_dir() / "evil" / "pytorch_model.bin"), SecurityError);
}

// ---- hostile pickles, straight into the unpickler ----
namespace {
io::detail::Unpickled run(const std::string& bytes) {
  io::detail::UnpickleOptions o;
  o.file = "hostile.pkl";
  size_t pos = 0;
  return io::detail::unpickle(bytes, pos, o);
}
std::string refused_global(const std::string& bytes) {
  try {
    run(bytes);
  } catch (const SecurityError& e) {
    return e.what();
  } catch (const std::exception& e) {
    return std::string("wrong error: ") + e.what();
  }
  return "accepted";
}
}  // namespace

TEST(TorchHostile, ForbiddenGlobalsNameTheGlobal) {
  // GLOBAL builtins.eval / __builtin__.eval (Python-2 name) / os.system / subprocess.Popen
  EXPECT_NE(refused_global("\x80\x02" "cbuiltins\neval\n" "X\x04\x00\x00\x00" "1+1" "\x85R."), "accepted");
  EXPECT_NE(refused_global("\x80\x02" "cbuiltins\neval\n.").find("builtins.eval"), std::string::npos);
  EXPECT_NE(refused_global("\x80\x02" "c__builtin__\neval\n.").find("builtins.eval"), std::string::npos);
  EXPECT_NE(refused_global("\x80\x02" "cos\nsystem\n.").find("os.system"), std::string::npos);
  EXPECT_NE(refused_global("\x80\x02" "csubprocess\nPopen\n.").find("subprocess.Popen"), std::string::npos);
  EXPECT_NE(refused_global("\x80\x02" "ctorch\nload\n.").find("torch.load"), std::string::npos);
  EXPECT_NE(refused_global("\x80\x02" "ctorch._utils\n_rebuild_evil\n.").find("torch._utils._rebuild_evil"),
            std::string::npos);
  // protocol 4 STACK_GLOBAL spelling of os.system
  EXPECT_NE(refused_global("\x80\x04\x8c\x02os\x8c\x06system\x93.").find("os.system"), std::string::npos);
}

TEST(TorchHostile, MalformedPicklesAreFormatErrors) {
  const std::vector<std::string> bad = {
      "",                                  // empty
      "\x80\x02",                          // no STOP
      "\x80\x02}",                         // truncated
      "\x80\x02X\xff\xff\xff\x7f" "abc.",  // string length past the end
      "\x80\x02h\x05.",                    // memo key never stored
      "\x80\x02R.",                        // stack underflow
      "\x80\x02" "0.",                     // POP is not allowed
      "\x80\x02I1\n.",                     // protocol-0 INT not allowed
      "\x80\x02}K\x01K\x02" "a.",          // APPEND to a dict
      "\x80\x02" "cbuiltins\nset\n}R.",    // REDUCE args not a tuple
      "\x80\x02K\x01K\x02.",               // two values at STOP
      "\x80\x02" "t.",                     // TUPLE without MARK
      "\x80\x02" "K\x01Q.",                // persistent id without a loader
  };
  for (const auto& b : bad) {
    EXPECT_THROW(run(b), FormatError) << testing::PrintToString(b);
  }
}

TEST(TorchHostile, AllowedButUnsupportedGlobals) {
  EXPECT_THROW(run("\x80\x02" "ctorch._utils\n_rebuild_qtensor\n)R."), UnsupportedError);
}

TEST(TorchHostile, DeepNestingAndCyclesDoNotCrash) {
  // 2 million nested lists: "](" ... then appends; freed without recursion
  std::string deep = "\x80\x02";
  const int n = 2'000'000;
  for (int i = 0; i < n; ++i) deep += "]";
  for (int i = 0; i < n - 1; ++i) deep += "a";
  deep += ".";
  EXPECT_NO_THROW(run(deep));
  // a list containing itself through the memo
  EXPECT_NO_THROW(run("\x80\x02]q\x00h\x00" "a."s));
}

namespace {
// A minimal zip-format checkpoint whose tensor geometry is given by the test.
std::string storage_pickle(const std::string& tail) {
  // {'w': _rebuild_tensor_v2(('storage', FloatStorage, '0', 'cpu', 4), <tail>)}
  return "\x80\x02}q\x00(X\x01\x00\x00\x00wctorch._utils\n_rebuild_tensor_v2\n((X\x07\x00\x00\x00storage"
         "ctorch\nFloatStorage\nX\x01\x00\x00\x00" "0X\x03\x00\x00\x00" "cpuK\x04tQ"s +
         tail + "\x89" "ccollections\nOrderedDict\n)RtRu.";
}
io::detail::Unpickled run_with_storage(const std::string& bytes) {
  io::detail::UnpickleOptions o;
  o.file = "hostile.pkl";
  o.persistent_load = [](const io::detail::Value&) {
    auto v = std::make_shared<io::detail::Value>();
    v->kind = io::detail::Value::Kind::Storage;
    v->slot = std::make_shared<io::detail::StorageSlot>();
    v->slot->dtype = DType::Float32;
    v->slot->numel = 4;
    return v;
  };
  size_t pos = 0;
  return io::detail::unpickle(bytes, pos, o);
}
}  // namespace

TEST(TorchHostile, TensorGeometryIsCheckedAgainstTheStorage) {
  // offset 0, size (2,2), stride (2,1): fits 4 elements
  EXPECT_NO_THROW(run_with_storage(storage_pickle("K\x00K\x02K\x02\x86K\x02K\x01\x86"s)));
  // size (3,2): past the end
  EXPECT_THROW(run_with_storage(storage_pickle("K\x00K\x03K\x02\x86K\x02K\x01\x86"s)), FormatError);
  // offset 3 + 2 elements
  EXPECT_THROW(run_with_storage(storage_pickle("K\x03K\x02\x85K\x01\x85"s)), FormatError);
  // negative stride
  EXPECT_THROW(run_with_storage(storage_pickle("K\x00K\x02\x85J\xff\xff\xff\xff\x85"s)), FormatError);
  // huge size whose extent overflows int64
  EXPECT_THROW(run_with_storage(storage_pickle("K\x00\x8a\x08\xff\xff\xff\xff\xff\xff\xff\x3f\x85"s
                                               "\x8a\x08\xff\xff\xff\xff\xff\xff\xff\x3f\x85")),
               FormatError);
  // rank mismatch
  EXPECT_THROW(run_with_storage(storage_pickle("K\x00K\x02\x85K\x01K\x01\x86"s)), FormatError);
}

TEST(TorchHostile, TruncatedAndCorruptedArchives) {
  for (const fs::path& src : {models_dir() / "gpt2" / "bin" / "pytorch_model.bin", models_dir() / "legacy" / "legacy_format.bin",
                              data_dir() / "torch_zip64.bin"}) {
    SCOPED_TRACE(src.string());
    const std::string full = read_file(src);
    TempDir dir;
    const auto p = dir.path / "cut.bin";
    for (size_t cut = 0; cut < full.size(); cut += (full.size() < 5000 ? 5 : 499)) {
      write_file(p, full.substr(0, cut));
      try {
        io::TorchReader r(p);
        // a cut can only succeed if it removed nothing that matters (never for these files)
        ADD_FAILURE() << "accepted a file cut at " << cut;
      } catch (const FormatError&) {
      } catch (const UnsupportedError&) {
      } catch (const std::exception& e) {
        ADD_FAILURE() << "cut " << cut << ": unexpected " << e.what();
      }
    }
    // flip bytes one at a time in a sample of positions: a typed error or a successful read, never a crash
    // (the pickle at the front and the directory at the back; the middle is raw tensor bytes)
    for (size_t pos = 0; pos < full.size(); pos += (pos < 3000 || pos + 3000 > full.size() ? 11 : 997)) {
      std::string bad = full;
      bad[pos] = char(bad[pos] ^ 0x5a);
      write_file(p, bad);
      try {
        io::TorchReader r(p);
      } catch (const Error&) {
      }
    }
  }
}
