// save_gguf: the config and state dict of a Llama model as llama.cpp's convert_hf_to_gguf lays
// them out (facts from gguf-py's constants and tensor map; names shared with gguf_load.cpp).
#include "transformers/modeling/gguf_save.hpp"

#include <cstring>
#include <regex>

#include "modeling/gguf_load.hpp"
#include "transformers/core/error.hpp"
#include "transformers/core/quant_blocks.hpp"
#include "transformers/io/gguf_write.hpp"
#include "transformers/modeling/gguf_quant_mix.hpp"

namespace transformers {

namespace {

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

// The tensor as stored in type `dt` (gguf_tensor_type's choice; rows are whole blocks of it).
Tensor stored(const Tensor& w, DType dt) {
  const Tensor f = w.contiguous().to(DType::Float32);
  if (!is_quantized(dt)) return f.to(dt);
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
  const GGUFQuantMix& mix = gguf_quant_mix(opts.quant);
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
  if (mix.k_mix) {  // the keys llama-quantize sets on the file it writes
    w.add_uint32("general.quantization_version", 2);
    w.add_uint32("general.file_type", mix.file_type);
  }
  const bool tied = cfg.value("tie_word_embeddings", false);
  const int64_t heads = cfg.at("num_attention_heads").get<int64_t>();
  const int64_t kv_heads = cfg.value("num_key_value_heads", heads);
  const auto state = model.state_dict();
  bool has_output = false;
  for (const auto& [hf, t] : state) has_output |= gguf_name(hf, tied) == "output.weight";
  const GGUFMixModel shape_of_model{.n_layers = cfg.value("num_hidden_layers", int64_t(0)),
                                    .n_head = heads,
                                    .n_head_kv = kv_heads,
                                    .has_output = has_output};
  for (const auto& [hf, t] : state) {
    const std::string g = gguf_name(hf, tied);
    if (g.empty()) continue;  // a tied lm_head, rotary buffers
    Tensor x = t;
    if (g.find(".attn_q.weight") != std::string::npos) x = permute_rows(t.to(DType::Float32), heads, hf);
    else if (g.find(".attn_k.weight") != std::string::npos) x = permute_rows(t.to(DType::Float32), kv_heads, hf);
    w.add_tensor(g, stored(x, gguf_tensor_type(mix, g, x.sizes(), shape_of_model)));
  }
  w.write(file);
}

}  // namespace transformers
