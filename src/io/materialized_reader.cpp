// The reader base of the formats whose tensors are copied out when the file is opened (TF HDF5,
// Flax msgpack): a name -> tensor table in file order.
#include "transformers/core/quote.hpp"
#include "transformers/io/tf_flax.hpp"

namespace transformers::io {

void MaterializedReader::add(const std::string& name, Tensor t) {
  if (!tensors_.emplace(name, std::move(t)).second)
    throw FormatError("'" + path_ + "' holds the weight " + quote_input(name) + " twice");
  keys_.push_back(name);
}

TensorEntry MaterializedReader::entry(const std::string& name) const {
  const Tensor t = get_tensor(name);  // KeyError naming the file for an unknown name
  return {name, std::string(dtype_name(t.dtype())), t.dtype(), t.sizes()};
}

Tensor MaterializedReader::get_tensor(const std::string& name) const {
  auto it = tensors_.find(name);
  if (it == tensors_.end()) throw KeyError("no weight " + quote_input(name) + " in '" + path_ + "'");
  return it->second;
}

}  // namespace transformers::io
