#pragma once
// What the encoder heads of 4.51 (BERT, RoBERTa, DistilBERT) share beyond a Linear: the span split of
// *ForQuestionAnswering and the choice flattening of *ForMultipleChoice (private to src/models).
#include <string>

#include "transformers/core/error.hpp"
#include "transformers/modeling/model_outputs.hpp"

namespace transformers::models_detail {

// qa_outputs' logits [b, s, num_labels] -> start_logits, end_logits [b, s]: Python's
// `logits.split(1, dim=-1)` unpacked into two, each squeeze(-1).contiguous().
inline void split_span_logits(ModelOutput& out, const Tensor& logits, const std::string& model) {
  if (logits.size(-1) != 2)
    throw ValueError(model + ": qa_outputs gives " + std::to_string(logits.size(-1)) +
                     " logits per token; start and end logits need config.num_labels == 2");
  out.start_logits = logits.select(-1, 0).contiguous();
  out.end_logits = logits.select(-1, 1).contiguous();
}

// *ForMultipleChoice: input_ids [b, choices, s] (inputs_embeds [b, choices, s, h]) and the other
// per-token inputs become [b * choices, s]; `num_choices` is input_ids.shape[1].
inline ModelInputs flatten_choices(const ModelInputs& in, const std::string& model, int64_t& num_choices) {
  const Tensor& lead = in.input_ids.defined() ? in.input_ids : in.inputs_embeds;
  const int64_t want = in.input_ids.defined() ? 3 : 4;
  if (!lead.defined() || lead.dim() != want)
    throw ShapeError(model + ": " + (in.input_ids.defined() ? "input_ids must be [batch, num_choices, seq]"
                                                            : "inputs_embeds must be [batch, num_choices, seq, hidden]") +
                     ", found " + (lead.defined() ? shape_str(lead.sizes()) : std::string("none")));
  num_choices = lead.size(1);
  auto flat = [&](const Tensor& t) { return t.defined() ? t.reshape({-1, t.size(-1)}) : t; };
  ModelInputs f = in;
  f.input_ids = flat(in.input_ids);
  f.attention_mask = flat(in.attention_mask);
  f.token_type_ids = flat(in.token_type_ids);
  f.position_ids = flat(in.position_ids);
  if (in.inputs_embeds.defined())
    f.inputs_embeds = in.inputs_embeds.reshape({-1, in.inputs_embeds.size(-2), in.inputs_embeds.size(-1)});
  return f;
}

}  // namespace transformers::models_detail
