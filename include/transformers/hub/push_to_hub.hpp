#pragma once
// transformers' PushToHubMixin.push_to_hub for models (spec hf-modeling.md §7.5-7.6): create the repo
// (exist_ok), make or tag the model card README.md, save_pretrained into a temporary folder, then one
// commit holding only the files that differ from the remote ones. Lives in the hub layer (above
// modeling), so modeling never depends on upload code.
//
//   hub::push_to_hub(*model, "me/tiny-gpt2", {.token = "hf_...", .max_shard_size = std::string("200KB")});
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "transformers/hub/hf_api.hpp"

namespace transformers {
class PreTrainedModel;
class PretrainedConfig;
class PreTrainedTokenizerFast;
}

namespace transformers::hub {

struct PushToHubOptions {
  std::string commit_message;                // empty: default_commit_message(class name)
  std::optional<bool> private_repo;          // Python `private`; only used when the repo is created
  std::optional<std::string> token;          // nullopt: implicit (HF_TOKEN, token file)
  std::variant<std::int64_t, std::string> max_shard_size = std::string("5GB");
  bool create_pr = false;
  bool safe_serialization = true;
  std::string revision;                      // branch to push to (created from main if missing); empty: main
  std::string commit_description;
  std::vector<std::string> tags;             // added to the model card's `tags`
  std::string endpoint;                      // empty: HF_ENDPOINT or https://huggingface.co
  std::map<std::string, std::string> proxies;
  std::string cache_dir;                     // where the existing README.md is downloaded (default cache)
  // Only these top-level names of the folder are uploaded (save_pretrained(push_to_hub) passes what
  // it wrote, as _upload_modified_files keeps the files modified by the save); empty: all.
  std::vector<std::string> files;
};

// "Upload model" (name contains "Model"), "Upload config", "Upload tokenizer", "Upload feature
// extractor", "Upload processor", else "Upload <name>" — the first match in transformers 4.51's order.
std::string default_commit_message(const std::string& class_name);

// create_and_tag_model_card: the repo's README.md when it exists (downloaded), else a new card whose
// YAML front matter is `library_name: transformers` and `tags: [...]`; missing tags are appended.
std::string create_and_tag_model_card(const std::string& repo_id, const std::vector<std::string>& tags,
                                      const HubOptions& opts = {});
// Appends the missing `tags` to a card's YAML front matter (adds the front matter if absent).
std::string add_tags_to_card(const std::string& card, const std::vector<std::string>& tags);

// The upload half of push_to_hub: create_repo(exist_ok), the branch when `revision` is set, README.md
// (the folder's own when it has one, else create_and_tag_model_card), and one create_commit of the
// folder's top-level files and the files one level inside its sub-folders (transformers'
// _upload_modified_files). Unchanged files are not uploaded; if nothing changed no commit is made.
CommitInfo push_folder_to_hub(const std::string& folder, const std::string& repo_id, const PushToHubOptions& opts,
                              const std::string& class_name = "");

// PushToHubMixin.push_to_hub, the one implementation behind every push_to_hub below: `save` writes
// the object into a temporary folder, which push_folder_to_hub uploads with the default commit
// message of `class_name`.
CommitInfo push_saved_to_hub(const std::function<void(const std::string& folder)>& save, const std::string& class_name,
                             const std::string& repo_id, const PushToHubOptions& opts);

// model.save_pretrained(tmp, {max_shard_size, safe_serialization}) then push_folder_to_hub(tmp, ...);
// the card's tags are the model's model_tags() followed by opts.tags (PreTrainedModel.push_to_hub).
CommitInfo push_to_hub(PreTrainedModel& model, const std::string& repo_id, const PushToHubOptions& opts = {});
// config.save_pretrained(tmp) (config.json) then push_folder_to_hub: "Upload config".
CommitInfo push_to_hub(const PretrainedConfig& config, const std::string& repo_id, const PushToHubOptions& opts = {});
// tokenizer.save_pretrained(tmp) (tokenizer.json, tokenizer_config.json, special_tokens_map.json)
// then push_folder_to_hub: "Upload tokenizer".
CommitInfo push_to_hub(const PreTrainedTokenizerFast& tokenizer, const std::string& repo_id,
                       const PushToHubOptions& opts = {});

}  // namespace transformers::hub
