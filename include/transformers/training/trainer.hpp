#pragma once
// The training loop of 4.51's Trainer.train() for language modeling, on rows already tokenized:
// batches taken in the order of Trainer's seeded sampler (reproduced exactly, trainer_pt_utils.hpp)
// or in dataset order, gradient accumulation windows of
// gradient_accumulation_steps batches within an epoch (the epoch's last window may be shorter),
// each micro-batch's loss = sum / num_items_in_batch when the model takes loss kwargs (causal LMs)
// or mean / gradient_accumulation_steps otherwise, then clip_grad_norm_ (max_grad_norm > 0),
// optimizer.step(), scheduler.step(), zero_grad; Trainer's weight-decay groups; AdamW ("adamw_torch")
// or SGD; get_scheduler's schedules; gradient checkpointing; checkpoint-N/ folders every save_steps.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "transformers/modeling/modeling_utils.hpp"
#include "transformers/training/data_collator.hpp"

namespace transformers::training {

// TrainingArguments' fields of the same names and defaults (those this loop reads).
struct TrainingArguments {
  std::string output_dir;
  int64_t per_device_train_batch_size = 8;
  int64_t gradient_accumulation_steps = 1;
  double learning_rate = 5e-5;
  double weight_decay = 0.0;
  double adam_beta1 = 0.9;
  double adam_beta2 = 0.999;
  double adam_epsilon = 1e-8;
  double max_grad_norm = 1.0;
  double num_train_epochs = 3.0;
  int64_t max_steps = -1;  // > 0 overrides num_train_epochs
  std::string lr_scheduler_type = "linear";
  int64_t warmup_steps = 0;
  std::string optim = "adamw_torch";  // or "sgd"
  int64_t save_steps = 500;           // 0: no checkpoint-N folders
  uint64_t seed = 42;                 // seeds the generator dropout draws from
  bool gradient_checkpointing = false;
  // Mixed precision as Trainer's --bf16 on CPU: the forward and loss under
  // torch.autocast("cpu", bfloat16) (ops/autocast.hpp), float32 master weights, gradients and
  // optimizer state. Evaluation stays float32.
  bool bf16 = false;
  // A checkpoint-N/ folder of an earlier run with the same arguments: its weights, optimizer,
  // scheduler and generator state are loaded and its N steps' batches skipped (trainer_checkpoint.hpp).
  std::string resume_from_checkpoint;
  // Trainer's sampler: each epoch's rows in seeded_random_order(n, seed, epoch); false: in dataset
  // order (a SequentialSampler, not a TrainingArguments field).
  bool shuffle = true;
  // Trainer.model_accepts_loss_kwargs (a forward with **kwargs: the causal LMs in 4.51).
  bool model_accepts_loss_kwargs = true;
};

// What Trainer logs after an optimizer step (logging_steps=1), loss unrounded.
struct StepLog {
  int64_t step = 0;          // global_step after the update
  double loss = 0;           // the micro-batch losses of the window, summed (the window's mean loss)
  double learning_rate = 0;  // the lr this update used (Trainer logs it before scheduler.step())
  double grad_norm = 0;      // before clipping; NaN when max_grad_norm <= 0 (not computed)
  double epoch = 0;          // epoch + (micro-steps done in it) / micro-steps per epoch
  int64_t tokens = 0;        // input tokens of the window (attention-mask ones)
  double seconds = 0;        // wall time of the window
  int64_t max_steps = 0;     // the run's total optimizer steps (a progress bar's end)
};

struct TrainOutput {
  int64_t global_step = 0;
  double training_loss = 0;  // mean of the logged losses
};

// Trains `model` in place. on_step runs after every update (not for the steps a resumed run
// skips). A non-finite loss stops with a ValueError naming the step before its update (checkpoints
// already written stay as they are).
// `mlm`: the data collator is DataCollatorForLanguageModeling(mlm=True) (rows without labels are
// masked, drawing from the default generator as dropout does, so a resumed run draws the same).
TrainOutput train(PreTrainedModel& model, const std::vector<Example>& dataset, const TrainingArguments& args,
                  const std::function<void(const StepLog&)>& on_step = nullptr,
                  const std::optional<MaskingOptions>& mlm = std::nullopt);

// Trainer.evaluate()'s eval_loss: the model in eval() without gradients, rows in order in batches
// of batch_size (per_device_eval_batch_size), each batch's loss weighted by its rows as
// evaluation_loop's repeat-and-mean does; the model's train()/eval() mode is restored.
double evaluate(PreTrainedModel& model, const std::vector<Example>& dataset, int64_t batch_size,
                const std::optional<MaskingOptions>& mlm = std::nullopt);

// trainer_state.json of a run at `global_step` (TrainerState's keys as 4.51 writes them).
void write_trainer_state(const std::string& dir, const TrainingArguments& args, int64_t global_step,
                         int64_t max_steps, double epoch, int64_t num_train_epochs, const std::vector<StepLog>& history);

}  // namespace transformers::training
