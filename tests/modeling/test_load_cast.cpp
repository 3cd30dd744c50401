// from_pretrained(torch_dtype=bfloat16/float16) on a float32 checkpoint: the vectorised, threaded
// load-time conversion must give exactly the core's scalar conversion (torch's rounding: nearest
// even, every bf16 NaN -> 0xffff) at every kernel level, including chunk seams and vector tails.
#include <gtest/gtest.h>

#include <cstring>
#include <random>

#include "test_helpers.hpp"
#include "tiny_models.hpp"
#include "transformers/core/cpu_features.hpp"
#include "transformers/core/parallel.hpp"
#include "transformers/modeling/modeling_utils.hpp"

using namespace transformers;
using namespace transformers::test;

namespace {

// Float32 bit patterns whose rounding is easy to get wrong; the rest of each tensor is random bits.
constexpr uint32_t kSpecial[] = {
    0x7fc00000u, 0xffc00001u, 0x7f800001u, 0x7fbfffffu,  // quiet / signalling NaNs with payloads
    0x7f800000u, 0xff800000u, 0x7f7fffffu, 0xff7fffffu,  // infinities, FLT_MAX (rounds to inf)
    0x00000001u, 0x80000001u, 0x007fffffu, 0x00008000u,  // denormals
    0x3f808000u, 0x3f818000u, 0x3f80c000u, 0x3f807fffu,  // bf16 ties to even (down / up), above, below
    0x00000000u, 0x80000000u, 0x33800000u, 0x477fefffu,  // zeros, fp16 tiny, fp16 just below 65520
    0x477ff000u, 0x38800000u, 0x387fc000u, 0x33000001u,  // fp16 overflow tie, min normal, subnormal edges
};

uint16_t scalar_16(uint32_t bits, DType to) {
  float f;
  std::memcpy(&f, &bits, 4);
  return to == DType::BFloat16 ? float_to_bf16(f) : float_to_fp16(f);
}

class LoadCast : public ::testing::Test {
 protected:
  void SetUp() override {
    threads_ = get_num_threads();
    level_ = kernel_level();
    set_num_threads(2);  // the conversion splits over the pool; the seams must not show
  }
  void TearDown() override {
    set_num_threads(threads_);
    force_kernel_level(level_);
  }
  int threads_ = 1;
  KernelLevel level_ = KernelLevel::Scalar;
};

}  // namespace

TEST_F(LoadCast, Float32CheckpointToHalfTypesBitExactAtEveryLevel) {
  // A GPT-2 stand-in whose embedding (4999 x 32 = 159968 values) spans several 64 Ki chunks with a
  // length that is no multiple of 16, so chunk seams and scalar tails are both exercised.
  auto config = PretrainedConfig::from_json_file((fixtures() / "gpt2" / "model" / "config.json").string());
  config->set("vocab_size", int64_t(4999));
  auto model = build_model_from_config(tiny_factory<TGPT2LMHeadModel>(), config, 7);
  std::mt19937 rng(1234);
  std::map<std::string, std::vector<uint32_t>> saved;
  for (auto& [name, t] : model->state_dict()) {
    if (name == "lm_head.weight") continue;  // tied to wte, not saved
    std::vector<uint32_t> bits(size_t(t.numel()));
    for (size_t i = 0; i < bits.size(); ++i)
      bits[i] = i % 7 == 3 ? kSpecial[(i / 7) % std::size(kSpecial)] : uint32_t(rng());
    std::memcpy(model->find_tensor(name)->mutable_data_ptr(), bits.data(), bits.size() * 4);
    saved[name] = std::move(bits);
  }
  ASSERT_GT(saved["transformer.wte.weight"].size(), size_t(2) << 16);
  TempDir tmp;
  model->save_pretrained(tmp.str());

  for (KernelLevel level : {KernelLevel::Scalar, KernelLevel::Avx2, KernelLevel::Avx512}) {
    force_kernel_level(level);
    for (DType to : {DType::BFloat16, DType::Float16}) {
      SCOPED_TRACE(std::string(kernel_level_name(kernel_level())) + " -> " + std::string(dtype_name(to)));
      auto m = load_pretrained_model(tiny_factory<TGPT2LMHeadModel>(), "", tmp.str(), {.torch_dtype = to});
      for (auto& [name, bits] : saved) {
        const Tensor* t = m->find_tensor(name);
        ASSERT_TRUE(t && t->defined()) << name;
        ASSERT_EQ(t->dtype(), to) << name;
        ASSERT_TRUE(t->is_contiguous()) << name;
        const auto* got = static_cast<const uint16_t*>(t->data_ptr());
        size_t bad = 0, first = 0;
        for (size_t i = 0; i < bits.size(); ++i)
          if (got[i] != scalar_16(bits[i], to) && bad++ == 0) first = i;
        EXPECT_EQ(bad, 0u) << name << ": first difference at " << first << " (float32 bits 0x" << std::hex
                           << bits[first] << ")";
      }
      auto* g = static_cast<TGPT2LMHeadModel*>(m.get());
      EXPECT_TRUE(g->lm_head->weight.is_same(g->wte->weight));  // still tied after the cast
    }
  }
}
