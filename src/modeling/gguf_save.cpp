// save_gguf: the config and state dict of a Llama model as llama.cpp's convert_hf_to_gguf lays
// them out (facts from gguf-py's constants and tensor map; names shared with gguf_load.cpp).
#include "transformers/modeling/gguf_save.hpp"

#include <cstring>
#include <regex>

#include "modeling/gguf_load.hpp"
#include "transformers/core/error.hpp"
#include "transformers/core/quant_blocks.hpp"
#include "transformers/io/gguf_write.hpp"

namespace transformers {

namespace {

DType quant_dtype(const std::string& q) {
  if (q == "f32") return DType::Float32;
  if (q == "f16") return DType::Float16;
  if (q == "bf16") return DType::BFloat16;
  if (q == "q8_0") return DType::Q8_0;
  if (q == "q4_0") return DType::Q4_0;
  throw ValueError("save_gguf: quant '" + q + "' is not one of f32, f16, bf16, q8_0, q4_0");
}

// llama.cpp's permute of Q/K rows (the inverse of gguf_load.cpp's reverse_permute): GGUF row
// h*2d + 2j + i is Hugging Face row h*2d + i*d + j.
Tensor permute_rows(const Tensor& w, int64_t n_head, const std::string& name) {
  const int64_t rows = w.size(0);
  if (n_head <= 0 || rows % (2 * n_head) != 0)
    throw ShapeError("save_gguf: '" + name + "' has " + std::to_string(rows) + " rows, not " + std::to_string(n_head) +
                     " heads of two rotary halves");
  const int64_t dim = rows / n_head / 2, cols = w.size(1);
  const Tensor src = w.contiguous().to(DType::Float32);
  Tensor out = Tensor::empty(w.sizes(), DType::Float32);
  const float* s = src.data<float>();
  float* d = out.data<float>();
  for (int64_t h = 0; h < n_head; ++h)
    for (int64_t i = 0; i < 2; ++i)
      for (int64_t j = 0; j < dim; ++j)
        std::memcpy(d + (h * 2 * dim + 2 * j + i) * cols, s + ((h * 2 + i) * dim + j) * cols, size_t(cols) * 4);
  return out;
}

// The stored tensor: 1-D in F32, 2-D in `dt` (block types quantized; rows not whole blocks: F16).
Tensor stored(const Tensor& w, DType dt) {
  const Tensor f = w.contiguous().to(DType::Float32);
  if (w.dim() != 2) return f;
  if (!is_quantized(dt)) return f.to(dt);
  if (w.size(1) % int64_t(dtype_traits(dt).block_elems) != 0) return f.to(DType::Float16);
  Tensor q = Tensor::empty(w.sizes(), dt);
  quantize_blocks(dt, f.data<float>(), q.data_ptr(), f.numel());
  return q;
}

// The GGUF name of a Hugging Face tensor name, "" for none.
std::string gguf_name(const std::string& hf, bool tied) {
  if (hf == "model.embed_tokens.weight") return "token_embd.weight";
  if (hf == "model.norm.weight") return "output_norm.weight";
  if (hf == "lm_head.weight") return tied ? "" : "output.weight";
  static const std::regex layer(R"(model\.layers\.(\d+)\.(.+)\.(weight|bias))");
  std::smatch m;
  if (!std::regex_match(hf, m, layer)) return "";
  for (const auto& [g, h] : detail::block_names("llama"))
    if (h == m[2].str()) return "blk." + m[1].str() + "." + g + "." + m[3].str();
  return "";
}

// general.name: the GGUF's own name for a model loaded from one (4.51 keeps it as
// _model_name_or_path), else the checkpoint folder's name as llama.cpp's converter takes it.
std::string model_name(const json& cfg) {
  for (const char* key : {"_model_name_or_path", "_name_or_path"}) {
    const json v = cfg.value(key, json());
    if (!v.is_string() || v.get<std::string>().empty()) continue;
    const std::filesystem::path p(v.get<std::string>());
    const std::string stem = p.has_filename() ? p.stem().string() : p.parent_path().filename().string();
    if (!stem.empty()) return key == std::string("_name_or_path") ? stem : v.get<std::string>();
  }
  return "model";
}

}  // namespace

void save_gguf(const PreTrainedModel& model, const std::filesystem::path& file, const GGUFSaveOptions& opts) {
  const DType dt = quant_dtype(opts.quant);
  const json& cfg = model.config().raw();
  const std::string model_type = cfg.value("model_type", std::string());
  if (model_type != "llama")
    throw UnsupportedError("save_gguf: model_type '" + model_type + "' cannot be written as GGUF yet (supported: llama)");
  io::GGUFWriter w;
  w.add_string("general.architecture", "llama");
  w.add_string("general.name", model_name(cfg));
  json values = cfg;
  if (!values.contains("head_dim") || values["head_dim"].is_null())
    values["head_dim"] = cfg.at("hidden_size").get<int64_t>() / cfg.at("num_attention_heads").get<int64_t>();
  if (!values.contains("rope_theta") && cfg.contains("rope_parameters") && cfg["rope_parameters"].contains("rope_theta"))
    values["rope_theta"] = cfg["rope_parameters"]["rope_theta"];
  for (const auto& [gguf_key, config_key] : detail::config_mapping().at("llama")) {
    if (!values.contains(config_key) || values[config_key].is_null()) continue;
    const json& v = values[config_key];
    const std::string key = "llama." + gguf_key;
    // llama.cpp's types: counts uint32, rope base and norm epsilon float32
    if (v.is_number_integer()) w.add_uint32(key, uint32_t(v.get<int64_t>()));
    else if (v.is_number()) w.add_float32(key, v.get<float>());
  }
  w.add_uint32("general.alignment", 32);
  if (opts.tokenizer_metadata) opts.tokenizer_metadata(w);
  const bool tied = cfg.value("tie_word_embeddings", false);
  const int64_t heads = cfg.at("num_attention_heads").get<int64_t>();
  const int64_t kv_heads = cfg.value("num_key_value_heads", heads);
  for (const auto& [hf, t] : model.state_dict()) {
    const std::string g = gguf_name(hf, tied);
    if (g.empty()) continue;  // a tied lm_head, rotary buffers
    Tensor x = t;
    if (g.find(".attn_q.weight") != std::string::npos) x = permute_rows(t.to(DType::Float32), heads, hf);
    else if (g.find(".attn_k.weight") != std::string::npos) x = permute_rows(t.to(DType::Float32), kv_heads, hf);
    w.add_tensor(g, stored(x, dt));
  }
  w.write(file);
}

}  // namespace transformers
