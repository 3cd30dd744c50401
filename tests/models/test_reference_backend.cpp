// The three architectures end to end on the reference backend (plain float64 loops, see
// src/ops/reference), in float64, against Hugging Face's float64 logits (`logits_f64` of each
// fixture's expected.safetensors). Both sides compute in float64 from the same float32 weights, so
// only summation order separates them: the tolerance is 1e-10 relative for BERT and GPT-2 (the
// CPU kernels' float32 runs are at ~5e-7, so a single float32 rounding anywhere in the path would
// fail it). Llama is the exception: HF builds its rotary cos/sin in float32 even in a float64 model
// (inv_freq.float() @ position_ids.float(), then .cos()), and torch's float32 cos/sin differ from
// libm's by an ulp (~6e-8), which reaches the logits at ~4e-7 relative on either backend; its
// bound is 1e-6 relative. The reference run must also agree with the CPU backend's float64 run
// (different kernels, same math) to 1e-12 relative.
#include "models/parity_util.hpp"
#include "transformers/ops/dispatch.hpp"

using namespace transformers;
using namespace parity;

namespace {

struct Case {
  const char* name;
  const char* cls;
  const char* attn;
};

class ReferenceBackend : public ::testing::TestWithParam<Case> {};

TEST_P(ReferenceBackend, Float64LogitsEqualHuggingFaceFloat64) {
  const Case& c = GetParam();
  auto exp = load_tensors(fixture(std::string(c.name) + "/expected.safetensors"));
  auto model = load_model(fixture(std::string(c.name) + "/model"), c.cls, c.attn, DType::Float64);
  ModelInputs in;
  in.input_ids = exp.at("input_ids");
  in.attention_mask = exp.at("attention_mask");
  if (exp.count("token_type_ids")) in.token_type_ids = exp.at("token_type_ids");
  ModelOutput out;
  {
    ops::DeviceGuard on(Device::Reference);
    out = model->forward(in);
  }
  const ModelOutput cpu = model->forward(in);
  EXPECT_EQ(cpu.logits.device(), Device::CPU);
  EXPECT_EQ(out.logits.device(), Device::Reference);  // the last op (the LM head) ran there
  EXPECT_EQ(out.logits.dtype(), DType::Float64);
  Diff d = diff(out.logits, exp.at("logits_f64"));
  const double rel = std::string(c.name) == "llama" ? 1e-6 : 1e-10;
  EXPECT_LE(d.max_abs, rel * d.max_ref) << c.name << " " << c.attn;
  Diff between = diff(out.logits, cpu.logits);
  EXPECT_LE(between.max_abs, 1e-12 * between.max_ref) << c.name << " " << c.attn;
  std::printf("%s %s on reference: max|err| %.3g vs HF float64 (max |logit| %.3g), %.3g vs the CPU backend\n", c.name,
              c.attn, d.max_abs, d.max_ref, between.max_abs);
}

INSTANTIATE_TEST_SUITE_P(Fixtures, ReferenceBackend,
                         ::testing::Values(Case{"bert", "BertForMaskedLM", "eager"}, Case{"bert", "BertForMaskedLM", "sdpa"},
                                           Case{"gpt2", "GPT2LMHeadModel", "eager"}, Case{"gpt2", "GPT2LMHeadModel", "sdpa"},
                                           Case{"llama", "LlamaForCausalLM", "eager"},
                                           Case{"llama", "LlamaForCausalLM", "sdpa"}),
                         [](const auto& info) { return std::string(info.param.name) + "_" + info.param.attn; });

}  // namespace
