#pragma once
// accelerate's disk-offload folder (the `offload_folder` of 4.51's from_pretrained): one raw file
// `<name>.dat` per tensor (its bytes, C order, little endian; a 0-d tensor as one element, bfloat16
// as its 16-bit patterns) and `index.json` mapping each name to {"dtype": numpy's name, "shape": [...]},
// exactly what accelerate.utils.offload_weight / save_offload_index write and what its
// load_offloaded_weight / OffloadedWeightsLoader read back.
//
//   nlohmann::ordered_json index = nlohmann::ordered_json::object();
//   Tensor w = io::offload_weight(t, DType::BFloat16, "model.layers.3.mlp.up_proj.weight", folder, index);
//   io::save_offload_index(index, folder);  // merged into an existing index.json, as accelerate does
//
// The returned tensor is a read-only view of the written file's mapping, so its pages come from the
// file on demand and can be given back after use.
#include <filesystem>
#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "transformers/core/tensor.hpp"

namespace transformers::io {

// Writes `t` converted to `dtype` as folder/<name>.dat (16 MiB row blocks at a time, so a large cast
// never holds a converted copy; `after_block` sees each source block once it is written), records
// {"dtype", "shape"} under `name` in `index`, and returns the file mapped read-only. ValueError for a
// name that is not a plain file name; UnsupportedError for a dtype numpy has no name for (float8,
// block-quantized); EnvironmentError when the file cannot be written.
Tensor offload_weight(const Tensor& t, DType dtype, const std::string& name, const std::filesystem::path& folder,
                      nlohmann::ordered_json& index,
                      const std::function<void(const Tensor& source_block)>& after_block = {});

// accelerate's save_offload_index: nothing for an empty index; otherwise folder/index.json updated
// with `index` (existing entries kept, same names replaced) and written as json.dump(indent=2) does.
void save_offload_index(const nlohmann::ordered_json& index, const std::filesystem::path& folder);

}  // namespace transformers::io
