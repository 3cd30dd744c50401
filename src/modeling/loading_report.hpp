#pragma once
// The messages 4.51's _load_pretrained_model logs after loading (unused checkpoint weights, newly
// initialised weights, shape mismatches), word for word, through the library logger.
#include <string>

#include "transformers/modeling/modeling_utils.hpp"

namespace transformers::detail {

// `path` is what the caller passed as pretrained_model_name_or_path ("" prints as Python's None).
void log_loading_report(const PreTrainedModel& model, const std::string& path, const LoadingInfo& info);

// Python's repr() of a str and of a list of str (as an f-string shows a list).
std::string python_repr(const std::string& s);
std::string python_repr(const std::vector<std::string>& list);

}  // namespace transformers::detail
