// transformers-cli decode: ids -> text (docs/CLI.md). Exact text, no newline added in --json.
#include <iostream>

#include "cli_common.hpp"
#include "tokenizer_path.hpp"

namespace transformers::cli {
namespace {

REGISTER_COMMAND("decode", "decode IDS with a tokenizer.json", [](CLI::App& app) {
  auto path = std::make_shared<std::string>();
  auto revision = std::make_shared<std::string>();
  auto ids_text = std::make_shared<std::string>();
  auto skip = std::make_shared<bool>(false);
  auto as_json = std::make_shared<bool>(false);
  app.add_option("--tokenizer", *path, "tokenizer folder, tokenizer.json file or Hub repo id org/name[@revision]")->required();
  app.add_option("--revision", *revision, "Hub branch, tag, commit or refs/pr/N of a repo id --tokenizer");
  app.add_option("--ids", *ids_text, "comma-separated token ids")->required();
  app.add_flag("--skip-special-tokens", *skip, "leave special tokens out");
  app.add_flag("--json", *as_json, "print one JSON document");
  return [=] {
    Tokenizer tok = load_tokenizer(*path, *revision);
    Tensor ids = parse_ids(*ids_text, "--ids");
    if (ids.size(0) != 1) throw ValueError("--ids: expected one row of ids, found " + std::to_string(ids.size(0)));
    std::vector<int32_t> v;
    for (int64_t id : ids.to_vector<int64_t>()) v.push_back(int32_t(id));
    const std::string text = tok.decode(v, {.skip_special_tokens = *skip});
    if (*as_json) print_json({{"text", text}});
    else std::cout << text << "\n";
    return 0;
  };
});

}  // namespace
}  // namespace transformers::cli
