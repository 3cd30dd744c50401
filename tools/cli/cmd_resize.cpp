// transformers-cli resize: resize_token_embeddings then save_pretrained.
#include "int_options.hpp"
#include "model_options.hpp"
#include "transformers/modeling/resize.hpp"

namespace transformers::cli {
namespace {

REGISTER_COMMAND("resize", "resize the token embeddings (and an untied LM head) and save the model", [](CLI::App& app) {
  auto args = std::make_shared<ModelArgs>();
  args->dtype = "auto";  // keep the checkpoint's dtype unless asked
  auto output = std::make_shared<std::string>();
  auto new_num_tokens = std::make_shared<int64_t>(0);
  auto pad = std::make_shared<int64_t>(0);
  auto no_mean = std::make_shared<bool>(false);
  auto seed = std::make_shared<uint64_t>(0);
  auto as_json = std::make_shared<bool>(false);
  args->add_to(app, /*with_attn=*/false);
  app.add_option("--output", *output, "folder to write")->required();
  app.add_option("--new-num-tokens", *new_num_tokens, "new vocabulary size (rows of the embedding)")
      ->required()
      ->check(IntRange(1, INT64_MAX));
  auto* pad_opt = app.add_option("--pad-to-multiple-of", *pad, "round the size up to a multiple of M")->check(IntRange(1, INT64_MAX));
  app.add_flag("--no-mean-resizing", *no_mean, "initialise new rows with the model's init instead of the old rows' mean");
  auto* seed_opt = app.add_option("--seed", *seed, "seed of the random initialisation of new rows")->check(SeedRange());
  app.add_flag("--json", *as_json, "print {\"vocab_size\", \"output\"} as JSON");
  return [=] {
    auto model = args->load();
    ResizeTokenEmbeddingsOptions o{.new_num_tokens = *new_num_tokens, .mean_resizing = !*no_mean};
    if (pad_opt->count() > 0) o.pad_to_multiple_of = *pad;
    if (seed_opt->count() > 0) o.seed = *seed;
    const int64_t rows = resize_token_embeddings(*model, o).num_embeddings();
    model->save_pretrained(*output);
    if (*as_json)
      print_json({{"vocab_size", rows}, {"output", *output}});
    else
      std::printf("resized %s to %lld token embeddings; saved to %s\n", model->name().c_str(), (long long)rows,
                  output->c_str());
    return 0;
  };
});

}  // namespace
}  // namespace transformers::cli
