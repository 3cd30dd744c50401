#pragma once
// Rotary position embeddings as Hugging Face 4.51 computes them (modeling_rope_utils.py and
// LlamaRotaryEmbedding): rope types "default", "linear", "dynamic", "yarn", "longrope", "llama3".
// Reads both config styles found on the Hub: 4.x `rope_theta` + `rope_scaling` ({"rope_type" or
// "type", "factor", ...}) and 5.x `rope_parameters` ({"rope_type", "rope_theta", "factor", ...}).
#include <optional>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "transformers/nn/module.hpp"

namespace transformers {
class PretrainedConfig;
}

namespace transformers::nn {

struct RopeParameters {
  std::string rope_type = "default";
  double rope_theta = 10000.0;
  double partial_rotary_factor = 1.0;
  int64_t head_dim = 0;                 // config.head_dim or hidden_size / num_attention_heads
  int64_t max_position_embeddings = 0;
  // config.original_max_position_embeddings (longrope reads it from the config itself).
  std::optional<int64_t> config_original_max_position_embeddings;
  // The scaling fields (factor, low_freq_factor, beta_fast, long_factor, ...), as in rope_scaling.
  nlohmann::ordered_json scaling = nlohmann::ordered_json::object();

  // Throws ValueError for an unknown rope type or a missing required field (naming it).
  static RopeParameters from_config(const PretrainedConfig& config);
  int64_t dim() const { return int64_t(double(head_dim) * partial_rotary_factor); }
};

// ROPE_INIT_FUNCTIONS[rope_type](config, seq_len): float32 inv_freq [dim / 2] and the factor that
// scales cos and sin (attention_factor; 1 except yarn and longrope). seq_len <= 0 means None.
std::pair<Tensor, double> compute_rope_parameters(const RopeParameters& p, int64_t seq_len = 0);

// LlamaRotaryEmbedding (and every model copying it). inv_freq is a non-persistent buffer. The
// frequencies used in forward are kept in float32 whatever Module::to() does to the buffer, as
// Python's from_pretrained(torch_dtype=float16) leaves them (they are created with .float()).
class RotaryEmbedding : public Module {
 public:
  explicit RotaryEmbedding(RopeParameters params, std::string class_name = "LlamaRotaryEmbedding");
  // x only gives the output dtype; position_ids int64 [B, S]. Returns (cos, sin) [B, S, dim] in
  // x's dtype. "dynamic" and "longrope" update the frequencies from max(position_ids) + 1 first.
  std::pair<Tensor, Tensor> forward(const Tensor& x, const Tensor& position_ids);
  std::string name() const override { return class_name_; }

  const RopeParameters& params() const { return params_; }
  double attention_scaling() const { return attention_scaling_; }
  const std::string& rope_type() const { return params_.rope_type; }

  Tensor inv_freq;  // buffer "inv_freq" (non-persistent)

 private:
  void set_inv_freq(const Tensor& f);
  RopeParameters params_;
  std::string class_name_;
  Tensor inv_freq_f32_;       // what forward uses
  Tensor original_inv_freq_;  // the frequencies at construction
  Tensor long_inv_freq_;      // longrope: the long factors, computed on first need
  double attention_scaling_ = 1.0;
  int64_t max_seq_len_cached_ = 0;
  int64_t original_max_seq_len_ = 0;
};

}  // namespace transformers::nn
