#pragma once
// Which backend runs an op. Every public op (transformers/ops/*.hpp) resolves a dispatch device
// from its tensor arguments and looks its kernel up in one registration table (src/ops/dispatch.hpp).
//
// Host devices: Device::CPU (the optimised kernels) and Device::Reference (plain float64 loops,
// the oracle for parity and gradient checks) both keep their bytes in host memory, so they can read
// each other's tensors. An op runs on Reference when any tensor argument lives there or when a
// DeviceGuard selects it; otherwise on the device of its tensors (CPU by default).
#include "transformers/core/storage.hpp"

namespace transformers::ops {

// Scoped choice of the host backend for every op run on this thread while the guard lives
// (`with torch.device(...)`'s place for the host backends): DeviceGuard g(Device::Reference) runs
// a whole model forward on the reference kernels without moving its weights.
class DeviceGuard {
 public:
  explicit DeviceGuard(Device device);
  ~DeviceGuard();
  DeviceGuard(const DeviceGuard&) = delete;
  DeviceGuard& operator=(const DeviceGuard&) = delete;

 private:
  Device previous_;
};

// The host backend a DeviceGuard selected on this thread (Device::CPU when none).
Device current_host_device();

}  // namespace transformers::ops
