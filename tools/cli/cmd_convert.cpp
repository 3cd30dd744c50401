// transformers-cli convert: from_pretrained then save_pretrained with the given layout options.
#include "int_options.hpp"
#include "model_options.hpp"
#include "transformers/modeling/gguf_save.hpp"
#include "transformers/tokenizers/gguf_tokenizer_write.hpp"

namespace transformers::cli {
namespace {

// "30KB", "5GB" or a number of bytes, as save_pretrained's max_shard_size takes them.
std::variant<int64_t, std::string> shard_size_arg(const std::string& s) {
  if (!s.empty() && s.find_first_not_of("0123456789") == std::string::npos) {
    if (auto v = parse_int(s, 0, INT64_MAX)) return *v;
    throw CLI::ValidationError("--max-shard-size", "expected a number of bytes in [0, " + std::to_string(INT64_MAX) +
                                                       "] or a size such as 5GB, found '" + s + "'");
  }
  return s;
}

REGISTER_COMMAND("convert", "load a checkpoint and save it again (dtype, shards, variant, format)", [](CLI::App& app) {
  auto args = std::make_shared<ModelArgs>();
  args->dtype = "auto";
  auto output = std::make_shared<std::string>();
  auto shard = std::make_shared<std::string>();  // unset: 5GB, or 10GB with --format flax (4.51's defaults)
  auto format = std::make_shared<std::string>("safetensors");
  args->add_to(app, /*with_attn=*/false);
  app.add_option("--output", *output, "folder to write")->required();
  app.add_option("--max-shard-size", *shard, "largest shard, e.g. 30KB, 5GB or bytes (default 5GB; flax 10GB)");
  auto quant = std::make_shared<std::string>("f16");
  app.add_option("--format", *format,
                 "safetensors, pytorch, tf (tf_model.h5), flax (flax_model.msgpack) or gguf (--output is then "
                 "the .gguf file)")
      ->check(CLI::IsMember({"safetensors", "pytorch", "tf", "flax", "gguf"}));
  app.add_option("--quant", *quant,
                 "gguf: type of the 2-D weights, or llama-quantize's mix (q2_k, q3_k_s|m|l, q4_k_m, q5_k_m, q6_k)")
      ->capture_default_str()
      ->check(CLI::IsMember({"f32", "f16", "bf16", "q8_0", "q4_0", "q2_k", "q3_k_s", "q3_k_m", "q3_k_l", "q4_k_m", "q5_k_m",
                               "q6_k"}));
  return [=] {
    if (*format == "gguf") {  // one file, llama.cpp's layout (docs/gguf.md)
      auto model = args->load();
      const std::filesystem::path folder = args->source().path;
      const std::string gguf = args->options().gguf_file;
      const int64_t vocab_size = model->config().raw().value("vocab_size", int64_t(0));
      auto tokenizer = [&](io::GGUFWriter& w) {
        // the tokenizer of the source GGUF or of a local checkpoint folder; without one the file still
        // loads (weights and config), and llama.cpp or `generate` then needs a tokenizer from elsewhere
        GGUFTokenizerWritten r{.reason = "--model is not a local checkpoint folder"};
        if (!gguf.empty() && (std::filesystem::is_regular_file(gguf) || std::filesystem::is_directory(folder)))
          r = copy_gguf_tokenizer(w, io::GGUFReader(std::filesystem::is_regular_file(gguf) ? std::filesystem::path(gguf) : folder / gguf));
        else if (gguf.empty() && std::filesystem::is_directory(folder))
          r = add_gguf_tokenizer(w, folder, vocab_size);
        if (!r.written) std::cerr << "note: no tokenizer metadata written: " << r.reason << "\n";
        else if (!r.pre_known)
          std::cerr << "note: pre-tokenizer hash " << r.chkhsh
                    << " is not one llama.cpp's converter names; tokenizer.ggml.pre 'default' written\n";
      };
      save_gguf(*model, *output, {.quant = *quant, .tokenizer_metadata = tokenizer});
      return 0;
    }
    check_output_folder(*output);
    ModelArgs load_args = *args;
    load_args.variant.clear();  // --variant names the saved files; the source is read as it is
    auto model = load_args.load();
    std::optional<std::variant<int64_t, std::string>> max_shard_size;
    if (!shard->empty()) max_shard_size = shard_size_arg(*shard);
    model->save_pretrained(*output, {.max_shard_size = max_shard_size,
                                     .safe_serialization = *format == "safetensors",
                                     .variant = args->variant,
                                     .format = *format == "tf" || *format == "flax" ? *format : std::string("pt")});
    return 0;
  };
});

}  // namespace
}  // namespace transformers::cli
