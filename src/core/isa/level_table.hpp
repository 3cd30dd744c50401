#pragma once
// The one ISA dispatch of the library: a kernel set (a struct of function pointers, one family of
// kernels) is built once per level that has a translation unit, and LevelTable maps every
// KernelLevel to the set of the best built level at or below it. Callers ask `table.current()` for
// the set of kernel_level() (TRANSFORMERS_KERNEL / force_kernel_level lower it at run time).
//
// Each family declares `template <KernelLevel L> const Set& name();`, defines it in a header only
// the level files include, and each level file (`*_avx2.cpp`, `*_avx512.cpp`, compiled with that
// level's flags by cmake/isa_flags.cmake) instantiates it for its level. Adding a level: one
// KernelLevel value with its CPU check (core/cpu_features.cpp), a Vec<L> specialisation
// (core/isa/vec.hpp), a flags row and level files that instantiate the families at it; a level
// without a file of a family runs the level below's kernels of that family.
#include <array>
#include <cstddef>
#include <initializer_list>
#include <utility>

#include "transformers/core/cpu_features.hpp"

namespace transformers::isa {

template <class Set>
class LevelTable {
 public:
  // `built`: the levels with their own set (Scalar must be one of them).
  LevelTable(std::initializer_list<std::pair<KernelLevel, const Set*>> built) {
    for (const auto& [level, set] : built) sets_[size_t(level)] = set;
    for (size_t l = 1; l < kKernelLevelCount; ++l)
      if (sets_[l] == nullptr) sets_[l] = sets_[l - 1];
  }
  const Set& at(KernelLevel level) const { return *sets_[size_t(level)]; }
  const Set& current() const { return at(kernel_level()); }

 private:
  std::array<const Set*, kKernelLevelCount> sets_{};
};

}  // namespace transformers::isa
