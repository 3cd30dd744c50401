// bitsandbytes' weight quantization and dequantization (ops/bnb.hpp), with the float32 arithmetic of
// its CPU path so that the bytes equal what 4.51 + bitsandbytes write:
// - 4-bit (its default torch op): per block, scale = 1 / absmax (float32) times each value, clamped to
//   [-1, 1] (the last, partial block divides by its absmax instead); the code index is the number of
//   midpoints between sorted code values that lie below the value (torch.bucketize), mapped back to
//   the code's own order for fp4.
// - the nested 8-bit absmax (its CPU library's blockwise quantizer): value / block absmax, the
//   dynamic-map entry at or below it, moved one up when the upper neighbour is strictly closer; the
//   search treats the map's first entry as -1.
// - int8 rows (its default torch op): round-half-even of value * ((1 / row absmax) * 127) in float32.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <mutex>

#include "transformers/core/checked.hpp"
#include "transformers/core/quote.hpp"
#include "transformers/ops/bnb.hpp"

namespace transformers::ops {
namespace {

// get_4bit_type("nf4") / ("fp4") as float32 bit patterns (bitsandbytes' published code tables).
constexpr uint32_t kNF4[16] = {0xbf800000u, 0xbf3239b1u, 0xbf066b30u, 0xbeca32a0u, 0xbe91a24du, 0xbe3d353fu,
                               0xbdba7871u, 0x00000000u, 0x3da2faffu, 0x3e24cae3u, 0x3e7c04ddu, 0x3ead033au,
                               0x3ee1a4b8u, 0x3f1007abu, 0x3f3913b3u, 0x3f800000u};
constexpr uint32_t kFP4[16] = {0x00000000u, 0x3baaaaabu, 0x3f2aaaabu, 0x3f800000u, 0x3eaaaaabu, 0x3f000000u,
                               0x3e2aaaabu, 0x3e800000u, 0x00000000u, 0xbbaaaaabu, 0xbf2aaaabu, 0xbf800000u,
                               0xbeaaaaabu, 0xbf000000u, 0xbe2aaaabu, 0xbe800000u};
// torch.argsort of the fp4 code (the tie of its two zeros resolved as torch resolves it: index 0 first).
constexpr int kFP4Order[16] = {11, 10, 13, 12, 15, 14, 9, 0, 8, 1, 6, 7, 4, 5, 2, 3};
// create_dynamic_map(signed=True) sorted (torch.linspace's float32 steps make it a table, not a formula).
constexpr uint32_t kDynamic[256] = {
    0xbf7e3333u, 0xbf7a999au, 0xbf770000u, 0xbf736666u, 0xbf6fcccdu, 0xbf6c3333u, 0xbf68999au, 0xbf650000u,
    0xbf616666u, 0xbf5dcccdu, 0xbf5a3333u, 0xbf56999au, 0xbf530000u, 0xbf4f6666u, 0xbf4bcccdu, 0xbf483333u,
    0xbf44999au, 0xbf410000u, 0xbf3d6666u, 0xbf39cccdu, 0xbf363334u, 0xbf32999au, 0xbf2f0000u, 0xbf2b6666u,
    0xbf27cccdu, 0xbf243334u, 0xbf20999au, 0xbf1d0000u, 0xbf196666u, 0xbf15cccdu, 0xbf123334u, 0xbf0e999au,
    0xbf0b0000u, 0xbf076666u, 0xbf03ccccu, 0xbf003333u, 0xbef93332u, 0xbef20000u, 0xbeeaccccu, 0xbee3999au,
    0xbedc6666u, 0xbed53333u, 0xbece0000u, 0xbec6ccccu, 0xbebf999au, 0xbeb86666u, 0xbeb13333u, 0xbeaa0000u,
    0xbea2ccccu, 0xbe9b999au, 0xbe946666u, 0xbe8d3334u, 0xbe860000u, 0xbe7d9999u, 0xbe6f3333u, 0xbe60cccdu,
    0xbe526666u, 0xbe440000u, 0xbe35999au, 0xbe273333u, 0xbe18cccdu, 0xbe0a6666u, 0xbdf80000u, 0xbddb3334u,
    0xbdc9eb85u, 0xbdc428f7u, 0xbdbe6667u, 0xbdb8a3d7u, 0xbdb2e148u, 0xbdad1eb8u, 0xbda75c2au, 0xbda1999au,
    0xbd9bd70au, 0xbd96147bu, 0xbd9051ebu, 0xbd8a8f5du, 0xbd84cccdu, 0xbd7e147bu, 0xbd728f5du, 0xbd670a3du,
    0xbd5b851fu, 0xbd500000u, 0xbd447ae1u, 0xbd38f5c3u, 0xbd2d70a3u, 0xbd21eb85u, 0xbd166667u, 0xbd0ae148u,
    0xbcfeb852u, 0xbce7ae15u, 0xbcd0a3d7u, 0xbcb9999au, 0xbca28f5du, 0xbc8b851fu, 0xbc68f5c3u, 0xbc3ae148u,
    0xbc1f3b64u, 0xbc160418u, 0xbc0ccccdu, 0xbc039581u, 0xbbf4bc6au, 0xbbe24dd3u, 0xbbcfdf3bu, 0xbbbd70a4u,
    0xbbab020du, 0xbb989374u, 0xbb8624ddu, 0xbb676c8au, 0xbb428f5cu, 0xbb1db22du, 0xbaf1a9fcu, 0xbaa7ef9du,
    0xba7765ffu, 0xba59e83eu, 0xba3c6a80u, 0xba1eecc1u, 0xba016f01u, 0xb9c7e283u, 0xb98ce705u, 0xb923d70bu,
    0xb8ba1f4bu, 0xb88aefb3u, 0xb8378034u, 0xb7b24206u, 0xb70205ffu, 0xb65a1a94u, 0xb513a3b7u, 0x00000000u,
    0x3513a3b7u, 0x365a1a94u, 0x370205ffu, 0x37b24206u, 0x38378034u, 0x388aefb3u, 0x38ba1f4bu, 0x3923d70bu,
    0x398ce705u, 0x39c7e283u, 0x3a016f01u, 0x3a1eecc1u, 0x3a3c6a80u, 0x3a59e83eu, 0x3a7765ffu, 0x3aa7ef9du,
    0x3af1a9fcu, 0x3b1db22du, 0x3b428f5cu, 0x3b676c8au, 0x3b8624ddu, 0x3b989374u, 0x3bab020du, 0x3bbd70a4u,
    0x3bcfdf3bu, 0x3be24dd3u, 0x3bf4bc6au, 0x3c039581u, 0x3c0ccccdu, 0x3c160418u, 0x3c1f3b64u, 0x3c3ae148u,
    0x3c68f5c3u, 0x3c8b851fu, 0x3ca28f5du, 0x3cb9999au, 0x3cd0a3d7u, 0x3ce7ae15u, 0x3cfeb852u, 0x3d0ae148u,
    0x3d166667u, 0x3d21eb85u, 0x3d2d70a3u, 0x3d38f5c3u, 0x3d447ae1u, 0x3d500000u, 0x3d5b851fu, 0x3d670a3du,
    0x3d728f5du, 0x3d7e147bu, 0x3d84cccdu, 0x3d8a8f5du, 0x3d9051ebu, 0x3d96147bu, 0x3d9bd70au, 0x3da1999au,
    0x3da75c2au, 0x3dad1eb8u, 0x3db2e148u, 0x3db8a3d7u, 0x3dbe6667u, 0x3dc428f7u, 0x3dc9eb85u, 0x3ddb3334u,
    0x3df80000u, 0x3e0a6666u, 0x3e18cccdu, 0x3e273333u, 0x3e35999au, 0x3e440000u, 0x3e526666u, 0x3e60cccdu,
    0x3e6f3333u, 0x3e7d9999u, 0x3e860000u, 0x3e8d3334u, 0x3e946666u, 0x3e9b999au, 0x3ea2ccccu, 0x3eaa0000u,
    0x3eb13333u, 0x3eb86666u, 0x3ebf999au, 0x3ec6ccccu, 0x3ece0000u, 0x3ed53333u, 0x3edc6666u, 0x3ee3999au,
    0x3eeaccccu, 0x3ef20000u, 0x3ef93332u, 0x3f003333u, 0x3f03ccccu, 0x3f076666u, 0x3f0b0000u, 0x3f0e999au,
    0x3f123334u, 0x3f15cccdu, 0x3f196666u, 0x3f1d0000u, 0x3f20999au, 0x3f243334u, 0x3f27cccdu, 0x3f2b6666u,
    0x3f2f0000u, 0x3f32999au, 0x3f363334u, 0x3f39cccdu, 0x3f3d6666u, 0x3f410000u, 0x3f44999au, 0x3f483333u,
    0x3f4bcccdu, 0x3f4f6666u, 0x3f530000u, 0x3f56999au, 0x3f5a3333u, 0x3f5dcccdu, 0x3f616666u, 0x3f650000u,
    0x3f68999au, 0x3f6c3333u, 0x3f6fcccdu, 0x3f736666u, 0x3f770000u, 0x3f7a999au, 0x3f7e3333u, 0x3f800000u,
};

template <size_t N>
const float* table_of(const uint32_t (&bits)[N], float (&out)[N]) {
  for (size_t i = 0; i < N; ++i) out[i] = bits_float(bits[i]);
  return out;
}

void check_float_weight(const Tensor& w, const char* what) {
  if (!w.defined() || !w.is_floating_point() || is_quantized(w.dtype()))
    throw ValueError(std::string(what) + ": expected a floating-point weight, found " +
                     (w.defined() ? std::string(dtype_name(w.dtype())) : std::string("an undefined tensor")));
}

// The 8-bit blockwise quantizer of bitsandbytes' CPU library on float32 values (blocksize 256 for
// the nested absmax): out codes, absmax per block.
void quantize_blockwise_dynamic(const float* x, int64_t n, int64_t blocksize, uint8_t* out, float* absmax) {
  float code[256];
  table_of(kDynamic, code);
  code[0] = -1.0f;  // the CPU quantizer's search range starts at -1
  for (int64_t b0 = 0, bi = 0; b0 < n; b0 += blocksize, ++bi) {
    const int64_t b1 = std::min(n, b0 + blocksize);
    float am = -3.402823466e38f;
    for (int64_t i = b0; i < b1; ++i) am = std::fmax(am, std::fabs(x[i]));
    absmax[bi] = am;
    for (int64_t i = b0; i < b1; ++i) {
      const float v = x[i] / am;
      // the entry at or below v (the map is sorted, v in [-1, 1])
      int64_t idx = std::upper_bound(code, code + 256, v) - code - 1;
      idx = std::clamp<int64_t>(idx, 0, 255);
      if (idx < 255 && std::fabs(v - code[idx + 1]) < std::fabs(v - code[idx])) ++idx;
      out[i] = uint8_t(idx);
    }
  }
}

}  // namespace

const float* bnb_4bit_code(const std::string& quant_type) {
  static float nf4[16], fp4[16];
  static std::once_flag once;
  std::call_once(once, [] {
    table_of(kNF4, nf4);
    table_of(kFP4, fp4);
  });
  if (quant_type == "nf4") return nf4;
  if (quant_type == "fp4") return fp4;
  throw ValueError("bitsandbytes 4-bit quant_type must be \"nf4\" or \"fp4\", found " + quote_input(quant_type));
}

const float* bnb_dynamic_map() {
  static float map[256];
  static std::once_flag once;
  std::call_once(once, [] { table_of(kDynamic, map); });
  return map;
}

// PyTorch's float32 sum (aten/src/ATen/native/cpu/SumKernel.cpp, one thread): a row of n values is
// summed as floor(n / 8) 8-lane vectors (torch 2.x's kernel on this AVX-512 CPU reduces 256-bit
// vectors: checked against torch.sum for 1..20000 values), the vectors through row_sum's four interleaved
// accumulators with the cascade of multi_row_sum, the leftover scalars first and the lanes after;
// rows shorter than one vector go through the scalar row_sum.
namespace {
constexpr int kLanes = 8;
struct Lanes {
  float v[kLanes] = {};
  Lanes& operator+=(const Lanes& o) {
    for (int i = 0; i < kLanes; ++i) v[i] += o.v[i];
    return *this;
  }
};
int64_t ceil_log2(int64_t x) {
  if (x <= 2) return 1;
  int64_t b = 0;
  for (uint64_t v = uint64_t(x) - 1; v; v >>= 1) ++b;
  return b;
}
// multi_row_sum<T, 4>: element k of row i is load(i * 4 + k).
template <typename T, typename Load>
void multi_row_sum4(int64_t size, const Load& load, T out[4]) {
  constexpr int64_t levels = 4;
  const int64_t power = std::max<int64_t>(4, ceil_log2(size) / levels);
  const int64_t step = int64_t(1) << power, mask = step - 1;
  T acc[levels][4] = {};
  int64_t i = 0;
  while (i + step <= size) {
    for (int64_t j = 0; j < step; ++j, ++i)
      for (int k = 0; k < 4; ++k) acc[0][k] += load(i * 4 + k);
    for (int64_t j = 1; j < levels; ++j) {
      for (int k = 0; k < 4; ++k) {
        acc[j][k] += acc[j - 1][k];
        acc[j - 1][k] = T{};
      }
      if ((i & (mask << (j * power))) != 0) break;
    }
  }
  for (; i < size; ++i)
    for (int k = 0; k < 4; ++k) acc[0][k] += load(i * 4 + k);
  for (int64_t j = 1; j < levels; ++j)
    for (int k = 0; k < 4; ++k) acc[0][k] += acc[j][k];
  for (int k = 0; k < 4; ++k) out[k] = acc[0][k];
}
template <typename T, typename Load>
T row_sum(int64_t size, const Load& load) {
  const int64_t size_ilp = size / 4;
  T p[4];
  multi_row_sum4<T>(size_ilp, load, p);
  for (int64_t i = size_ilp * 4; i < size; ++i) p[0] += load(i);
  for (int k = 1; k < 4; ++k) p[0] += p[k];
  return p[0];
}
}  // namespace

float torch_mean_f32(const float* x, int64_t n) {
  if (n <= 0) return std::nanf("");
  float sum;
  if (n >= kLanes) {
    const int64_t nvec = n / kLanes;
    Lanes acc = row_sum<Lanes>(nvec, [&](int64_t i) {
      Lanes l;
      std::memcpy(l.v, x + i * kLanes, sizeof l.v);
      return l;
    });
    sum = 0;
    for (int64_t k = nvec * kLanes; k < n; ++k) sum += x[k];
    for (int k = 0; k < kLanes; ++k) sum += acc.v[k];
  } else {
    sum = row_sum<float>(n, [&](int64_t i) { return x[i]; });
  }
  return sum / float(n);
}

Tensor bnb_quantize_4bit(const Tensor& w, const std::string& quant_type, int64_t blocksize, bool double_quant,
                         Bnb4bitState& st) {
  check_float_weight(w, "bnb_quantize_4bit");
  if (blocksize <= 0 || blocksize % 2 != 0)
    throw ValueError("bnb_quantize_4bit: blocksize must be a positive even number, found " + std::to_string(blocksize));
  const float* code = bnb_4bit_code(quant_type);
  const Tensor xf = w.contiguous().to(DType::Float32).contiguous();
  const float* x = xf.data<float>();
  const int64_t n = w.numel();
  const int64_t blocks = (n + blocksize - 1) / blocksize, full = n / blocksize;
  // sorted code and the midpoints torch.bucketize searches
  int order[16];
  for (int i = 0; i < 16; ++i) order[i] = quant_type == "fp4" ? kFP4Order[i] : i;
  float bounds[15];
  for (int i = 0; i < 15; ++i) bounds[i] = (code[order[i]] + code[order[i + 1]]) / 2.0f;
  auto bucket = [&](float v) { return order[std::lower_bound(bounds, bounds + 15, v) - bounds]; };
  Tensor absmax = Tensor::empty({blocks}, DType::Float32);
  float* am = absmax.data<float>();
  Tensor packed = Tensor::zeros({(n + 1) / 2, 1}, DType::UInt8);
  uint8_t* p = packed.data<uint8_t>();
  for (int64_t b = 0; b < blocks; ++b) {
    const int64_t b0 = b * blocksize, b1 = std::min(n, b0 + blocksize);
    float m = 0;
    for (int64_t i = b0; i < b1; ++i) m = std::max(m, std::fabs(x[i]));
    const float mc = std::max(m, 1e-38f);
    am[b] = b < full ? m : mc;  // the partial block's absmax is stored clamped
    const float inv = 1.0f / mc;
    for (int64_t i = b0; i < b1; ++i) {
      const float s = std::clamp(b < full ? x[i] * inv : x[i] / mc, -1.0f, 1.0f);
      const uint8_t q = uint8_t(bucket(s));
      p[i / 2] |= uint8_t(i % 2 == 0 ? q << 4 : q);
    }
  }
  if (n % 2) p[n / 2] |= uint8_t(bucket(0.0f));  // the padding value of an odd count
  st = Bnb4bitState{};
  st.quant_type = quant_type;
  st.blocksize = blocksize;
  st.shape = w.sizes();
  st.dtype = w.dtype();
  Tensor qmap = Tensor::empty({16}, DType::Float32);
  std::memcpy(qmap.data_ptr(), code, 16 * sizeof(float));
  st.quant_map = qmap;
  if (!double_quant) {
    st.absmax = absmax;
    return packed;
  }
  st.nested = true;
  st.offset = torch_mean_f32(am, blocks);
  Tensor centred = Tensor::empty({blocks}, DType::Float32);
  float* c = centred.data<float>();
  for (int64_t b = 0; b < blocks; ++b) c[b] = am[b] - st.offset;
  const int64_t nb2 = (blocks + st.nested_blocksize - 1) / st.nested_blocksize;
  st.absmax = Tensor::empty({blocks}, DType::UInt8);
  st.nested_absmax = Tensor::empty({nb2}, DType::Float32);
  quantize_blockwise_dynamic(c, blocks, st.nested_blocksize, st.absmax.data<uint8_t>(), st.nested_absmax.data<float>());
  Tensor dmap = Tensor::empty({256}, DType::Float32);
  std::memcpy(dmap.data_ptr(), bnb_dynamic_map(), 256 * sizeof(float));
  st.nested_quant_map = dmap;
  return packed;
}

Tensor bnb_4bit_absmax(const Bnb4bitState& st) {
  if (!st.nested) return st.absmax.contiguous().to(DType::Float32).contiguous();
  const int64_t blocks = st.absmax.numel();
  if (st.absmax.dtype() != DType::UInt8 || st.nested_quant_map.numel() != 256 || st.nested_blocksize <= 0 ||
      st.nested_absmax.numel() != (blocks + st.nested_blocksize - 1) / st.nested_blocksize)
    throw ValueError("bitsandbytes double quantization: expected uint8 absmax with a 256-value nested_quant_map and " +
                     std::to_string((blocks + std::max<int64_t>(st.nested_blocksize, 1) - 1) /
                                    std::max<int64_t>(st.nested_blocksize, 1)) +
                     " nested_absmax values, found absmax " + std::string(dtype_name(st.absmax.dtype())) + " [" +
                     std::to_string(blocks) + "], nested_quant_map of " + std::to_string(st.nested_quant_map.numel()) +
                     ", nested_absmax of " + std::to_string(st.nested_absmax.numel()));
  const Tensor q = st.absmax.contiguous();
  const Tensor code = st.nested_quant_map.contiguous().to(DType::Float32).contiguous();
  const Tensor na = st.nested_absmax.contiguous().to(DType::Float32).contiguous();
  Tensor out = Tensor::empty({blocks}, DType::Float32);
  const uint8_t* pq = q.data<uint8_t>();
  const float *pc = code.data<float>(), *pn = na.data<float>();
  float* po = out.data<float>();
  for (int64_t i = 0; i < blocks; ++i) po[i] = pc[pq[i]] * pn[i / st.nested_blocksize] + st.offset;
  return out;
}

Tensor bnb_dequantize_4bit(const Tensor& packed, const Bnb4bitState& st) {
  int64_t n = 1;
  for (int64_t d : st.shape) n = checked_mul(n, d, "bitsandbytes 4-bit weight shape");
  const int64_t blocks = st.blocksize > 0 ? (n + st.blocksize - 1) / st.blocksize : -1;
  if (packed.dtype() != DType::UInt8 || packed.numel() != (n + 1) / 2 || st.blocksize <= 0 ||
      st.absmax.numel() != blocks || st.quant_map.numel() != 16)
    throw ValueError("bitsandbytes 4-bit weight of shape " + shape_str(st.shape) + ", blocksize " +
                     std::to_string(st.blocksize) + ": expected " + std::to_string((n + 1) / 2) + " uint8 bytes, " +
                     std::to_string(blocks) + " absmax values and a 16-value quant_map, found " +
                     std::string(dtype_name(packed.dtype())) + " " + shape_str(packed.sizes()) + ", " +
                     std::to_string(st.absmax.numel()) + " absmax, " + std::to_string(st.quant_map.numel()) +
                     "-value quant_map");
  const Tensor am = bnb_4bit_absmax(st);
  const Tensor code = st.quant_map.contiguous().to(DType::Float32).contiguous();
  const Tensor pc = packed.contiguous();
  const uint8_t* p = pc.data<uint8_t>();
  const float *pa = am.data<float>(), *c = code.data<float>();
  Tensor out = Tensor::empty(st.shape, DType::Float32);
  float* o = out.data<float>();
  for (int64_t i = 0; i < n; ++i) {
    const uint8_t q = i % 2 == 0 ? uint8_t(p[i / 2] >> 4) : uint8_t(p[i / 2] & 0xF);
    o[i] = c[q] * pa[i / st.blocksize];
  }
  return out;
}

Tensor bnb_int8_quantize(const Tensor& w, Tensor& scb) {
  check_float_weight(w, "bnb_int8_quantize");
  if (w.dim() != 2) throw ValueError("bnb_int8_quantize: expected a 2-D weight, found " + shape_str(w.sizes()));
  const int64_t rows = w.size(0), cols = w.size(1);
  const Tensor h = w.contiguous().to(DType::Float16).to(DType::Float32).contiguous();  // Int8Params casts to float16
  const float* x = h.data<float>();
  scb = Tensor::empty({rows}, DType::Float32);
  Tensor cb = Tensor::empty({rows, cols}, DType::Int8);
  float* s = scb.data<float>();
  int8_t* q = cb.data<int8_t>();
  for (int64_t r = 0; r < rows; ++r) {
    float m = 0;
    for (int64_t c = 0; c < cols; ++c) m = std::max(m, std::fabs(x[r * cols + c]));
    s[r] = m;
    const float k = (1.0f / m) * 127.0f;  // Python's 127.0 / t is t.reciprocal() * 127.0
    for (int64_t c = 0; c < cols; ++c) q[r * cols + c] = int8_t(std::nearbyint(x[r * cols + c] * k));
  }
  return cb;
}

Tensor bnb_int8_dequantize(const Tensor& cb, const Tensor& scb) {
  if (cb.dtype() != DType::Int8 || cb.dim() != 2 || scb.numel() != cb.size(0))
    throw ValueError("bitsandbytes int8 weight: expected int8 [out, in] with one SCB value per row, found " +
                     std::string(dtype_name(cb.dtype())) + " " + shape_str(cb.sizes()) + " and " +
                     std::to_string(scb.numel()) + " SCB values");
  const Tensor c = cb.contiguous();
  const Tensor s = scb.contiguous().to(DType::Float32).contiguous();
  const int64_t rows = cb.size(0), cols = cb.size(1);
  Tensor out = Tensor::empty({rows, cols}, DType::Float32);
  const int8_t* pc = c.data<int8_t>();
  const float* ps = s.data<float>();
  float* o = out.data<float>();
  // A * stats * 7.874015718698502e-3 (1/127 as bitsandbytes writes it), left to right in float32
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t k = 0; k < cols; ++k) o[r * cols + k] = float(pc[r * cols + k]) * ps[r] * 7.874015718698502e-3f;
  return out;
}

// The state is derived data of the weight's bytes: keyed by their address within the storage (a
// mapped checkpoint holds many weights in one storage), freed with it.
void set_bnb_state(const Tensor& weight, std::shared_ptr<const BnbWeightState> state) {
  if (!weight.defined() || !weight.storage()) throw ValueError("set_bnb_state: the weight has no storage");
  weight.storage()->set_derived(weight.data_ptr(), std::const_pointer_cast<BnbWeightState>(std::move(state)));
}

std::shared_ptr<const BnbWeightState> bnb_state(const Tensor& weight) {
  if (!weight.defined() || !weight.storage() || weight.is_floating_point()) return nullptr;
  return std::static_pointer_cast<const BnbWeightState>(weight.storage()->derived(weight.data_ptr()));
}

Tensor bnb_dequantize_weight(const Tensor& weight, const BnbWeightState& s) {
  if (s.q4) return bnb_dequantize_4bit(weight, *s.q4);
  if (s.q8) return bnb_int8_dequantize(weight, s.q8->SCB);
  throw ValueError("bnb_dequantize_weight: the state holds neither a 4-bit nor an 8-bit quantization");
}

}  // namespace transformers::ops
