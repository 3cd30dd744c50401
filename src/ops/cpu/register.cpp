// Registers every CPU kernel for every dtype (each kernel checks the dtypes it computes in and
// raises UnsupportedError itself). The ones marked ReferenceGrade::yes already compute what the
// reference backend would (bit-exact data movement, ordering, conversion and random draws; the
// reductions, which accumulate in float64) and are borrowed by it.
#include "ops/cpu/kernels.hpp"

namespace transformers::ops::cpu {

namespace {
ReferenceGrade grade_of(OpId op) {
  switch (op) {
    case OpId::where: case OpId::embedding: case OpId::index_select: case OpId::gather:
    case OpId::cat: case OpId::stack: case OpId::topk: case OpId::sort: case OpId::tril: case OpId::triu:
    case OpId::sum: case OpId::mean: case OpId::max: case OpId::min: case OpId::amax: case OpId::amin:
    case OpId::argmax: case OpId::argmin: case OpId::var: case OpId::cumsum: case OpId::rotate_half:
    case OpId::multinomial: case OpId::normal_: case OpId::uniform_:
      return ReferenceGrade::yes;
    default:
      return ReferenceGrade::no;
  }
}
}  // namespace

void register_kernels(KernelTable& t) {
  const DTypeSet all = DTypeSet::all();
#define TRANSFORMERS_CPU_REGISTER(name, sig) t.add<OpId::name>(Device::CPU, all, &name, grade_of(OpId::name));
  TRANSFORMERS_OP_LIST(TRANSFORMERS_CPU_REGISTER)
#undef TRANSFORMERS_CPU_REGISTER
}

}  // namespace transformers::ops::cpu
