// SentencePipeline: sentence-transformers 3.4.1's encode() over the modules a model folder lists
// (see the header). Pooling follows models/Pooling.py mode by mode; Dense is Linear + activation;
// Normalize is F.normalize(p=2, dim=1).
#include "sentence_pipeline.hpp"
#include "transformers/core/quote.hpp"

#include <algorithm>
#include <cmath>
#include <cwctype>
#include <locale>
#include <mutex>
#include <set>

#include "transformers/core/autograd.hpp"
#include "transformers/core/parallel_tasks.hpp"
#include "transformers/hub/hub.hpp"
#include "transformers/io/checkpoint.hpp"
#include "transformers/io/json_file.hpp"
#include "transformers/modeling/auto.hpp"

namespace transformers::cli {
namespace {

// The folder's file `rel`, or nullopt when it has none.
std::optional<std::string> find_file(const Source& src, const std::string& rel) {
  return hub::resolve_file(src.path, rel, src.hub);
}

json read_config(const std::string& file, std::string_view what) {
  json j = io::read_json_file(file, {.what = what});
  if (!j.is_object()) throw FormatError(file + ": expected a JSON object, found " + std::string(j.type_name()));
  return j;
}

// A module's folder from modules.json: relative, inside the model folder.
std::string module_path(const json& entry, const std::string& file) {
  if (!entry.contains("path") || !entry["path"].is_string())
    throw FormatError(file + ": every module needs a string \"path\", found " + escape_input(entry.dump()));
  const std::string p = entry["path"].get<std::string>();
  if (!p.empty() && (p.front() == '/' || p.find("..") != std::string::npos))
    throw FormatError(file + ": module path '" + p + "' leaves the model folder");
  return p;
}

bool bool_key(const json& j, const char* key, bool fallback, const std::string& file) {
  if (!j.contains(key) || j[key].is_null()) return fallback;
  if (!j[key].is_boolean())
    throw FormatError(file + ": \"" + key + "\" must be true or false, found " + escape_input(j[key].dump()));
  return j[key].get<bool>();
}

PoolingConfig read_pooling(const std::string& file) {
  const json j = read_config(file, "sentence-transformers pooling config");
  PoolingConfig p;
  p.cls_token = bool_key(j, "pooling_mode_cls_token", false, file);
  p.max_tokens = bool_key(j, "pooling_mode_max_tokens", false, file);
  p.mean_tokens = bool_key(j, "pooling_mode_mean_tokens", true, file);
  p.mean_sqrt_len_tokens = bool_key(j, "pooling_mode_mean_sqrt_len_tokens", false, file);
  p.weightedmean_tokens = bool_key(j, "pooling_mode_weightedmean_tokens", false, file);
  p.lasttoken = bool_key(j, "pooling_mode_lasttoken", false, file);
  p.include_prompt = bool_key(j, "include_prompt", true, file);
  if (!(p.cls_token || p.max_tokens || p.mean_tokens || p.mean_sqrt_len_tokens || p.weightedmean_tokens ||
        p.lasttoken))
    throw FormatError(file + ": no pooling mode is enabled");
  return p;
}

DenseLayer read_dense(const Source& src, const std::string& dir) {
  const std::string cfg_file = find_file(src, dir + "/config.json").value_or("");
  if (cfg_file.empty()) throw FileNotFoundError(src.path + "/" + dir + "/config.json: the Dense module's config is missing");
  const json j = read_config(cfg_file, "sentence-transformers Dense config");
  for (const char* k : {"in_features", "out_features"})
    if (!j.contains(k) || !j[k].is_number_unsigned() || j[k].get<int64_t>() <= 0)
      throw FormatError(cfg_file + ": \"" + k + "\" must be a positive integer, found " + (j.contains(k) ? escape_input(j[k].dump()) : "nothing"));
  const int64_t in = j["in_features"].get<int64_t>(), out = j["out_features"].get<int64_t>();
  DenseLayer d;
  d.activation = torch_activation(j.value("activation_function", std::string("torch.nn.modules.activation.Tanh")), cfg_file);
  const bool bias = bool_key(j, "bias", true, cfg_file);
  auto weights = find_file(src, dir + "/model.safetensors");
  if (!weights) weights = find_file(src, dir + "/pytorch_model.bin");
  if (!weights) throw FileNotFoundError(src.path + "/" + dir + ": no model.safetensors or pytorch_model.bin for the Dense module");
  for (auto& [name, t] : io::load_checkpoint_files({*weights})) {
    if (name == "linear.weight") d.weight = t.to(DType::Float32).contiguous();
    if (name == "linear.bias") d.bias = t.to(DType::Float32).contiguous();
  }
  if (!d.weight.defined() || d.weight.dim() != 2 || d.weight.size(0) != out || d.weight.size(1) != in)
    throw FormatError(*weights + ": \"linear.weight\" must be [" + std::to_string(out) + ", " + std::to_string(in) +
                      "], found " + (d.weight.defined() ? shape_str(d.weight.sizes()) : std::string("none")));
  if (bias != d.bias.defined() || (bias && (d.bias.dim() != 1 || d.bias.size(0) != out)))
    throw FormatError(*weights + ": \"linear.bias\" must be " + (bias ? "[" + std::to_string(out) + "]" : "absent") +
                      " (config bias=" + (bias ? "true" : "false") + ")");
  return d;
}

// str.lower() on UTF-8: ASCII directly, other code points through the C.UTF-8 locale's simple case
// mapping (Python's full mapping differs only for a handful of characters such as U+0130).
std::string lower(const std::string& s) {
  std::wstring_convert<std::codecvt_utf8<wchar_t>> conv;
  std::wstring w;
  try {
    w = conv.from_bytes(s);
  } catch (const std::range_error&) {
    std::string r = s;
    for (auto& c : r) c = char(std::tolower(static_cast<unsigned char>(c)));
    return r;
  }
  for (auto& c : w) c = c < 128 ? wchar_t(std::tolower(int(c))) : wchar_t(std::towlower(wint_t(c)));
  return conv.to_bytes(w);
}

}  // namespace

std::string strip_whitespace(const std::string& s) {
  const char* ws = " \t\n\r\v\f";
  const size_t b = s.find_first_not_of(ws);
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(ws) - b + 1);
}

