// One loaded model used by several threads at once (read-only use: the weights are shared,
// caches are per call) must give exactly what sequential calls give. Run it under scripts/sanitize (ASan) or a TSan build to catch races that happen not
// to change the numbers.
#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "reliability_util.hpp"
#include "transformers/io/safetensors.hpp"
#include "transformers/modeling/modeling_utils.hpp"
#include "transformers/models/register_all.hpp"

namespace reliability {
namespace {

using namespace transformers;
constexpr int kThreads = 4;
constexpr int kRounds = 3;

// Builds `class_name` from a fixture folder with the registry and loads its model.safetensors
// (output embeddings tied to the input embeddings, as the checkpoint leaves them out).
std::shared_ptr<PreTrainedModel> load_fixture_model(const fs::path& folder, const std::string& class_name) {
  register_all_models();
  auto config = std::make_shared<PretrainedConfig>(nlohmann::json::parse(read_file(folder / "config.json")));
  const ModelClassInfo* info = find_model_class(class_name);
  if (!info) throw KeyError("no registered model class " + class_name);
  auto model = info->factory(config);
  std::map<std::string, Tensor> weights;
  for (auto& [k, v] : io::load_safetensors(folder / "model.safetensors")) weights[k] = v;
  model->load_state_dict(weights, /*strict=*/false);
  if (config->tie_word_embeddings()) {
    nn::Module* out = model->get_output_embeddings();
    nn::Module* in = model->get_input_embeddings();
    if (out && in) *out->find_parameter("weight") = *in->find_parameter("weight");
  }
  return model;
}

bool bitwise_equal(const Tensor& a, const Tensor& b) {
  if (a.dtype() != b.dtype() || a.shape() != b.shape()) return false;
  const Tensor ca = a.contiguous(), cb = b.contiguous();
  return std::memcmp(ca.data_ptr(), cb.data_ptr(), ca.nbytes()) == 0;
}

void check_model_threads(const std::string& arch, const std::string& class_name) {
  const fs::path folder = models() / arch / "model";
  auto model = load_fixture_model(folder, class_name);
  std::map<std::string, Tensor> expected;
  for (auto& [k, v] : io::load_safetensors(models() / arch / "expected.safetensors")) expected[k] = v;
  ModelInputs in;
  in.input_ids = expected.at("input_ids");
  in.attention_mask = expected.at("attention_mask");
  if (expected.count("token_type_ids")) in.token_type_ids = expected.at("token_type_ids");
  in.use_cache = false;
  const Tensor reference = model->forward(in).logits.clone();

  std::atomic<int> mismatches{0}, errors{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&] {
      for (int r = 0; r < kRounds; ++r) {
        try {
          if (!bitwise_equal(model->forward(in).logits, reference)) ++mismatches;
        } catch (...) {
          ++errors;
        }
      }
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(errors.load(), 0) << arch;
  EXPECT_EQ(mismatches.load(), 0) << arch << ": concurrent forward differs from the sequential one";
}

TEST(Concurrency, Gpt2ForwardFromSeveralThreads) { check_model_threads("gpt2", "GPT2LMHeadModel"); }
TEST(Concurrency, LlamaForwardFromSeveralThreads) { check_model_threads("llama", "LlamaForCausalLM"); }
TEST(Concurrency, BertForwardFromSeveralThreads) { check_model_threads("bert", "BertForMaskedLM"); }

}  // namespace
}  // namespace reliability
