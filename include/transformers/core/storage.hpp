#pragma once
// Bytes behind tensors: either our own 64-byte aligned heap block, or a borrowed region (e.g. a
// mmap'd checkpoint) kept alive by shared ownership of whatever owns it.
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace transformers {

// CPU and Reference are host memory (the same allocation, told apart only by which backend's
// kernels run on them, see transformers/ops/dispatch.hpp); CUDA has no backend yet.
enum class Device : uint8_t { CPU, CUDA, Reference };
const char* device_name(Device d);  // "cpu", "cuda", "reference"
Device device_from_name(const std::string& name);  // throws ValueError
inline bool is_host_device(Device d) { return d != Device::CUDA; }

class Storage {
 public:
  static constexpr size_t kAlignment = 64;

  // Uninitialised, 64-byte aligned. Throws EnvironmentError when memory runs out.
  static std::shared_ptr<Storage> allocate(size_t nbytes, Device device = Device::CPU);
  // Zero-filled, 64-byte aligned. Large blocks are fresh anonymous mappings, zero without a memset,
  // so their pages only cost when touched (a model's zero-initialised parameters that loading then
  // replaces by views of the checkpoint are never paged in).
  static std::shared_ptr<Storage> allocate_zeroed(size_t nbytes, Device device = Device::CPU);
  // Wraps memory we do not own; `owner` is kept alive as long as any tensor uses the bytes.
  static std::shared_ptr<Storage> borrow(void* data, size_t nbytes, std::shared_ptr<const void> owner,
                                         bool read_only = false, Device device = Device::CPU);

  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  void* data() const { return data_; }
  size_t nbytes() const { return nbytes_; }
  Device device() const { return device_; }
  bool borrowed() const { return owner_ != nullptr; }
  // Borrowed read-only memory (a private read-only mapping): writes must copy first.
  bool read_only() const { return read_only_; }

  // Derived data: something computed from these bytes (a kernel's packed copy of a weight) that
  // must live exactly as long as they do. Each component keys its slot by the address of an object
  // of its own; the value is destroyed with the storage. Thread-safe.
  std::shared_ptr<void> derived(const void* key) const;
  void set_derived(const void* key, std::shared_ptr<void> value) const;

 private:
  Storage() = default;
  void* data_ = nullptr;
  size_t nbytes_ = 0;
  Device device_ = Device::CPU;
  bool read_only_ = false;
  bool anonymous_map_ = false;  // allocate_zeroed's mapping: munmap, not free
  std::shared_ptr<const void> owner_;
  mutable std::mutex derived_mutex_;
  mutable std::vector<std::pair<const void*, std::shared_ptr<void>>> derived_;
};

}  // namespace transformers
