// set_input_embeddings / set_output_embeddings (issue 18: public API without a test), with 4.51's
// semantics: the module takes the given parameters (shared, as a Python attribute assignment shares
// the Parameter), forward uses them at once, ties are not re-made until tie_weights(). Checked on
// the GPT-2 fixture (tied lm_head) against HF's float32 logits of that fixture.
#include "transformers/modeling/resize.hpp"
#include "transformers/nn/embedding.hpp"
#include "transformers/nn/linear.hpp"
#include "transformers/ops/elementwise.hpp"
#include "utils/utils_test_helpers.hpp"

using namespace transformers;
using namespace utils_test;

namespace {
const Tensor& hf_logits() {
  static const auto e = load_tensors(fixture("gpt2/expected.safetensors"));
  return e.at("logits");
}
}  // namespace

TEST(SetEmbeddings, InputEmbeddingsAreSharedUsedAndRetiedOnlyByTieWeights) {
  auto model = load_model(fixture("gpt2/model"));
  nn::Embedding& old = input_embedding_module(*model);
  const Tensor w = old.weight;
  nn::Embedding e(w.size(0), w.size(1), /*padding_idx=*/3);
  e.weight = w.clone();
  set_input_embeddings(*model, e);
  EXPECT_EQ(input_embedding_module(*model).weight.data_ptr(), e.weight.data_ptr());  // shared, not copied
  EXPECT_EQ(input_embedding_module(*model).padding_idx, std::optional<int64_t>(3));
  EXPECT_TRUE(allclose(model->forward(fixture_inputs("gpt2")).logits, hf_logits()));  // same values: HF's logits

  // Scaled input embeddings change the logits; the tied head still holds the old tensor until
  // tie_weights() (Python re-ties only there).
  e.weight.copy_(w.to(DType::Float32) * 0.5);  // writes through the shared parameter
  EXPECT_GT(max_abs_diff(model->forward(fixture_inputs("gpt2")).logits, hf_logits()), 1e-2);
  EXPECT_EQ(output_linear_module(*model)->weight.data_ptr(), w.data_ptr());
  model->tie_weights();
  EXPECT_EQ(output_linear_module(*model)->weight.data_ptr(), e.weight.data_ptr());
}

TEST(SetEmbeddings, OutputEmbeddingsAreSharedAndUsed) {
  auto model = load_model(fixture("gpt2/model"));
  nn::Linear* head = output_linear_module(*model);
  ASSERT_NE(head, nullptr);
  nn::Linear l(head->in_features(), head->out_features(), /*bias=*/false);
  l.weight = head->weight.clone();
  set_output_embeddings(*model, l);
  EXPECT_EQ(output_linear_module(*model)->weight.data_ptr(), l.weight.data_ptr());
  EXPECT_TRUE(allclose(model->forward(fixture_inputs("gpt2")).logits, hf_logits()));
  l.weight.fill_(0.0);  // GPT-2's head has no bias: every logit is then exactly 0
  const Tensor z = model->forward(fixture_inputs("gpt2")).logits;
  EXPECT_TRUE(allclose(z, Tensor::zeros(z.sizes(), z.dtype()), testcmp::kExact));
  // a model without a head: UnsupportedError, as 4.51 has no output embeddings to set
  auto base = load_model(fixture("bert/base"));
  EXPECT_THROW(set_output_embeddings(*base, l), UnsupportedError);
}
