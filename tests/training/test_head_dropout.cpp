// Dropout of DistilBERT (embeddings, attention probabilities, FFN output and every head) and of the
// RoBERTa heads in train(), at the places 4.51's modules apply it, with the probability each reads
// from the config. torch's RNG stream is not reproduced, so each place is checked statistically:
// with everything upstream in eval() and the layers after the dropout set to identities or sums,
// each output element is either 0 or the eval() value / (1 - p) (the scaling), and the kept count is
// within 4 standard deviations of n (1 - p) (the keep rate, binomial). Seeded runs repeat.
#include <gtest/gtest.h>

#include <cmath>

#include "common/compare.hpp"
#include "transformers/core/autograd.hpp"
#include "transformers/models/distilbert/modeling_distilbert.hpp"
#include "transformers/models/register_all.hpp"
#include "transformers/models/roberta/modeling_roberta.hpp"
#include "transformers/modeling/auto.hpp"
#include "transformers/ops/indexing.hpp"
#include "transformers/ops/random.hpp"

using namespace transformers;

namespace {

constexpr int64_t kDim = 32;
constexpr double kP = 0.3;

template <typename M>
std::shared_ptr<M> build(const char* auto_class, json config) {
  register_all_models();
  auto model = std::dynamic_pointer_cast<M>(auto_from_config(auto_class, PretrainedConfig::from_dict(config), 0));
  EXPECT_TRUE(model) << auto_class;
  return model;
}

json distilbert_config(double dropout, double attention, double qa, double seq) {
  return {{"model_type", "distilbert"}, {"vocab_size", 50}, {"dim", kDim}, {"n_layers", 1}, {"n_heads", 4},
          {"hidden_dim", 37}, {"max_position_embeddings", 64}, {"pad_token_id", 0}, {"dropout", dropout},
          {"attention_dropout", attention}, {"qa_dropout", qa}, {"seq_classif_dropout", seq}};
}

json roberta_config(double hidden, json classifier) {
  return {{"model_type", "roberta"}, {"vocab_size", 50}, {"hidden_size", kDim}, {"num_hidden_layers", 1},
          {"num_attention_heads", 4}, {"intermediate_size", 37}, {"max_position_embeddings", 64},
          {"pad_token_id", 1}, {"hidden_dropout_prob", hidden}, {"attention_probs_dropout_prob", 0.0},
          {"classifier_dropout", classifier}};
}

Tensor ids(const Shape& shape) {
  std::vector<int64_t> v(size_t(shape_numel(shape)));
  for (size_t i = 0; i < v.size(); ++i) v[i] = 2 + int64_t(i * 7 % 40);
  return Tensor::from_vector(v, shape);
}

Tensor identity(int64_t n) {
  std::vector<float> v(size_t(n * n), 0.f);
  for (int64_t i = 0; i < n; ++i) v[size_t(i * n + i)] = 1.f;
  return Tensor::from_vector(v, {n, n});
}

void set(nn::Linear& l, const Tensor& w, double bias) {
  l.weight = w;
  l.bias = Tensor::full({w.size(0)}, bias);
}

// Every element of `train` is 0 or eval / (1 - p) (eval's zeros are not samples); the kept share
// passes the binomial bound. Returns the number of samples.
int64_t expect_dropout(const Tensor& train, const Tensor& eval, double p, const std::string& where) {
  const auto t = train.to_vector<double>(), e = eval.to_vector<double>();
  EXPECT_EQ(t.size(), e.size()) << where;
  int64_t kept = 0, n = 0, bad = 0;
  for (size_t i = 0; i < t.size(); ++i) {
    if (e[i] == 0) continue;
    ++n;
    if (t[i] == 0) continue;
    ++kept;
    bad += std::abs(t[i] - e[i] / (1 - p)) > 1e-5 * std::abs(e[i] / (1 - p)) + 1e-6;
  }
  EXPECT_EQ(bad, 0) << where << ": kept values that are not eval / (1 - p)";
  const double sd = std::sqrt(double(n) * p * (1 - p));
  EXPECT_NEAR(double(kept), double(n) * (1 - p), 4 * sd) << where << " keeps " << kept << " of " << n;
  return n;
}

// `run` in train() twice from one seed (the same output), and in eval().
template <typename Run>
std::pair<Tensor, Tensor> train_and_eval(nn::Module& m, nn::Module* frozen, Run run) {
  autograd::NoGradGuard no_grad;
  m.train();
  if (frozen) frozen->eval();
  ops::default_generator().manual_seed(11);
  const Tensor a = run();
  ops::default_generator().manual_seed(11);
  EXPECT_TRUE(testcmp::allclose(run(), a, testcmp::kExact)) << "seeded train() runs differ";
  m.eval();
  return {a, run()};
}

}  // namespace

