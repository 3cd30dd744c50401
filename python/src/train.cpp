// Trainer.train() / evaluate() for transformers_cpp.Trainer (trainer.py): the C++ training loop of
// training/trainer.hpp, which `transformers-cli train` runs, over rows given from Python. The GIL is
// released while training; the step logs come back as a list once it ends.
#include <cmath>

#include "bindings.hpp"

#include "transformers/core/autograd.hpp"
#include "transformers/core/error.hpp"
#include "transformers/training/trainer.hpp"

namespace transformers_py {

namespace tr = transformers::training;

namespace {

std::vector<int64_t> int_row(const py::handle& v, const std::string& what) {
  try {
    return v.cast<std::vector<int64_t>>();
  } catch (const py::cast_error&) {
    throw transformers::ValueError(what + ": expected a list of ints, found " +
                                   std::string(py::str(py::type::of(v).attr("__name__"))));
  }
}

// Rows as Trainer's dataset gives them: mappings with input_ids and optionally labels / attention_mask
// (lists of ints; trainer.py turns arrays into lists). Other columns are ignored, as Trainer drops them.
std::vector<tr::Example> examples_of(const py::list& rows) {
  std::vector<tr::Example> out;
  out.reserve(rows.size());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const std::string where = "train_dataset[" + std::to_string(i) + "]";
    const py::dict row = rows[i].cast<py::dict>();
    if (!row.contains("input_ids")) throw transformers::ValueError(where + ": expected an \"input_ids\" column, found none");
    tr::Example e;
    e.input_ids = int_row(row["input_ids"], where + "[\"input_ids\"]");
    for (const char* key : {"labels", "attention_mask"}) {
      if (!row.contains(key) || row[key].is_none()) continue;
      auto v = int_row(row[key], where + "[\"" + key + "\"]");
      if (v.size() != e.input_ids.size())
        throw transformers::ValueError(where + "[\"" + key + "\"]: expected " + std::to_string(e.input_ids.size()) +
                                       " values (as input_ids), found " + std::to_string(v.size()));
      (std::string(key) == "labels" ? e.labels : e.attention_mask) = std::move(v);
    }
    if (e.input_ids.empty()) throw transformers::ValueError(where + ": expected a non-empty input_ids row, found []");
    out.push_back(std::move(e));
  }
  return out;
}

std::optional<tr::MaskingOptions> masking_of(const py::object& mlm) {
  if (mlm.is_none()) return std::nullopt;
  const py::dict d = mlm.cast<py::dict>();
  return tr::MaskingOptions{.mask_token_id = d["mask_token_id"].cast<int64_t>(),
                            .vocab_size = d["vocab_size"].cast<int64_t>(),
                            .special_ids = d["special_ids"].cast<std::vector<int64_t>>(),
                            .mlm_probability = d["mlm_probability"].cast<double>()};
}

tr::TrainingArguments arguments_of(const py::dict& a) {
  tr::TrainingArguments t;
  t.output_dir = a["output_dir"].cast<std::string>();
  t.per_device_train_batch_size = a["per_device_train_batch_size"].cast<int64_t>();
  t.gradient_accumulation_steps = a["gradient_accumulation_steps"].cast<int64_t>();
  t.learning_rate = a["learning_rate"].cast<double>();
  t.weight_decay = a["weight_decay"].cast<double>();
  t.adam_beta1 = a["adam_beta1"].cast<double>();
  t.adam_beta2 = a["adam_beta2"].cast<double>();
  t.adam_epsilon = a["adam_epsilon"].cast<double>();
  t.max_grad_norm = a["max_grad_norm"].cast<double>();
  t.num_train_epochs = a["num_train_epochs"].cast<double>();
  t.max_steps = a["max_steps"].cast<int64_t>();
  t.lr_scheduler_type = a["lr_scheduler_type"].cast<std::string>();
  t.warmup_steps = a["warmup_steps"].cast<int64_t>();
  t.optim = a["optim"].cast<std::string>();
  t.save_steps = a["save_steps"].cast<int64_t>();
  t.seed = a["seed"].cast<uint64_t>();
  t.gradient_checkpointing = a["gradient_checkpointing"].cast<bool>();
  if (!a["resume_from_checkpoint"].is_none()) t.resume_from_checkpoint = a["resume_from_checkpoint"].cast<std::string>();
  t.shuffle = a["shuffle"].cast<bool>();
  t.model_accepts_loss_kwargs = a["model_accepts_loss_kwargs"].cast<bool>();
  return t;
}

}  // namespace

void bind_train(py::module_& m) {
  m.def(
      "train",
      [](transformers::PreTrainedModel& model, const py::list& rows, const py::dict& args, const py::object& mlm) {
        const auto examples = examples_of(rows);
        const tr::TrainingArguments a = arguments_of(args);
        const auto masking = masking_of(mlm);
        std::vector<tr::StepLog> logs;
        tr::TrainOutput out;
        {
          py::gil_scoped_release nogil;
          transformers::autograd::GradModeGuard grad_on(true);
          out = tr::train(model, examples, a, [&](const tr::StepLog& s) { logs.push_back(s); }, masking);
        }
        py::list history;
        for (const tr::StepLog& s : logs) {
          py::dict d;  // Trainer's log_history entry for logging_steps=1, keys in its order
          d["loss"] = s.loss;
          d["grad_norm"] = std::isnan(s.grad_norm) ? py::object(py::none()) : py::object(py::float_(s.grad_norm));
          d["learning_rate"] = s.learning_rate;
          d["epoch"] = s.epoch;
          d["step"] = s.step;
          history.append(std::move(d));
        }
        return py::make_tuple(out.global_step, out.training_loss, history);
      },
      py::arg("model"), py::arg("rows"), py::arg("args"), py::arg("mlm"));
  m.def(
      "evaluate",
      [](transformers::PreTrainedModel& model, const py::list& rows, int64_t batch_size, const py::object& mlm) {
        const auto examples = examples_of(rows);
        const auto masking = masking_of(mlm);
        py::gil_scoped_release nogil;
        return tr::evaluate(model, examples, batch_size, masking);
      },
      py::arg("model"), py::arg("rows"), py::arg("batch_size"), py::arg("mlm"));
}

}  // namespace transformers_py
