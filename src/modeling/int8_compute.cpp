// torch_dtype "int8": int8 copies of the Linear / Conv1D weights after loading (int8_compute.hpp).
#include "modeling/int8_compute.hpp"

#include "transformers/nn/linear.hpp"
#include "transformers/ops/int8.hpp"

namespace transformers::modeling_detail {

int64_t quantize_linear_weights_int8(nn::Module& root) {
  int64_t n = 0;
  for (const auto& [name, m] : root.named_modules()) {
    if (auto* lin = dynamic_cast<nn::Linear*>(m)) {
      // a weight shared by two modules (tied lm_head) is quantized once
      if (!ops::has_int8_weight(lin->weight, false) && ops::quantize_weight_int8(lin->weight, false)) ++n;
    } else if (auto* conv = dynamic_cast<nn::Conv1D*>(m)) {
      if (!ops::has_int8_weight(conv->weight, true) && ops::quantize_weight_int8(conv->weight, true)) ++n;
    }
  }
  return n;
}

}  // namespace transformers::modeling_detail