std::string torch_activation(const std::string& class_path, const std::string& file) {
  static const std::map<std::string, std::string> known = {
      {"torch.nn.modules.activation.Tanh", "tanh"},       {"torch.nn.modules.linear.Identity", "identity"},
      {"torch.nn.modules.activation.ReLU", "relu"},       {"torch.nn.modules.activation.Sigmoid", "sigmoid"},
      {"torch.nn.modules.activation.GELU", "gelu"}};
  auto it = known.find(class_path);
  if (it == known.end())
    throw UnsupportedError(file + ": activation '" + escape_input(class_path) +
                           "' is not supported (Tanh, Identity, ReLU, Sigmoid, GELU are)");
  return it->second;
}

// The Transformer module passes the tokenizer's outputs named in its model_input_names: the
// config's list when it gives one (ModernBERT's: input_ids, attention_mask), else the class's own;
// these classes' lists leave token_type_ids out (their models take none: DistilBERT's forward has
// no such argument).
bool passes_token_type_ids(const PreTrainedTokenizerFast& tok) {
  if (!tok.model_input_names.empty())
    return std::find(tok.model_input_names.begin(), tok.model_input_names.end(), "token_type_ids") != tok.model_input_names.end();
  static const std::set<std::string> without = {"DistilBertTokenizer", "DistilBertTokenizerFast", "RobertaTokenizer",
                                                "RobertaTokenizerFast", "XLMRobertaTokenizer", "XLMRobertaTokenizerFast",
                                                "MPNetTokenizer", "MPNetTokenizerFast"};
  return !without.count(tok.tokenizer_class);
}

double activate(double x, const std::string& a) {
  if (a == "tanh") return std::tanh(x);
  if (a == "relu") return std::max(x, 0.0);
  if (a == "sigmoid") return 1.0 / (1.0 + std::exp(-x));
  if (a == "gelu") return 0.5 * x * (1.0 + std::erf(x / std::sqrt(2.0)));
  return x;
}

