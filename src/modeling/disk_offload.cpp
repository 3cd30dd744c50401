// See disk_offload.hpp. The pages are dropped from this process's mapping only: the file keeps the
// bytes and the page cache usually still holds them, so the next forward's fault is a minor one.
#include "modeling/disk_offload.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>

#include "transformers/io/offload_folder.hpp"
#include "transformers/nn/linear.hpp"
#include "transformers/ops/weight_cache.hpp"

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
    ops::keep_no_packed_copy(w);  // a packed copy kept by the GEMM would make the weight resident again
    ++hooked;
  }
  return hooked;
}

std::optional<Tensor> OffloadFolderWriter::offload(const std::string& name, const Tensor& t, DType dtype, bool from_file,
                                                   bool safetensors) {
  if (device_of(map_, name) != "disk") return std::nullopt;
  if (from_file && safetensors && t.dtype() == dtype) return std::nullopt;  // read from the checkpoint's own mapping
  ++written_;
  return io::offload_weight(t, dtype, name, folder_, index_, [from_file](const Tensor& block) {
    if (from_file) release_mapped_pages(block);
  });
}

void OffloadFolderWriter::finish() const { io::save_offload_index(index_, folder_); }

}  // namespace transformers::modeling_detail
