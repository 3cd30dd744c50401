#include "transformers/nn/attention_mask.hpp"

#include <limits>
#include <vector>

#include "transformers/ops/elementwise.hpp"

namespace transformers::nn {

double dtype_min(DType dtype) {
  switch (dtype) {
    case DType::Float32: return -double(std::numeric_limits<float>::max());
    case DType::Float64: return -std::numeric_limits<double>::max();
    case DType::Float16: return -65504.0;
    case DType::BFloat16: return -double(bits_float(0x7f7f0000u));  // -3.3895e38, bf16's largest finite
    default:
      throw ValueError("attention mask: dtype must be floating point, found " + std::string(dtype_name(dtype)));
  }
}

namespace {
// A mask as 0/1 doubles, contiguous, whatever its dtype (int64, bool, float).
std::vector<double> mask_values(const Tensor& m) { return m.to_vector<double>(); }

Tensor finish(std::vector<double>&& v, const Shape& shape, DType dtype) {
  // The only values are 0 and dtype_min(dtype), both exact in dtype, so converting at the end
  // equals Python computing (1 - m) * min in dtype.
  return Tensor::from_vector(v, shape).to(dtype);
}
}  // namespace

Tensor get_extended_attention_mask(const Tensor& attention_mask, int64_t seq_len, bool is_decoder, DType dtype) {
  const double mn = dtype_min(dtype);
  if (attention_mask.dim() == 3) {
    std::vector<double> m = mask_values(attention_mask);
    for (double& x : m) x = (1.0 - x) * mn;
    const Shape s = attention_mask.sizes();
    return finish(std::move(m), {s[0], 1, s[1], s[2]}, dtype);
  }
  if (attention_mask.dim() != 2)
    throw ValueError("Wrong shape for attention_mask (shape " + shape_str(attention_mask.sizes()) +
                     "): expected 2-D [batch, seq] or 3-D [batch, from, to]");
  const int64_t b = attention_mask.size(0), k = attention_mask.size(1);
  std::vector<double> m = mask_values(attention_mask);
  if (!is_decoder) {
    for (double& x : m) x = (1.0 - x) * mn;
    return finish(std::move(m), {b, 1, 1, k}, dtype);
  }
  const int64_t prefix = k - seq_len;
  if (prefix < 0)
    throw ValueError("get_extended_attention_mask: mask of length " + std::to_string(k) +
                     " is shorter than the sequence (" + std::to_string(seq_len) + ")");
  std::vector<double> out(size_t(b * seq_len * k));
  for (int64_t bi = 0; bi < b; ++bi)
    for (int64_t i = 0; i < seq_len; ++i)
      for (int64_t j = 0; j < k; ++j) {
        const double causal = (j < prefix || j - prefix <= i) ? 1.0 : 0.0;
        out[size_t((bi * seq_len + i) * k + j)] = (1.0 - causal * m[size_t(bi * k + j)]) * mn;
      }
  return finish(std::move(out), {b, 1, seq_len, k}, dtype);
}

Tensor invert_attention_mask(const Tensor& mask, DType dtype) {
  const double mn = dtype_min(dtype);
  std::vector<double> m = mask_values(mask);
  for (double& x : m) x = (1.0 - x) * mn;
  if (mask.dim() == 3) return finish(std::move(m), {mask.size(0), 1, mask.size(1), mask.size(2)}, dtype);
  if (mask.dim() == 2) return finish(std::move(m), {mask.size(0), 1, 1, mask.size(1)}, dtype);
  throw ValueError("invert_attention_mask: expected a 2-D or 3-D mask, found " + shape_str(mask.sizes()));
}

Tensor causal_attention_mask(const Tensor& attention_mask, int64_t batch, int64_t q, int64_t past, DType dtype) {
  const double mn = dtype_min(dtype);
  std::vector<double> m;
  int64_t k = past + q;
  if (attention_mask.defined()) {
    if (attention_mask.dim() != 2)
      throw ValueError("causal_attention_mask: expected a 2-D [batch, keys] mask, found " +
                       shape_str(attention_mask.sizes()));
    batch = attention_mask.size(0);
    k = attention_mask.size(1);
    m = mask_values(attention_mask);
  }
  std::vector<double> out(size_t(batch * q * k));
  for (int64_t bi = 0; bi < batch; ++bi)
    for (int64_t i = 0; i < q; ++i)
      for (int64_t j = 0; j < k; ++j) {
        const bool visible = j <= past + i && (m.empty() || m[size_t(bi * k + j)] != 0.0);
        out[size_t((bi * q + i) * k + j)] = visible ? 0.0 : mn;
      }
  return finish(std::move(out), {batch, 1, q, k}, dtype);
}

Tensor padding_attention_mask(const Tensor& attention_mask, DType dtype) {
  if (attention_mask.dim() != 2)
    throw ValueError("padding_attention_mask: expected a 2-D [batch, keys] mask, found " +
                     shape_str(attention_mask.sizes()));
  const double mn = dtype_min(dtype);
  std::vector<double> m = mask_values(attention_mask);
  for (double& x : m) x = x != 0.0 ? 0.0 : mn;
  return finish(std::move(m), {attention_mask.size(0), 1, 1, attention_mask.size(1)}, dtype);
}

bool mask_is_all_ones(const Tensor& attention_mask) {
  if (!attention_mask.defined()) return true;
  for (double x : mask_values(attention_mask))
    if (x == 0.0) return false;
  return true;
}

Tensor get_head_mask(const Tensor& head_mask, int64_t num_layers, DType dtype) {
  if (!head_mask.defined()) return Tensor();
  Tensor hm;
  if (head_mask.dim() == 1) {
    hm = head_mask.view({1, 1, head_mask.size(0), 1, 1}).expand({num_layers, 1, head_mask.size(0), 1, 1});
  } else if (head_mask.dim() == 2) {
    if (head_mask.size(0) != num_layers)
      throw ShapeError("head_mask: expected [" + std::to_string(num_layers) + ", heads], found " +
                       shape_str(head_mask.sizes()));
    hm = head_mask.view({head_mask.size(0), 1, head_mask.size(1), 1, 1});
  } else {
    throw ValueError("head_mask.dim != 5, instead " + std::to_string(head_mask.dim()) +
                     ": expected a [heads] or [layers, heads] head_mask, found " + shape_str(head_mask.sizes()));
  }
  return hm.to(dtype).contiguous();
}

Tensor layer_head_mask(const Tensor& head_mask_5d, int64_t layer) {
  if (!head_mask_5d.defined()) return Tensor();
  return head_mask_5d.select(0, layer);
}

PreparedAttentionMask prepare_attention_mask(const Tensor& m, const AttentionMaskOptions& o) {
  const int64_t q = o.query_length, past = o.past_length;
  const bool eager = uses_eager_attention(o.implementation, o.output_attentions, o.has_head_mask);
  if (m.defined() && m.dim() == 4 && o.eager_style == EagerMaskStyle::cache_position) return {m, false};
  if (!eager && (!m.defined() || m.dim() == 2)) {
    const bool all_ones = mask_is_all_ones(m);
    if (o.is_causal) {
      if (all_ones && (q == 1 || past == 0)) return {Tensor(), true};
      return {causal_attention_mask(m, o.batch, q, past, o.dtype), false};
    }
    if (all_ones) return {};
    return {padding_attention_mask(m, o.dtype), false};
  }
  const DType edt = o.eager_dtype.value_or(o.dtype);
  if (o.is_causal && o.eager_style == EagerMaskStyle::cache_position)
    return {causal_attention_mask(m, o.batch, q, past, o.dtype), false};
  if (o.is_causal && o.eager_style == EagerMaskStyle::causal_plus_extended) {
    Tensor causal = causal_attention_mask(Tensor(), 1, q, past, edt);
    if (!m.defined()) return {causal, false};
    return {ops::add(causal, get_extended_attention_mask(m, q, /*is_decoder=*/false, edt)), false};
  }
  const Tensor mask = m.defined() ? m : Tensor::ones({o.batch, q + past}, DType::Int64);
  return {get_extended_attention_mask(mask, q, o.is_causal, edt), false};
}

}  // namespace transformers::nn
