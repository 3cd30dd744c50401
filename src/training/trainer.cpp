// Trainer.train()'s loop for language modeling (see trainer.hpp for what is and is not Python's).
#include "transformers/training/trainer.hpp"

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <nlohmann/json.hpp>

#include "transformers/core/autograd.hpp"
#include "transformers/core/error.hpp"
#include "transformers/modeling/gradient_checkpointing.hpp"
#include "transformers/ops/autocast.hpp"
#include "transformers/ops/elementwise.hpp"
#include "transformers/ops/random.hpp"
#include "transformers/training/optimization.hpp"
#include "transformers/training/trainer_checkpoint.hpp"
#include "transformers/training/trainer_pt_utils.hpp"

namespace transformers::training {

namespace {
using nlohmann::json;
namespace fs = std::filesystem;

void check_arguments(const TrainingArguments& a) {
  auto positive = [](int64_t v, const char* name) {
    if (v < 1) throw ValueError(std::string("TrainingArguments: ") + name + " must be >= 1, found " + std::to_string(v));
  };
  positive(a.per_device_train_batch_size, "per_device_train_batch_size");
  positive(a.gradient_accumulation_steps, "gradient_accumulation_steps");
  if (a.max_steps <= 0 && !(a.num_train_epochs > 0))
    throw ValueError("TrainingArguments: set max_steps > 0 or num_train_epochs > 0");
  if (a.warmup_steps < 0) throw ValueError("TrainingArguments: warmup_steps must be >= 0, found " + std::to_string(a.warmup_steps));
  if (a.save_steps < 0) throw ValueError("TrainingArguments: save_steps must be >= 0, found " + std::to_string(a.save_steps));
  if (a.optim != "adamw_torch" && a.optim != "sgd")
    throw ValueError("TrainingArguments: optim '" + a.optim + "' is not supported here, expected adamw_torch or sgd");
}

std::unique_ptr<Optimizer> create_optimizer(PreTrainedModel& model, const TrainingArguments& a) {
  std::vector<ParamGroup> groups = decay_parameter_groups(model, a.weight_decay);
  if (a.optim == "sgd") return std::make_unique<SGD>(std::move(groups), SGDOptions{.lr = a.learning_rate});
  return std::make_unique<AdamW>(std::move(groups), AdamWOptions{.lr = a.learning_rate,
                                                                 .beta1 = a.adam_beta1,
                                                                 .beta2 = a.adam_beta2,
                                                                 .eps = a.adam_epsilon,
                                                                 .weight_decay = a.weight_decay});
}
// The model config's pad_token_id (the collator pads with it).
std::optional<int64_t> pad_token_id(const PreTrainedModel& model) {
  const json& v = model.config().raw().value("pad_token_id", json());
  return v.is_number_integer() ? std::optional<int64_t>(v.get<int64_t>()) : std::nullopt;
}

// The data collator over rows [begin, end): padding and labels, then the masked-LM masking when
// `mlm` is set and the rows carry no labels of their own.
LanguageModelingBatch collate(const std::vector<Example>& data, size_t begin, size_t end, std::optional<int64_t> pad,
                              const std::optional<MaskingOptions>& mlm) {
  LanguageModelingBatch b = collate_for_language_modeling(data, begin, end, pad);
  if (mlm && !data[begin].labels) mask_tokens(b, *mlm, ops::default_generator());
  return b;
}
}  // namespace

double evaluate(PreTrainedModel& model, const std::vector<Example>& data, int64_t batch_size,
                const std::optional<MaskingOptions>& mlm) {
  if (data.empty()) throw ValueError("evaluate: the evaluation dataset is empty");
  if (batch_size < 1) throw ValueError("evaluate: batch_size must be >= 1, found " + std::to_string(batch_size));
  const bool was_training = model.training();
  model.eval();
  autograd::NoGradGuard no_grad;
  const std::optional<int64_t> pad = pad_token_id(model);
  double weighted = 0;
  for (size_t begin = 0; begin < data.size(); begin += size_t(batch_size)) {
    const size_t end = std::min(data.size(), begin + size_t(batch_size));
    const LanguageModelingBatch b = collate(data, begin, end, pad, mlm);
    ModelInputs in;
    in.input_ids = b.input_ids;
    in.attention_mask = b.attention_mask;
    in.labels = b.labels;
    weighted += model.forward(in).loss.item() * double(end - begin);  // the batch loss repeated per row
  }
  model.train(was_training);
  return weighted / double(data.size());
}

void write_trainer_state(const std::string& dir, const TrainingArguments& args, int64_t global_step,
                         int64_t max_steps, double epoch, int64_t num_train_epochs, const std::vector<StepLog>& history) {
  json log = json::array();
  for (const StepLog& s : history) {
    json e = {{"epoch", s.epoch}, {"learning_rate", s.learning_rate}, {"loss", s.loss}, {"step", s.step}};
    if (!std::isnan(s.grad_norm)) e["grad_norm"] = s.grad_norm;
    log.push_back(std::move(e));
  }
  const json state = {{"best_global_step", nullptr},
                      {"best_metric", nullptr},
                      {"best_model_checkpoint", nullptr},
                      {"epoch", epoch},
                      {"eval_steps", 500},
                      {"global_step", global_step},
                      {"is_hyper_param_search", false},
                      {"is_local_process_zero", true},
                      {"is_world_process_zero", true},
                      {"log_history", log},
                      {"logging_steps", 1},
                      {"max_steps", max_steps},
                      {"num_input_tokens_seen", 0},
                      {"num_train_epochs", num_train_epochs},
                      {"save_steps", args.save_steps},
                      {"stateful_callbacks", json::object()},
                      {"total_flos", 0},
                      {"train_batch_size", args.per_device_train_batch_size},
                      {"trial_name", nullptr},
                      {"trial_params", nullptr}};
  const fs::path tmp = fs::path(dir) / "trainer_state.json.tmp";
  {
    std::ofstream out(tmp);
    out << state.dump(2, ' ', false, json::error_handler_t::replace) << "\n";
    if (!out) throw EnvironmentError("train: cannot write " + tmp.string());
  }
  fs::rename(tmp, fs::path(dir) / "trainer_state.json");  // whole or not at all
}

TrainOutput train(PreTrainedModel& model, const std::vector<Example>& data, const TrainingArguments& a,
                  const std::function<void(const StepLog&)>& on_step, const std::optional<MaskingOptions>& mlm) {
  check_arguments(a);
  if (data.empty()) throw ValueError("train: the dataset is empty");
  const int64_t batch = a.per_device_train_batch_size, accum = a.gradient_accumulation_steps;
  const int64_t batches_per_epoch = (int64_t(data.size()) + batch - 1) / batch;  // drop_last=False
  const int64_t updates_per_epoch = std::max<int64_t>(batches_per_epoch / accum, 1);
  const int64_t max_steps =
      a.max_steps > 0 ? a.max_steps : int64_t(std::ceil(a.num_train_epochs * double(updates_per_epoch)));
  const int64_t num_train_epochs =
      a.max_steps > 0 ? max_steps / updates_per_epoch + int64_t(max_steps % updates_per_epoch > 0)
                      : int64_t(std::ceil(a.num_train_epochs));

  ops::default_generator().manual_seed(a.seed);
  if (a.gradient_checkpointing) gradient_checkpointing_enable(model);
  model.train();
  const bool resume = !a.resume_from_checkpoint.empty();
  if (resume) load_checkpoint_weights(model, a.resume_from_checkpoint);  // before the optimizer takes the parameters
  std::unique_ptr<Optimizer> opt = create_optimizer(model, a);
  LambdaLR sched = get_scheduler(a.lr_scheduler_type, *opt, a.warmup_steps, max_steps);
  std::vector<StepLog> history;
  int64_t resumed_step = 0;  // the windows of the steps done before the checkpoint are skipped, not run
  if (resume) {
    CheckpointState st = load_checkpoint_state(a.resume_from_checkpoint, *opt, sched);
    resumed_step = st.global_step;
    history = std::move(st.log_history);
  }
  const std::vector<Tensor> params = opt->params();
  const std::optional<int64_t> pad = pad_token_id(model);

  int64_t step = 0;
  double loss_sum = 0;
  std::string last_checkpoint = a.resume_from_checkpoint;
  for (const StepLog& s : history) loss_sum += s.loss;
  for (int64_t epoch = 0; step < max_steps; ++epoch) {
    // Trainer's sampler order (from seed and epoch alone, so a resumed run takes the same); empty:
    // dataset order.
    const std::vector<int64_t> order =
        a.shuffle ? seeded_random_order(int64_t(data.size()), a.seed, epoch) : std::vector<int64_t>();
    for (int64_t first = 0; first < batches_per_epoch && step < max_steps; first += accum) {
      if (step < resumed_step) {  // Trainer's skip of the batches already trained on
        ++step;
        continue;
      }
      const auto start = std::chrono::steady_clock::now();
      const int64_t n_batches = std::min(accum, batches_per_epoch - first);
      std::vector<LanguageModelingBatch> window;
      std::vector<Tensor> labels;
      for (int64_t k = 0; k < n_batches; ++k) {
        const size_t begin = size_t((first + k) * batch);
        const size_t end = std::min(data.size(), begin + size_t(batch));
        if (order.empty()) {
          window.push_back(collate(data, begin, end, pad, mlm));
        } else {
          std::vector<Example> rows;
          for (size_t i = begin; i < end; ++i) rows.push_back(data[size_t(order[i])]);
          window.push_back(collate(rows, 0, rows.size(), pad, mlm));
        }
        labels.push_back(window.back().labels);
      }
      const int64_t items = count_num_items_in_batch(labels);
      StepLog log;
      for (const LanguageModelingBatch& b : window) {
        ModelInputs in;
        in.input_ids = b.input_ids;
        in.attention_mask = b.attention_mask;
        in.labels = b.labels;
        if (a.model_accepts_loss_kwargs && items > 0) in.num_items_in_batch = items;
        Tensor loss;
        {
          // --bf16: Trainer's autocast_smart_context_manager around the forward and loss only
          ops::AutocastGuard autocast(a.bf16 ? std::optional<DType>(DType::BFloat16) : std::nullopt);
          loss = model.forward(in).loss;
        }
        if (!a.model_accepts_loss_kwargs) loss = ops::div(loss, double(accum));
        const double value = loss.item();
        if (!std::isfinite(value))
          throw ValueError("train: the loss at step " + std::to_string(step + 1) + " is " + std::to_string(value) +
                           "; stopping before its update (" +
                           (last_checkpoint.empty() ? std::string("no checkpoint was written")
                                                    : "the last good checkpoint is " + last_checkpoint) +
                           ")");
        loss.backward();
        log.loss += value;
        for (int64_t m : b.attention_mask.to_vector<int64_t>()) log.tokens += m;
      }
      log.grad_norm = a.max_grad_norm > 0 ? clip_grad_norm_(params, a.max_grad_norm) : std::nan("");
      log.learning_rate = opt->lr();
      opt->step();
      sched.step();
      opt->zero_grad();
      log.step = ++step;
      log.max_steps = max_steps;
      log.epoch = double(epoch) + double(first + n_batches) / double(batches_per_epoch);
      log.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      loss_sum += log.loss;
      history.push_back(log);
      if (on_step) on_step(log);
      if (a.save_steps > 0 && step % a.save_steps == 0 && !a.output_dir.empty())
        last_checkpoint = save_checkpoint(a.output_dir, model, *opt, sched, a,
                        {.global_step = step,
                         .max_steps = max_steps,
                         .epoch = log.epoch,
                         .num_train_epochs = num_train_epochs,
                         .log_history = history});
    }
  }
  return {step, step ? loss_sum / double(step) : 0.0};
}

}  // namespace transformers::training
