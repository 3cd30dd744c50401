// transformers-cli forward: one forward pass on inputs from a safetensors file, outputs written as
// float32 tensors named like Python's output fields (docs/CLI.md).
#include <iostream>

#include "model_options.hpp"
#include "transformers/core/quote.hpp"
#include "transformers/io/safetensors.hpp"
#include "transformers/ops/dispatch.hpp"
#include "transformers/ops/indexing.hpp"

namespace transformers::cli {
namespace {

Tensor stack_f32(const std::vector<Tensor>& ts) {
  std::vector<Tensor> f;
  for (auto& t : ts) f.push_back(t.to(DType::Float32));
  return ops::stack(f, 0);
}

REGISTER_COMMAND("forward", "run one forward pass on inputs from a safetensors file", [](CLI::App& app) {
  auto args = std::make_shared<ModelArgs>();
  auto inputs = std::make_shared<std::string>();
  auto output = std::make_shared<std::string>();
  auto hidden = std::make_shared<bool>(false);
  auto attentions = std::make_shared<bool>(false);
  auto device = std::make_shared<std::string>("cpu");
  args->with_tp_plan = true;
  args->add_to(app);
  app.add_option("--inputs", *inputs, "safetensors file with input_ids, attention_mask, ...")->required();
  app.add_option("--output", *output, "safetensors file to write")->required();
  app.add_flag("--hidden-states", *hidden, "also write hidden_states [layers+1, batch, seq, hidden]");
  app.add_flag("--attentions", *attentions, "also write attentions [layers, batch, heads, seq, seq]");
  app.add_option("--device", *device,
                 "backend the ops run on: cpu (optimised kernels) or reference (plain float64 loops, the oracle)")
      ->check(CLI::IsMember({"cpu", "reference"}));
  return [=] {
    auto model = args->load();
    ModelInputs in;
    // Ids are integer tensors and the mask an integer or bool one (docs/CLI.md): a float such as NaN
    // or 1e30 has no int64 (the conversion would be undefined); Python's embedding refuses float and
    // bool indices too.
    auto ids = [&](const std::string& name, const Tensor& t) {
      if (t.is_floating_point() || (t.dtype() == DType::Bool && name != "attention_mask"))
        throw ValueError("--inputs " + quote_input(*inputs) + ": " + name + " must be an integer tensor, found " +
                         std::string(dtype_name(t.dtype())));
      return t.to(DType::Int64);
    };
    for (auto& [name, t] : io::load_safetensors(*inputs)) {
      if (name == "input_ids" || name == "attention_mask" || name == "token_type_ids" || name == "position_ids") {
        Tensor& slot = name == "input_ids" ? in.input_ids : name == "attention_mask" ? in.attention_mask
                     : name == "token_type_ids" ? in.token_type_ids : in.position_ids;
        slot = ids(name, t);
      } else if (name == "head_mask") {
        in.head_mask = t.to(DType::Float32);
      }
    }
    if (!in.input_ids.defined()) throw KeyError("--inputs " + quote_input(*inputs) + ": expected a tensor named input_ids");
    // One mask value per input position, as generate requires (a longer or shorter mask would be
    // read against the wrong keys).
    if (in.attention_mask.defined() && in.attention_mask.sizes() != in.input_ids.sizes())
      throw ShapeError("--inputs " + quote_input(*inputs) + ": attention_mask must have input_ids' shape " +
                       shape_str(in.input_ids.sizes()) + ", found " + shape_str(in.attention_mask.sizes()));
    in.output_hidden_states = *hidden;
    in.output_attentions = *attentions;
    in.use_cache = false;
    ModelOutput out;
    {
      // Selecting the device is outside the try below: an error there is about --device, not
      // about the inputs.
      ops::DeviceGuard on(device_from_name(*device));
      // Errors about the inputs' values and shapes name the file they came from.
      try {
        out = model->forward(in);
      } catch (const ValueError& e) {
        throw ValueError("--inputs " + quote_input(*inputs) + ": " + e.what());
      } catch (const ShapeError& e) {
        throw ShapeError("--inputs " + quote_input(*inputs) + ": " + e.what());
      }
    }
    io::NamedTensors written;
    auto put = [&](const char* name, const Tensor& t) {
      if (t.defined()) written.emplace_back(name, t.to(DType::Float32).contiguous());
    };
    put("logits", out.logits);
    put("last_hidden_state", out.last_hidden_state);
    put("pooler_output", out.pooler_output);
    if (*hidden && !out.hidden_states.empty()) put("hidden_states", stack_f32(out.hidden_states));
    if (*attentions && !out.attentions.empty()) put("attentions", stack_f32(out.attentions));
    if (args->big.output_rank()) io::save_safetensors(*output, written);
    return 0;
  };
});

}  // namespace
}  // namespace transformers::cli
