#pragma once
// Module: a tree of named children, parameters and buffers, named exactly as Hugging Face names them
// ("bert.encoder.layer.0.attention.self.query.weight"). Subclasses hold their tensors as members and
// register pointers to them, so `weight` in Linear and "weight" in state_dict() are the same slot.
// Modules are not copyable (the registered pointers point into the object).
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "transformers/core/tensor.hpp"

namespace transformers::nn {

using NamedTensors = std::vector<std::pair<std::string, Tensor>>;

struct LoadStateDictResult {
  std::vector<std::string> missing_keys;
  std::vector<std::string> unexpected_keys;
};

class Module {
 public:
  Module() = default;
  virtual ~Module() = default;
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  // ---- tree walks (registration order, like torch.nn.Module) ----
  // Parameters; shared tensors (tied weights) are listed once, under their first name, as Python's
  // remove_duplicate=True does. Undefined (None) parameters are skipped.
  NamedTensors named_parameters(const std::string& prefix = "", bool recurse = true,
                                bool remove_duplicate = true) const;
  NamedTensors named_buffers(const std::string& prefix = "", bool recurse = true) const;
  std::vector<std::pair<std::string, Module*>> named_modules(const std::string& prefix = "") const;
  std::vector<std::pair<std::string, Module*>> named_children() const;
  std::vector<Tensor> parameters() const;
  // Parameters and persistent buffers, every name kept (tied weights appear under both names).
  NamedTensors state_dict(const std::string& prefix = "") const;

  // Slot lookup by dotted name ("encoder.layer.0.output.dense.weight"); nullptr when absent.
  Tensor* find_parameter(const std::string& name);
  Tensor* find_buffer(const std::string& name);
  Tensor* find_tensor(const std::string& name);  // parameter or buffer
  Module* find_module(const std::string& name);

  // Copies the tensors named in `state` into the model's tensors, as torch's param.copy_ does, so
  // tied weights stay tied (values are converted to the slot's dtype). A slot that cannot be
  // written (a read-only checkpoint mapping) or that takes the value's dtype (keep_dtype) is
  // replaced instead, in every slot that shared it. Returns missing and unexpected keys; with
  // strict, throws KeyError listing them.
  LoadStateDictResult load_state_dict(const std::map<std::string, Tensor>& state, bool strict = true,
                                      bool keep_dtype = false);

  // Puts `fresh` into the slot `old` and into every other slot holding the same tensor (a tie).
  void replace_tensor(const Tensor& old, const Tensor& fresh);

  // Casts every floating-point parameter and buffer (Python's model.to(dtype)); keeps ties.
  virtual void to(DType dtype);
  void train(bool mode = true);
  void eval() { train(false); }
  bool training() const { return training_; }

  // The class name as Python prints it ("BertSelfAttention"); used in messages.
  virtual std::string name() const { return "Module"; }

 protected:
  // Register a member tensor (may be undefined, like a None bias).
  void register_parameter(const std::string& name, Tensor* slot);
  void register_buffer(const std::string& name, Tensor* slot, bool persistent = true);
  template <typename M>
  std::shared_ptr<M> register_module(const std::string& name, std::shared_ptr<M> child) {
    register_child(name, child);
    return child;
  }
  void register_child(const std::string& name, std::shared_ptr<Module> child);
  // Replace a registered child (e.g. set_input_embeddings); the caller updates its typed member too.
  void replace_child(const std::string& name, std::shared_ptr<Module> child);

 private:
  struct BufferSlot {
    std::string name;
    Tensor* slot;
    bool persistent;
  };
  std::vector<std::pair<std::string, Tensor*>> params_;
  std::vector<BufferSlot> buffers_;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> children_;
  bool training_ = false;
};

// torch.nn.ModuleList: children named "0", "1", ...
template <typename M>
class ModuleList : public Module {
 public:
  void push_back(std::shared_ptr<M> m) {
    register_child(std::to_string(items_.size()), m);
    items_.push_back(std::move(m));
  }
  size_t size() const { return items_.size(); }
  M& operator[](size_t i) const { return *items_[i]; }
  const std::shared_ptr<M>& at(size_t i) const { return items_[i]; }
  auto begin() const { return items_.begin(); }
  auto end() const { return items_.end(); }
  std::string name() const override { return "ModuleList"; }

 private:
  std::vector<std::shared_ptr<M>> items_;
};

}  // namespace transformers::nn
