// config.json (+ generation_config.json + CLI-like numbers) -> model construction on a tiny real
// checkpoint -> a one-token generate and a resize: the path where sizes from untrusted input
// become shapes, element counts, byte sizes and cache sizes (docs/reliability.md, "Sizes").
//
// Input: config.json bytes, '\0', generation_config.json bytes, '\0', then a control block: one
// byte choosing the checkpoint (gpt2 / llama / bert weights) and the class, then little-endian
// int64 numbers used as num_labels, max_new_tokens, new_num_tokens and pad_to_multiple_of (each
// only when present). A missing '\0' means no generation_config.json and no numbers.
//
// Sizes in (1024, 2^48) are skipped: such a model is legal and merely large (Python allocates it
// too), so building it would only measure the machine. Below, sizes are cheap; above, every size
// computation must refuse with a typed error before allocating.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "fuzz_util.hpp"
#include "transformers/generation/utils.hpp"
#include "transformers/modeling/auto.hpp"
#include "transformers/modeling/configuration_utils.hpp"
#include "transformers/modeling/resize.hpp"

namespace {

namespace fs = std::filesystem;
using transformers::TokenRows;

constexpr int64_t kCheap = 1024;
// From 2^48 on, any tensor with such a dimension has more than 2^47 bytes (kMaxAllocationBytes) and
// must be refused before malloc is called (libFuzzer's -malloc_limit_mb reports any attempt).
constexpr int64_t kHuge = int64_t(1) << 48;

bool mid_range(int64_t v) {
  const uint64_t m = v < 0 ? uint64_t(0) - uint64_t(v) : uint64_t(v);
  return m > uint64_t(kCheap) && m < uint64_t(kHuge);
}

// Whether any integer in the document (any depth) is merely large.
bool has_mid_range(const nlohmann::json& j, int depth = 0) {
  if (depth > 64) return true;
  if (j.is_number_integer()) return j.is_number_unsigned() ? j.get<uint64_t>() > uint64_t(kCheap) && j.get<uint64_t>() < uint64_t(kHuge)
                                                           : mid_range(j.get<int64_t>());
  if (j.is_number_float()) {
    const double d = j.get<double>();
    return (d > double(kCheap) && d < double(kHuge)) || (d < -double(kCheap) && d > -double(kHuge));
  }
  if (j.is_structured())
    for (const auto& v : j) if (has_mid_range(v, depth + 1)) return true;
  return false;
}

double size_of(const nlohmann::ordered_json& d, std::initializer_list<const char*> keys, double fallback) {
  for (const char* k : keys)
    if (d.contains(k) && d[k].is_number()) return d[k].get<double>();
  return fallback;
}

// The config as the model will see it (class defaults filled in: a BERT config without
// hidden_size is BERT-base) describes a model too large to build and random-initialise in a
// fuzzing iteration (legal, only slow): skipped, like the mid-range sizes above.
bool too_costly(const fs::path& dir) {
  try {
    const auto d = transformers::PretrainedConfig::from_pretrained(dir.string())->to_dict();
    if (has_mid_range(d)) return true;
    const double h = std::abs(size_of(d, {"hidden_size", "n_embd"}, 0));
    const double layers = std::abs(size_of(d, {"num_hidden_layers", "n_layer"}, 0));
    const double inner = std::abs(size_of(d, {"intermediate_size", "n_inner"}, 4 * h));
    const double rows = std::abs(size_of(d, {"vocab_size"}, 0)) + std::abs(size_of(d, {"max_position_embeddings", "n_positions"}, 0));
    if (layers > double(kCheap)) return true;  // issue 18 item 14, the modeling layer's check
    // A size from 2^48 on must be refused before anything is allocated: always run those.
    for (double v : {h, inner, rows})
      if (v >= double(kHuge)) return false;
    const double params = layers * (4 * h * h + 3 * h * inner) + rows * h;
    return params > double(1 << 22);
  } catch (const transformers::Error&) {
    return false;  // from_pretrained refuses it the same way, quickly
  }
}

// Stops every row after one generated token, whatever max_new_tokens says.
class OneToken : public transformers::StoppingCriteria {
 public:
  explicit OneToken(size_t prompt) : prompt_(prompt) {}
  std::vector<bool> is_done(const TokenRows& rows) const override {
    return std::vector<bool>(rows.size(), !rows.empty() && rows[0].size() > prompt_);
  }
  std::string name() const override { return "OneToken"; }

