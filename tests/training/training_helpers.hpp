#pragma once
// What the training tests share: the goldens of tests/data/training/, the GPT-2 fixture in train
// mode and the comparison the issue states tolerances in (relative to the gradient's norm).
#include <cmath>
#include <filesystem>
#include <map>
#include <string>

#include <gtest/gtest.h>

#include "transformers/io/safetensors.hpp"
#include "transformers/modeling/auto.hpp"
#include "transformers/models/register_all.hpp"
#include "transformers/ops/indexing.hpp"

namespace training_test {

inline std::map<std::string, transformers::Tensor> golden(const std::string& file) {
  std::map<std::string, transformers::Tensor> m;
  for (auto& [k, v] :
       transformers::io::load_safetensors(std::filesystem::path(TRANSFORMERS_TEST_DATA_DIR) / "training" / file))
    m[k] = v;
  return m;
}

inline std::shared_ptr<transformers::PreTrainedModel> gpt2(const std::string& attn) {
  transformers::register_all_models();
  const std::filesystem::path path = std::filesystem::path(TRANSFORMERS_FIXTURES_DIR) / "hf/models/gpt2/model";
  auto m = transformers::AutoModelForCausalLM::from_pretrained(path.string(), {.attn_implementation = attn});
  m->train();  // the fixture's dropout probabilities are 0
  return m;
}

inline transformers::ModelInputs batch(const std::map<std::string, transformers::Tensor>& g) {
  transformers::ModelInputs in;
  in.input_ids = g.at("input_ids");
  in.attention_mask = g.at("attention_mask");
  in.labels = g.at("labels");
  return in;
}

inline double norm(const transformers::Tensor& t) {
  double n = 0;
  for (double x : t.to_vector<double>()) n += x * x;
  return std::sqrt(n);
}

// ||got - want||_2 / ||want||_2.
inline double relative_to_norm(const transformers::Tensor& got, const transformers::Tensor& want) {
  const auto a = got.to_vector<double>(), b = want.to_vector<double>();
  EXPECT_EQ(a.size(), b.size());
  double d = 0, n = 0;
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) {
    d += (a[i] - b[i]) * (a[i] - b[i]);
    n += b[i] * b[i];
  }
  return std::sqrt(d) / std::sqrt(n);
}

// Every parameter's gradient against the golden `<prefix><name>` within 1e-5 relative to the
// golden's norm; returns how many were compared and sets `worst` to the largest relative error.
inline int expect_gradients_equal(transformers::PreTrainedModel& model,
                                  const std::map<std::string, transformers::Tensor>& golden, const std::string& prefix,
                                  double& worst) {
  int checked = 0;
  worst = 0;
  for (auto& [name, p] : model.named_parameters()) {
    const auto it = golden.find(prefix + name);
    EXPECT_NE(it, golden.end()) << "no golden gradient for " << name;
    EXPECT_TRUE(p.grad().defined()) << name << " got no gradient";
    if (it == golden.end() || !p.grad().defined()) continue;
    if (name.ends_with("attention.self.key.bias")) {
      // BERT's key bias adds q.b_k to every score of a row, which softmax cancels: its gradient
      // is 0 in exact arithmetic, and both sides hold float32 rounding noise there (torch's norm
      // ~1e-8), which no relative bound can compare. Both must be zero to rounding.
      EXPECT_LE(norm(p.grad()), 1e-6) << name;
      EXPECT_LE(norm(it->second), 1e-6) << name;
      ++checked;
      continue;
    }
    const double rel = relative_to_norm(p.grad(), it->second);
    EXPECT_LE(rel, 1e-5) << name;
    worst = std::max(worst, rel);
    ++checked;
  }
  return checked;
}

// GPT-2's attn.c_attn.bias without its key third. That third adds q.b_k to every score of a row,
// which softmax cancels: its gradient is 0 in exact arithmetic and rounding noise (~3e-8) in
// float32, and AdamW turns any noise into lr-sized steps (m / sqrt(v)), so torch's and our values
// there are each one's noise. They never change the loss; the query and value thirds are compared.
inline transformers::Tensor comparable_after_adamw(const std::string& name, const transformers::Tensor& t) {
  if (!name.ends_with("attn.c_attn.bias")) return t;
  const int64_t third = t.size(0) / 3;
  return transformers::ops::cat({t.narrow(0, 0, third), t.narrow(0, 2 * third, third)}, 0);
}

}  // namespace training_test
