#pragma once
// The op registration table (private to src/ops). One row per op (the X-macro list below gives
// each op its kernel signature), one column per device; a cell holds the kernels registered for
// that (op, device), each for a set of dtypes. The public entries (src/ops/*.cpp) call
// `dispatch<OpId::x>(device, dtype, args...)`, the single place where an op is looked up, run and
// recorded for autograd. Backends fill the table from their register_kernels() (backends.cpp);
// nothing registers from static initialisers, so a static library cannot drop a backend.
#include <array>
#include <cstdint>
#include <optional>
#include <type_traits>
#include <utility>
#include <vector>

#include "ops/op_kinds.hpp"
#include "transformers/core/autograd.hpp"
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

// ---- The autograd hook: every op passes here with its arguments and result after its kernel ran.
// A differentiable op has a recorder `record_<name>` (src/ops/autograd/<family>.cpp) with its
// kernel's parameters after the result: it saves what the backward needs and makes the result the
// output of a node (core/autograd.hpp). Ops not listed here (comparisons, indices, sorting, random
// draws, in-place updates) never record. The recorder runs only when grad mode is on and a tensor
// argument requires grad, so inference pays one flag test per argument.
#define TRANSFORMERS_DIFFERENTIABLE_OP_LIST(X) \
  X(binary) X(binary_scalar) X(unary) X(where) X(embedding) X(index_select) X(gather) X(cat) X(stack) \
  X(tril) X(triu) X(matmul) X(bmm) X(linear) X(addmm_conv1d) X(layer_norm) X(rms_norm) X(sum) X(mean) \
  X(rotate_half) X(apply_rotary_pos_emb) X(softmax) X(log_softmax)

template <typename Sig> struct RecorderSig;
template <typename R, typename... P> struct RecorderSig<R(P...)> { using type = void(std::remove_cvref_t<R>&, P...); };
template <OpId id> using RecordFn = typename RecorderSig<typename OpSignature<id>::type>::type;

#define TRANSFORMERS_RECORD_DECL(name) extern RecordFn<OpId::name> record_##name;
TRANSFORMERS_DIFFERENTIABLE_OP_LIST(TRANSFORMERS_RECORD_DECL)
#undef TRANSFORMERS_RECORD_DECL

template <OpId id> struct RecorderOf { static constexpr bool differentiable = false; };
#define TRANSFORMERS_RECORDER_OF(name)                          \
  template <> struct RecorderOf<OpId::name> {                   \
    static constexpr bool differentiable = true;                \
    static constexpr RecordFn<OpId::name>* fn = &record_##name; \
  };
TRANSFORMERS_DIFFERENTIABLE_OP_LIST(TRANSFORMERS_RECORDER_OF)
#undef TRANSFORMERS_RECORDER_OF

inline bool arg_requires_grad(const Tensor& t) { return t.requires_grad(); }
inline bool arg_requires_grad(const std::vector<Tensor>& ts) {
  for (const Tensor& t : ts)
    if (t.requires_grad()) return true;
  return false;
}
template <typename T> inline bool arg_requires_grad(const T&) { return false; }

// Looks the kernel up, runs it, hands the result to the autograd hook.
template <OpId id, typename... Args>
inline decltype(auto) dispatch(Device device, DType dtype, Args&&... args) {  // NOLINT: args stay lvalues
  const auto fn = reinterpret_cast<KernelFn<id>>(kernel_table().find(id, device, dtype));
  bool recording = false;
  if constexpr (RecorderOf<id>::differentiable)
    recording = (arg_requires_grad(args) || ...) && autograd::is_grad_enabled();
  // A kernel that calls other front ends must not record them: the op is recorded once, here.
  std::optional<autograd::NoGradGuard> inner;
  if (recording) inner.emplace();
  decltype(auto) result = fn(args...);
  inner.reset();
  if constexpr (RecorderOf<id>::differentiable)
    if (recording) RecorderOf<id>::fn(result, args...);
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
