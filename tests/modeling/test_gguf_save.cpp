// save_gguf (`convert --format gguf`): the tiny Llama of test_gguf_load.cpp (4.51's weights) written
// in each --quant. tests/oracle/make_gguf_writer.py validated these exact files: byte-equal to what
// gguf-py's GGUFWriter writes from 4.51's state dict with llama.cpp's permutation and gguf-py's
// quantizer, read back by gguf-py's GGUFReader, loaded by 4.51 with gguf_file=; it recorded their
// sha256, which our output must still have. Then our own loader reads them back.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include "common/compare.hpp"
#include "transformers/core/error.hpp"
#include "transformers/hub/hub.hpp"
#include "transformers/io/safetensors.hpp"
#include "transformers/modeling/auto.hpp"
#include "transformers/modeling/gguf_save.hpp"

using namespace transformers;
namespace fs = std::filesystem;

namespace {
fs::path dir() { return fs::path(TRANSFORMERS_TEST_DATA_DIR) / "modeling" / "gguf"; }
nlohmann::json json_file(const fs::path& p) {
  std::ifstream in(p);
  return nlohmann::json::parse(in);
}
}  // namespace

TEST(GGUFSave, FilesEqualTheOracleValidatedOnesAndLoadBack) {
  const auto want = json_file(dir() / "writer_expected.json");
  const auto e = json_file(dir() / "expected.json")["tiny_llama"];
  const auto ids_v = e["input_ids"].get<std::vector<int64_t>>();
  const Tensor ids = Tensor::from_vector(ids_v, {1, int64_t(ids_v.size())});
  const Tensor logits451 = io::SafetensorsReader(dir() / "tiny_llama_logits.safetensors").get_tensor("logits");
  io::SafetensorsReader written451(dir() / "writer_logits.safetensors");
  auto model = AutoModelForCausalLM::from_pretrained(dir().string(), {.gguf_file = "tiny_llama.gguf"});
  const fs::path tmp = fs::temp_directory_path() / ("gguf_save_" + std::to_string(::getpid()));
  fs::create_directories(tmp);
  int checked = 0;
  for (const std::string quant : {"f32", "f16", "bf16", "q8_0", "q4_0"}) {
    SCOPED_TRACE(quant);
    const fs::path file = tmp / (quant + ".gguf");
    save_gguf(*model, file, {.quant = quant});
    EXPECT_EQ(hub::sha256_file_hex(file.string()), want[quant]["sha256"].get<std::string>());
    auto back = AutoModelForCausalLM::from_pretrained(tmp.string(), {.gguf_file = file.string()});
    ModelInputs in;
    in.input_ids = ids;
    const Tensor logits = back->forward(in).logits.select(0, 0);
    // 4.51's logits of this very file (oracle), at float32 parity; f32 keeps the original weights,
    // so also the original file's logits.
    EXPECT_TRUE(testcmp::allclose(logits, written451.get_tensor(quant)));
    if (quant == "f32") EXPECT_TRUE(testcmp::allclose(logits, logits451));
    ++checked;
  }
  EXPECT_EQ(checked, 5);
  EXPECT_THROW(save_gguf(*model, tmp / "x.gguf", {.quant = "q5_k"}), ValueError);
  fs::remove_all(tmp);
}
