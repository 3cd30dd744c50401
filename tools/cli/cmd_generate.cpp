// transformers-cli generate: model.generate(...) with the model's generation_config.json as
// defaults (docs/CLI.md). Text mode streams decoded text as tokens come (one sequence, no beams);
// --json prints {"sequences": [[..]..], "text": [..]} ("text" when a tokenizer is known).
#include <filesystem>
#include <iostream>

#include "big_model_options.hpp"
#include "cli_common.hpp"
#include "int_options.hpp"
#include "generation_flags.hpp"
#include "text_streamer.hpp"
#include "tokenizer_path.hpp"
#include "transformers/generation/utils.hpp"
#include "transformers/modeling/auto.hpp"
#include "transformers/tokenizers/gguf_tokenizer.hpp"
#include "transformers/ops/random.hpp"

namespace transformers::cli {
namespace {

struct GenerateArgs {
  bool keep_quantized = false;
  std::string model, revision, gguf_file, tokenizer, prompt, input_ids, attention_mask, early_stopping, eos_token_id;
  GenerationOptions gen;  // the numeric generation flags are bound to its fields directly
  std::optional<uint64_t> seed;
  bool do_sample = false, as_json = false;
  int threads = 0;
  std::string dtype = "float32";  // from_pretrained's torch_dtype (4.51's default: float32)
  BigModelArgs big;  // --device-map, --max-memory, --offload-folder, --low-cpu-mem-usage, --tp-plan
};

std::vector<int32_t> to_i32(const std::vector<int64_t>& v) { return std::vector<int32_t>(v.begin(), v.end()); }

int run_generate(const GenerateArgs& a) {
  apply_threads(a.threads);
  if (a.prompt.empty() == a.input_ids.empty()) throw CLI::ValidationError("generate", "give exactly one of --prompt and --input-ids");
  const Source src = parse_source(a.model, a.revision);
  std::optional<Tokenizer> tok;
  if (!a.tokenizer.empty()) {
    tok.emplace(load_tokenizer(a.tokenizer));
  } else if (const std::string gguf = gguf_file_for(src, a.gguf_file); !gguf.empty()) {
    // A GGUF carries its tokenizer (tokenizer.ggml.*), built as 4.51 builds it. With --input-ids a
    // vocabulary kind not built yet only costs the text output.
    const std::filesystem::path p = std::filesystem::is_regular_file(gguf) ? std::filesystem::path(gguf)
                                                                           : std::filesystem::path(src.path) / gguf;
    try {
      tok.emplace(std::move(gguf_tokenizer(io::GGUFReader(p)).tokenizer));
    } catch (const UnsupportedError&) {
      if (!a.prompt.empty()) throw;
    }
  } else if (!std::filesystem::is_regular_file(src.path)) {
    // The model folder's / repo's own tokenizer.json, when it has one.
    if (auto f = find_tokenizer_file(src)) tok.emplace(Tokenizer::from_file(*f));
  }
  Tensor ids, mask;
  if (!a.prompt.empty()) {
    if (!tok) throw ValueError("generate: --prompt needs a tokenizer (--tokenizer, or tokenizer.json in the model folder)");
    const Encoding enc = tok->encode(a.prompt, {.add_special_tokens = true});
    std::vector<int64_t> v(enc.ids.begin(), enc.ids.end());
    if (v.empty()) throw ValueError("generate: --prompt encodes to no tokens");
    ids = Tensor::from_vector(v, {1, int64_t(v.size())});
  } else {
    ids = parse_ids(a.input_ids, "--input-ids");
    if (!a.attention_mask.empty()) mask = parse_ids(a.attention_mask, "--attention-mask");
    if (mask.defined() && mask.sizes() != ids.sizes())
      throw ShapeError("--attention-mask: expected one value per token of --input-ids (shape " + shape_str(ids.sizes()) +
                       "), found shape " + shape_str(mask.sizes()));
  }
  FromPretrainedOptions fo{
      .gguf_file = gguf_file_for(src, a.gguf_file), .keep_quantized = a.keep_quantized, .hub = src.hub};
  if (a.dtype == "auto") fo.torch_dtype = DTypeArg("auto");
  else if (auto d = parse_dtype_option(a.dtype)) fo.torch_dtype = DTypeArg(*d);
  a.big.apply(fo);
  auto model = AutoModelForCausalLM::from_pretrained(src.path, fo);
  a.big.after_load(*model);

  GenerationOptions o = a.gen;
  if (a.do_sample) o.do_sample = true;
  if (!a.early_stopping.empty()) {
    if (a.early_stopping == "true") o.early_stopping = EarlyStopping::True;
    else if (a.early_stopping == "false") o.early_stopping = EarlyStopping::False;
    else if (a.early_stopping == "never") o.early_stopping = EarlyStopping::Never;
    else throw CLI::ValidationError("--early-stopping", "expected true, false or never, found '" + a.early_stopping + "'");
  }
  if (!a.eos_token_id.empty()) o.eos_token_id = parse_ids(a.eos_token_id, "--eos-token-id").to_vector<int64_t>();
  ops::Generator gen(a.seed.value_or(0));
  if (a.seed) o.generator = &gen;
  o.tokenizer = tok ? &*tok : nullptr;

  // stream when one sequence comes out token by token and there is text to show
  const bool stream = !a.as_json && tok && ids.size(0) == 1 && o.num_beams.value_or(1) == 1 &&
                      o.num_return_sequences.value_or(1) == 1;
  std::optional<StdoutTextStreamer> streamer;
  if (stream) {
    streamer.emplace(*tok);
    o.streamer = &*streamer;
  }
  GenerateOutput out = generate(*model, ids, mask, o);
  const int64_t rows = out.sequences.size(0), len = out.sequences.size(1);
  const auto flat = out.sequences.to_vector<int64_t>();
  std::vector<std::vector<int64_t>> seqs;
  for (int64_t r = 0; r < rows; ++r) seqs.emplace_back(flat.begin() + r * len, flat.begin() + (r + 1) * len);
  if (a.as_json) {
    json j = {{"sequences", seqs}};
    if (tok) {
      json texts = json::array();
      for (const auto& s : seqs) texts.push_back(tok->decode(to_i32(s), {.skip_special_tokens = true}));
      j["text"] = texts;
    }
    print_json(j);
  } else if (!stream) {
    for (const auto& s : seqs) {
      if (tok) {
        std::cout << tok->decode(to_i32(s), {.skip_special_tokens = true}) << "\n";
      } else {
        for (size_t i = 0; i < s.size(); ++i) std::cout << (i ? "," : "") << s[i];
        std::cout << "\n";
      }
    }
  }
  return 0;
}

// (a preprocessor directive cannot sit inside REGISTER_COMMAND's argument)
#define GENERATION_OPTION(name) add_generation_option(app, #name, a->gen.name)
REGISTER_COMMAND("generate", "generate tokens with a causal LM (greedy, sampling, beam search)", [](CLI::App& app) {
  auto a = std::make_shared<GenerateArgs>();
  app.add_option("--model", a->model, "model folder, file or Hub repo id org/name[@revision]")->required();
  app.add_option("--revision", a->revision, "Hub branch, tag, commit or refs/pr/N of a repo id --model");
  app.add_option("--gguf-file", a->gguf_file, "GGUF checkpoint in the folder / repo --model (a PATH.gguf needs none)");
  add_keep_quantized_flag(app, a->keep_quantized);
  app.add_option("--tokenizer", a->tokenizer, "tokenizer folder, tokenizer.json or Hub repo id (default: the model's)");
  app.add_option("--prompt", a->prompt, "prompt text (needs a tokenizer)");
  app.add_option("--input-ids", a->input_ids, "prompt ids, rows separated by ';'");
  app.add_option("--attention-mask", a->attention_mask, "attention mask for --input-ids (0 = left padding)");
  constexpr int64_t kMax = INT64_MAX;
  add_length_and_sampling_flags(app, a->gen, a->do_sample);
  GENERATION_OPTION(num_beams)->check(IntRange(1, kMax));
  app.add_option("--early-stopping", a->early_stopping, "true, false or never");
  GENERATION_OPTION(length_penalty);
  GENERATION_OPTION(num_return_sequences)->check(IntRange(1, kMax));
  add_penalty_flags(app, a->gen);
  app.add_option("--eos-token-id", a->eos_token_id, "eos id, or comma-separated ids");
  app.add_option("--seed", a->seed, "seed of the sampling generator")->check(SeedRange());
  app.add_option("--threads", a->threads)->check(ThreadsRange());
  app.add_flag("--json", a->as_json, "print one JSON document");
  app.add_option("--dtype", a->dtype, "auto, float32, float16, bfloat16, float64 or int8")->capture_default_str();
  a->big.add_to(app);
  return [a] { return run_generate(*a); };
});
#undef GENERATION_OPTION

}  // namespace
}  // namespace transformers::cli
