#pragma once
// TFPreTrainedModel.load_repo_checkpoint without TensorFlow: the checkpoint folder 4.51's TF
// training callback writes (_save_checkpoint: <repo>/checkpoint/weights.h5, Keras save_weights of
// the TF class, and <repo>/checkpoint/extra_data.pickle, {"epoch": N, "optimizer_state": [...]}).
//
//   auto model = from_pretrained_class("BertForMaskedLM", "bert-folder");
//   RepoCheckpoint c = load_repo_checkpoint(*model, "my-run");   // weights.h5 into the model
//
// The weights part is 4.51's: weights.h5 converted into the model as from_pretrained(from_tf) does.
// extra_data.pickle goes through the weights-only unpickler like every pickle here: the optimizer
// state 4.51 pickles holds numpy arrays, which that unpickler refuses (SecurityError naming the
// file and the global; nothing is run) before any weight is touched. A pickle of plain values
// ({"epoch": 3, "optimizer_state": []}) gives the epoch; with .extra_data = false only the weights
// are loaded and the pickle is not read. There is no TF optimizer to restore state into.
#include <optional>
#include <string>

#include "transformers/modeling/modeling_utils.hpp"

namespace transformers {

struct LoadRepoCheckpointOptions {
  bool extra_data = true;  // read extra_data.pickle (its epoch); false: the weights part only
};

struct RepoCheckpoint {
  std::optional<int64_t> epoch;  // {"epoch": N} of 4.51's return value; nullopt when not read
  LoadingInfo loading_info;      // the weights' missing / unexpected keys
};

// `repo_path` is a local folder (4.51 clones a Hub repo first; here that is an UnsupportedError).
// FileNotFoundError with 4.51's message when checkpoint/weights.h5 or checkpoint/extra_data.pickle
// is missing (both are required, as in 4.51, whatever `options` say).
RepoCheckpoint load_repo_checkpoint(PreTrainedModel& model, const std::string& repo_path,
                                    const LoadRepoCheckpointOptions& options = {});

}  // namespace transformers
