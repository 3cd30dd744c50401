// GGUF -> config + state dict, following transformers 4.51 (facts from integrations/ggml.py's
// GGUF_CONFIG_MAPPING, modeling_gguf_pytorch_utils.py's tensor processors, and gguf-py's
// tensor_mapping.py for the llama / gpt2 tensor names).
#include "modeling/gguf_load.hpp"

#include <cstring>
#include <filesystem>
#include <map>
#include <regex>

#include "transformers/core/error.hpp"
#include "transformers/hub/hub.hpp"
#include "transformers/ops/quantized.hpp"

namespace transformers::detail {

namespace fs = std::filesystem;

// GGUF_CONFIG_MAPPING rows for the architectures this library has ("<arch>." + key -> config key).
const std::map<std::string, std::vector<std::pair<std::string, std::string>>>& config_mapping() {
  static const std::map<std::string, std::vector<std::pair<std::string, std::string>>> m = [] {
    const std::vector<std::pair<std::string, std::string>> llama = {
        {"context_length", "max_position_embeddings"},
        {"block_count", "num_hidden_layers"},
        {"feed_forward_length", "intermediate_size"},
        {"embedding_length", "hidden_size"},
        {"rope.dimension_count", "head_dim"},
        {"rope.freq_base", "rope_theta"},
        {"attention.head_count", "num_attention_heads"},
        {"attention.head_count_kv", "num_key_value_heads"},
        {"attention.layer_norm_rms_epsilon", "rms_norm_eps"},
        {"vocab_size", "vocab_size"},
    };
    return std::map<std::string, std::vector<std::pair<std::string, std::string>>>{
        {"llama", llama},
        {"mistral", llama},
        {"gpt2",
         {{"block_count", "n_layer"},
          {"context_length", "n_ctx"},
          {"embedding_length", "n_embd"},
          {"feed_forward_length", "feed_forward_length"},
          {"attention.head_count", "n_head"},
          {"attention.layer_norm_epsilon", "layer_norm_epsilon"}}},
    };
  }();
  return m;
}

// gguf-py's names for one block's tensors -> the CausalLM class's names (blk.N.<gguf>.<suffix>).
const std::map<std::string, std::string>& block_names(const std::string& arch) {
  static const std::map<std::string, std::string> llama = {
      {"attn_norm", "input_layernorm"},      {"attn_q", "self_attn.q_proj"},     {"attn_k", "self_attn.k_proj"},
      {"attn_v", "self_attn.v_proj"},        {"attn_output", "self_attn.o_proj"}, {"ffn_norm", "post_attention_layernorm"},
      {"ffn_gate", "mlp.gate_proj"},         {"ffn_up", "mlp.up_proj"},           {"ffn_down", "mlp.down_proj"},
  };
  static const std::map<std::string, std::string> gpt2 = {
      {"attn_norm", "ln_1"},     {"attn_qkv", "attn.c_attn"}, {"attn_output", "attn.c_proj"},
      {"ffn_norm", "ln_2"},      {"ffn_up", "mlp.c_fc"},      {"ffn_down", "mlp.c_proj"},
  };
  return arch == "gpt2" ? gpt2 : llama;
}

namespace {

// A scalar metadata value as Python's _gguf_parse_value gives it (int, float, bool, str).
json scalar_json(const io::GGUFValue& v, const std::string& what) {
  switch (v.type) {
    case io::GGUFType::String: return std::string(v.as_string(what));
    case io::GGUFType::Bool: return v.as_bool(what);
    case io::GGUFType::Float32: case io::GGUFType::Float64: return v.as_float(what);
    case io::GGUFType::UInt64: {
      uint64_t u;
      std::memcpy(&u, v.data, 8);
      return u;
    }
    case io::GGUFType::Array: throw FormatError(what + ": expected a single value, found an array");
    default: return v.as_int(what);
  }
}

bool has_tensor(const io::GGUFReader& r, const std::string& name) { return r.contains(name); }

// The Hugging Face name of a GGUF tensor, or "" when 4.51 has none for it (dropped).
std::string hf_name(const std::string& arch, const std::string& name, int64_t num_layers) {
  const bool gpt2 = arch == "gpt2";
  const std::string base = gpt2 ? "transformer." : "model.";
  static const std::regex blk(R"(blk\.(\d+)\.([a-z_]+)\.(weight|bias))");
  std::smatch m;
  if (std::regex_match(name, m, blk)) {
    const int64_t layer = std::stoll(m[1].str());
    const auto& names = block_names(arch);
    auto it = names.find(m[2].str());
    if (layer >= num_layers || it == names.end()) return "";
    return base + (gpt2 ? "h." : "layers.") + m[1].str() + "." + it->second + "." + m[3].str();
  }
  static const std::regex top(R"(([a-z_]+)\.(weight|bias))");
  if (!std::regex_match(name, m, top)) return "";
  const std::string t = m[1].str(), suffix = "." + m[2].str();
  if (t == "token_embd") return base + (gpt2 ? "wte" : "embed_tokens") + suffix;
  if (t == "position_embd" && gpt2) return base + "wpe" + suffix;
  if (t == "output_norm") return base + (gpt2 ? "ln_f" : "norm") + suffix;
  if (t == "output") return "lm_head" + suffix;
  return "";
}

// Llama's Q/K rows: GGUF stores each head's rotary halves interleaved (llama.cpp's permute); 4.51
// undoes it with reshape(n_head, dim, 2, ...).swapaxes(1, 2): output row h*2d + i*d + j is input
// row h*2d + 2j + i. Rows are moved as bytes, so float32 rows and rows of whole blocks alike.
Tensor reverse_permute(const Tensor& w, int64_t n_head, const std::string& name) {
  const int64_t rows = w.size(0);
  if (n_head <= 0 || rows % (2 * n_head) != 0)
    throw ShapeError("GGUF tensor '" + name + "': " + std::to_string(rows) + " rows do not split into " +
                     std::to_string(n_head) + " heads of two rotary halves");
  const int64_t dim = rows / n_head / 2;
  const int64_t cols = w.numel() / rows;
  const Tensor src = w.contiguous();
  Tensor out = Tensor::empty(w.shape(), w.dtype());
  const size_t row_bytes = dtype_nbytes(w.dtype(), cols);
  const char* s = static_cast<const char*>(src.data_ptr());
  char* d = static_cast<char*>(out.data_ptr());
  for (int64_t h = 0; h < n_head; ++h)
    for (int64_t i = 0; i < 2; ++i)
      for (int64_t j = 0; j < dim; ++j)
        std::memcpy(d + size_t((h * 2 + i) * dim + j) * row_bytes, s + size_t(h * 2 * dim + 2 * j + i) * row_bytes,
                    row_bytes);
  return out;
}

// The GGUF names of Llama's Linear weights (what keep_quantized leaves as blocks). A tied token
// embedding (no output.weight) stays blocks too when its type has a float-activation kernel (Q8_0,
// Q6_K: ops::embedding gathers block rows, the lm_head runs under QuantFloatActivationsGuard); on
// int8 activations the tied head moved SmolLM2 Q4_1's greedy tokens off 4.51's within 2 tokens on
// two of four prompts (docs/benchmarks.md), so other types leave it float.
bool is_llama_linear(const std::string& name) {
  static const std::regex linear(
      R"((blk\.\d+\.(attn_q|attn_k|attn_v|attn_output|ffn_gate|ffn_up|ffn_down)|output)\.weight)");
  return std::regex_match(name, linear);
}

}  // namespace

std::string resolve_gguf_file(const std::string& path, const FromPretrainedOptions& opts) {
  std::error_code ec;
  if (fs::is_regular_file(opts.gguf_file, ec)) return opts.gguf_file;
  if (!path.empty())
    if (auto f = hub::resolve_file(path, opts.gguf_file, opts.hub)) return *f;
  throw FileNotFoundError("gguf_file '" + opts.gguf_file + "': no such file" +
                          (path.empty() ? std::string() : ", nor in '" + path + "'"));
}

json gguf_config_dict(const io::GGUFReader& r) {
  const std::string arch = r.get_string("general.architecture");
  std::string updated = arch;
  // 4.51: llama.cpp writes Mistral models as "llama"; a file whose general.name is exactly
  // "mistral" is read as one.
  if (arch.find("llama") != std::string::npos) {
    const io::GGUFValue* name = r.find("general.name");
    if (name && name->type == io::GGUFType::String && name->as_string("general.name") == "mistral") updated = "mistral";
  }
  const auto& mapping = config_mapping();
  if (!mapping.count(arch) && !mapping.count(updated))
    throw ValueError("GGUF model with architecture " + arch + " is not supported yet (supported here: gpt2, llama, mistral)");
  json cfg = json::object();
  cfg["tie_word_embeddings"] = !has_tensor(r, "output.weight");
  for (const auto& key : r.field_keys()) {
    const std::string what = "GGUF file '" + r.path() + "': key '" + key + "'";
    if (key == "general.architecture") {
      cfg["model_type"] = updated;
    } else if (key == "general.name") {
      cfg["_model_name_or_path"] = scalar_json(r.field(key), what);
    } else if (key.rfind(arch + ".", 0) == 0) {
      const std::string sub = key.substr(arch.size() + 1);
      for (const auto& [gguf_key, config_key] : mapping.at(updated))
        if (gguf_key == sub) cfg[config_key] = scalar_json(r.field(key), what);
    }
  }
  // 4.51 takes a missing vocab_size from the token list (huggingface/transformers#32526)
  if (!cfg.contains("vocab_size"))
    if (const io::GGUFValue* tokens = r.find("tokenizer.ggml.tokens"); tokens && tokens->is_array())
      cfg["vocab_size"] = tokens->count;
  return cfg;
}

io::NamedTensors gguf_state_dict(const io::GGUFReader& r, const json& config, bool keep_quantized) {
  const std::string arch = r.get_string("general.architecture");
  const int64_t num_layers = config.value(arch == "gpt2" ? "n_layer" : "num_hidden_layers", int64_t(0));
  // Llama's processor needs both head counts; 4.51 leaves Q/K as stored when either is missing.
  const bool unpermute = arch == "llama" && config.contains("num_attention_heads") && config.contains("num_key_value_heads");
  io::NamedTensors out;
  for (const auto& name : r.keys()) {
    const std::string target = hf_name(arch, name, num_layers);
    if (target.empty()) continue;
    Tensor w = r.get_tensor(name);
    const bool tied_head = name == "token_embd.weight" && !has_tensor(r, "output.weight") &&
                           ops::has_quantized_linear_float_activations(w.dtype());
    const bool keep = keep_quantized && arch == "llama" && w.dim() == 2 && ops::has_quantized_linear(w.dtype()) &&
                      (is_llama_linear(name) || tied_head);
    if (!keep) w = w.to(DType::Float32);
    if (unpermute && w.dim() >= 1) {
      if (name.find(".attn_q.") != std::string::npos)
        w = reverse_permute(w, config["num_attention_heads"].get<int64_t>(), name);
      else if (name.find(".attn_k.") != std::string::npos)
        w = reverse_permute(w, config["num_key_value_heads"].get<int64_t>(), name);
    }
    if (arch == "gpt2" && w.dim() == 2 &&
        (name.ends_with("attn_qkv.weight") || name.ends_with("ffn_down.weight") || name.ends_with("ffn_up.weight") ||
         name.ends_with("attn_output.weight")))
      w = w.t().contiguous();  // GPT-2's Conv1D stores (in, out)
    out.emplace_back(target, std::move(w));
  }
  return out;
}

FromPretrainedOptions gguf_load_options(const std::string& path, const FromPretrainedOptions& opts) {
  if (opts.state_dict)
    throw ValueError("`state_dict` cannot be passed together with a model name or a `gguf_file`. Use one of the two "
                     "loading strategies.");
  const io::GGUFReader reader(resolve_gguf_file(path, opts));
  json dict = gguf_config_dict(reader);
  FromPretrainedOptions o = opts;
  if (!o.config) {
    // Python passes the from_pretrained kwargs to the config it builds from the GGUF
    if (opts.config_overrides.is_object())
      for (auto& [k, v] : opts.config_overrides.items()) dict[k] = v;
    if (opts.num_labels) dict["num_labels"] = *opts.num_labels;
    if (!opts.attn_implementation.empty()) dict["attn_implementation"] = opts.attn_implementation;
    o.config = std::make_shared<PretrainedConfig>(dict);
    o.config_overrides = json::object();
    o.num_labels.reset();
  }
  o.state_dict = gguf_state_dict(reader, dict, opts.keep_quantized);
  o.gguf_file.clear();
  return o;
}

}  // namespace transformers::detail