TEST(HeadDropout, DistilBertEmbeddingsAttentionAndFfn) {
  auto m = build<DistilBertModel>("AutoModel", distilbert_config(kP, kP, 0, 0));
  auto& layer = (*m->transformer->layer)[0];
  const Tensor x = ids({8, 16});
  int64_t n = 0;
  {  // embeddings: LayerNorm(word + position), then dropout(config.dropout)
    auto [tr, ev] = train_and_eval(*m, nullptr, [&] { return m->embeddings->forward(x, Tensor()); });
    n += expect_dropout(tr, ev, kP, "embeddings");
  }
  const Tensor h = [&] { autograd::NoGradGuard g; m->eval(); return m->embeddings->forward(x, Tensor()); }();
  {  // FFN: dropout(lin2(act(lin1(h)))) with config.dropout
    auto [tr, ev] = train_and_eval(*m, nullptr, [&] { return layer.ffn->forward(h); });
    n += expect_dropout(tr, ev, kP, "ffn");
  }
  {  // attention probabilities (eager returns them after the dropout) with config.attention_dropout
    layer.attention->attn_implementation = nn::AttentionImplementation::eager;
    auto [tr, ev] = train_and_eval(*m, nullptr, [&] { return layer.attention->forward(h, Tensor(), Tensor(), true).second; });
    n += expect_dropout(tr, ev, kP, "attention");
  }
  EXPECT_EQ(n, 8 * 16 * kDim * 2 + 8 * 4 * 16 * 16);
}

TEST(HeadDropout, DistilBertHeads) {
  int64_t n = 0;
  {  // token classification: classifier(dropout(h)) with config.dropout; classifier = identity
    auto m = build<DistilBertForTokenClassification>("AutoModelForTokenClassification",
                                                     [] { json c = distilbert_config(kP, 0, 0, 0); c["num_labels"] = kDim; return c; }());
    set(*m->classifier, identity(kDim), 0);
    ModelInputs in{.input_ids = ids({8, 16})};
    auto [tr, ev] = train_and_eval(*m, m->distilbert.get(), [&] { return m->forward(in).logits; });
    n += expect_dropout(tr, ev, kP, "DistilBertForTokenClassification");
  }
  {  // question answering: qa_outputs(dropout(h)) with qa_dropout; qa_outputs picks dims 0 and 1
    auto m = build<DistilBertForQuestionAnswering>("AutoModelForQuestionAnswering", distilbert_config(0, 0, kP, 0));
    set(*m->qa_outputs, identity(kDim).narrow(0, 0, 2).contiguous(), 0);
    ModelInputs in{.input_ids = ids({32, 16})};
    auto [tr, ev] = train_and_eval(*m, m->distilbert.get(), [&] {
      const ModelOutput o = m->forward(in);
      return ops::cat({o.start_logits, o.end_logits}, 0);
    });
    n += expect_dropout(tr, ev, kP, "DistilBertForQuestionAnswering");
  }
  // sequence classification / multiple choice: classifier(dropout(relu(pre_classifier(h0)))) with
  // seq_classif_dropout; pre_classifier gives ones, classifier sums: logit = kept / (1 - p).
  auto kept_sum = [&](nn::Linear& pre, nn::Linear& cls, PreTrainedModel& m, nn::Module* base, const ModelInputs& in,
                      int64_t rows, const std::string& where) {
    set(pre, Tensor::zeros({kDim, kDim}), 1.0);
    set(cls, Tensor::ones({cls.weight.size(0), kDim}), 0);
    auto [tr, ev] = train_and_eval(m, base, [&] { return m.forward(in).logits.reshape({-1}); });
    int64_t kept = 0;
    for (double v : tr.to_vector<double>()) {
      EXPECT_NEAR(v * (1 - kP), std::round(v * (1 - kP)), 1e-3) << where << ": not a whole count / (1 - p)";
      kept += int64_t(std::lround(v * (1 - kP)));
    }
    for (double v : ev.to_vector<double>()) EXPECT_FLOAT_EQ(v, double(kDim)) << where;
    const double total = double(rows * kDim), sd = std::sqrt(total * kP * (1 - kP));
    EXPECT_NEAR(double(kept), total * (1 - kP), 4 * sd) << where;
    n += rows * kDim;
  };
  {
    auto m = build<DistilBertForSequenceClassification>(
        "AutoModelForSequenceClassification", [] { json c = distilbert_config(0, 0, 0, kP); c["num_labels"] = 1; return c; }());
    kept_sum(*m->pre_classifier, *m->classifier, *m, m->distilbert.get(), {.input_ids = ids({64, 4})}, 64,
             "DistilBertForSequenceClassification");
  }
  {
    auto m = build<DistilBertForMultipleChoice>("AutoModelForMultipleChoice", distilbert_config(0, 0, 0, kP));
    kept_sum(*m->pre_classifier, *m->classifier, *m, m->distilbert.get(), {.input_ids = ids({16, 4, 4})}, 64,
             "DistilBertForMultipleChoice");
  }
  EXPECT_EQ(n, 8 * 16 * kDim + 2 * 32 * 16 + 2 * 64 * kDim);
}

