#pragma once
// TensorFlow and Flax weight files, in the frameworks' own names and layouts (the conversion to
// PyTorch names is modeling's job: modeling_tf_pytorch_utils / modeling_flax_pytorch_utils).
//
//   io::FlaxMsgpackReader r("flax_model.msgpack");   // keys "bert/embeddings/word_embeddings/embedding"
//   io::H5WeightsReader h("tf_model.h5");            // keys "tf_bert_for_masked_lm/bert/.../kernel:0"
//
// flax_model.msgpack is flax.serialization.to_bytes(params): nested msgpack maps whose leaves are
// the ndarray extension type (code 1: a msgpack (shape, dtype name, C-order bytes) triple); keys
// here join the path with '/', as flax's sharded index does. tf_model.h5 is Keras save_weights:
// root attribute layer_names, one group per layer with attribute weight_names, a dataset per
// weight; a TF shard (tf_model-0000k-of-0000n.h5) holds its datasets at the root, listed by the
// root's layer_names (names without the model's own first level). Both are read with the Debian
// libraries (msgpack-c, the HDF5 C library), never by hand; every malformed input is a
// FormatError naming the file, valid files using features we do not read an UnsupportedError.
#include <filesystem>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "transformers/io/checkpoint.hpp"

namespace transformers::io {

// A reader whose tensors were all read when it was opened (both formats copy their bytes out).
class MaterializedReader : public CheckpointReader {
 public:
  const std::string& path() const override { return path_; }
  const std::vector<std::string>& keys() const override { return keys_; }
  bool contains(const std::string& name) const override { return tensors_.count(name) != 0; }
  TensorEntry entry(const std::string& name) const override;
  Tensor get_tensor(const std::string& name) const override;
  const Metadata& metadata() const override { return metadata_; }

 protected:
  void add(const std::string& name, Tensor t);  // FormatError on a repeated name
  std::string path_;
  std::vector<std::string> keys_;
  std::unordered_map<std::string, Tensor> tensors_;
  Metadata metadata_;
};

class FlaxMsgpackReader final : public MaterializedReader {
 public:
  explicit FlaxMsgpackReader(const std::filesystem::path& file);
  // An in-memory buffer (fuzzers, tests).
  static std::unique_ptr<FlaxMsgpackReader> from_bytes(std::string_view bytes, std::string name = "<memory>");
  std::string_view format() const override { return "flax"; }

 private:
  FlaxMsgpackReader() = default;
  void parse(const uint8_t* data, size_t size);
};

class H5WeightsReader final : public MaterializedReader {
 public:
  // metadata()["layout"] is "keras" (save_weights) or "tf-shard" (a shard of a sharded save).
  explicit H5WeightsReader(const std::filesystem::path& file);
  std::string_view format() const override { return "tf"; }
  // Keras layer names in file order (root attribute layer_names).
  const std::vector<std::string>& layer_names() const { return layer_names_; }

 private:
  std::vector<std::string> layer_names_;
};

// flax.serialization.to_bytes of the nested map the '/'-joined names describe, in the given order.
std::string flax_msgpack_serialize(const NamedTensors& tensors);

// One Keras layer of a save_weights file: its name and its weights under their full TF names.
struct KerasLayer {
  std::string name;
  NamedTensors weights;
};
// The bytes of tf_model.h5 as tf-keras save_weights writes it (root attributes layer_names,
// backend, keras_version; one group per layer, sorted by name, with attribute weight_names and a
// dataset per weight), built in memory (HDF5's core driver) so that a FolderSave stages it.
std::string keras_h5_serialize(const std::vector<KerasLayer>& layers);
// A shard of a sharded TF save: datasets at the root under the given names, root attribute layer_names.
std::string tf_h5_shard_serialize(const NamedTensors& weights);

}  // namespace transformers::io
