// transformers-cli tokenize: text -> ids, tokens and character offsets (docs/CLI.md).
#include <iostream>

#include "cli_common.hpp"
#include "tokenizer_path.hpp"

namespace transformers::cli {
namespace {

REGISTER_COMMAND("tokenize", "encode TEXT with a tokenizer.json: ids, tokens, offsets", [](CLI::App& app) {
  auto path = std::make_shared<std::string>();
  auto revision = std::make_shared<std::string>();
  auto text = std::make_shared<std::string>();
  auto no_special = std::make_shared<bool>(false);
  auto as_json = std::make_shared<bool>(false);
  app.add_option("--tokenizer", *path, "tokenizer folder, tokenizer.json file or Hub repo id org/name[@revision]")->required();
  app.add_option("--revision", *revision, "Hub branch, tag, commit or refs/pr/N of a repo id --tokenizer");
  app.add_option("--text", *text, "text to encode")->required();
  app.add_flag("--no-special-tokens", *no_special, "do not add the template's special tokens");
  app.add_flag("--json", *as_json, "print one JSON document");
  return [=] {
    Tokenizer tok = load_tokenizer(*path, *revision);
    Encoding enc = tok.encode(*text, {.add_special_tokens = !*no_special});
    json offsets = json::array();
    for (auto& [b, e] : enc.offsets) offsets.push_back({b, e});
    if (*as_json) {
      print_json({{"ids", enc.ids}, {"tokens", enc.tokens}, {"offsets", offsets}});
    } else {
      for (size_t i = 0; i < enc.ids.size(); ++i)
        std::cout << enc.ids[i] << "\t" << enc.tokens[i] << "\t" << enc.offsets[i].first << ":"
                  << enc.offsets[i].second << "\n";
    }
    return 0;
  };
});

}  // namespace
}  // namespace transformers::cli
