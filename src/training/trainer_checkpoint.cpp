// checkpoint-N/ folders as 4.51 Trainer writes and resumes them (see trainer_checkpoint.hpp).
#include "transformers/training/trainer_checkpoint.hpp"

#include <filesystem>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "transformers/core/autograd.hpp"
#include "transformers/core/error.hpp"
#include "transformers/io/atomic_file.hpp"
#include "transformers/io/json_file.hpp"
#include "transformers/io/safetensors.hpp"
#include "transformers/ops/random.hpp"

namespace transformers::training {

namespace {
using nlohmann::json;
namespace fs = std::filesystem;

// The default generator's engine state, as the standard library streams it (exact round trip).
std::string generator_state() {
  std::ostringstream s;
  s << ops::default_generator().engine();
  return s.str();
}

json read_json(const fs::path& file) { return io::read_json_file(file, {.what = "checkpoint file"}); }

template <typename T>
T field(const json& j, const char* key, const fs::path& file) {
  try {
    return j.at(key).get<T>();
  } catch (const json::exception&) {
    throw FormatError(file.string() + ": \"" + key + "\" is missing or has the wrong type");
  }
}
}  // namespace

std::string save_checkpoint(const std::string& output_dir, PreTrainedModel& model, const Optimizer& optimizer,
                            const LambdaLR& scheduler, const TrainingArguments& args, const CheckpointState& st) {
  const std::string name = "checkpoint-" + std::to_string(st.global_step);
  const fs::path final_dir = fs::path(output_dir) / name, tmp = fs::path(output_dir) / (name + ".tmp");
  fs::remove_all(tmp);  // what a save that died before its rename left
  autograd::NoGradGuard no_grad;
  model.save_pretrained(tmp.string());
  io::save_safetensors(tmp / "optimizer.safetensors", optimizer.state_tensors());
  std::vector<double> last_lrs;
  for (const Optimizer::Group& g : optimizer.param_groups()) last_lrs.push_back(g.lr);
  io::write_file_atomic(tmp / "scheduler.json",
                        json{{"last_epoch", scheduler.last_epoch()}, {"base_lrs", scheduler.base_lrs()}, {"_last_lr", last_lrs}}
                                .dump(2) + "\n");
  io::write_file_atomic(tmp / "rng_state.json", json{{"cpu", generator_state()}}.dump() + "\n");
  write_trainer_state(tmp.string(), args, st.global_step, st.max_steps, st.epoch, st.num_train_epochs, st.log_history);
  fs::remove_all(final_dir);
  fs::rename(tmp, final_dir);  // complete or absent
  return final_dir.string();
}

void load_checkpoint_weights(PreTrainedModel& model, const std::string& dir) {
  const fs::path folder(dir);
  if (!fs::is_directory(folder)) throw FileNotFoundError("--resume: checkpoint folder '" + dir + "' does not exist");
  autograd::NoGradGuard no_grad;
  nn::LoadStateDictResult r;
  if (fs::exists(folder / "model.safetensors.index.json")) {
    r = load_sharded_checkpoint(model, dir, /*strict=*/false);
  } else {
    std::map<std::string, Tensor> state;
    for (auto& [k, v] : io::load_safetensors(folder / "model.safetensors")) state.emplace(k, v);
    r = model.load_state_dict(state, /*strict=*/false);
  }
  if (!r.unexpected_keys.empty())
    throw ValueError(dir + ": the checkpoint holds '" + r.unexpected_keys.front() + "', which the model (" +
                     model.name() + ") does not have (" + std::to_string(r.unexpected_keys.size()) +
                     " such tensors): a checkpoint of another model?");
}

CheckpointState load_checkpoint_state(const std::string& dir, Optimizer& optimizer, LambdaLR& scheduler) {
  const fs::path folder(dir);
  const fs::path opt_file = folder / "optimizer.safetensors";
  std::map<std::string, Tensor> opt_state;
  io::require_regular_file(opt_file, "optimizer state");
  for (auto& [k, v] : io::load_safetensors(opt_file)) opt_state.emplace(k, v);
  optimizer.load_state_tensors(opt_state, opt_file.string());

  const fs::path sched_file = folder / "scheduler.json";
  const json sched = read_json(sched_file);
  const auto last_epoch = field<int64_t>(sched, "last_epoch", sched_file);  // read in order: the first fault is named
  auto base_lrs = field<std::vector<double>>(sched, "base_lrs", sched_file);
  auto last_lrs = field<std::vector<double>>(sched, "_last_lr", sched_file);
  scheduler.load_state(last_epoch, std::move(base_lrs), std::move(last_lrs), sched_file.string());

  const fs::path rng_file = folder / "rng_state.json";
  std::istringstream rng(field<std::string>(read_json(rng_file), "cpu", rng_file));
  std::mt19937_64 engine;
  rng >> engine;
  if (rng.fail()) throw FormatError(rng_file.string() + ": \"cpu\" is not a generator state (312 + 1 integers)");
  ops::default_generator().engine() = engine;

  const fs::path state_file = folder / "trainer_state.json";
  const json st = read_json(state_file);
  CheckpointState out{.global_step = field<int64_t>(st, "global_step", state_file),
                      .max_steps = field<int64_t>(st, "max_steps", state_file),
                      .epoch = field<double>(st, "epoch", state_file),
                      .num_train_epochs = field<int64_t>(st, "num_train_epochs", state_file)};
  if (out.global_step < 1 || out.global_step != scheduler.last_epoch())
    throw ValueError(state_file.string() + ": global_step " + std::to_string(out.global_step) +
                     " does not match the scheduler's last_epoch " + std::to_string(scheduler.last_epoch()));
  const json log = st.value("log_history", json::array());
  if (!log.is_array()) throw FormatError(state_file.string() + ": \"log_history\" must be a list");
  for (const json& e : log) {
    if (!e.is_object() || !e.contains("loss")) continue;  // eval and summary entries
    StepLog s;
    s.step = field<int64_t>(e, "step", state_file);
    s.loss = field<double>(e, "loss", state_file);
    s.learning_rate = field<double>(e, "learning_rate", state_file);
    s.epoch = field<double>(e, "epoch", state_file);
    s.grad_norm = e.contains("grad_norm") ? field<double>(e, "grad_norm", state_file) : std::nan("");
    out.log_history.push_back(s);
  }
  return out;
}

}  // namespace transformers::training
