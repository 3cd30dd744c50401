// transformers-cli prune: prune_heads({layer: [heads]}) then save_pretrained.
#include "model_options.hpp"
#include "transformers/modeling/prune.hpp"

namespace transformers::cli {
namespace {

REGISTER_COMMAND("prune", "prune attention heads and save the model", [](CLI::App& app) {
  auto args = std::make_shared<ModelArgs>();
  args->dtype = "auto";
  auto output = std::make_shared<std::string>();
  auto heads = std::make_shared<std::string>();
  auto as_json = std::make_shared<bool>(false);
  args->add_to(app, /*with_attn=*/false);
  app.add_option("--output", *output, "folder to write")->required();
  app.add_option("--heads", *heads, "JSON {\"layer\": [heads]}, e.g. {\"0\":[0,2],\"1\":[1]}")->required();
  app.add_flag("--json", *as_json, "print {\"pruned_heads\", \"num_parameters\", \"output\"} as JSON");
  return [=] {
    check_output_folder(*output);
    const HeadsToPrune request = parse_heads_to_prune(*heads);  // before loading: bad input fails fast
    auto model = args->load();
    prune_heads(*model, request);
    model->save_pretrained(*output);
    json ph = json::object();
    for (auto& [layer, hs] : model->config().pruned_heads()) ph[std::to_string(layer)] = hs;
    if (*as_json)
      print_json({{"pruned_heads", ph}, {"num_parameters", model->num_parameters()}, {"output", *output}});
    else
      std::printf("pruned %s: config.pruned_heads = %s, %lld parameters; saved to %s\n", model->name().c_str(),
                  ph.dump().c_str(), (long long)model->num_parameters(), output->c_str());
    return 0;
  };
});

}  // namespace
}  // namespace transformers::cli
