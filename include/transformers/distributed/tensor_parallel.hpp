#pragma once
// Tensor parallelism as 4.51's from_pretrained(tp_plan="auto") lays it out: each rank keeps a slice
// of every planned Linear ("colwise": a block of output rows; "rowwise": a block of input columns,
// the partial outputs summed over ranks; "colwise_rep": rows, the outputs gathered back), and the
// attention modules run their share of the heads. Everything else is replicated.
//
//   auto comm = distributed::mpi_world();
//   auto model = auto_from_pretrained("AutoModelForCausalLM", path);
//   distributed::tensor_parallel(*model, comm);          // tp_plan "auto"
//   model->forward(inputs);                              // same logits on every rank
//
// The plan is the model's: config.base_model_tp_plan of 4.51 for the Llama family (q/k/v/gate/up
// colwise, o/down rowwise) under the base model prefix, plus the head's _tp_plan (lm_head
// colwise_rep). A world size that does not divide the heads, key/value heads, intermediate size or
// vocabulary is a ValueError raised on every rank before any collective, so no rank waits forever.
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "transformers/distributed/communicator.hpp"
#include "transformers/modeling/modeling_utils.hpp"

namespace transformers::distributed {

using TpPlan = std::vector<std::pair<std::string, std::string>>;  // module pattern ("*" = any index) -> style

// The plan tp_plan="auto" uses for `model` (UnsupportedError for a model without one).
TpPlan get_tp_plan(const PreTrainedModel& model);

struct TensorParallelInfo {
  int world_size = 1;
  int64_t weight_bytes_total = 0;  // parameter bytes before sharding (tied ones once)
  int64_t weight_bytes_local = 0;  // parameter bytes this rank keeps
};

// Shards `model` in place for `comm`'s ranks. tp_plan: "auto" (the only value 4.51 takes).
TensorParallelInfo tensor_parallel(PreTrainedModel& model, std::shared_ptr<Communicator> comm,
                                   const std::string& tp_plan = "auto");

}  // namespace transformers::distributed
