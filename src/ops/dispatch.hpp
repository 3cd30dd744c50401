#pragma once
// The op registration table (private to src/ops). One row per op (the X-macro list below gives
// each op its kernel signature), one column per device; a cell holds the kernels registered for
// that (op, device), each for a set of dtypes. The public entries (src/ops/*.cpp) call
// `dispatch<OpId::x>(device, dtype, args...)`, the single place where an op is looked up, run and
// (next: autograd) recorded. Backends fill the table from their register_kernels() (backends.cpp);
// nothing registers from static initialisers, so a static library cannot drop a backend.
#include <array>
#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "ops/op_kinds.hpp"
#include "ops/op_utils.hpp"
#include "transformers/core/tensor.hpp"
#include "transformers/ops/attention.hpp"
#include "transformers/ops/dispatch.hpp"
#include "transformers/ops/random.hpp"

namespace transformers::ops {

using TensorPair = std::pair<Tensor, Tensor>;
using Dims = std::vector<int64_t>;

// name, kernel signature. A kernel takes the op's arguments after the front end's checks and
// output-dtype decisions (element-wise ops get them as ElementwiseTypes / a DType).
#define TRANSFORMERS_OP_LIST(X)                                                                      \
  X(binary, Tensor(BinaryOp, const Tensor&, const Tensor&, ElementwiseTypes))                        \
  X(binary_scalar, Tensor(BinaryOp, const Tensor&, double, bool, ElementwiseTypes))                  \
  X(unary, Tensor(UnaryOp, const Tensor&, double, double, DType))                                    \
  X(where, Tensor(const Tensor&, const Tensor&, const Tensor&))                                      \
  X(add_, Tensor&(Tensor&, const Tensor&))                                                           \
  X(embedding, Tensor(const Tensor&, const Tensor&))                                                 \
  X(index_select, Tensor(const Tensor&, int64_t, const Tensor&))                                     \
  X(gather, Tensor(const Tensor&, int64_t, const Tensor&))                                           \
  X(cat, Tensor(const std::vector<Tensor>&, int64_t))                                                \
  X(stack, Tensor(const std::vector<Tensor>&, int64_t))                                              \
  X(topk, TensorPair(const Tensor&, int64_t, int64_t, bool, bool))                                   \
  X(sort, TensorPair(const Tensor&, int64_t, bool, bool))                                            \
  X(tril, Tensor(const Tensor&, int64_t))                                                            \
  X(triu, Tensor(const Tensor&, int64_t))                                                            \
  X(matmul, Tensor(const Tensor&, const Tensor&))                                                    \
  X(bmm, Tensor(const Tensor&, const Tensor&))                                                       \
  X(linear, Tensor(const Tensor&, const Tensor&, const Tensor&))                                     \
  X(addmm_conv1d, Tensor(const Tensor&, const Tensor&, const Tensor&))                               \
  X(layer_norm, Tensor(const Tensor&, const Tensor&, const Tensor&, double))                         \
  X(rms_norm, Tensor(const Tensor&, const Tensor&, double))                                          \
  X(sum, Tensor(const Tensor&, Dims, bool))                                                          \
  X(mean, Tensor(const Tensor&, Dims, bool))                                                         \
  X(max, TensorPair(const Tensor&, int64_t, bool))                                                   \
  X(min, TensorPair(const Tensor&, int64_t, bool))                                                   \
  X(amax, Tensor(const Tensor&, int64_t, bool))                                                      \
  X(amin, Tensor(const Tensor&, int64_t, bool))                                                      \
  X(argmax, Tensor(const Tensor&, int64_t, bool))                                                    \
  X(argmin, Tensor(const Tensor&, int64_t, bool))                                                    \
  X(var, Tensor(const Tensor&, Dims, int64_t, bool))                                                 \
  X(cumsum, Tensor(const Tensor&, int64_t))                                                          \
  X(rotate_half, Tensor(const Tensor&))                                                              \
  X(apply_rotary_pos_emb, Tensor(const Tensor&, const Tensor&, const Tensor&))                       \
  X(softmax, Tensor(const Tensor&, int64_t, std::optional<DType>))                                   \
  X(log_softmax, Tensor(const Tensor&, int64_t, std::optional<DType>))                               \
  X(scaled_dot_product_attention, Tensor(const Tensor&, const Tensor&, const Tensor&, const SdpaOptions&)) \
  X(multinomial, Tensor(const Tensor&, int64_t, bool, Generator&))                                   \
  X(normal_, Tensor&(Tensor&, double, double, Generator&))                                           \
  X(uniform_, Tensor&(Tensor&, double, double, Generator&))

enum class OpId : uint16_t {
#define TRANSFORMERS_OP_ENUM(name, sig) name,
  TRANSFORMERS_OP_LIST(TRANSFORMERS_OP_ENUM)
#undef TRANSFORMERS_OP_ENUM
  kCount
};
const char* op_id_name(OpId op);

template <OpId> struct OpSignature;
#define TRANSFORMERS_OP_SIG(name, sig) \
  template <> struct OpSignature<OpId::name> { using type = sig; };
TRANSFORMERS_OP_LIST(TRANSFORMERS_OP_SIG)
#undef TRANSFORMERS_OP_SIG
template <OpId id> using KernelFn = typename OpSignature<id>::type*;

// A set of dtypes, one bit per DType value.
class DTypeSet {
 public:
  constexpr DTypeSet() = default;
  constexpr DTypeSet(std::initializer_list<DType> ds) { for (DType d : ds) bits_ |= bit(d); }
  static constexpr DTypeSet all() { DTypeSet s; s.bits_ = ~uint64_t(0); return s; }
  constexpr bool contains(DType d) const { return (bits_ & bit(d)) != 0; }

