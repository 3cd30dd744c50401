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

const char* device_name(Device d) { return d == Device::CPU ? "cpu" : "cuda"; }

std::shared_ptr<Storage> Storage::allocate(size_t nbytes, Device device) {
  if (device != Device::CPU) throw UnsupportedError("allocation on device 'cuda': this build has the CPU backend only");
  check_size(nbytes);
  std::shared_ptr<Storage> s(new Storage());
#if TRANSFORMERS_ALLOC_CACHE_COMPILED
  // Large blocks come from (and go back to) the size-class cache of alloc_cache.cpp; the class size
  // is a function of nbytes, so ~Storage finds the class again without storing it.
  const size_t class_size = alloc_cache_class_size(nbytes);
  if (nbytes >= kAllocCacheMinBytes) {
    s->data_ = detail::alloc_cache_take(class_size);
    if (!s->data_) s->data_ = detail::alloc_cache_new(class_size);
  } else {
    s->data_ = std::aligned_alloc(kAlignment, class_size);
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
  if (device != Device::CPU || nbytes < kMapThreshold) {
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

Storage::~Storage() {
  if (anonymous_map_) ::munmap(data_, nbytes_);
#if TRANSFORMERS_ALLOC_CACHE_COMPILED
  else if (!owner_ && nbytes_ >= kAllocCacheMinBytes) detail::alloc_cache_give(data_, alloc_cache_class_size(nbytes_));
#endif
  else if (!owner_) std::free(data_);
}

}  // namespace transformers
