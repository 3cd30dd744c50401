#pragma once
// Small helpers the model files share (private to src/models): input checks and flag resolution
// that every Python forward starts with.
#include <optional>
#include <string>

#include "transformers/modeling/configuration_utils.hpp"
#include "transformers/modeling/model_outputs.hpp"

namespace transformers::models_detail {

struct InputShape {
  int64_t batch = 0;
  int64_t seq = 0;
};

// "You cannot specify both input_ids and inputs_embeds" / "You have to specify either ...".
inline InputShape input_shape(const ModelInputs& in, const std::string& model) {
  if (in.input_ids.defined() && in.inputs_embeds.defined())
    throw ValueError(model + ": You cannot specify both input_ids and inputs_embeds at the same time");
  if (in.input_ids.defined()) {
    if (in.input_ids.dim() != 2)
      throw ShapeError(model + ": input_ids must be [batch, seq], found " + shape_str(in.input_ids.sizes()));
    return {in.input_ids.size(0), in.input_ids.size(1)};
  }
  if (in.inputs_embeds.defined()) {
    if (in.inputs_embeds.dim() != 3)
      throw ShapeError(model + ": inputs_embeds must be [batch, seq, hidden], found " +
                       shape_str(in.inputs_embeds.sizes()));
    return {in.inputs_embeds.size(0), in.inputs_embeds.size(1)};
  }
  throw ValueError(model + ": You have to specify either input_ids or inputs_embeds");
}

inline void check_2d(const Tensor& t, const InputShape& s, const char* what, const std::string& model,
                     int64_t extra_cols = 0) {
  if (!t.defined()) return;
  if (t.dim() != 2 || t.size(0) != s.batch || t.size(1) != s.seq + extra_cols)
    throw ShapeError(model + ": " + what + " must be [" + std::to_string(s.batch) + ", " +
                     std::to_string(s.seq + extra_cols) + "], found " + shape_str(t.sizes()));
}

inline bool flag(const std::optional<bool>& v, bool fallback) { return v.has_value() ? *v : fallback; }

}  // namespace transformers::models_detail
