// generate() against transformers 4.51.3 where the other goldens do not reach (issue 18):
//  - the fp16 / bf16 fixture folders run in their own dtype (torch_dtype="auto"), greedy, the same
//    call as the fixtures' float32 gen_greedy;
//  - the rope-scaled Llama cases (linear, dynamic, yarn, llama3, longrope), greedy past
//    original_max_position_embeddings so the scaled frequencies, and dynamic's recomputation past
//    max_position_embeddings, decide the tokens.
// Goldens: tests/oracle/make_half_goldens.py (tests/data/models/half_goldens.*). Token ids must match.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>

#include "generation_test_utils.hpp"
#include "transformers/io/safetensors.hpp"

using namespace transformers;
using namespace gentest;

namespace {

const std::string kData = std::string(TRANSFORMERS_TEST_DATA_DIR) + "/models/";

std::vector<int64_t> golden(const std::string& key) {
  static io::SafetensorsReader r(kData + "half_goldens.safetensors");
  return r.get_tensor(key).to(DType::Int64).to_vector<int64_t>();
}

std::shared_ptr<PreTrainedModel> load(const std::string& class_name, const std::string& dir, FromPretrainedOptions o) {
  register_all_models();
  const ModelClassInfo* info = find_model_class(class_name);
  if (!info) throw std::runtime_error(class_name + " is not registered");
  o.attn_implementation = "eager";
  return load_pretrained_model(info->factory, info->class_name, dir, o);
}

class HalfGenerate : public ::testing::TestWithParam<std::string> {};

TEST_P(HalfGenerate, GreedyMatchesTransformers451) {
  const std::string arch = GetParam();
  io::SafetensorsReader fx(std::string(TRANSFORMERS_FIXTURES_DIR) + "/hf/models/" + arch + "/expected.safetensors");
  const Tensor prompt = fx.get_tensor("gen_prompt").to(DType::Int64);
  for (auto [sub, dt] : {std::pair{"fp16", DType::Float16}, std::pair{"bf16", DType::BFloat16}}) {
    SCOPED_TRACE(sub);
    auto model = load(causal_lm_class(arch), std::string(TRANSFORMERS_FIXTURES_DIR) + "/hf/models/" + arch + "/" + sub,
                      {.torch_dtype = "auto"});
    ASSERT_EQ(model->dtype(), dt);
    auto out = generate(*model, prompt, {}, {.max_new_tokens = 10, .pad_token_id = 0});
    EXPECT_EQ(out.sequences.to_vector<int64_t>(), golden(arch + "/" + sub + "/gen_greedy"));
  }
}

INSTANTIATE_TEST_SUITE_P(Models, HalfGenerate, ::testing::Values("gpt2", "llama"));

class RopeGenerate : public ::testing::TestWithParam<std::string> {};

TEST_P(RopeGenerate, GreedyMatchesTransformers451) {
  const std::string name = GetParam();
  static const nlohmann::json facts = [] {
    std::ifstream f(kData + "half_goldens.json");
    return nlohmann::json::parse(f);
  }();
  const auto& fact = facts.at("rope/" + name);
  auto model = load("LlamaForCausalLM", kData + "cases/" + name, {});
  const auto p = golden("rope/" + name + "/prompt");
  const Tensor prompt = Tensor::from_vector(p, {1, int64_t(p.size())});
  const int64_t n = fact["max_new_tokens"].get<int64_t>();
  auto out = generate(*model, prompt, {}, {.max_new_tokens = n, .min_new_tokens = n, .pad_token_id = 0});
  const auto want = golden("rope/" + name + "/gen_greedy");
  EXPECT_EQ(out.sequences.to_vector<int64_t>(), want);
  // the run reached past the original context, where these scalings differ from plain rope (linear
  // scaling changes every position; its case has no longer context than max_position_embeddings)
  EXPECT_EQ(int64_t(want.size()), int64_t(p.size()) + n);
  if (name != "llama_rope_linear")
    EXPECT_GT(int64_t(want.size()), fact["original_max_position_embeddings"].get<int64_t>());
}

INSTANTIATE_TEST_SUITE_P(Llama, RopeGenerate,
                         ::testing::Values("llama_rope_linear", "llama_rope_dynamic", "llama_rope_yarn",
                                           "llama_rope_llama3", "llama_rope_longrope"));

}  // namespace
