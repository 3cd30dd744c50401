#pragma once
// Stated bounds on sizes a config or a caller can ask for, where Python has none but the request
// would only end in hours of work or an out-of-memory kill (docs/reliability.md, "Sizes").
#include <cstdint>

namespace transformers {

// num_labels (config.json, from_pretrained's num_labels, `load-info --num-labels`): id2label and
// label2id get one entry per label and the classifier one row; 2^20 is above any real label set
// (ImageNet-22k has 21,843).
inline constexpr int64_t kMaxNumLabels = int64_t(1) << 20;

}  // namespace transformers