SentencePipeline SentencePipeline::load(const Source& src) {
  SentencePipeline p;
  p.tokenizer = std::make_shared<PreTrainedTokenizerFast>(AutoTokenizer::from_pretrained(src.path, {.hub = src.hub}));
  if (auto f = find_file(src, "sentence_bert_config.json")) {
    const json j = read_config(*f, "sentence-transformers config");
    if (j.contains("max_seq_length") && !j["max_seq_length"].is_null()) {
      if (!j["max_seq_length"].is_number_unsigned() || j["max_seq_length"].get<int64_t>() <= 0)
        throw FormatError(*f + ": \"max_seq_length\" must be a positive integer, found " + escape_input(j["max_seq_length"].dump()));
      p.max_seq_length = j["max_seq_length"].get<size_t>();
    }
    p.do_lower_case = bool_key(j, "do_lower_case", false, *f);
  }
  // The model's default attention (sdpa): since the fused tile scores only a short key block's whole
  // vectors and runs P.V in vectors at head dim 32 (issue 27), it costs ~2 % less CPU than the eager
  // path (scores by GEMM, then softmax) on encode()'s short batches, where before eager cost ~15 % less
  // (all-MiniLM-L6-v2, docs/benchmarks.md, "Encoder fusions"); the same numbers to float32 rounding.
  p.model = AutoModel::from_pretrained(src.path, {.hub = src.hub});
  const auto modules_file = find_file(src, "modules.json");
  if (!modules_file) {  // not a sentence-transformers folder: this CLI's fixed recipe
    p.normalize = true;
    if (!p.max_seq_length && p.tokenizer->model_max_length != SIZE_MAX) p.max_seq_length = p.tokenizer->model_max_length;
    return p;
  }
  if (!p.max_seq_length) {  // Transformer(): min(max_position_embeddings, tokenizer.model_max_length)
    size_t m = p.tokenizer->model_max_length;
    if (p.model->config().has("max_position_embeddings"))
      m = std::min(m, size_t(std::max<int64_t>(p.model->config().get<int64_t>("max_position_embeddings"), 1)));
    if (m != SIZE_MAX) p.max_seq_length = m;
  }
  const json modules = io::read_json_file(*modules_file, {.what = "sentence-transformers modules.json"});
  if (!modules.is_array()) throw FormatError(*modules_file + ": expected a list of modules, found " + std::string(modules.type_name()));
  bool pooled = false;
  for (const json& m : modules) {
    if (!m.is_object() || !m.contains("type") || !m["type"].is_string())
      throw FormatError(*modules_file + ": every module needs a string \"type\", found " + escape_input(m.dump()));
    const std::string type = m["type"].get<std::string>(), dir = module_path(m, *modules_file);
    const std::string kind = type.substr(type.rfind('.') + 1);
    if (p.normalize && kind != "Normalize")
      throw UnsupportedError(*modules_file + ": module " + type + " after Normalize is not supported");
    if (kind == "Transformer") {
      if (!dir.empty()) throw UnsupportedError(*modules_file + ": a Transformer module in a subfolder ('" + dir + "') is not supported");
    } else if (kind == "Pooling") {
      const auto f = find_file(src, dir + "/config.json");
      if (!f) throw FileNotFoundError(src.path + "/" + dir + "/config.json: the Pooling module's config is missing");
      p.pooling = read_pooling(*f);
      pooled = true;
    } else if (kind == "Dense") {
      if (!pooled) throw UnsupportedError(*modules_file + ": a Dense module before Pooling is not supported");
      p.dense.push_back(read_dense(src, dir));
    } else if (kind == "Normalize") {
      p.normalize = true;
    } else {
      throw UnsupportedError(*modules_file + ": module type '" + type + "' is not supported (Transformer, Pooling, Dense, Normalize are)");
    }
  }
  if (!pooled) throw UnsupportedError(*modules_file + ": no Pooling module (token embeddings are not a sentence embedding)");
  if (auto f = find_file(src, "config_sentence_transformers.json")) {
    const json j = read_config(*f, "sentence-transformers config");
    if (j.contains("prompts") && !j["prompts"].is_null()) {
      if (!j["prompts"].is_object()) throw FormatError(*f + ": \"prompts\" must be an object, found " + escape_input(j["prompts"].dump()));
      for (auto& [k, v] : j["prompts"].items()) {
        if (!v.is_string()) throw FormatError(*f + ": prompt '" + k + "' must be a string, found " + escape_input(v.dump()));
        p.prompts[k] = v.get<std::string>();
      }
    }
    if (j.contains("default_prompt_name") && j["default_prompt_name"].is_string()) {
      p.default_prompt_name = j["default_prompt_name"].get<std::string>();
      if (!p.prompts.count(*p.default_prompt_name))
        throw ValueError(*f + ": default_prompt_name '" + *p.default_prompt_name + "' is not one of the prompts");
    }
  }
  return p;
}

