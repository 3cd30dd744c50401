// See disk_offload.hpp. The pages are dropped from this process's mapping only: the file keeps the
// bytes and the page cache usually still holds them, so the next forward's fault is a minor one.
#include "modeling/disk_offload.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>

#include "transformers/nn/linear.hpp"

namespace transformers::modeling_detail {

void release_mapped_pages(const Tensor& w) {
  const auto& st = w.storage();
  if (!st || !st->borrowed() || !st->read_only() || w.numel() == 0) return;
  const uintptr_t page = uintptr_t(::sysconf(_SC_PAGESIZE));
  const uintptr_t lo = reinterpret_cast<uintptr_t>(w.data_ptr()), hi = lo + w.nbytes();
  const uintptr_t a = std::max(lo & ~(page - 1), reinterpret_cast<uintptr_t>(st->data()) & ~(page - 1));
  const uintptr_t b = (hi + page - 1) & ~(page - 1);
  (void)::madvise(reinterpret_cast<void*>(a), b - a, MADV_DONTNEED);
}

int release_disk_weights_after_use(PreTrainedModel& model, const DeviceMap& map) {
  int hooked = 0;
  for (auto& [name, m] : model.named_modules()) {
    auto* lin = dynamic_cast<nn::Linear*>(m);
    if (!lin || !lin->weight.defined() || lin->weight.numel() == 0) continue;
    const std::string wname = name.empty() ? "weight" : name + ".weight";
    if (device_of(map, wname) != "disk") continue;
    const auto& st = lin->weight.storage();
    if (!st || !st->borrowed() || !st->read_only()) continue;  // a copy (cast) lives on the heap: keep it
    const Tensor w = lin->weight;
    auto previous = lin->output_hook;
    lin->output_hook = [w, previous](const Tensor& y) {
      Tensor out = previous ? previous(y) : y;
      release_mapped_pages(w);
      return out;
    };
    ++hooked;
  }
  return hooked;
}

}  // namespace transformers::modeling_detail
