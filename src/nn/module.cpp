#include "transformers/nn/module.hpp"

#include <set>

namespace transformers::nn {

namespace {
std::string join(const std::string& prefix, const std::string& name) {
  return prefix.empty() ? name : prefix + "." + name;
}
// Identity of a tensor for deduplication: same storage, offset, geometry (Python compares objects).
struct TensorKey {
  const void* storage;
  int64_t offset;
  Shape sizes;
  bool operator<(const TensorKey& o) const {
    return std::tie(storage, offset, sizes) < std::tie(o.storage, o.offset, o.sizes);
  }
  bool operator==(const TensorKey& o) const = default;
  static TensorKey of(const Tensor& t) { return {t.storage().get(), t.storage_offset(), t.sizes()}; }
};
}  // namespace

void Module::register_parameter(const std::string& name, Tensor* slot) { params_.emplace_back(name, slot); }

void Module::register_buffer(const std::string& name, Tensor* slot, bool persistent) {
  buffers_.push_back({name, slot, persistent});
}

void Module::register_child(const std::string& name, std::shared_ptr<Module> child) {
  for (auto& [n, c] : children_)
    if (n == name) {
      c = std::move(child);
      return;
    }
  children_.emplace_back(name, std::move(child));
}

void Module::replace_child(const std::string& name, std::shared_ptr<Module> child) {
  for (auto& [n, c] : children_)
    if (n == name) {
      c = std::move(child);
      return;
    }
  throw KeyError(this->name() + " has no child module '" + name + "'");
}

std::vector<std::pair<std::string, Module*>> Module::named_children() const {
  std::vector<std::pair<std::string, Module*>> out;
  for (auto& [n, c] : children_)
    if (c) out.emplace_back(n, c.get());
  return out;
}

std::vector<std::pair<std::string, Module*>> Module::named_modules(const std::string& prefix) const {
  std::vector<std::pair<std::string, Module*>> out;
  std::set<const Module*> seen;
  std::function<void(const Module*, const std::string&)> walk = [&](const Module* m, const std::string& p) {
    if (!seen.insert(m).second) return;
    out.emplace_back(p, const_cast<Module*>(m));
    for (auto& [n, c] : m->children_)
      if (c) walk(c.get(), join(p, n));
  };
  walk(this, prefix);
  return out;
}

NamedTensors Module::named_parameters(const std::string& prefix, bool recurse, bool remove_duplicate) const {
  NamedTensors out;
  std::set<TensorKey> seen;
  auto visit = [&](const Module* m, const std::string& p) {
    for (auto& [n, slot] : m->params_) {
      if (!slot->defined()) continue;
      if (remove_duplicate &&
          !seen.insert({slot->storage().get(), slot->storage_offset(), slot->sizes()}).second)
        continue;
      out.emplace_back(join(p, n), *slot);
    }
  };
  if (!recurse) {
    visit(this, prefix);
    return out;
  }
  for (auto& [p, m] : named_modules(prefix)) visit(m, p);
  return out;
}

NamedTensors Module::named_buffers(const std::string& prefix, bool recurse) const {
  NamedTensors out;
  auto visit = [&](const Module* m, const std::string& p) {
    for (auto& b : m->buffers_)
      if (b.slot->defined()) out.emplace_back(join(p, b.name), *b.slot);
  };
  if (!recurse) {
    visit(this, prefix);
    return out;
  }
  for (auto& [p, m] : named_modules(prefix)) visit(m, p);
  return out;
}

std::vector<Tensor> Module::parameters() const {
  std::vector<Tensor> out;
  for (auto& [n, t] : named_parameters()) out.push_back(t);
  return out;
}

NamedTensors Module::state_dict(const std::string& prefix) const {
  // torch's state_dict: per module, its parameters then its persistent buffers, then children.
  NamedTensors out;
  std::function<void(const Module*, const std::string&)> walk = [&](const Module* m, const std::string& p) {
    for (auto& [n, slot] : m->params_)
      if (slot->defined()) out.emplace_back(join(p, n), *slot);
    for (auto& b : m->buffers_)
      if (b.persistent && b.slot->defined()) out.emplace_back(join(p, b.name), *b.slot);
    for (auto& [n, c] : m->children_)
      if (c) walk(c.get(), join(p, n));
  };
  walk(this, prefix);
  return out;
}

Module* Module::find_module(const std::string& name) {
  if (name.empty()) return this;
  Module* m = this;
  size_t pos = 0;
  while (pos <= name.size()) {
    const size_t dot = name.find('.', pos);
    const std::string part = name.substr(pos, dot == std::string::npos ? std::string::npos : dot - pos);
    Module* next = nullptr;
    for (auto& [n, c] : m->children_)
      if (n == part) next = c.get();
    if (!next) return nullptr;
    m = next;
    if (dot == std::string::npos) break;
    pos = dot + 1;
  }
  return m;
}

namespace {
std::pair<std::string, std::string> split_last(const std::string& name) {
  const size_t dot = name.rfind('.');
  if (dot == std::string::npos) return {"", name};
  return {name.substr(0, dot), name.substr(dot + 1)};
}
}  // namespace

Tensor* Module::find_parameter(const std::string& name) {
  auto [mod, leaf] = split_last(name);
  Module* m = find_module(mod);
  if (!m) return nullptr;
  for (auto& [n, slot] : m->params_)
    if (n == leaf) return slot;
  return nullptr;
}

Tensor* Module::find_buffer(const std::string& name) {
  auto [mod, leaf] = split_last(name);
  Module* m = find_module(mod);
  if (!m) return nullptr;
  for (auto& b : m->buffers_)
    if (b.name == leaf) return b.slot;
  return nullptr;
}

Tensor* Module::find_tensor(const std::string& name) {
  Tensor* t = find_parameter(name);
  return t ? t : find_buffer(name);
}

LoadStateDictResult Module::load_state_dict(const std::map<std::string, Tensor>& state, bool strict,
                                            bool keep_dtype) {
  LoadStateDictResult r;
  std::set<std::string> expected;
  for (auto& [n, t] : state_dict()) expected.insert(n);
  for (auto& [name, value] : state) {
    if (!expected.count(name)) {
      r.unexpected_keys.push_back(name);
      continue;
    }
    Tensor* slot = find_tensor(name);
    if (slot->sizes() != value.sizes())
      throw ShapeError("size mismatch for " + name + ": copying a param with shape " + shape_str(value.sizes()) +
                       ", the shape in current model is " + shape_str(slot->sizes()));
    const bool converts = keep_dtype && value.dtype() != slot->dtype();
    if (slot->defined() && !converts && slot->storage() && !slot->storage()->read_only()) {
      // torch's param.copy_(input): the values change, the tensor stays, so every name tied to it
      // (lm_head.weight and the input embeddings) still shares one tensor afterwards.
      slot->copy_(value);
      continue;
    }
    // A slot that cannot be written (a read-only file mapping) or that changes dtype is replaced:
    // every slot holding the same tensor gets the new one, so ties survive here too.
    const Tensor fresh = (keep_dtype || value.dtype() == slot->dtype()) ? value : value.to(slot->dtype());
    replace_tensor(*slot, fresh);
  }
  for (auto& n : expected)
    if (!state.count(n)) r.missing_keys.push_back(n);
  if (strict && (!r.missing_keys.empty() || !r.unexpected_keys.empty())) {
    std::string msg = "Error(s) in loading state_dict for " + name() + ":";
    if (!r.missing_keys.empty()) {
      msg += " Missing key(s):";
      for (auto& k : r.missing_keys) msg += " \"" + k + "\"";
    }
    if (!r.unexpected_keys.empty()) {
      msg += " Unexpected key(s):";
      for (auto& k : r.unexpected_keys) msg += " \"" + k + "\"";
    }
    throw KeyError(msg);
  }
  return r;
}

void Module::replace_tensor(const Tensor& old, const Tensor& fresh) {
  // The slots to change are collected first: `old` is one of them.
  std::vector<Tensor*> hits;
  for (auto& [p, m] : named_modules()) {
    auto visit = [&](Tensor* slot) {
      if (slot == &old || (old.defined() && slot->defined() && TensorKey::of(*slot) == TensorKey::of(old)))
        hits.push_back(slot);
    };
    for (auto& [n, slot] : m->params_) visit(slot);
    for (auto& b : m->buffers_) visit(b.slot);
  }
  if (hits.empty()) return;
  // One handle with the flag for every slot: tied slots keep sharing one autograd state.
  const Tensor shared = fresh.detach().set_requires_grad(hits.front()->requires_grad());
  for (Tensor* slot : hits) *slot = shared;
}

void Module::to(DType dtype) {
  // Cast each distinct tensor once and give every slot that shared it the same result, so tied
  // weights stay tied.
  std::map<TensorKey, Tensor> done;
  for (auto& [p, m] : named_modules()) {
    auto cast = [&](Tensor* slot) {
      if (!slot->defined() || !slot->is_floating_point() || slot->dtype() == dtype) return;
      const TensorKey key = TensorKey::of(*slot);
      auto it = done.find(key);
      // The flag is set on the cast once, before it is shared, so tied slots share one autograd
      // state (one grad) as they share one Parameter in Python; the cast itself is not recorded.
      if (it == done.end()) it = done.emplace(key, slot->to(dtype).detach().set_requires_grad(slot->requires_grad())).first;
      *slot = it->second;
    };
    for (auto& [n, slot] : m->params_) cast(slot);
    for (auto& b : m->buffers_) cast(b.slot);
  }
}

void Module::train(bool mode) {
  for (auto& [p, m] : named_modules()) m->training_ = mode;
}

}  // namespace transformers::nn
