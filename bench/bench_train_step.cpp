// bench_train_step: the time of one training step as Trainer runs it (forward with labels, backward,
// clip_grad_norm_(1.0), AdamW step over Trainer's decay groups, zero_grad) of GPT-2 small
// (GPT2LMHeadModel, GPT2Config defaults) or BERT-base (BertForMaskedLM, BertConfig defaults, labels on
// every token), random weights, train() mode with the configs' dropout. One warm-up step, then REPS
// timed steps, one JSON line each. bench/compare_train_step.py runs it beside PyTorch eager.
//
//   bench_train_step gpt2|bert BATCH SEQ THREADS REPS [LAYERS] [float32|bf16]
//   (LAYERS: fewer layers, for a smoke run, 0: all; bf16: the forward under bfloat16 autocast with
//   float32 master weights, as Trainer's --bf16)
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "transformers/core/autograd.hpp"
#include "transformers/core/parallel.hpp"
#include "transformers/modeling/auto.hpp"
#include "transformers/ops/autocast.hpp"
#include "transformers/models/register_all.hpp"
#include "transformers/training/optimization.hpp"
#include "transformers/training/trainer_pt_utils.hpp"

using namespace transformers;

int main(int argc, char** argv) {
  if (argc < 6) {
    std::fprintf(stderr, "usage: bench_train_step gpt2|bert BATCH SEQ THREADS REPS [LAYERS] [float32|bf16] [ATTN_DROPOUT]\n");
    return 2;
  }
  const std::string which = argv[1];
  const int64_t batch = std::atoll(argv[2]), seq = std::atoll(argv[3]);
  const int threads = std::atoi(argv[4]), reps = std::atoi(argv[5]);
  const int64_t layers = argc > 6 ? std::atoll(argv[6]) : 0;
  const std::string dtype = argc > 7 ? argv[7] : "float32";
  const bool bf16 = dtype == "bf16";
  // ATTN_DROPOUT: the attention dropout probability (default the config's, 0.1); 0 lets training
  // take sdpa's memory-efficient node (dropout keeps the composed ops)
  const double attn_dropout = argc > 8 ? std::atof(argv[8]) : -1.0;
  if (threads > 0) set_num_threads(threads);
  register_all_models();
  const bool gpt2 = which == "gpt2";
  json kwargs = {{"architectures", {gpt2 ? "GPT2LMHeadModel" : "BertForMaskedLM"}}};
  if (layers > 0) kwargs[gpt2 ? "n_layer" : "num_hidden_layers"] = layers;
  if (gpt2 && seq > 1024) kwargs["n_positions"] = seq;
  if (attn_dropout >= 0) kwargs[gpt2 ? "attn_pdrop" : "attention_probs_dropout_prob"] = attn_dropout;  // long-sequence memory runs (GPT-2 has 1024 positions)
  auto config = AutoConfig::for_model(gpt2 ? "gpt2" : "bert", kwargs);
  auto model = auto_from_config(gpt2 ? "AutoModelForCausalLM" : "AutoModelForMaskedLM", config, /*seed=*/1234);
  model->train();
  training::AdamW opt(training::decay_parameter_groups(*model, 0.0), {.lr = 5e-5, .weight_decay = 0.0});
  const std::vector<Tensor> params = opt.params();
  const int64_t vocab = config->vocab_size();
  std::vector<int64_t> ids(size_t(batch * seq));
  for (size_t i = 0; i < ids.size(); ++i) ids[i] = int64_t((i * 7919 + 13) % uint64_t(vocab));
  ModelInputs in;
  in.input_ids = Tensor::from_vector(ids, {batch, seq});
  in.attention_mask = Tensor::ones({batch, seq}, DType::Int64);
  in.labels = in.input_ids;
  autograd::GradModeGuard grad_on(true);
  for (int r = -1; r < reps; ++r) {  // r = -1: warm-up
    const auto t0 = std::chrono::steady_clock::now();
    Tensor loss;
    {
      ops::AutocastGuard autocast(bf16 ? std::optional<DType>(DType::BFloat16) : std::nullopt);
      loss = model->forward(in).loss;
    }
    const auto t1 = std::chrono::steady_clock::now();
    loss.backward();
    const auto t2 = std::chrono::steady_clock::now();
    training::clip_grad_norm_(params, 1.0);
    opt.step();
    opt.zero_grad();
    const auto t3 = std::chrono::steady_clock::now();
    const auto secs = [](auto a, auto b) { return std::chrono::duration<double>(b - a).count(); };
    const double s = secs(t0, t3);
    if (r >= 0)
      std::printf("{\"impl\": \"transformers.cpp\", \"model\": \"%s\", \"dtype\": \"%s\", \"batch\": %lld, "
                  "\"seq\": %lld, \"threads\": %d, \"seconds\": %.4f, \"forward_s\": %.4f, \"backward_s\": %.4f, \"optimizer_s\": %.4f, "
                  "\"loss\": %.6f}\n",
                  which.c_str(), bf16 ? "bf16" : "float32", (long long)batch, (long long)seq, threads, s, secs(t0, t1), secs(t1, t2), secs(t2, t3),
                  loss.item());
    std::fflush(stdout);
  }
  return 0;
}
