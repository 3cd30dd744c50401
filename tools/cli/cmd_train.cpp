// transformers-cli train: fine-tunes a model on tokenized JSONL rows with 4.51 Trainer's loop
// (training/trainer.hpp) and saves it as save_pretrained does, with trainer_state.json.
#include <cmath>
#include <cstdio>
#include <filesystem>

#include <unistd.h>

#include "int_options.hpp"
#include "model_options.hpp"
#include "transformers/core/autograd.hpp"
#include "train_data.hpp"
#include "train_progress.hpp"
#include "transformers/training/trainer.hpp"

namespace transformers::cli {
namespace {

// The model's position limit (0 when its config names none).
int64_t max_positions(const PretrainedConfig& c) {
  for (const char* key : {"max_position_embeddings", "n_positions"}) {
    const json v = c.raw().value(key, json());
    if (v.is_number_integer()) return v.get<int64_t>();
  }
  return 0;
}

REGISTER_COMMAND("train", "fine-tune a model on JSONL, text or CSV data (Trainer's loop) and save it", [](CLI::App& app) {
  auto args = std::make_shared<ModelArgs>();
  auto task = std::make_shared<std::string>("causal-lm");
  auto train_file = std::make_shared<std::string>();
  auto ta = std::make_shared<training::TrainingArguments>();
  auto epochs = std::make_shared<double>(3.0);
  auto optim = std::make_shared<std::string>("adamw");
  auto eval_file = std::make_shared<std::string>();
  auto tokenizer = std::make_shared<std::string>();
  auto block_size = std::make_shared<int64_t>(0);
  auto mlm_probability = std::make_shared<double>(0.15);
  auto eval_batch = std::make_shared<int64_t>(8);
  args->add_to(app);
  app.add_option("--task", *task, "causal-lm or masked-lm (rows without labels are masked as the MLM collator does)")
      ->check(CLI::IsMember({"causal-lm", "masked-lm"}))
      ->capture_default_str();
  app.add_option("--train", *train_file,
                 "tokenized .jsonl rows ({\"input_ids\": [...], \"labels\"?: [...]}), or .txt / .csv text to tokenize")
      ->required();
  app.add_option("--eval", *eval_file, "evaluation file (same kinds as --train): eval_loss after training");
  app.add_option("--eval-batch-size", *eval_batch, "rows per evaluation batch")
      ->check(IntRange(1, 1 << 20))
      ->capture_default_str();
  app.add_option("--tokenizer", *tokenizer, "tokenizer for .txt / .csv data (default: --model)");
  app.add_option("--block-size", *block_size, "tokens per packed row of text data (default: min(positions, 1024))")
      ->check(IntRange(1, 1 << 30));
  app.add_option("--mlm-probability", *mlm_probability, "share of tokens masked for masked-lm")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  app.add_option("--output", ta->output_dir, "folder for the trained model and checkpoint-N/ folders")->required();
  app.add_option("--max-steps", ta->max_steps, "optimizer steps (overrides --epochs)")->check(IntRange(1, INT64_MAX));
  app.add_option("--epochs", *epochs, "epochs over the data when --max-steps is not given")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--lr", ta->learning_rate, "peak learning rate")->check(CLI::NonNegativeNumber)->capture_default_str();
  app.add_option("--batch-size", ta->per_device_train_batch_size, "rows per micro-batch")
      ->check(IntRange(1, 1 << 20))
      ->capture_default_str();
  app.add_option("--grad-accum", ta->gradient_accumulation_steps, "micro-batches per optimizer step")
      ->check(IntRange(1, 1 << 20))
      ->capture_default_str();
  app.add_option("--warmup-steps", ta->warmup_steps, "linear warmup steps")->check(IntRange(0, INT64_MAX));
  app.add_option("--scheduler", ta->lr_scheduler_type, "get_scheduler name")
      ->check(CLI::IsMember({"linear", "cosine", "cosine_with_restarts", "polynomial", "constant",
                             "constant_with_warmup", "inverse_sqrt"}))
      ->capture_default_str();
  app.add_option("--weight-decay", ta->weight_decay, "AdamW/SGD weight decay (not on biases and norm weights)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--max-grad-norm", ta->max_grad_norm, "clip the gradients' norm to this (0: no clipping)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--optim", *optim, "adamw (torch.optim.AdamW) or sgd")->check(CLI::IsMember({"adamw", "sgd"}));
  app.add_flag("--gradient-checkpointing", ta->gradient_checkpointing, "recompute each layer in backward");
  app.add_flag("--bf16", ta->bf16, "mixed precision: forward under bfloat16 autocast, float32 master weights");
  auto no_shuffle = std::make_shared<bool>(false);
  app.add_flag("--no-shuffle", *no_shuffle, "take the rows in file order (default: Trainer's seeded shuffle per epoch)");
  app.add_option("--save-steps", ta->save_steps, "write checkpoint-N/ every N steps (0: never)")
      ->check(IntRange(0, INT64_MAX))
      ->capture_default_str();
  app.add_option("--seed", ta->seed, "seed of the generator dropout draws from")->check(SeedRange());
  app.add_option("--resume", ta->resume_from_checkpoint,
                 "checkpoint-N folder of an earlier run with the same options: continue it exactly");
  return [=] {
    check_output_folder(ta->output_dir);
    ModelArgs margs = *args;
    if (margs.model_class.empty() && margs.gguf_file.empty())
      margs.model_class = *task == "causal-lm" ? "AutoModelForCausalLM" : "AutoModelForMaskedLM";
    auto model = margs.load();
    training::TrainingArguments a = *ta;
    a.num_train_epochs = *epochs;
    a.shuffle = !*no_shuffle;
    a.optim = *optim == "sgd" ? "sgd" : "adamw_torch";
    a.model_accepts_loss_kwargs = *task == "causal-lm";  // 4.51's causal LMs take **kwargs, its MLM heads do not
    const int64_t positions = max_positions(model->config());
    const TrainDataOptions data{.tokenizer = tokenizer->empty() ? margs.model : *tokenizer,
                                .block_size = *block_size > 0 ? *block_size
                                                              : (positions > 0 ? std::min<int64_t>(positions, 1024) : 1024),
                                .causal = *task == "causal-lm",
                                .vocab_size = model->config().vocab_size(),
                                .max_positions = positions};
    const auto rows = read_training_file(*train_file, data);
    const auto eval_rows = eval_file->empty() ? std::vector<training::Example>() : read_training_file(*eval_file, data);
    // masked-lm: DataCollatorForLanguageModeling(mlm=True) masks rows that carry no labels; rows with
    // labels (masked beforehand) keep them. A file mixing both is refused.
    std::optional<training::MaskingOptions> mlm;
    if (*task == "masked-lm") {
      size_t labelled = 0;
      for (const auto* set : {&rows, &eval_rows})
        for (const auto& r : *set) labelled += r.labels.has_value();
      if (labelled != 0 && labelled != rows.size() + eval_rows.size())
        throw ValueError("train: --task masked-lm rows must all carry \"labels\" or none (" + std::to_string(labelled) +
                         " of " + std::to_string(rows.size() + eval_rows.size()) + " do)");
      if (labelled == 0) mlm = masking_options(data.tokenizer, *mlm_probability);
    }
    autograd::GradModeGuard grad_on(true);  // main() runs commands under no-grad
    // Trainer's tqdm bar when stderr is a terminal; ended (newline) however the run ends.
    TrainProgress progress(stderr);
    struct EndBar {
      TrainProgress& p;
      ~EndBar() { p.finish(); }
    } end_bar{progress};
    const bool stdout_tty = isatty(fileno(stdout));
    const auto out = training::train(*model, rows, a, [&](const training::StepLog& s) {
      const json line = {{"step", s.step},
                         {"loss", s.loss},
                         {"lr", s.learning_rate},
                         {"grad_norm", std::isnan(s.grad_norm) ? json() : json(s.grad_norm)},
                         {"epoch", s.epoch},
                         {"tokens_per_s", s.seconds > 0 ? double(s.tokens) / s.seconds : 0.0}};
      if (stdout_tty) progress.clear();  // the same terminal: the JSON line goes above the bar
      std::printf("%s\n", line.dump().c_str());
      std::fflush(stdout);
      progress.update(s.step, s.max_steps, s.loss);
    }, mlm);
    progress.finish();
    if (!eval_rows.empty()) {
      const double loss = training::evaluate(*model, eval_rows, *eval_batch, mlm);
      print_json({{"eval_loss", loss}, {"perplexity", std::exp(loss)}, {"eval_samples", eval_rows.size()}});
    }
    autograd::NoGradGuard no_grad;
    model->save_pretrained(a.output_dir);
    print_json({{"global_step", out.global_step}, {"train_loss", out.training_loss}, {"output", a.output_dir}});
    return 0;
  };
});

}  // namespace
}  // namespace transformers::cli
