// TFPreTrainedModel.load_repo_checkpoint's weights part (see tf_repo_checkpoint.hpp).
#include "transformers/modeling/tf_repo_checkpoint.hpp"

#include <filesystem>

#include "io/mapped_file.hpp"
#include "io/pickle.hpp"
#include "modeling/tf_flax_load.hpp"
#include "transformers/core/quote.hpp"

namespace transformers {

namespace fs = std::filesystem;

namespace {

// The "epoch" of extra_data.pickle, read by the weights-only unpickler (SecurityError for the
// numpy globals of a real optimizer state, before anything else happens).
std::optional<int64_t> read_epoch(const fs::path& file) {
  const io::detail::ReaderBytes b = io::detail::ReaderBytes::map(file);
  const std::string_view data(reinterpret_cast<const char*>(b.data), size_t(b.size));
  size_t pos = 0;
  io::detail::UnpickleOptions o;
  o.file = b.path;
  const io::detail::Unpickled u = io::detail::unpickle(data, pos, o);
  using K = io::detail::Value::Kind;
  if (!u.root || u.root->kind != K::Dict)
    throw FormatError("'" + b.path + "' must pickle a dict {\"epoch\": ..., \"optimizer_state\": ...}");
  for (const auto& [k, v] : u.root->dict)
    if (k && k->kind == K::Str && k->s == "epoch") {
      if (!v || v->kind != K::Int) throw FormatError("'" + b.path + "': \"epoch\" must be an int");
      return v->i;
    }
  throw KeyError("'" + b.path + "' has no \"epoch\"");
}

}  // namespace

RepoCheckpoint load_repo_checkpoint(PreTrainedModel& model, const std::string& repo_path,
                                    const LoadRepoCheckpointOptions& options) {
  std::error_code ec;
  if (!fs::is_directory(repo_path, ec))
    throw UnsupportedError("load_repo_checkpoint(" + quote_input(repo_path) +
                           "): expected a local folder (4.51 clones a Hub repo with git first; clone it, then pass the folder)");
  const fs::path dir = fs::path(repo_path) / "checkpoint";
  const fs::path weights = dir / "weights.h5", extra = dir / "extra_data.pickle";
  if (!fs::is_regular_file(weights, ec))
    throw FileNotFoundError("Could not find checkpoint file weights.h5 in repo " + repo_path + "!");
  if (!fs::is_regular_file(extra, ec))
    throw FileNotFoundError("Could not find checkpoint file extra_data.pickle in repo " + repo_path + "!");
  RepoCheckpoint out;
  if (options.extra_data) out.epoch = read_epoch(extra);
  const auto fw = detail::read_framework_weights({weights.string()}, "");
  if (!fw || fw->framework != detail::WeightsFramework::TF)
    throw FormatError("'" + weights.string() + "' is not a Keras weights file (HDF5 with layer_names)");
  out.loading_info = load_state_dict_into_model(model, detail::tf_weights_to_pytorch(model, fw->tensors));
  return out;
}

}  // namespace transformers