 private:
  static constexpr uint64_t bit(DType d) { return uint64_t(1) << static_cast<unsigned>(d); }
  uint64_t bits_ = 0;
};

// Whether a CPU kernel already computes what the reference backend would: data movement, indexing,
// ordering, conversions and random draws give the same bits on every backend, and the reductions
// accumulate in float64. The reference backend borrows such kernels instead of repeating them.
enum class ReferenceGrade : uint8_t { no, yes };

class KernelTable {
 public:
  static constexpr size_t kDevices = 3;  // Device::CPU, CUDA, Reference

  template <OpId id>
  void add(Device device, DTypeSet dtypes, KernelFn<id> fn, ReferenceGrade grade = ReferenceGrade::no) {
    add_erased(id, device, dtypes, reinterpret_cast<void (*)()>(fn), grade);
  }
  // The kernel for (op, device, dtype); throws UnsupportedError naming all three when none is registered.
  void (*find(OpId op, Device device, DType dtype) const)();

 private:
  struct Entry {
    DTypeSet dtypes;
    void (*fn)();
    ReferenceGrade grade;
  };
  void add_erased(OpId op, Device device, DTypeSet dtypes, void (*fn)(), ReferenceGrade grade);
  const Entry* lookup(OpId op, Device device, DType dtype) const;
  std::array<std::array<std::vector<Entry>, kDevices>, size_t(OpId::kCount)> cells_;
};

// The process-wide table, filled by every backend on first use (backends.cpp).
const KernelTable& kernel_table();

// The device an op runs on: a non-host device shared by all defined tensor arguments (mixing two
// such devices is a ValueError naming the op), else Reference when an argument lives there or a
// DeviceGuard asks for it, else CPU.
Device dispatch_device(const char* op, std::initializer_list<const Tensor*> args);
Device dispatch_device(const char* op, const std::vector<Tensor>& args);

// The autograd hook: every op passes here with its arguments and result after its kernel ran.
// Today it does nothing; the autograd issue records the backward node here (candle's one place).
template <OpId id, typename Result, typename... Args>
inline void record_for_autograd(const Result&, const Args&...) {}

// Looks the kernel up, runs it, hands the result to the autograd hook.
template <OpId id, typename... Args>
inline decltype(auto) dispatch(Device device, DType dtype, Args&&... args) {  // NOLINT: args stay lvalues
  const auto fn = reinterpret_cast<KernelFn<id>>(kernel_table().find(id, device, dtype));
  decltype(auto) result = fn(args...);
  record_for_autograd<id>(result, args...);
  return result;
}

// The dtype that picks the kernel: the op's first tensor argument's, which must be defined.
inline DType key_dtype(const Tensor& t, const char* op, const char* arg) {
  detail::check_defined(t, op, arg);
  return t.dtype();
}

// The common front end of an op whose first argument is one tensor named "input": checks it is
// defined, takes the device from it (and any DeviceGuard) and the kernel dtype from it.
template <OpId id, typename... Args>
inline decltype(auto) dispatch_on_input(const Tensor& t, Args&&... args) {
  const char* op = op_id_name(id);
  const DType dt = key_dtype(t, op, "input");
  return dispatch<id>(dispatch_device(op, {&t}), dt, t, std::forward<Args>(args)...);
}

// Each backend's registration (src/ops/<backend>/register.cpp).
namespace cpu { void register_kernels(KernelTable& table); }
namespace reference { void register_kernels(KernelTable& table); }

}  // namespace transformers::ops
