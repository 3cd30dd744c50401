#include "transformers/nn/rotary_embedding.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "transformers/core/quote.hpp"
#include "transformers/modeling/configuration_utils.hpp"

namespace transformers::nn {

namespace {
const std::vector<std::string>& known_rope_types() {
  static const std::vector<std::string> t{"default", "linear", "dynamic", "yarn", "longrope", "llama3"};
  return t;
}

double scaling_number(const RopeParameters& p, const char* key) {
  auto it = p.scaling.find(key);
  if (it == p.scaling.end() || it->is_null())
    throw ValueError("rope_scaling of type '" + p.rope_type + "' needs '" + key + "', found " + quote_input(p.scaling.dump()));
  if (!it->is_number()) throw ValueError("rope_scaling '" + std::string(key) + "': expected a number, found " + quote_input(it->dump()));
  return it->get<double>();
}

std::optional<double> scaling_optional(const RopeParameters& p, const char* key) {
  auto it = p.scaling.find(key);
  if (it == p.scaling.end() || it->is_null()) return std::nullopt;
  if (!it->is_number()) throw ValueError("rope_scaling '" + std::string(key) + "': expected a number, found " + quote_input(it->dump()));
  return it->get<double>();
}

// 1 / base ** (arange(0, dim, 2) / dim), in float32 as torch computes it.
std::vector<float> default_inv_freq(double base, int64_t dim) {
  std::vector<float> f(size_t(dim / 2 + dim % 2));
  for (size_t i = 0; i < f.size(); ++i) {
    const float e = float(2 * int64_t(i)) / float(dim);
    f[i] = 1.0f / std::pow(float(base), e);
  }
  return f;
}
}  // namespace

RopeParameters RopeParameters::from_config(const PretrainedConfig& config) {
  RopeParameters p;
  const json& raw = config.raw();
  p.max_position_embeddings = config.get<int64_t>("max_position_embeddings");
  const int64_t heads = config.num_attention_heads();
  int64_t hd = config.get<int64_t>("head_dim", 0);
  p.head_dim = hd > 0 ? hd : config.hidden_size() / heads;
  p.partial_rotary_factor = config.get<double>("partial_rotary_factor", 1.0);
  p.rope_theta = config.get<double>("rope_theta", 10000.0);
  if (config.has("original_max_position_embeddings") && !config.raw_at("original_max_position_embeddings").is_null())
    p.config_original_max_position_embeddings = config.get<int64_t>("original_max_position_embeddings");

  json scaling;
  auto rp = raw.find("rope_parameters");
  auto rs = raw.find("rope_scaling");
  if (rp != raw.end() && rp->is_object()) {
    scaling = *rp;  // 5.x: theta and type live inside
    if (scaling.contains("rope_theta") && scaling["rope_theta"].is_number()) p.rope_theta = scaling["rope_theta"].get<double>();
    if (scaling.contains("partial_rotary_factor") && scaling["partial_rotary_factor"].is_number())
      p.partial_rotary_factor = scaling["partial_rotary_factor"].get<double>();
  } else if (rs != raw.end() && rs->is_object()) {
    scaling = *rs;
  } else if (rs != raw.end() && !rs->is_null()) {
    throw FormatError("config key 'rope_scaling': expected an object or null, found " + quote_input(rs->dump()));
  }
  if (scaling.is_object()) {
    std::string type = "default";
    if (scaling.contains("rope_type") && scaling["rope_type"].is_string()) type = scaling["rope_type"].get<std::string>();
    else if (scaling.contains("type") && scaling["type"].is_string()) type = scaling["type"].get<std::string>();
    p.rope_type = type;
    p.scaling = scaling;
  }
  if (std::find(known_rope_types().begin(), known_rope_types().end(), p.rope_type) == known_rope_types().end())
    throw ValueError("rope type '" + p.rope_type + "' is not supported; expected one of default, linear, dynamic, "
                     "yarn, longrope, llama3");
  // Fail at construction (like rope_config_validation) rather than in the first forward.
  compute_rope_parameters(p);
  return p;
}

std::pair<Tensor, double> compute_rope_parameters(const RopeParameters& p, int64_t seq_len) {
  const int64_t dim = p.dim();
  if (dim <= 0) throw ValueError("rotary embedding: head_dim * partial_rotary_factor must be positive");
  const double base = p.rope_theta;
  std::vector<float> inv;
  double attention_factor = 1.0;
  const std::string& t = p.rope_type;
  if (t == "default") {
    inv = default_inv_freq(base, dim);
  } else if (t == "linear") {
    const float factor = float(scaling_number(p, "factor"));
    inv = default_inv_freq(base, dim);
    for (float& f : inv) f /= factor;
  } else if (t == "dynamic") {
    const double factor = scaling_number(p, "factor");
    const double max_pos = double(p.max_position_embeddings);
    const double sl = (seq_len > 0 && double(seq_len) > max_pos) ? double(seq_len) : max_pos;
    const double new_base =
        base * std::pow((factor * sl / max_pos) - (factor - 1.0), double(dim) / double(dim - 2));
    inv = default_inv_freq(new_base, dim);
  } else if (t == "yarn") {
    double factor = scaling_number(p, "factor");
    auto attn = scaling_optional(p, "attention_factor");
    auto mscale = scaling_optional(p, "mscale");
    auto mscale_all_dim = scaling_optional(p, "mscale_all_dim");
    double original_max = double(p.max_position_embeddings);
    if (auto o = scaling_optional(p, "original_max_position_embeddings")) {
      original_max = *o;
      factor = double(p.max_position_embeddings) / original_max;
    }
    auto get_mscale = [](double scale, double m) { return scale <= 1 ? 1.0 : 0.1 * m * std::log(scale) + 1.0; };
    if (!attn) {
      // Python tests truthiness: 0 counts as absent.
      if (mscale && *mscale != 0 && mscale_all_dim && *mscale_all_dim != 0)
        attention_factor = get_mscale(factor, *mscale) / get_mscale(factor, *mscale_all_dim);
      else
        attention_factor = get_mscale(factor, 1.0);
    } else {
      attention_factor = *attn;
    }
    auto bf = scaling_optional(p, "beta_fast");
    auto bs = scaling_optional(p, "beta_slow");
    const double beta_fast = (bf && *bf != 0) ? *bf : 32.0;
    const double beta_slow = (bs && *bs != 0) ? *bs : 1.0;
    auto correction_dim = [&](double rot) {
      return (double(dim) * std::log(original_max / (rot * 2 * M_PI))) / (2 * std::log(base));
    };
    double low = std::max(std::floor(correction_dim(beta_fast)), 0.0);
    double high = std::min(std::ceil(correction_dim(beta_slow)), double(dim - 1));
    if (low == high) high += 0.001;
    const int64_t half = dim / 2;
    inv.resize(size_t(half));
    for (int64_t i = 0; i < half; ++i) {
      const float pos_freq = std::pow(float(base), float(2 * i) / float(dim));
      const float extrap = 1.0f / pos_freq;
      const float interp = 1.0f / (float(factor) * pos_freq);
      float ramp = (float(i) - float(low)) / float(high - low);
      ramp = std::clamp(ramp, 0.0f, 1.0f);
      const float ef = 1.0f - ramp;
      inv[size_t(i)] = interp * (1.0f - ef) + extrap * ef;
    }
  } else if (t == "longrope") {
    auto lf = p.scaling.find("long_factor");
    auto sf = p.scaling.find("short_factor");
    if (lf == p.scaling.end() || sf == p.scaling.end() || !lf->is_array() || !sf->is_array())
      throw ValueError("rope_scaling of type 'longrope' needs 'long_factor' and 'short_factor' lists, found " +
                       quote_input(p.scaling.dump()));
    for (const auto* list : {&*lf, &*sf})
      for (const auto& e : *list)
        if (!e.is_number())
          throw ValueError(std::string("rope_scaling '") + (list == &*lf ? "long_factor" : "short_factor") +
                           "': expected a list of numbers, found the entry " + quote_input(e.dump()));
    std::optional<double> factor = scaling_optional(p, "factor");
    auto attn = scaling_optional(p, "attention_factor");
    double original_max = double(p.max_position_embeddings);
    std::optional<int64_t> omax = p.config_original_max_position_embeddings;
    if (!omax) {
      if (auto o = scaling_optional(p, "original_max_position_embeddings")) omax = int64_t(*o);
    }
    if (omax) {
      original_max = double(*omax);
      factor = double(p.max_position_embeddings) / original_max;
    }
    if (attn) {
      attention_factor = *attn;
    } else {
      if (!factor) throw ValueError("rope_scaling of type 'longrope' needs 'factor' or original_max_position_embeddings");
      attention_factor = *factor <= 1.0 ? 1.0 : std::sqrt(1 + std::log(*factor) / std::log(original_max));
    }
    const json& ext = (seq_len > 0 && double(seq_len) > original_max) ? *lf : *sf;
    const int64_t half = dim / 2;
    if (int64_t(ext.size()) != half)
      throw ValueError("rope_scaling longrope factors must have head_dim*partial_rotary_factor/2 = " +
                       std::to_string(half) + " entries, found " + std::to_string(ext.size()));
    inv.resize(size_t(half));
    for (int64_t i = 0; i < half; ++i) {
      const float shape = float(2 * i) / float(dim);
      inv[size_t(i)] = 1.0f / (ext[size_t(i)].get<float>() * std::pow(float(base), shape));
    }
  } else if (t == "llama3") {
    const double factor = scaling_number(p, "factor");
    const double low_ff = scaling_number(p, "low_freq_factor");
    const double high_ff = scaling_number(p, "high_freq_factor");
    const double old_ctx = scaling_number(p, "original_max_position_embeddings");
    const double low_wl = old_ctx / low_ff, high_wl = old_ctx / high_ff;
    inv = default_inv_freq(base, dim);
    for (float& f : inv) {
      const float wavelen = float(2 * M_PI) * (1.0f / f);
      float v = wavelen > float(low_wl) ? f / float(factor) : f;
      const bool medium = !(wavelen < float(high_wl)) && !(wavelen > float(low_wl));
      if (medium) {
        const float smooth = (float(old_ctx) * (1.0f / wavelen) - float(low_ff)) / float(high_ff - low_ff);
        v = (1.0f - smooth) * v / float(factor) + smooth * v;
      }
      f = v;
    }
  } else {
    throw ValueError("rope type '" + t + "' is not supported");
  }
  return {Tensor::from_vector(inv), attention_factor};
}

RotaryEmbedding::RotaryEmbedding(RopeParameters params, std::string class_name)
    : params_(std::move(params)), class_name_(std::move(class_name)) {
  auto [f, scaling] = compute_rope_parameters(params_);
  attention_scaling_ = scaling;
  original_inv_freq_ = f;
  set_inv_freq(f);
  max_seq_len_cached_ = original_max_seq_len_ = params_.max_position_embeddings;
  register_buffer("inv_freq", &inv_freq, /*persistent=*/false);
}

void RotaryEmbedding::set_inv_freq(const Tensor& f) {
  inv_freq_f32_ = f;
  inv_freq = f.clone();
}

std::pair<Tensor, Tensor> RotaryEmbedding::forward(const Tensor& x, const Tensor& position_ids) {
  if (position_ids.dim() != 2)
    throw ShapeError("rotary embedding: position_ids must be [batch, seq], found " + shape_str(position_ids.sizes()));
  const std::vector<int64_t> pos = position_ids.to_vector<int64_t>();
  int64_t max_pos = 0;
  for (int64_t v : pos) max_pos = std::max(max_pos, v);
  const int64_t seq_len = pos.empty() ? 0 : max_pos + 1;
  if (params_.rope_type.find("dynamic") != std::string::npos) {
    if (seq_len > max_seq_len_cached_) {  // growth
      auto [f, s] = compute_rope_parameters(params_, seq_len);
      set_inv_freq(f);
      attention_scaling_ = s;
      max_seq_len_cached_ = seq_len;
    }
    if (seq_len < original_max_seq_len_ && max_seq_len_cached_ > original_max_seq_len_) {  // reset
      set_inv_freq(original_inv_freq_);
      max_seq_len_cached_ = original_max_seq_len_;
    }
  } else if (params_.rope_type == "longrope") {
    const int64_t omax = params_.config_original_max_position_embeddings.value_or(params_.max_position_embeddings);
    if (seq_len > omax) {
      if (!long_inv_freq_.defined()) long_inv_freq_ = compute_rope_parameters(params_, omax + 1).first;
      set_inv_freq(long_inv_freq_);
    } else {
      set_inv_freq(original_inv_freq_);
    }
  }
  const int64_t b = position_ids.size(0), s = position_ids.size(1);
  const std::vector<float> inv = inv_freq_f32_.to_vector<float>();
  const int64_t half = int64_t(inv.size()), d = 2 * half;
  Tensor cos = Tensor::empty({b, s, d}, DType::Float32), sin = Tensor::empty({b, s, d}, DType::Float32);
  float* pc = cos.data<float>();
  float* ps = sin.data<float>();
  const float scale = float(attention_scaling_);
  for (int64_t i = 0; i < b * s; ++i) {
    const float p = float(pos[size_t(i)]);
    for (int64_t j = 0; j < half; ++j) {
      const float freq = inv[size_t(j)] * p;  // (inv_freq @ position_ids) in float32
      const float c = std::cos(freq) * scale, sn = std::sin(freq) * scale;
      pc[i * d + j] = pc[i * d + j + half] = c;
      ps[i * d + j] = ps[i * d + j + half] = sn;
    }
  }
  return {cos.to(x.dtype()), sin.to(x.dtype())};
}

}  // namespace transformers::nn
