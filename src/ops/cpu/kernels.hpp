#pragma once
// The CPU backend's kernels, one per row of the op table (ops/dispatch.hpp), registered in
// register.cpp. They receive arguments the front end has resolved to this backend; CPU kernels
// that build on other ops call these directly rather than going through the table again.
#include "ops/dispatch.hpp"

namespace transformers::ops::cpu {

#define TRANSFORMERS_CPU_KERNEL_DECL(name, sig) extern OpSignature<OpId::name>::type name;
TRANSFORMERS_OP_LIST(TRANSFORMERS_CPU_KERNEL_DECL)
#undef TRANSFORMERS_CPU_KERNEL_DECL

}  // namespace transformers::ops::cpu
