// Tensor parallelism over MPI (issue 26). CTest runs this program alone (world size 1) and under
// `mpirun --allow-run-as-root --oversubscribe -np 2 | 3 | 4` (tests/CMakeLists.txt). Every rank builds
// the same seeded model twice: one stays whole (the single-process run), the other is sharded with
// tp_plan "auto"; logits must agree within 1e-5 and greedy tokens exactly. A world size that does not
// divide the heads / intermediate size is a ValueError on every rank (no rank is left in a collective;
// the ctest timeout turns a hang into a failure).
#include <gtest/gtest.h>

#include <filesystem>
#include <random>

#include "common/compare.hpp"
#include "transformers/core/error.hpp"
#include "transformers/distributed/tensor_parallel.hpp"
#include "transformers/generation/utils.hpp"
#include "transformers/modeling/auto.hpp"

using namespace transformers;

namespace {

std::shared_ptr<distributed::Communicator> world() { return distributed::mpi_world(); }

// hidden 64, 8 heads, 4 key/value heads (GQA), intermediate 128, vocabulary 96: divisible by 1, 2 and 4.
json small_config(const std::string& model_type) {
  json c = {{"vocab_size", 96},          {"hidden_size", 64},        {"intermediate_size", 128},
            {"num_hidden_layers", 2},    {"num_attention_heads", 8}, {"num_key_value_heads", 4},
            {"head_dim", 8},             {"max_position_embeddings", 64},
            {"tie_word_embeddings", false}, {"bos_token_id", 1},     {"eos_token_id", 2},
            {"pad_token_id", 0},         {"initializer_range", 0.25}};
  if (model_type == "qwen2") c["use_sliding_window"] = false;
  if (model_type == "gemma2") {
    c["sliding_window"] = 4;
    c["attn_logit_softcapping"] = 50.0;
    c["final_logit_softcapping"] = 30.0;
  }
  if (model_type == "gemma") c["tie_word_embeddings"] = true;
  if (model_type == "mixtral") {  // 4 experts, 2 per token: every rank routes alike (gathered router)
    c["num_local_experts"] = 4;
    c["num_experts_per_tok"] = 2;
  }
  if (model_type == "gemma3_text") {  // every second layer local (window 4), q/k norms, tied head
    c["sliding_window"] = 4;
    c["sliding_window_pattern"] = 2;
    c["tie_word_embeddings"] = true;
  }
  return c;
}

std::shared_ptr<PreTrainedModel> build(const std::string& model_type) {
  auto config = AutoConfig::for_model(model_type, small_config(model_type));
  config->set("attn_implementation", "eager");
  return auto_from_config("AutoModelForCausalLM", config, /*seed=*/1234);
}

Tensor prompt() {
  return Tensor::from_vector<int64_t>({5, 17, 33, 2 + 40, 9, 71, 60, 3, 88, 12, 44, 21}, {2, 6});
}

bool divides(const PreTrainedModel& m, int n) {
  const json& c = m.config().to_dict();
  for (const char* k : {"num_attention_heads", "num_key_value_heads", "intermediate_size", "vocab_size"})
    if (c[k].get<int64_t>() % n != 0) return false;
  if (c.contains("num_local_experts") && c["num_local_experts"].get<int64_t>() % n != 0) return false;
  return true;
}

void check_family(const std::string& model_type) {
  SCOPED_TRACE(model_type);
  auto comm = world();
  auto whole = build(model_type);
  auto tp = build(model_type);
  if (!divides(*tp, comm->size())) {
    EXPECT_THROW(distributed::tensor_parallel(*tp, comm), ValueError);
    return;
  }
  const auto info = distributed::tensor_parallel(*tp, comm);
  EXPECT_EQ(info.world_size, comm->size());
  ModelInputs in;
  in.input_ids = prompt();
  const Tensor want = whole->forward(in).logits;
  const Tensor got = tp->forward(in).logits;
  EXPECT_TRUE(testcmp::allclose(got, want, testcmp::Tolerance{.atol = 1e-5, .rtol = 0})) << "rank " << comm->rank();
  GenerationOptions g;
  g.max_new_tokens = 8;
  g.do_sample = false;
  const auto a = generate(*whole, prompt(), {}, g).sequences.to_vector<int64_t>();
  const auto b = generate(*tp, prompt(), {}, g).sequences.to_vector<int64_t>();
  EXPECT_EQ(a, b) << "rank " << comm->rank();
}

}  // namespace

TEST(TensorParallel, LlamaLogitsAndGreedyTokensEqualOneProcess) { check_family("llama"); }
TEST(TensorParallel, MistralQwen2Qwen3GemmaGemma2Gemma3Mixtral) {
  for (const char* t : {"mistral", "qwen2", "qwen3", "gemma", "gemma2", "gemma3_text", "mixtral"}) check_family(t);
}

// 4.51's "_rep" styles: q/k/v (OLMo 2) or the fused qkv / gate_up (Phi-3) gathered back after their
// column shards, o_proj (and Phi-3's down_proj) fed the whole input and taking their block of it.
TEST(TensorParallel, Olmo2Phi3GatheredProjections) {
  for (const char* t : {"olmo2", "phi3"}) check_family(t);
  auto m = build("phi3");
  const auto plan = distributed::get_tp_plan(*m);
  ASSERT_EQ(plan.size(), 5u);
  EXPECT_EQ(plan[0], (std::pair<std::string, std::string>{"model.layers.*.self_attn.qkv_proj", "colwise_rep"}));
  EXPECT_EQ(plan[3], (std::pair<std::string, std::string>{"model.layers.*.mlp.down_proj", "rowwise_rep"}));
}

