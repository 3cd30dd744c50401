#include "transformers/core/storage.hpp"

#include <sys/mman.h>

#include <cstdlib>
#include <cstring>
#include <string>

#include "alloc_cache.hpp"
#include "transformers/core/checked.hpp"
#include "transformers/core/error.hpp"

namespace transformers {

namespace {
// No allocation can be larger than the address space; refusing here also keeps the size-class and
// alignment rounding below from wrapping.
void check_size(size_t nbytes) {
  if (nbytes > size_t(kMaxAllocationBytes))
    throw OverflowError("allocation of " + std::to_string(nbytes) +
                        " bytes exceeds the largest possible allocation (2^47 bytes, the address space)");
}
}  // namespace

const char* device_name(Device d) {
  switch (d) {
    case Device::CPU: return "cpu";
    case Device::CUDA: return "cuda";
    case Device::Reference: return "reference";
  }
  return "unknown";
}

Device device_from_name(const std::string& name) {
  for (Device d : {Device::CPU, Device::CUDA, Device::Reference})
    if (name == device_name(d)) return d;
  throw ValueError("unknown device: expected cpu, cuda or reference, found '" + name + "'");
}

std::shared_ptr<Storage> Storage::allocate(size_t nbytes, Device device) {
  if (!is_host_device(device))
    throw UnsupportedError(std::string("allocation on device '") + device_name(device) +
                           "': this build has the host backends (cpu, reference) only");
  check_size(nbytes);
  std::shared_ptr<Storage> s(new Storage());
#if TRANSFORMERS_ALLOC_CACHE_COMPILED
  // Blocks come from (and go back to) the size-class caches: large ones from alloc_cache.cpp's,
  // small ones from this thread's lists (small_alloc_cache.cpp). The class size is a function of
  // nbytes, so ~Storage finds the class again without storing it.
  const size_t class_size = alloc_cache_class_size(nbytes);
  if (nbytes >= kAllocCacheMinBytes) {
    s->data_ = detail::alloc_cache_take(class_size);
    if (!s->data_) s->data_ = detail::alloc_cache_new(class_size);
  } else {
    s->data_ = detail::small_cache_take(class_size);
    if (!s->data_) s->data_ = std::aligned_alloc(kAlignment, class_size);
  }
#else
  // aligned_alloc needs a size that is a multiple of the alignment; never ask for zero bytes.
  const size_t rounded = (nbytes + kAlignment - 1) / kAlignment * kAlignment;
  s->data_ = std::aligned_alloc(kAlignment, rounded == 0 ? kAlignment : rounded);
#endif
  if (!s->data_) throw EnvironmentError("out of memory allocating " + std::to_string(nbytes) + " bytes");
  s->nbytes_ = nbytes;
  s->device_ = device;
  return s;
}

std::shared_ptr<Storage> Storage::allocate_zeroed(size_t nbytes, Device device) {
  constexpr size_t kMapThreshold = size_t(1) << 20;  // below this a memset is cheaper than a mapping
  check_size(nbytes);
  if (!is_host_device(device) || nbytes < kMapThreshold) {
    auto s = allocate(nbytes, device);
    std::memset(s->data_, 0, nbytes);
    return s;
  }
  void* p = ::mmap(nullptr, nbytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw EnvironmentError("out of memory mapping " + std::to_string(nbytes) + " zero bytes");
  std::shared_ptr<Storage> s(new Storage());
  s->data_ = p;  // page-aligned, so 64-byte aligned
  s->nbytes_ = nbytes;
  s->device_ = device;
  s->anonymous_map_ = true;
  return s;
}

std::shared_ptr<Storage> Storage::borrow(void* data, size_t nbytes, std::shared_ptr<const void> owner,
                                         bool read_only, Device device) {
  std::shared_ptr<Storage> s(new Storage());
  s->data_ = data;
  s->nbytes_ = nbytes;
  s->owner_ = owner ? std::move(owner) : std::shared_ptr<const void>(data, [](const void*) {});
  s->read_only_ = read_only;
  s->device_ = device;
  return s;
}

std::shared_ptr<void> Storage::derived(const void* key) const {
  std::lock_guard<std::mutex> lock(derived_mutex_);
  for (const auto& [k, v] : derived_)
    if (k == key) return v;
  return nullptr;
}

void Storage::set_derived(const void* key, std::shared_ptr<void> value) const {
  std::lock_guard<std::mutex> lock(derived_mutex_);
  for (auto& [k, v] : derived_)
    if (k == key) {
      v = std::move(value);
      return;
    }
  derived_.emplace_back(key, std::move(value));
}

Storage::~Storage() {
  derived_.clear();  // derived data first: it may still look at the bytes

  if (anonymous_map_) ::munmap(data_, nbytes_);
#if TRANSFORMERS_ALLOC_CACHE_COMPILED
  else if (!owner_ && nbytes_ >= kAllocCacheMinBytes) detail::alloc_cache_give(data_, alloc_cache_class_size(nbytes_));
  else if (!owner_ && data_) detail::small_cache_give(data_, alloc_cache_class_size(nbytes_));
#endif
  else if (!owner_) std::free(data_);
}

}  // namespace transformers
