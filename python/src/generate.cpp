// generate() with transformers' keyword arguments: every generation-config key given in Python goes
// through the same JSON reader as generation_config.json (so types, None and errors are those of the
// file), merged over the model's generation config as generation_config.update(**kwargs) does.
#include "bindings.hpp"

#include "transformers/core/autograd.hpp"
#include "transformers/generation/utils.hpp"
#include "transformers/modeling/modeling_utils.hpp"
#include "transformers/tokenizers/auto_tokenizer.hpp"

namespace transformers_py {
namespace {

// A Python streamer (put(value), end(): transformers' BaseStreamer protocol), called with the GIL.
class PyStreamer : public transformers::BaseStreamer {
 public:
  explicit PyStreamer(py::object s) : s_(std::move(s)) {}
  void put(const Tensor& value) override {
    py::gil_scoped_acquire gil;
    s_.attr("put")(to_numpy(value.clone()));
  }
  void end() override {
    py::gil_scoped_acquire gil;
    s_.attr("end")();
  }

 private:
  py::object s_;
};

}  // namespace

void bind_generate(py::module_& m) {
  m.def(
      "generate",
      [](transformers::PreTrainedModel& model, py::object input_ids, py::object attention_mask, py::dict kwargs,
         py::object streamer, std::shared_ptr<transformers::PreTrainedTokenizerFast> tokenizer) {
        transformers::GenerationOptions o;
        nlohmann::ordered_json merged = transformers::model_generation_config(model);
        const nlohmann::ordered_json given = to_json(kwargs);
        for (const auto& [k, v] : given.items()) {
          if (k == "output_scores") o.output_scores = v.is_boolean() && v.get<bool>();
          else if (k == "output_logits") o.output_logits = v.is_boolean() && v.get<bool>();
          else merged[k] = v;
        }
        // An explicit max_length is not "the default 20" (4.51's has_default_max_length).
        if (given.contains("max_length") && given["max_length"].is_number_integer())
          o.max_length = given["max_length"].get<int64_t>();
        o.generation_config = std::move(merged);
        std::unique_ptr<PyStreamer> py_streamer;
        if (!streamer.is_none()) {
          py_streamer = std::make_unique<PyStreamer>(streamer);
          o.streamer = py_streamer.get();
        }
        if (tokenizer) o.tokenizer = &tokenizer->backend_tokenizer();  // stop_strings
        const Tensor ids = optional_tensor(input_ids);
        const Tensor mask = optional_tensor(attention_mask);
        transformers::GenerateOutput out;
        {
          py::gil_scoped_release nogil;
          transformers::autograd::NoGradGuard no_grad;
          out = transformers::generate(model, ids, mask, o);
        }
        py::dict d;
        d["sequences"] = to_numpy(out.sequences);
        if (o.output_scores) {
          py::list l;
          for (const auto& t : out.scores) l.append(to_numpy(t));
          d["scores"] = l;
        }
        if (o.output_logits) {
          py::list l;
          for (const auto& t : out.logits) l.append(to_numpy(t));
          d["logits"] = l;
        }
        if (out.sequences_scores.defined()) d["sequences_scores"] = to_numpy(out.sequences_scores);
        if (out.beam_indices.defined()) d["beam_indices"] = to_numpy(out.beam_indices);
        return d;
      },
      py::arg("model"), py::arg("input_ids"), py::arg("attention_mask"), py::arg("kwargs"),
      py::arg("streamer") = py::none(), py::arg("tokenizer") = nullptr);
}

}  // namespace transformers_py
