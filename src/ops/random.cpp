// Front end of the random ops: the generator, and dispatch of the sampling kernels.
#include "transformers/ops/random.hpp"

#include <cmath>

#include "ops/dispatch.hpp"

namespace transformers::ops {

double Generator::uniform() { return double(engine_() >> 11) * (1.0 / 9007199254740992.0); }

double Generator::normal() {
  // Box-Muller with u1 in (0, 1] so log(u1) is finite.
  const double u1 = 1.0 - uniform(), u2 = uniform();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586476925 * u2);
}

Generator& default_generator() {
  static Generator g(67280421310721ull);
  return g;
}

Tensor multinomial(const Tensor& probs, int64_t num_samples, bool replacement, Generator& gen) {
  const DType dt = key_dtype(probs, "multinomial", "probs");
  return dispatch<OpId::multinomial>(dispatch_device("multinomial", {&probs}), dt, probs, num_samples, replacement, gen);
}

Tensor& normal_(Tensor& t, double mean, double std, Generator& gen) {
  return dispatch<OpId::normal_>(dispatch_device("normal_", {&t}), t.dtype(), t, mean, std, gen);
}

Tensor& uniform_(Tensor& t, double from, double to, Generator& gen) {
  return dispatch<OpId::uniform_>(dispatch_device("uniform_", {&t}), t.dtype(), t, from, to, gen);
}

Tensor randn(const Shape& shape, Generator& gen, DType dtype) {
  if (!is_floating_point(dtype)) throw ValueError("randn: expected a floating dtype, found " + std::string(dtype_name(dtype)));
  Tensor t = Tensor::empty(shape, dtype);
  return normal_(t, 0, 1, gen);
}

Tensor rand(const Shape& shape, Generator& gen, DType dtype) {
  if (!is_floating_point(dtype)) throw ValueError("rand: expected a floating dtype, found " + std::string(dtype_name(dtype)));
  Tensor t = Tensor::empty(shape, dtype);
  return uniform_(t, 0, 1, gen);
}

}  // namespace transformers::ops