std::vector<std::vector<float>> SentencePipeline::encode(const std::vector<std::string>& texts,
                                                         const EncodeOptions& opts) const {
  std::optional<std::string> prompt = opts.prompt;
  if (!prompt && opts.prompt_name) {
    auto it = prompts.find(*opts.prompt_name);
    if (it == prompts.end()) {
      std::string keys;
      for (auto& [k, v] : prompts) keys += (keys.empty() ? "'" : ", '") + k + "'";
      throw ValueError("Prompt name '" + *opts.prompt_name + "' not found in the configured prompts dictionary with keys [" +
                       keys + "]");
    }
    prompt = it->second;
  } else if (!prompt && default_prompt_name) {
    prompt = prompts.at(*default_prompt_name);
  }
  TokenizerCallOptions call{.padding = Padding::Longest, .truncation = true};
  call.max_length = max_seq_length;
  auto prepare = [&](const std::string& t) { return do_lower_case ? lower(strip_whitespace(t)) : strip_whitespace(t); };
  std::vector<std::string> inputs;
  for (const auto& t : texts) inputs.push_back(prompt ? *prompt + t : t);
  // encode(): the prompt's token count without its last (separator) token, for include_prompt=False.
  int64_t prompt_length = 0;
  if (prompt) prompt_length = int64_t((*tokenizer)(std::vector<std::string>{prepare(*prompt)}, call).input_ids.at(0).size()) - 1;
  // encode() sorts by -len(text) (code points of prompt + text, before stripping) so a batch holds
  // texts of similar length, then puts the embeddings back in input order. Equal lengths keep their
  // input order here (numpy's argsort does not promise one; the rows do not depend on it).
  auto code_points = [](const std::string& t) {
    return std::count_if(t.begin(), t.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; });
  };
  std::vector<size_t> order(inputs.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::vector<std::ptrdiff_t> lengths;
  for (auto& t : inputs) lengths.push_back(code_points(t));
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return lengths[a] > lengths[b]; });
  // Then by token count, which is what a batch is padded to: characters per token vary, so batches of
  // similar character length were padded by ~11 % of their tokens (10 000 sentences of
  // bench/embed_throughput.py; 0.6 % by token count), every one of them multiplied through each
  // layer. A row's embedding does not depend on the other rows of its batch when padding is on the
  // right (its positions start at 0 and padded keys get exp(min) = 0 weight), so the result is
  // encode()'s to float32 rounding. Left padding shifts a row's positions with its batch's longest
  // row, so there the batches stay encode()'s.
  if (call.padding_side.value_or(tokenizer->padding_side) == "right" && order.size() > 1) {
    TokenizerCallOptions plain = call;
    plain.padding = Padding::DoNotPad;
    std::vector<std::string> prepared;
    for (const auto& t : inputs) prepared.push_back(prepare(t));
    const BatchEncoding enc = (*tokenizer)(prepared, plain);
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t a, size_t b) { return enc.input_ids[a].size() > enc.input_ids[b].size(); });
  }
  const size_t batch_size = std::max<size_t>(opts.batch_size, 1);
  const size_t batches = (order.size() + batch_size - 1) / batch_size;
  std::vector<std::vector<float>> out(inputs.size());
  std::mutex progress;
  size_t done = 0;
  auto run_batch = [&](size_t bi) {
    std::vector<std::string> batch;
    const size_t start = bi * batch_size, end = std::min(order.size(), start + batch_size);
    for (size_t i = start; i < end; ++i) batch.push_back(prepare(inputs[order[i]]));
    auto rows = encode_batch(batch, call, prompt ? prompt_length : 0, prompt.has_value());
    for (size_t i = start; i < end; ++i) out[order[i]] = std::move(rows[i - start]);  // rows of this batch only
    std::lock_guard<std::mutex> lock(progress);
    done += end - start;
    if (opts.on_batch) opts.on_batch(done, order.size());
  };
  if (!opts.batches_in_parallel) {
    for (size_t bi = 0; bi < batches; ++bi) run_batch(bi);
    return out;
  }
  // Batches side by side (EncodeOptions::batches_in_parallel). Longest batches first, as formed, so
  // the short ones at the end even out the threads' finishing times. A pool thread starts in grad
  // mode, so the caller's mode (no_grad in the CLI) is set in each task.
  const bool grad = autograd::is_grad_enabled();
  parallel_tasks(int64_t(batches), [&](int64_t bi) {
    autograd::GradModeGuard mode(grad);
    run_batch(size_t(bi));
  });
  return out;
}

