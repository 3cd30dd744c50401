#pragma once
// Seedable random numbers. The streams are our own (std::mt19937_64), not PyTorch's: the same
// seed gives the same numbers here on every run and machine, not the same numbers as torch.
#include <cstdint>
#include <random>

#include "transformers/core/tensor.hpp"

namespace transformers::ops {

class Generator {
 public:
  explicit Generator(uint64_t seed = 5489u) : engine_(seed), seed_(seed) {}
  Generator& manual_seed(uint64_t seed) { engine_.seed(seed); seed_ = seed; return *this; }
  uint64_t initial_seed() const { return seed_; }
  std::mt19937_64& engine() { return engine_; }
  double uniform();  // [0, 1) with 53 random bits
  double normal();   // standard normal

 private:
  std::mt19937_64 engine_;
  uint64_t seed_;
};

// The process-wide default generator (torch.default_generator's place).
Generator& default_generator();

// probs [N] or [B, N] of non-negative weights (need not sum to 1) -> int64 [num_samples] or
// [B, num_samples]. Without replacement num_samples must not exceed the nonzero count.
Tensor multinomial(const Tensor& probs, int64_t num_samples, bool replacement, Generator& gen);
Tensor randn(const Shape& shape, Generator& gen, DType dtype = DType::Float32);
Tensor rand(const Shape& shape, Generator& gen, DType dtype = DType::Float32);
Tensor& normal_(Tensor& t, double mean, double std, Generator& gen);
Tensor& uniform_(Tensor& t, double from, double to, Generator& gen);

}  // namespace transformers::ops
