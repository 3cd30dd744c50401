#pragma once
// What 4.51 Trainer keeps in a checkpoint-N/ folder beside the model, and resuming from one
// (Trainer.train(resume_from_checkpoint=...)): the weights, the optimizer's and the scheduler's
// state, the random generator's state and trainer_state.json (global_step, log_history), so a
// resumed run takes the same batches with the same dropout masks and repeats the uninterrupted
// run's numbers exactly.
//
// Files (Trainer's pickles optimizer.pt / scheduler.pt / rng_state.pth hold the same content in
// torch's format, which is not written here):
//   model.safetensors (+ config.json)   save_pretrained
//   optimizer.safetensors               Optimizer::state_tensors(), torch's state_dict names
//   scheduler.json                      {"last_epoch", "base_lrs", "_last_lr"} (torch's keys)
//   rng_state.json                      {"cpu": the default generator's engine state as text}
//   trainer_state.json                  write_trainer_state
// The folder is written as checkpoint-N.tmp and renamed when complete, so a failed save (a full
// disk) never leaves a partial checkpoint-N and earlier checkpoints stay as they were.
#include <cstdint>
#include <string>
#include <vector>

#include "transformers/modeling/modeling_utils.hpp"
#include "transformers/training/optimization.hpp"
#include "transformers/training/trainer.hpp"

namespace transformers::training {

struct CheckpointState {
  int64_t global_step = 0;
  int64_t max_steps = 0;
  double epoch = 0;
  int64_t num_train_epochs = 0;
  std::vector<StepLog> log_history = {};
};

// Writes <output_dir>/checkpoint-<global_step>/ (replacing one of that name) and returns its path.
std::string save_checkpoint(const std::string& output_dir, PreTrainedModel& model, const Optimizer& optimizer,
                            const LambdaLR& scheduler, const TrainingArguments& args, const CheckpointState& state);

// The model's weights from checkpoint `dir` (model.safetensors or its sharded index), as Trainer's
// _load_from_checkpoint does (strict=false: tied weights the file omits stay tied). A tensor the
// model lacks is a ValueError naming the folder and the key.
void load_checkpoint_weights(PreTrainedModel& model, const std::string& dir);

// Loads the optimizer, scheduler and generator state of checkpoint `dir` and returns its
// trainer_state.json. A missing or malformed file is a typed error naming it.
CheckpointState load_checkpoint_state(const std::string& dir, Optimizer& optimizer, LambdaLR& scheduler);

}  // namespace transformers::training
