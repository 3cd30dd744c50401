// transformers-cli download: fetch a Hub repo's model files into the cache shared with Python's
// huggingface_hub (config, tokenizer files, then the weights: index first, then the shards).
#include <iostream>

#include "cli_common.hpp"
#include "source_path.hpp"
#include "transformers/hub/hub.hpp"

namespace transformers::cli {
namespace {

REGISTER_COMMAND("download", "download a Hub repo's model files into the Hugging Face cache", [](CLI::App& app) {
  auto repo = std::make_shared<std::string>();
  auto revision = std::make_shared<std::string>();
  auto cache_dir = std::make_shared<std::string>();
  auto token = std::make_shared<std::string>();
  auto as_json = std::make_shared<bool>(false);
  app.add_option("repo", *repo, "repo id, org/name (optionally org/name@revision)")->required();
  app.add_option("--revision", *revision, "branch, tag, commit or refs/pr/N (default: main)");
  app.add_option("--cache-dir", *cache_dir, "cache folder (default: HF_HUB_CACHE or HF_HOME/hub)");
  app.add_option("--token", *token, "access token (default: HF_TOKEN or the token file)");
  app.add_flag("--json", *as_json, "print one JSON document");
  return [=] {
    const Source src = parse_source(*repo, *revision);
    const std::string& id = src.path;
    hub::HubOptions o = src.hub;
    o.cache_dir = *cache_dir;
    if (!token->empty()) o.token = *token;
    std::unique_ptr<ProgressBar> bar;
    std::string current;
    o.progress = [&](const std::string& file, std::uint64_t done, std::uint64_t total) {
      if (file != current) {
        if (bar) bar->finish();
        current = file;
        bar = std::make_unique<ProgressBar>(file, int64_t(total));
      }
      bar->update(int64_t(done));
    };
    hub::DownloadResult r = hub::download_repo(id, o);
    if (bar) bar->finish();
    if (*as_json) {
      print_json({{"repo_id", id}, {"commit_hash", r.commit_hash}, {"snapshot_dir", r.snapshot_dir}, {"files", r.files}});
    } else {
      std::cout << r.snapshot_dir << "\n";
    }
    return 0;
  };
});

}  // namespace
}  // namespace transformers::cli
