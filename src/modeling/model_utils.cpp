// PreTrainedModel helpers that are no part of loading or saving proper: embeddings accessors,
// tie_weights, parameter counts and memory footprint (4.51's ModuleUtilsMixin), dtype, the lazily
// derived generation config.
#include <set>

#include "transformers/modeling/modeling_utils.hpp"
#include "transformers/nn/linear.hpp"
#include "transformers/ops/bnb.hpp"

namespace transformers {

nn::Module* PreTrainedModel::get_input_embeddings() {
  nn::Module* base = base_model();
  if (base && base != this)
    if (auto* pm = dynamic_cast<PreTrainedModel*>(base)) return pm->get_input_embeddings();
  return nullptr;
}

void PreTrainedModel::tie_weights() {
  if (config().tie_word_embeddings()) {
    nn::Module* out = get_output_embeddings();
    nn::Module* in = get_input_embeddings();
    if (out && in) {
      Tensor* ow = out->find_parameter("weight");
      Tensor* iw = in->find_parameter("weight");
      if (!ow || !iw)
        throw ValueError(name() + ".tie_weights: the output or input embeddings have no 'weight' parameter");
      const bool rg = iw->requires_grad();
      // torchscript cannot share parameters, so Python clones there.
      *ow = config().get<bool>("torchscript", false) ? iw->clone() : *iw;
      ow->set_requires_grad(rg);
      Tensor* ob = out->find_parameter("bias");
      if (ob && ob->defined() && ob->dim() == 1 && ob->size(0) != ow->size(0)) {
        // nn.functional.pad(bias, (0, rows - len)): zeros appended, or truncated when negative.
        const int64_t rows = ow->size(0);
        Tensor nb = Tensor::zeros({rows}, ob->dtype());
        const int64_t keep = std::min(rows, ob->size(0));
        if (keep > 0) nb.narrow(0, 0, keep).copy_(ob->narrow(0, 0, keep));
        const bool brg = ob->requires_grad();
        *ob = nb;
        ob->set_requires_grad(brg);
      }
    }
  }
  tie_submodule_weights();
}

int64_t PreTrainedModel::num_parameters(bool only_trainable, bool exclude_embeddings) const {
  std::set<std::string> embedding_weights;
  if (exclude_embeddings)
    for (auto& [n, m] : named_modules())
      if (m->name() == "Embedding") embedding_weights.insert(n.empty() ? "weight" : n + ".weight");
  int64_t total = 0;
  for (auto& [n, t] : named_parameters()) {
    if (embedding_weights.count(n)) continue;
    if (only_trainable && !t.requires_grad()) continue;
    total += t.numel();
  }
  return total;
}

int64_t PreTrainedModel::get_memory_footprint(bool return_buffers) const {
  int64_t bytes = 0;
  for (auto& [n, t] : named_parameters()) bytes += int64_t(t.nbytes());
  if (return_buffers)
    for (auto& [n, t] : named_buffers()) bytes += int64_t(t.nbytes());
  return bytes;
}

DType PreTrainedModel::dtype() const {
  const auto params = named_parameters();
  for (auto& [n, t] : params)
    if (t.is_floating_point() && !::transformers::is_quantized(t.dtype())) return t.dtype();  // GGUF blocks: the float dtype
  if (!params.empty()) return params.back().second.dtype();
  for (auto& [n, t] : named_buffers())
    if (t.is_floating_point()) return t.dtype();
  return DType::Float32;
}

void PreTrainedModel::dequantize() {
  // 4.51 asks its hf_quantizer; ours is the block dtypes themselves. Module::to would also cast the
  // float parameters, so only the quantized tensors are replaced (in every slot that shares them).
  int replaced = 0;
  // bitsandbytes weights: 4.51's dequantize_and_replace gives each Linear its float weight back (in
  // the dtype it was quantized from) and drops the quantization_config.
  for (auto& [n, m] : named_modules()) {
    auto* lin = dynamic_cast<nn::Linear*>(m);
    if (!lin) continue;
    const auto st = ops::bnb_state(lin->weight);
    if (!st) continue;
    const DType dt = st->q4 ? st->q4->dtype : dtype();
    lin->weight = ops::bnb_dequantize_weight(lin->weight, *st).to(dt);
    ++replaced;
  }
  if (replaced) config().raw().erase("quantization_config");
  for (auto& [n, t] : named_parameters()) {
    if (!::transformers::is_quantized(t.dtype())) continue;
    replace_tensor(t, t.to(DType::Float32).set_requires_grad(t.requires_grad()));
    ++replaced;
  }
  if (replaced == 0) throw ValueError("You need to first quantize your model in order to dequantize it");
}

std::shared_ptr<GenerationConfig> PreTrainedModel::generation_config() {
  if (!generation_config_ && can_generate()) generation_config_ = GenerationConfig::from_model_config(config());
  return generation_config_;
}

}  // namespace transformers

namespace transformers {

bool PreTrainedModel::is_quantized() const {
  for (auto& [n, t] : named_parameters())
    if (::transformers::is_quantized(t.dtype()) || ops::bnb_state(t)) return true;
  return false;
}

}  // namespace transformers
