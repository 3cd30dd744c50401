// Registers the reference kernels for every dtype on Device::Reference. The ops left out here
// borrow the CPU kernels marked ReferenceGrade::yes (see KernelTable::find).
#include "ops/reference/kernels.hpp"

namespace transformers::ops::reference {

void register_kernels(KernelTable& t) {
  const DTypeSet all = DTypeSet::all();
  const Device r = Device::Reference;
  t.add<OpId::binary>(r, all, &binary);
  t.add<OpId::binary_scalar>(r, all, &binary_scalar);
  t.add<OpId::unary>(r, all, &unary);
  t.add<OpId::add_>(r, all, &add_);
  t.add<OpId::matmul>(r, all, &matmul);
  t.add<OpId::bmm>(r, all, &bmm);
  t.add<OpId::linear>(r, all, &linear);
  t.add<OpId::addmm_conv1d>(r, all, &addmm_conv1d);
  t.add<OpId::layer_norm>(r, all, &layer_norm);
  t.add<OpId::rms_norm>(r, all, &rms_norm);
  t.add<OpId::softmax>(r, all, &softmax);
  t.add<OpId::log_softmax>(r, all, &log_softmax);
  t.add<OpId::apply_rotary_pos_emb>(r, all, &apply_rotary_pos_emb);
  t.add<OpId::scaled_dot_product_attention>(r, all, &scaled_dot_product_attention);
}

}  // namespace transformers::ops::reference
