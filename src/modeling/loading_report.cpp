// 4.51 logs these from modeling_utils._load_pretrained_model: the unused-weights message is a
// warning only when the class is one of config.architectures (info otherwise); the "newly
// initialized" and the shape-mismatch messages are warnings; the all-used / all-initialised ones info.
#include "loading_report.hpp"

#include <algorithm>
#include <cstdio>

#include "transformers/core/logging.hpp"

namespace transformers::detail {

std::string python_repr(const std::string& s) {
  const bool has_single = s.find('\'') != std::string::npos;
  const char quote = has_single && s.find('"') == std::string::npos ? '"' : '\'';
  std::string out(1, quote);
  for (unsigned char c : s) {
    if (c == '\\') out += "\\\\";
    else if (c == static_cast<unsigned char>(quote)) out += std::string("\\") + char(quote);
    else if (c == '\n') out += "\\n";
    else if (c == '\r') out += "\\r";
    else if (c == '\t') out += "\\t";
    else if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += char(c);  // printable ASCII and UTF-8 text stay as they are
    }
  }
  return out + quote;
}

std::string python_repr(const std::vector<std::string>& list) {
  std::string out = "[";
  for (size_t i = 0; i < list.size(); ++i) out += (i ? ", " : "") + python_repr(list[i]);
  return out + "]";
}

namespace {
std::string torch_size(const Shape& s) {
  std::string out = "torch.Size([";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + "])";
}
}  // namespace

void log_loading_report(const PreTrainedModel& model, const std::string& path, const LoadingInfo& info) {
  static const logging::Logger logger = logging::get_logger("transformers.modeling_utils");
  const std::string cls = model.name();
  const std::string at = path.empty() ? "None" : path;
  if (!info.unexpected_keys.empty()) {
    const auto archs = model.config().architectures();
    const bool listed = std::find(archs.begin(), archs.end(), cls) != archs.end();
    logger.log(listed ? logging::WARNING : logging::INFO,
               "Some weights of the model checkpoint at " + at + " were not used when initializing " + cls + ": " +
                   python_repr(info.unexpected_keys) + "\n- This IS expected if you are initializing " + cls +
                   " from the checkpoint of a model trained on another task or with another architecture (e.g. "
                   "initializing a BertForSequenceClassification model from a BertForPreTraining model).\n- This "
                   "IS NOT expected if you are initializing " + cls +
                   " from the checkpoint of a model that you expect to be exactly identical (initializing a "
                   "BertForSequenceClassification model from a BertForSequenceClassification model).");
  } else {
    logger.info("All model checkpoint weights were used when initializing " + cls + ".\n");
  }
  if (!info.missing_keys.empty()) {
    logger.warning("Some weights of " + cls + " were not initialized from the model checkpoint at " + at +
                   " and are newly initialized: " + python_repr(info.missing_keys) +
                   "\nYou should probably TRAIN this model on a down-stream task to be able to use it for "
                   "predictions and inference.");
  } else if (info.mismatched_keys.empty()) {
    logger.info("All the weights of " + cls + " were initialized from the model checkpoint at " + at +
                ".\nIf your task is similar to the task the model of the checkpoint was trained on, you can "
                "already use " + cls + " for predictions without further training.");
  }
  if (!info.mismatched_keys.empty()) {
    std::string lines;
    for (auto& m : info.mismatched_keys)
      lines += (lines.empty() ? "- " : "\n- ") + m.key + ": found shape " + torch_size(m.checkpoint_shape) +
               " in the checkpoint and " + torch_size(m.model_shape) + " in the model instantiated";
    logger.warning("Some weights of " + cls + " were not initialized from the model checkpoint at " + at +
                   " and are newly initialized because the shapes did not match:\n" + lines +
                   "\nYou should probably TRAIN this model on a down-stream task to be able to use it for "
                   "predictions and inference.");
  }
}

}  // namespace transformers::detail
