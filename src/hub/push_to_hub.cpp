// push_to_hub for models and for a saved folder (the CLI's `push`): repo, model card, one commit.
#include "transformers/hub/push_to_hub.hpp"

#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "transformers/modeling/modeling_utils.hpp"
#include "transformers/tokenizers/auto_tokenizer.hpp"

namespace fs = std::filesystem;

namespace transformers::hub {
namespace {

HubOptions hub_options(const PushToHubOptions& o) {
  HubOptions h;
  h.token = o.token;
  h.endpoint = o.endpoint;
  h.proxies = o.proxies;
  h.cache_dir = o.cache_dir;
  return h;
}

std::string read_text(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// A temporary folder removed on scope exit (also when save or upload throws).
struct TempDir {
  TempDir() {
    std::string base = (fs::temp_directory_path() / "transformers-push-XXXXXX").string();
    if (::mkdtemp(base.data()) == nullptr) throw EnvironmentError("push_to_hub: cannot create a temporary folder " + base);
    path = base;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string path;
};

const char* kModelDescription =
    "This is the model card of a \xF0\x9F\xA4\x97 transformers model that has been pushed on the Hub. This model card "
    "has been automatically generated.";

}  // namespace

std::string default_commit_message(const std::string& name) {
  auto has = [&](const char* s) { return name.find(s) != std::string::npos; };
  if (has("Model")) return "Upload model";
  if (has("Config")) return "Upload config";
  if (has("Tokenizer")) return "Upload tokenizer";
  if (has("FeatureExtractor")) return "Upload feature extractor";
  if (has("Processor")) return "Upload processor";
  return "Upload " + name;
}

std::string add_tags_to_card(const std::string& card, const std::vector<std::string>& tags) {
  if (tags.empty()) return card;  // transformers only touches the card when tags are given
  std::string yaml, rest;
  if (card.rfind("---\n", 0) == 0) {
    size_t end = card.find("\n---", 3);
    if (end != std::string::npos) {
      yaml = card.substr(4, end - 4 + 1);  // keeps its last '\n'
      rest = card.substr(end + 1);         // "---\n..." onwards
    }
  }
  if (yaml.empty() && rest.empty()) {
    yaml = "";
    rest = "---\n" + card;
  }
  // Split into lines; find a `tags:` key (flow "[]" or block list) and append what is missing.
  std::vector<std::string> lines;
  {
    std::stringstream ss(yaml);
    for (std::string l; std::getline(ss, l);) lines.push_back(l);
  }
  std::vector<std::string> present;
  size_t tags_line = lines.size(), insert_at = lines.size();
  for (size_t i = 0; i < lines.size(); ++i) {
    if (lines[i].rfind("tags:", 0) != 0) continue;
    tags_line = i;
    std::string v = lines[i].substr(5);
    v.erase(0, v.find_first_not_of(' '));
    if (v == "[]") lines[i] = "tags:";
    insert_at = i + 1;
    while (insert_at < lines.size() && lines[insert_at].rfind("- ", 0) == 0) {
      present.push_back(lines[insert_at].substr(2));
      ++insert_at;
    }
    break;
  }
  std::vector<std::string> add;
  for (const auto& t : tags)
    if (std::find(present.begin(), present.end(), t) == present.end() && std::find(add.begin(), add.end(), t) == add.end())
      add.push_back(t);
  if (tags_line == lines.size()) {
    lines.push_back("tags:");
    insert_at = lines.size();
  }
  for (size_t k = 0; k < add.size(); ++k) lines.insert(lines.begin() + static_cast<long>(insert_at + k), "- " + add[k]);
  std::string out = "---\n";
  for (const auto& l : lines) out += l + "\n";
  return out + rest;
}

std::string create_and_tag_model_card(const std::string& repo_id, const std::vector<std::string>& tags,
                                      const HubOptions& opts) {
  try {
    std::string path = hf_hub_download(repo_id, "README.md", opts);
    return add_tags_to_card(read_text(path), tags);
  } catch (const EntryNotFoundError&) {
  }
  std::string card = "---\nlibrary_name: transformers\ntags: []\n---\n\n# Model Card for " + repo_id + "\n\n" +
                     kModelDescription + "\n";
  return add_tags_to_card(card, tags);
}

CommitInfo push_folder_to_hub(const std::string& folder, const std::string& repo_id, const PushToHubOptions& o,
                              const std::string& class_name) {
  if (!fs::is_directory(folder)) throw FileNotFoundError("push: '" + folder + "' is not a folder");
  HubOptions ho = hub_options(o);
  create_repo(repo_id, {.private_repo = o.private_repo, .exist_ok = true, .hub = ho});
  std::vector<CommitOperationAdd> adds;
  // transformers' _upload_modified_files: top-level files, and files one level inside top-level dirs.
  for (const auto& e : fs::directory_iterator(folder)) {
    std::string name = e.path().filename().string();
    if (name == ".git" || name == ".cache") continue;
    if (!o.files.empty() && std::find(o.files.begin(), o.files.end(), name) == o.files.end()) continue;
    if (e.is_regular_file()) {
      if (name != "README.md") adds.push_back({name, e.path().string(), std::nullopt});
    } else if (e.is_directory()) {
      for (const auto& s : fs::directory_iterator(e.path()))
        if (s.is_regular_file()) adds.push_back({name + "/" + s.path().filename().string(), s.path().string(), std::nullopt});
    }
  }
  fs::path local_card = fs::path(folder) / "README.md";
  std::string card = fs::is_regular_file(local_card) ? add_tags_to_card(read_text(local_card), o.tags)
                                                     : create_and_tag_model_card(repo_id, o.tags, ho);
  adds.push_back({"README.md", "", card});
  std::sort(adds.begin(), adds.end(), [](const auto& a, const auto& b) { return a.path_in_repo < b.path_in_repo; });
  std::string revision = o.revision.empty() ? "main" : o.revision;
  if (!o.revision.empty() && o.revision.rfind("refs/pr", 0) != 0) {
    try {
      create_branch(repo_id, o.revision, ho, "", /*exist_ok=*/true);
    } catch (const HfHubHTTPError& e) {
      if (!(o.create_pr && e.status == 403)) throw;  // a PR may target a branch we cannot create
    }
  }
  CommitOptions co;
  co.commit_message = o.commit_message.empty() ? default_commit_message(class_name.empty() ? "Model" : class_name)
                                               : o.commit_message;
  co.commit_description = o.commit_description;
  co.revision = revision;
  co.create_pr = o.create_pr;
  co.hub = ho;
  return create_commit(repo_id, adds, {}, co);
}

CommitInfo push_saved_to_hub(const std::function<void(const std::string& folder)>& save, const std::string& class_name,
                             const std::string& repo_id, const PushToHubOptions& o) {
  validate_repo_id(repo_id);
  TempDir tmp;
  save(tmp.path);
  return push_folder_to_hub(tmp.path, repo_id, o, class_name);
}

CommitInfo push_to_hub(PreTrainedModel& model, const std::string& repo_id, const PushToHubOptions& o) {
  PushToHubOptions with_tags = o;
  with_tags.tags = model.model_tags();
  for (const auto& t : o.tags)
    if (std::find(with_tags.tags.begin(), with_tags.tags.end(), t) == with_tags.tags.end()) with_tags.tags.push_back(t);
  return push_saved_to_hub(
      [&](const std::string& dir) {
        model.save_pretrained(dir, {.max_shard_size = o.max_shard_size, .safe_serialization = o.safe_serialization});
      },
      model.name(), repo_id, with_tags);
}

CommitInfo push_to_hub(const PretrainedConfig& config, const std::string& repo_id, const PushToHubOptions& o) {
  const std::string class_name = config.class_info() ? config.class_info()->class_name : "PretrainedConfig";
  return push_saved_to_hub([&](const std::string& dir) { config.save_pretrained(dir); }, class_name, repo_id, o);
}

CommitInfo push_to_hub(const PreTrainedTokenizerFast& tokenizer, const std::string& repo_id, const PushToHubOptions& o) {
  return push_saved_to_hub([&](const std::string& dir) { tokenizer.save_pretrained(dir); }, tokenizer.class_name(),
                           repo_id, o);
}

}  // namespace transformers::hub