 private:
  size_t prompt_;
};

// One folder per fixture checkpoint, its weights copied once; config files are rewritten per run.
fs::path folder_for(int which) {
  static const char* kArch[] = {"gpt2", "llama", "bert"};
  const fs::path dir = fuzz::scratch_dir() / kArch[which];
  if (!fs::exists(dir / "model.safetensors")) {
    fs::create_directories(dir);
    fs::copy_file(fs::path(TRANSFORMERS_FIXTURES_DIR) / "hf" / "models" / kArch[which] / "model" / "model.safetensors",
                  dir / "model.safetensors", fs::copy_options::overwrite_existing);
  }
  return dir;
}

void write_or_remove(const fs::path& p, const std::string* text) {
  std::error_code ec;
  if (!text) {
    fs::remove(p, ec);
    return;
  }
  std::ofstream(p, std::ios::binary | std::ios::trunc) << *text;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace transformers;
  const std::string in(reinterpret_cast<const char*>(data), size);
  const size_t z1 = in.find('\0');
  const std::string config = in.substr(0, z1);
  std::string gen_text, control;
  bool has_gen = false;
  if (z1 != std::string::npos) {
    const size_t z2 = in.find('\0', z1 + 1);
    gen_text = in.substr(z1 + 1, z2 == std::string::npos ? std::string::npos : z2 - z1 - 1);
    has_gen = true;
    if (z2 != std::string::npos) control = in.substr(z2 + 1);
  }
  for (const std::string* doc : {static_cast<const std::string*>(&config), static_cast<const std::string*>(&gen_text)}) {
    const auto j = nlohmann::json::parse(*doc, nullptr, /*allow_exceptions=*/false);
    if (!j.is_discarded() && has_mid_range(j)) return 0;
  }
  const uint8_t selector = control.empty() ? 0 : uint8_t(control[0]);
  std::vector<int64_t> numbers;
  for (size_t at = 1; at + 8 <= control.size() && numbers.size() < 4; at += 8) {
    int64_t v;
    std::memcpy(&v, control.data() + at, 8);
    if (mid_range(v)) return 0;
    numbers.push_back(v);
  }

  const fs::path dir = folder_for(selector % 3);
  write_or_remove(dir / "config.json", &config);
  write_or_remove(dir / "generation_config.json", has_gen ? &gen_text : nullptr);
  if (too_costly(dir)) return 0;

  fuzz::expect_typed([&] {
    FromPretrainedOptions o;
    o.ignore_mismatched_sizes = (selector & 0x10) != 0;
    o.seed = 0;
    if (numbers.size() > 0 && numbers[0] > 0) o.num_labels = numbers[0];
    static const char* kClasses[] = {"AutoModelForCausalLM", "AutoModel", "AutoModelForSequenceClassification"};
    auto model = auto_from_pretrained(kClasses[(selector >> 2) % 3], dir.string(), o);
    if (model->can_generate()) {
      fuzz::expect_typed([&] {
        GenerationOptions g;
        if (numbers.size() > 1) g.max_new_tokens = numbers[1];
        g.stopping_criteria.push_back(std::make_shared<OneToken>(3));
        generate(*model, Tensor::from_vector(std::vector<int64_t>{1, 2, 3}, {1, 3}), {}, g);
      });
    } else {
      fuzz::expect_typed([&] { model->forward({.input_ids = Tensor::from_vector(std::vector<int64_t>{1, 2, 3}, {1, 3})}); });
    }
    if (numbers.size() > 2) {
      fuzz::expect_typed([&] {
        ResizeTokenEmbeddingsOptions r{.new_num_tokens = numbers[2]};
        if (numbers.size() > 3) r.pad_to_multiple_of = numbers[3];
        resize_token_embeddings(*model, r);
      });
    }
  });
  return 0;
}