TEST(HeadDropout, RobertaHeads) {
  int64_t n = 0;
  {  // RobertaClassificationHead: out_proj(dropout(tanh(dense(dropout(x0))))); dense, out_proj identities
    auto m = build<RobertaForSequenceClassification>("AutoModelForSequenceClassification",
                                                     [] { json c = roberta_config(0.0, kP); c["num_labels"] = kDim; return c; }());
    auto& head = *m->classifier;
    EXPECT_DOUBLE_EQ(head.dropout, kP);
    set(*head.dense, identity(kDim), 0);
    set(*head.out_proj, identity(kDim), 0);
    const Tensor features = Tensor::full({256, 3, kDim}, 0.5);
    auto [tr, ev] = train_and_eval(head, nullptr, [&] { return head.forward(features); });
    // Both kept: tanh(0.5 / (1 - p)) / (1 - p), probability (1 - p)^2; otherwise 0.
    const double want = std::tanh(0.5 / (1 - kP)) / (1 - kP), q = (1 - kP) * (1 - kP);
    int64_t kept = 0;
    for (double v : tr.to_vector<double>()) {
      if (v != 0) EXPECT_NEAR(v, want, 1e-6);
      kept += v != 0;
    }
    const double total = 256.0 * kDim;
    EXPECT_NEAR(double(kept), total * q, 4 * std::sqrt(total * q * (1 - q)));
    for (double v : ev.to_vector<double>()) EXPECT_NEAR(v, std::tanh(0.5), 1e-6);
    n += 256 * kDim;
    // classifier_dropout None: hidden_dropout_prob.
    EXPECT_DOUBLE_EQ(build<RobertaForSequenceClassification>("AutoModelForSequenceClassification", roberta_config(0.2, nullptr))
                         ->classifier->dropout,
                     0.2);
  }
  {  // token classification: classifier(dropout(h)) with classifier_dropout; classifier = identity
    auto m = build<RobertaForTokenClassification>("AutoModelForTokenClassification",
                                                  [] { json c = roberta_config(0.0, kP); c["num_labels"] = kDim; return c; }());
    set(*m->classifier, identity(kDim), 0);
    ModelInputs in{.input_ids = ids({8, 16})};
    auto [tr, ev] = train_and_eval(*m, m->roberta.get(), [&] { return m->forward(in).logits; });
    n += expect_dropout(tr, ev, kP, "RobertaForTokenClassification");
  }
  {  // multiple choice: classifier(dropout(pooler_output)) with hidden_dropout_prob; pooled tanh(0.5), summed
    auto m = build<RobertaForMultipleChoice>("AutoModelForMultipleChoice", roberta_config(kP, nullptr));
    set(*m->roberta->pooler->dense, Tensor::zeros({kDim, kDim}), 0.5);
    set(*m->classifier, Tensor::ones({1, kDim}), 0);
    ModelInputs in{.input_ids = ids({16, 4, 4})};
    auto [tr, ev] = train_and_eval(*m, m->roberta.get(), [&] { return m->forward(in).logits; });
    const double unit = std::tanh(0.5) / (1 - kP);
    int64_t kept = 0;
    for (double v : tr.to_vector<double>()) {
      EXPECT_NEAR(v / unit, std::round(v / unit), 1e-3);
      kept += int64_t(std::lround(v / unit));
    }
    for (double v : ev.to_vector<double>()) EXPECT_NEAR(v, kDim * std::tanh(0.5), 1e-4);
    const double total = 64.0 * kDim;
    EXPECT_NEAR(double(kept), total * (1 - kP), 4 * std::sqrt(total * kP * (1 - kP)));
    n += 64 * kDim;
  }
  EXPECT_EQ(n, 256 * kDim + 8 * 16 * kDim + 64 * kDim);
}
