// The registration table and the dispatch-device rule (see dispatch.hpp).
#include "ops/dispatch.hpp"

#include <string>

namespace transformers::ops {

namespace {
thread_local Device t_host_device = Device::CPU;


const char* const kOpNames[] = {
#define TRANSFORMERS_OP_NAME(name, sig) #name,
    TRANSFORMERS_OP_LIST(TRANSFORMERS_OP_NAME)
#undef TRANSFORMERS_OP_NAME
};

// Folds one argument's device into the running choice.
void fold_device(const char* op, const Tensor& t, Device& chosen, bool& any_reference) {
  if (!t.defined()) return;
  const Device d = t.device();
  if (d == Device::Reference) any_reference = true;
  if (is_host_device(d)) return;
  if (!is_host_device(chosen) && chosen != d)
    throw ValueError(std::string(op) + ": expected all tensors on one device, found " + device_name(chosen) +
                     " and " + device_name(d));
  chosen = d;
}
}  // namespace

DeviceGuard::DeviceGuard(Device device) : previous_(t_host_device) {
  if (!is_host_device(device))
    throw UnsupportedError(std::string("DeviceGuard: expected a host device (cpu or reference), found ") +
                           device_name(device));
  t_host_device = device;
}
DeviceGuard::~DeviceGuard() { t_host_device = previous_; }
Device current_host_device() { return t_host_device; }

const char* op_id_name(OpId op) { return kOpNames[size_t(op)]; }

template <typename Range>
static Device resolve(const char* op, const Range& args) {
  Device chosen = Device::CPU;
  bool any_reference = false;
  for (const auto& a : args) fold_device(op, *a, chosen, any_reference);
  if (!is_host_device(chosen)) return chosen;
  return any_reference ? Device::Reference : t_host_device;
}

Device dispatch_device(const char* op, std::initializer_list<const Tensor*> args) { return resolve(op, args); }

Device dispatch_device(const char* op, const std::vector<Tensor>& args) {
  std::vector<const Tensor*> ptrs;
  ptrs.reserve(args.size());
  for (const Tensor& t : args) ptrs.push_back(&t);
  return resolve(op, ptrs);
}

void KernelTable::add_erased(OpId op, Device device, DTypeSet dtypes, void (*fn)(), ReferenceGrade grade) {
  cells_[size_t(op)][size_t(device)].push_back(Entry{dtypes, fn, grade});
}

const KernelTable::Entry* KernelTable::lookup(OpId op, Device device, DType dtype) const {
  for (const Entry& e : cells_[size_t(op)][size_t(device)])
    if (e.dtypes.contains(dtype)) return &e;
  return nullptr;
}

void (*KernelTable::find(OpId op, Device device, DType dtype) const)() {
  if (const Entry* e = lookup(op, device, dtype)) return e->fn;
  // The reference backend borrows the CPU kernels that already compute what it would.
  if (device == Device::Reference)
    if (const Entry* e = lookup(op, Device::CPU, dtype); e && e->grade == ReferenceGrade::yes) return e->fn;
  throw UnsupportedError(std::string(op_id_name(op)) + ": expected a kernel for device " + device_name(device) +
                         " and dtype " + std::string(dtype_name(dtype)) + ", found none registered");
}

const KernelTable& kernel_table() {
  static const KernelTable table = [] {
    KernelTable t;
    cpu::register_kernels(t);
    reference::register_kernels(t);
    return t;
  }();
  return table;
}

}  // namespace transformers::ops