std::vector<std::vector<float>> SentencePipeline::encode_batch(const std::vector<std::string>& inputs,
                                                               const TokenizerCallOptions& call, int64_t prompt_length,
                                                               bool has_prompt) const {
  const BatchEncoding batch = (*tokenizer)(inputs, call);
  const int64_t b = int64_t(batch.input_ids.size()), s = int64_t(batch.input_ids.at(0).size());
  auto flat = [&](const std::vector<std::vector<int64_t>>& rows) {
    std::vector<int64_t> v;
    for (auto& r : rows) v.insert(v.end(), r.begin(), r.end());
    return Tensor::from_vector(v, {b, s});
  };
  ModelInputs in;
  in.input_ids = flat(batch.input_ids);
  in.attention_mask = flat(batch.attention_mask);
  if (!batch.token_type_ids.empty() && passes_token_type_ids(*tokenizer)) in.token_type_ids = flat(batch.token_type_ids);
  const Tensor hidden = model->forward(in).last_hidden_state.to(DType::Float32).contiguous();
  const int64_t h = hidden.size(2);
  const float* hp = hidden.data<float>();

  std::vector<std::vector<float>> out;
  for (int64_t i = 0; i < b; ++i) {
    std::vector<double> mask(static_cast<size_t>(s));
    for (int64_t t = 0; t < s; ++t) mask[size_t(t)] = double(batch.attention_mask[size_t(i)][size_t(t)]);
    if (has_prompt && !pooling.include_prompt)
      for (int64_t t = 0; t < std::min(prompt_length, s); ++t) mask[size_t(t)] = 0;
    auto tok = [&](int64_t t, int64_t k) { return double(hp[(i * s + t) * h + k]); };
    std::vector<double> v;
    if (pooling.cls_token)
      for (int64_t k = 0; k < h; ++k) v.push_back(tok(0, k));
    if (pooling.max_tokens)
      for (int64_t k = 0; k < h; ++k) {
        double m = -INFINITY;
        for (int64_t t = 0; t < s; ++t) m = std::max(m, mask[size_t(t)] == 0 ? -1e9 : tok(t, k));
        v.push_back(m);
      }
    auto weighted_sum = [&](bool positional, std::vector<double>& sums) {
      double total = 0;
      sums.assign(size_t(h), 0.0);
      for (int64_t t = 0; t < s; ++t) {
        const double w = mask[size_t(t)] * (positional ? double(t + 1) : 1.0);
        total += w;
        for (int64_t k = 0; k < h; ++k) sums[size_t(k)] += tok(t, k) * w;
      }
      return std::max(total, 1e-9);
    };
    std::vector<double> sums;
    if (pooling.mean_tokens || pooling.mean_sqrt_len_tokens) {
      const double n = weighted_sum(false, sums);
      if (pooling.mean_tokens)
        for (double x : sums) v.push_back(x / n);
      if (pooling.mean_sqrt_len_tokens)
        for (double x : sums) v.push_back(x / std::sqrt(n));
    }
    if (pooling.weightedmean_tokens) {
      const double n = weighted_sum(true, sums);
      for (double x : sums) v.push_back(x / n);
    }
    if (pooling.lasttoken) {  // the last position whose mask is 1 (position 0 when none), times its mask
      int64_t last = 0;
      for (int64_t t = s - 1; t >= 0; --t)
        if (mask[size_t(t)] != 0) {
          last = t;
          break;
        }
      for (int64_t k = 0; k < h; ++k) v.push_back(tok(last, k) * mask[size_t(last)]);
    }
    for (const DenseLayer& d : dense) {
      const int64_t o = d.weight.size(0), n_in = d.weight.size(1);
      if (int64_t(v.size()) != n_in)
        throw ShapeError("Dense module: expects " + std::to_string(n_in) + " features, the pooled vector has " +
                         std::to_string(v.size()));
      const float* w = d.weight.data<float>();
      std::vector<double> y(static_cast<size_t>(o));
      for (int64_t r = 0; r < o; ++r) {
        double acc = d.bias.defined() ? double(d.bias.data<float>()[r]) : 0.0;
        for (int64_t c = 0; c < n_in; ++c) acc += double(w[r * n_in + c]) * v[size_t(c)];
        y[size_t(r)] = activate(acc, d.activation);
      }
      v = std::move(y);
    }
    if (normalize) {
      double norm = 0;
      for (double x : v) norm += x * x;
      norm = std::max(std::sqrt(norm), 1e-12);
      for (double& x : v) x /= norm;
    }
    out.emplace_back(v.begin(), v.end());
  }
  return out;
}

}  // namespace transformers::cli
