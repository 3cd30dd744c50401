// See disk_offload.hpp. The pages are dropped from this process's mapping only: the file keeps the
// bytes and the page cache usually still holds them, so the next forward's fault is a minor one.
#include "modeling/disk_offload.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>

#include "transformers/nn/linear.hpp"

namespace transformers::modeling_detail {

int release_disk_weights_after_use(PreTrainedModel& model, const DeviceMap& map) {
  const uintptr_t page = uintptr_t(::sysconf(_SC_PAGESIZE));
  int hooked = 0;
  for (auto& [name, m] : model.named_modules()) {
    auto* lin = dynamic_cast<nn::Linear*>(m);
    if (!lin || !lin->weight.defined() || lin->weight.numel() == 0) continue;
    const std::string wname = name.empty() ? "weight" : name + ".weight";
    if (device_of(map, wname) != "disk") continue;
    const auto& st = lin->weight.storage();
    if (!st || !st->borrowed() || !st->read_only()) continue;  // a copy (cast) lives on the heap: keep it
    // the whole pages the weight's bytes touch, clipped to the mapping
    const uintptr_t base = reinterpret_cast<uintptr_t>(st->data());
    const uintptr_t lo = reinterpret_cast<uintptr_t>(lin->weight.data_ptr());
    const uintptr_t hi = lo + lin->weight.nbytes();
    const uintptr_t a = std::max(lo & ~(page - 1), base & ~(page - 1));
    const uintptr_t b = (hi + page - 1) & ~(page - 1);
    auto previous = lin->output_hook;
    lin->output_hook = [a, b, previous, keep = st](const Tensor& y) {
      Tensor out = previous ? previous(y) : y;
      (void)::madvise(reinterpret_cast<void*>(a), b - a, MADV_DONTNEED);
      return out;
    };
    ++hooked;
  }
  return hooked;
}

}  // namespace transformers::modeling_detail
