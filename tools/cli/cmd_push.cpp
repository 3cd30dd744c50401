// transformers-cli push: upload a saved model folder to a Hub repo as transformers' push_to_hub does
// (create the repo if needed, model card README.md with tags, one commit of the new or changed
// files only). With --max-shard-size, or when DIR is a Hub repo id (org/name[@revision]), the model
// is loaded and saved again (re-sharded) before the upload.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli_common.hpp"
#include "model_options.hpp"
#include "transformers/hub/push_to_hub.hpp"
#include "transformers/io/json_file.hpp"

namespace transformers::cli {
namespace {

// config.architectures[0] of a saved folder ("" when absent): names the default commit message.
std::string architecture_of(const std::string& dir) {
  const auto file = std::filesystem::path(dir) / "config.json";
  std::error_code ec;
  if (!std::filesystem::exists(file, ec)) return "";
  try {
    auto j = io::read_json_file(file, {.what = "config file", .max_bytes = io::kConfigJsonMaxBytes});
    if (j.is_object() && j.contains("architectures") && j["architectures"].is_array() && !j["architectures"].empty() &&
        j["architectures"][0].is_string())
      return j["architectures"][0].get<std::string>();
  } catch (const Error&) {
    // an unreadable config only loses the default commit message; the upload reports the file
  }
  return "";
}

REGISTER_COMMAND("push", "upload a saved model folder to a Hub repo (only new or changed files)", [](CLI::App& app) {
  auto dir = std::make_shared<std::string>();
  auto repo_id = std::make_shared<std::string>();
  auto message = std::make_shared<std::string>();
  auto description = std::make_shared<std::string>();
  auto is_private = std::make_shared<bool>(false);
  auto token = std::make_shared<std::string>();
  auto create_pr = std::make_shared<bool>(false);
  auto revision = std::make_shared<std::string>();
  auto max_shard = std::make_shared<std::string>();
  auto tags = std::make_shared<std::vector<std::string>>();
  auto endpoint = std::make_shared<std::string>();
  auto no_safe = std::make_shared<bool>(false);
  auto as_json = std::make_shared<bool>(false);
  app.add_option("dir", *dir, "saved model folder (or Hub repo id org/name[@revision] to copy from)")->required();
  app.add_option("--repo-id", *repo_id, "target repo, org/name")->required();
  app.add_option("--commit-message", *message, "default: \"Upload model\" (from config.architectures)");
  app.add_option("--commit-description", *description, "commit description");
  app.add_flag("--private", *is_private, "create the repo as private (only when it does not exist yet)");
  app.add_option("--token", *token, "access token (default: HF_TOKEN or the token file)");
  app.add_flag("--create-pr", *create_pr, "open a pull request instead of committing to the branch");
  app.add_option("--revision", *revision, "branch to push to (created from main when missing)");
  app.add_option("--max-shard-size", *max_shard, "re-save the model with this shard size first (e.g. 200MB)");
  app.add_option("--tags", *tags, "model card tags")->delimiter(',');
  app.add_option("--endpoint", *endpoint, "Hub URL (default: HF_ENDPOINT or https://huggingface.co)");
  app.add_flag("--no-safe-serialization", *no_safe, "with --max-shard-size: write pytorch_model.bin instead of safetensors");
  app.add_flag("--json", *as_json, "print one JSON document");
  return [=] {
    hub::PushToHubOptions o;
    o.commit_message = *message;
    o.commit_description = *description;
    if (*is_private) o.private_repo = true;
    if (!token->empty()) o.token = *token;
    o.create_pr = *create_pr;
    o.revision = *revision;
    o.tags = *tags;
    o.endpoint = *endpoint;
    o.safe_serialization = !*no_safe;
    if (!max_shard->empty()) o.max_shard_size = *max_shard;
    hub::CommitInfo info;
    bool local = std::filesystem::is_directory(*dir);
    if (local && max_shard->empty()) {
      info = hub::push_folder_to_hub(*dir, *repo_id, o, architecture_of(*dir));
    } else {
      ModelArgs args;
      args.dtype = "auto";  // keep the checkpoint's dtype when saving again
      args.model = *dir;  // a folder, or org/name[@revision]
      FromPretrainedOptions fo = args.options();
      if (!local && !token->empty()) fo.hub.token = *token;
      auto model = from_pretrained_class("", args.source().path, fo);
      info = hub::push_to_hub(*model, *repo_id, o);
    }
    if (*as_json) {
      print_json({{"repo_id", *repo_id}, {"skipped", info.skipped}, {"commit_oid", info.oid}, {"commit_url", info.commit_url},
                  {"pr_revision", info.pr_revision}, {"committed", info.committed}, {"unchanged", info.unchanged},
                  {"lfs_uploaded", info.lfs_uploaded}});
    } else if (info.skipped) {
      std::cout << "nothing to push: every file is unchanged on " << *repo_id << "\n";
    } else {
      std::cout << (info.pr_url.empty() ? info.commit_url : info.pr_url) << "\n";
    }
    return 0;
  };
});

}  // namespace
}  // namespace transformers::cli