TEST(TensorParallel, MappedCheckpointKeepsOneNthOfTheLayerWeights) {
  auto comm = world();
  // each rank writes its own copy (no shared folder needed), then maps it
  std::random_device rd;
  const auto dir = std::filesystem::temp_directory_path() /
                   ("tcpp_tp_" + std::to_string(comm->rank()) + "_" + std::to_string(rd()));
  build("llama")->save_pretrained(dir.string());
  auto whole = auto_from_pretrained("AutoModelForCausalLM", dir.string());
  auto tp = auto_from_pretrained("AutoModelForCausalLM", dir.string());
  if (!divides(*tp, comm->size())) {
    EXPECT_THROW(distributed::tensor_parallel(*tp, comm), ValueError);
    std::filesystem::remove_all(dir);
    return;
  }
  const auto info = distributed::tensor_parallel(*tp, comm);
  const int n = comm->size();
  // embedding (96 x 64) and the norms stay whole; every Linear is 1/n
  const int64_t embed = 96 * 64 * 4, norms = (2 * 2 + 1) * 64 * 4;
  EXPECT_EQ(info.weight_bytes_local - embed - norms, (info.weight_bytes_total - embed - norms) / n);
  if (comm->rank() == 0)
    std::printf("[ tp ] world %d: weight bytes per rank %lld of %lld (%.3f)\n", n, (long long)info.weight_bytes_local,
                (long long)info.weight_bytes_total, double(info.weight_bytes_local) / double(info.weight_bytes_total));
  ModelInputs in;
  in.input_ids = prompt();
  EXPECT_TRUE(testcmp::allclose(tp->forward(in).logits, whole->forward(in).logits, testcmp::Tolerance{.atol = 1e-5, .rtol = 0}));
  std::filesystem::remove_all(dir);
}

TEST(TensorParallel, WorldSizeNotDividingTheHeadsFailsOnEveryRank) {
  auto comm = world();
  auto config = AutoConfig::for_model("llama", small_config("llama"));
  config->set("num_attention_heads", 3);  // with head_dim 8 given, hidden stays 64
  config->set("num_key_value_heads", 3);
  auto m = auto_from_config("AutoModelForCausalLM", config, 1);
  const int n = comm->size();
  if (n == 1) {
    EXPECT_NO_THROW(distributed::tensor_parallel(*m, comm));
    return;
  }
  try {
    distributed::tensor_parallel(*m, comm);
    ADD_FAILURE() << "no error on rank " << comm->rank();
  } catch (const ValueError& e) {
    // 3 heads: 2 and 4 ranks fail on the heads; 3 ranks on the intermediate size 128
    const std::string what = n == 3 ? "out_features = 128 is not divisible by the world size 3"
                                    : "num_attention_heads = 3 is not divisible by the world size " + std::to_string(n);
    EXPECT_NE(std::string(e.what()).find(what), std::string::npos) << e.what();
  }
  // every rank got here: a collective after the error returns on all of them
  EXPECT_EQ(comm->all_reduce_max(comm->rank()), n - 1);
}

TEST(TensorParallel, BadDeviceMapOrMaxMemoryFailsOnEveryRank) {
  // Placement is checked while loading, before any collective: under mpirun every rank raises the
  // same ValueError naming what is wrong, and all of them reach the collective after it.
  auto comm = world();
  const std::string folder = std::string(TRANSFORMERS_FIXTURES_DIR) + "/hf/models/llama/model";
  auto message = [&](const FromPretrainedOptions& o) -> std::string {
    try {
      auto_from_pretrained("AutoModelForCausalLM", folder, o);
    } catch (const ValueError& e) {
      return e.what();
    }
    return "no error on rank " + std::to_string(comm->rank());
  };
  const std::string unknown = message({.device_map = DeviceMapArg{.map = {{"model", "cpu"}, {"lm_head", "cpu"}, {"model.decoder", "cpu"}}}});
  EXPECT_NE(unknown.find("'model.decoder'"), std::string::npos) << unknown;
  const std::string left_out = message({.device_map = DeviceMapArg{.map = {{"model", "cpu"}}}});
  EXPECT_NE(left_out.find("'lm_head.weight'"), std::string::npos) << left_out;
  const std::string small = message({.device_map = DeviceMapArg{.strategy = "auto"}, .max_memory = MaxMemory{{"cpu", int64_t(26000)}}});
  EXPECT_NE(small.find("26000 bytes is smaller than the largest layer"), std::string::npos) << small;
  EXPECT_EQ(comm->all_reduce_max(comm->rank()), comm->size() - 1);
}

TEST(TensorParallel, PlanIsFourFiftyOnesAndOnlyAuto) {
  auto m = build("llama");
  const auto plan = distributed::get_tp_plan(*m);
  ASSERT_EQ(plan.size(), 8u);
  EXPECT_EQ(plan[0], (std::pair<std::string, std::string>{"model.layers.*.self_attn.q_proj", "colwise"}));
  EXPECT_EQ(plan[3], (std::pair<std::string, std::string>{"model.layers.*.self_attn.o_proj", "rowwise"}));
  EXPECT_EQ(plan[6], (std::pair<std::string, std::string>{"model.layers.*.mlp.down_proj", "rowwise"}));
  EXPECT_EQ(plan[7], (std::pair<std::string, std::string>{"lm_head", "colwise_rep"}));
  EXPECT_THROW(distributed::tensor_parallel(*m, world(), "balanced"), ValueError);
  auto bert = auto_from_config("AutoModel", AutoConfig::for_model("bert", {{"hidden_size", 32}, {"num_attention_heads", 4},
                                                                          {"intermediate_size", 37}, {"num_hidden_layers", 1}}),
                               1);
  EXPECT_THROW(distributed::get_tp_plan(*bert), UnsupportedError);
}
