#pragma once
// The weight-file writers, into a file already opened (a staged file of a FolderSave), so that a
// save_state_dict can write every shard before renaming any (save_safetensors / save_torch are
// these plus their own AtomicFile).
#include "transformers/io/atomic_file.hpp"
#include "transformers/io/checkpoint.hpp"

namespace transformers::io {

void write_safetensors(AtomicFile& out, const NamedTensors& tensors, const Metadata& metadata);
void write_torch(AtomicFile& out, const NamedTensors& tensors);

}  // namespace transformers::io
