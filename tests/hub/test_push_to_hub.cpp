// push_to_hub of the tiny GPT-2 fixture to the test Hub: sharded and not, download gives the files a
// local save_pretrained writes; a second push uploads nothing; a changed weight uploads only the
// shards that changed; create_pr, branches, private repos, model card tags, default messages.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "hub_server/fake_hub.hpp"
#include "hub_test_util.hpp"
#include "transformers/hub/push_to_hub.hpp"
#include "transformers/modeling/auto.hpp"
#include "transformers/tokenizers/auto_tokenizer.hpp"

namespace {

namespace fs = std::filesystem;
namespace hub = transformers::hub;
using nlohmann::json;
using transformers::AutoModelForCausalLM;
using transformers::testing::FakeHub;
using transformers::testing::HubEnv;
using transformers::testing::read_file;

const std::string kToken = "hf_push_token";

std::string gpt2_dir() { return std::string(TRANSFORMERS_FIXTURES_DIR) + "/hf/models/gpt2/model"; }

std::map<std::string, std::string> folder_files(const std::string& dir) {
  std::map<std::string, std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file()) out[e.path().lexically_relative(dir).generic_string()] = read_file(e.path().string());
  return out;
}

// The commit bodies the server received: key and path of every NDJSON line, and the summary.
struct CommitSeen {
  std::string summary, target;
  std::vector<std::pair<std::string, std::string>> entries;  // (key, path)
};
std::vector<CommitSeen> commits(const FakeHub& fake) {
  std::vector<CommitSeen> out;
  for (const auto& l : fake.log()) {
    if (l.req.method != "POST" || l.req.target.find("/commit/") == std::string::npos) continue;
    CommitSeen c;
    c.target = l.req.target;
    std::istringstream in(l.req.body);
    for (std::string line; std::getline(in, line);) {
      if (line.empty()) continue;
      json j = json::parse(line);
      if (j["key"] == "header") c.summary = j["value"]["summary"];
      else c.entries.emplace_back(j["key"], j["value"]["path"]);
    }
    out.push_back(c);
  }
  return out;
}

// Changes one weight (a fresh copy: loaded weights are read-only file mappings); returns its name.
std::string bump_one_weight(transformers::PreTrainedModel& m) {
  std::string name;
  for (const auto& [n, _] : m.named_parameters())
    if (n.rfind("lm_head", 0) != 0) name = n;  // the last one that is not tied to the embeddings
  transformers::Tensor* p = m.find_parameter(name);
  *p = p->clone();
  p->data<float>()[0] += 1.0f;
  return name;
}

class PushToHub : public ::testing::Test {
 protected:
  HubEnv env;
  FakeHub fake;
  std::shared_ptr<transformers::PreTrainedModel> model = AutoModelForCausalLM::from_pretrained(gpt2_dir());
  void SetUp() override { fake.set_write_token(kToken); }
  hub::PushToHubOptions opts() {
    hub::PushToHubOptions o;
    o.token = kToken;
    o.endpoint = fake.endpoint();
    o.cache_dir = env.cache();
    return o;
  }
  hub::HubOptions dl(const std::string& cache_sub = "dl") {
    return {.cache_dir = env.dir + "/" + cache_sub, .token = kToken, .endpoint = fake.endpoint()};
  }
  // What save_pretrained writes locally with the same options.
  std::map<std::string, std::string> local_save(const hub::PushToHubOptions& o, const std::string& sub) {
    std::string d = env.dir + "/" + sub;
    transformers::SavePretrainedOptions so;
    so.max_shard_size = o.max_shard_size;
    so.safe_serialization = o.safe_serialization;
    model->save_pretrained(d, so);
    return folder_files(d);
  }
  // Every saved file downloaded through our client equals the local save, byte for byte.
  void expect_download_equals(const std::string& repo, const std::map<std::string, std::string>& local,
                              const std::string& cache_sub, const std::string& revision = "main") {
    auto o = dl(cache_sub);
    o.revision = revision;
    auto r = hub::download_repo(repo, o);
    std::vector<std::string> got = r.files, want;
    for (const auto& [p, _] : local) want.push_back(p);
    std::sort(got.begin(), got.end());
    EXPECT_EQ(got, want);
    for (const auto& [p, bytes] : local) EXPECT_EQ(read_file(r.snapshot_dir + "/" + p), bytes) << p;
  }
};

TEST_F(PushToHub, UnshardedThenDownloadGivesIdenticalFiles) {
  auto info = hub::push_to_hub(*model, "me/tiny-gpt2", opts());
  EXPECT_FALSE(info.skipped);
  EXPECT_EQ(info.lfs_uploaded, std::vector<std::string>{"model.safetensors"});
  auto local = local_save(opts(), "local");
  ASSERT_EQ(local.count("model.safetensors"), 1u);
  expect_download_equals("me/tiny-gpt2", local, "dl1");
  auto files = fake.files_at("me/tiny-gpt2", "main");
  for (const auto& [p, bytes] : local) EXPECT_EQ(files.at(p), bytes) << p;
  auto seen = commits(fake);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].summary, "Upload model");  // GPT2LMHeadModel contains "Model"
  EXPECT_TRUE(std::count(seen[0].entries.begin(), seen[0].entries.end(), std::make_pair(std::string("lfsFile"), std::string("model.safetensors"))));
  EXPECT_TRUE(std::count(seen[0].entries.begin(), seen[0].entries.end(), std::make_pair(std::string("file"), std::string("config.json"))));
  // README.md model card: front matter with library_name and tags.
  std::string card = files.at("README.md");
  EXPECT_EQ(card.rfind("---\nlibrary_name: transformers\ntags: []\n---\n", 0), 0u) << card;
}

TEST_F(PushToHub, ShardedThenDownloadGivesIdenticalFilesAndSecondPushUploadsNothing) {
  auto o = opts();
  o.max_shard_size = std::string("30KB");
  o.tags = {"tiny", "test"};
  hub::push_to_hub(*model, "me/sharded", o);
  auto local = local_save(o, "local");
  ASSERT_EQ(local.count("model.safetensors.index.json"), 1u);
  ASSERT_GE(local.size(), 5u);  // config, generation config, index, >= 2 shards
  expect_download_equals("me/sharded", local, "dl1");
  std::string card = fake.files_at("me/sharded", "main").at("README.md");
  EXPECT_NE(card.find("tags:\n- tiny\n- test\n"), std::string::npos) << card;

  // Nothing changed: no LFS batch, no PUT, no commit (hence no file entry), main unchanged.
  std::string head = fake.head("me/sharded");
  fake.clear_log();
  auto again = hub::push_to_hub(*model, "me/sharded", o);
  EXPECT_TRUE(again.skipped);
  EXPECT_EQ(fake.count_path("/objects/batch"), 0);
  EXPECT_EQ(fake.count("cdn", "PUT"), 0);
  EXPECT_EQ(fake.count_path("/commit/"), 0);
  EXPECT_EQ(fake.head("me/sharded"), head);
  EXPECT_EQ(fake.count_path("/preupload/", "POST"), 1);

  // One weight changed: only the shard holding it and the index may be sent (the index is
  // byte-identical here since names and sizes are unchanged, so only the shard).
  std::string name = bump_one_weight(*model);
  auto changed = local_save(o, "local2");
  std::vector<std::string> differing;
  for (const auto& [p, bytes] : changed)
    if (local.at(p) != bytes) differing.push_back(p);
  ASSERT_EQ(differing.size(), 1u) << "exactly one shard holds " << name;
  fake.clear_log();
  auto third = hub::push_to_hub(*model, "me/sharded", o);
  EXPECT_EQ(third.committed, differing);
  EXPECT_EQ(third.lfs_uploaded, differing);
  EXPECT_EQ(fake.count("cdn", "PUT"), 1);
  expect_download_equals("me/sharded", changed, "dl2");
}

TEST_F(PushToHub, CreatePrLeavesMainAndOpensRefsPr) {
  hub::push_to_hub(*model, "me/pr", opts());
  std::string main_head = fake.head("me/pr");
  bump_one_weight(*model);
  auto o = opts();
  o.create_pr = true;
  o.commit_message = "Try a change";
  o.commit_description = "a PR";
  auto info = hub::push_to_hub(*model, "me/pr", o);
  EXPECT_EQ(info.pr_revision, "refs/pr/1");
  EXPECT_EQ(fake.head("me/pr"), main_head);
  auto seen = commits(fake);
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[1].summary, "Try a change");
  EXPECT_NE(seen[1].target.find("?create_pr=1"), std::string::npos);
  expect_download_equals("me/pr", local_save(o, "local"), "dl1", "refs/pr/1");
}

TEST_F(PushToHub, RevisionCreatesTheBranch) {
  hub::push_to_hub(*model, "me/branchy", opts());
  std::string main_head = fake.head("me/branchy");
  bump_one_weight(*model);
  auto o = opts();
  o.revision = "dev";
  hub::push_to_hub(*model, "me/branchy", o);
  EXPECT_EQ(fake.head("me/branchy"), main_head);
  EXPECT_NE(fake.head("me/branchy", "dev"), "");
  EXPECT_NE(fake.head("me/branchy", "dev"), main_head);
  expect_download_equals("me/branchy", local_save(o, "local"), "dl1", "dev");
}

TEST_F(PushToHub, PrivateRepoWithToken) {
  auto o = opts();
  o.private_repo = true;
  hub::push_to_hub(*model, "me/secret", o);
  EXPECT_TRUE(fake.is_private("me/secret"));
  auto anon = dl("anon");
  anon.token = "";
  EXPECT_THROW(hub::download_repo("me/secret", anon), hub::RepositoryNotFoundError);
  expect_download_equals("me/secret", local_save(o, "local"), "dl1");
}

TEST_F(PushToHub, ErrorsAreTyped) {
  auto o = opts();
  o.token = "hf_not_it";
  try {
    hub::push_to_hub(*model, "me/x", o);
    FAIL();
  } catch (const hub::HfHubHTTPError& e) {
    EXPECT_EQ(e.status, 401);
  }
  EXPECT_FALSE(fake.repo_exists("me/x"));
  EXPECT_THROW(hub::push_to_hub(*model, "not a valid id!", opts()), transformers::ValueError);
}

TEST_F(PushToHub, ExistingModelCardKeepsItsTextAndGainsTags) {
  hub::create_repo("me/carded", {.hub = {.token = kToken, .endpoint = fake.endpoint()}});
  hub::create_commit("me/carded", {{"README.md", "", std::string("---\nlicense: mit\ntags:\n- mine\n---\n# Mine\n")}}, {},
                     {.commit_message = "card", .hub = {.token = kToken, .endpoint = fake.endpoint()}});
  auto o = opts();
  o.tags = {"mine", "added"};
  hub::push_to_hub(*model, "me/carded", o);
  EXPECT_EQ(fake.files_at("me/carded", "main").at("README.md"), "---\nlicense: mit\ntags:\n- mine\n- added\n---\n# Mine\n");
}

TEST(PushToHubHelpers, DefaultCommitMessagesAndTags) {
  EXPECT_EQ(hub::default_commit_message("BertForMaskedLM"), "Upload BertForMaskedLM");
  EXPECT_EQ(hub::default_commit_message("GPT2LMHeadModel"), "Upload model");
  EXPECT_EQ(hub::default_commit_message("BertConfig"), "Upload config");
  EXPECT_EQ(hub::default_commit_message("BertTokenizerFast"), "Upload tokenizer");
  EXPECT_EQ(hub::default_commit_message("ViTFeatureExtractor"), "Upload feature extractor");
  EXPECT_EQ(hub::default_commit_message("CLIPProcessor"), "Upload processor");
  EXPECT_EQ(hub::add_tags_to_card("---\nlibrary_name: transformers\ntags: []\n---\nx", {"a"}),
            "---\nlibrary_name: transformers\ntags:\n- a\n---\nx");
  EXPECT_EQ(hub::add_tags_to_card("# no front matter\n", {"a"}), "---\ntags:\n- a\n---\n# no front matter\n");
  EXPECT_EQ(hub::add_tags_to_card("---\nlicense: mit\n---\nx", {}), "---\nlicense: mit\n---\nx");  // no tags: untouched
  EXPECT_EQ(hub::add_tags_to_card("---\nlicense: mit\n---\nx", {"b"}), "---\nlicense: mit\ntags:\n- b\n---\nx");
}

}  // namespace

namespace {

// transformers 4.51's own push_to_hub of the same fixture against the same server (oracle
// tests/oracle/hub_upload_oracle.py, "transformers_push"): same commit message, same files with the
// same NDJSON keys and LFS sizes, same card front matter, and a second push that commits nothing.
TEST(PushToHubOracle, SameCommitAsTransformersPushToHub) {
  json want = json::parse(read_file(std::string(TRANSFORMERS_TEST_DATA_DIR) + "/hub/upload_oracle.json"));
  const json& py = want["transformers_push"];
  HubEnv env;
  FakeHub fake;
  fake.set_write_token("hf_oracle_write_token");
  auto model = AutoModelForCausalLM::from_pretrained(gpt2_dir());
  hub::PushToHubOptions o;
  o.token = "hf_oracle_write_token";
  o.endpoint = fake.endpoint();
  o.cache_dir = env.cache();
  o.max_shard_size = std::string("30KB");
  o.tags = {"tiny"};
  hub::push_to_hub(*model, "oracle-org/tf-push", o);
  auto lines_of = [&]() {
    json lines = json::array();
    for (const auto& l : fake.log()) {
      if (l.req.method != "POST" || l.req.target.find("/commit/") == std::string::npos) continue;
      std::istringstream in(l.req.body);
      for (std::string line; std::getline(in, line);) {
        if (line.empty()) continue;
        json j = json::parse(line), v = j["value"], e{{"key", j["key"]}};
        for (const char* k : {"path", "summary", "size"})
          if (v.contains(k)) e[k] = v[k];
        lines.push_back(e);
      }
    }
    std::sort(lines.begin(), lines.end(), [](const json& a, const json& b) { return a.dump() < b.dump(); });
    return lines;
  };
  json expected = py["first"]["commit_lines"];
  std::sort(expected.begin(), expected.end(), [](const json& a, const json& b) { return a.dump() < b.dump(); });
  EXPECT_EQ(lines_of(), expected);
  EXPECT_EQ(fake.count("cdn", "PUT"), py["first"]["puts"].get<int>());
  auto files = fake.files_at("oracle-org/tf-push", "main");
  json names = json::array();
  for (const auto& [p, _] : files) names.push_back(p);
  EXPECT_EQ(names, want["results"]["transformers_push"]["files"]);
  std::string card = files.at("README.md");
  std::string front = want["results"]["transformers_push"]["card_front_matter"];
  EXPECT_EQ(card.substr(0, front.size()), front);

  fake.clear_log();
  auto again = hub::push_to_hub(*model, "oracle-org/tf-push", o);
  EXPECT_TRUE(again.skipped);
  EXPECT_EQ(fake.count_path("/commit/"), py["second"]["commits"].get<int>());
  EXPECT_EQ(fake.count("cdn", "PUT"), py["second"]["puts"].get<int>());
  // transformers/huggingface_hub still ask the LFS batch API (it answers "already stored"); we skip it.
  EXPECT_EQ(py["second"]["lfs_batches"].get<int>(), 1);
  EXPECT_EQ(fake.count_path("/objects/batch"), 0);
}

}  // namespace

// Issue 18 item 12: save_pretrained(push_to_hub), add_model_tags and push_to_hub of a config all go
// through the one PushToHubMixin implementation (hub::push_saved_to_hub / push_folder_to_hub).
namespace {

TEST_F(PushToHub, SavePretrainedWithPushToHubUploadsWhatItWrote) {
  const std::string dir = env.dir + "/saved";
  fs::create_directories(dir);
  std::ofstream(dir + "/notes.txt") << "an unrelated file the save did not write";
  model->add_model_tags({"from-save"});
  transformers::SavePretrainedOptions so;
  so.push_to_hub = true;
  so.repo_id = "me/saved-and-pushed";
  so.token = kToken;
  so.push_options = opts();
  model->save_pretrained(dir, so);
  // README.md (the tagged card) is written into the folder, as 4.51 does
  ASSERT_TRUE(fs::exists(dir + "/README.md"));
  EXPECT_NE(read_file(dir + "/README.md").find("tags:\n- from-save\n"), std::string::npos) << read_file(dir + "/README.md");
  auto remote = fake.files_at("me/saved-and-pushed", "main");
  auto local = folder_files(dir);
  local.erase("notes.txt");  // not written by this save, so not uploaded
  std::vector<std::string> remote_names, local_names;
  for (const auto& [p, b] : remote)
    if (p != ".gitattributes") remote_names.push_back(p);
  for (const auto& [p, b] : local) local_names.push_back(p);
  EXPECT_EQ(remote_names, local_names);
  for (const auto& [p, bytes] : local) EXPECT_EQ(remote.at(p), bytes) << p;
  auto seen = commits(fake);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].summary, "Upload model");
}

TEST_F(PushToHub, ModelTagsReachTheCard) {
  model->add_model_tags({"alpha", "beta"});
  model->add_model_tags({"beta", "gamma"});  // present tags are not repeated
  EXPECT_EQ(model->model_tags(), (std::vector<std::string>{"alpha", "beta", "gamma"}));
  auto o = opts();
  o.tags = {"gamma", "delta"};
  hub::push_to_hub(*model, "me/tagged", o);
  std::string card = fake.files_at("me/tagged", "main").at("README.md");
  EXPECT_NE(card.find("tags:\n- alpha\n- beta\n- gamma\n- delta\n"), std::string::npos) << card;
}

TEST_F(PushToHub, ConfigPushUploadsConfigJsonAndACard) {
  hub::push_to_hub(model->config(), "me/config-only", opts());
  auto remote = fake.files_at("me/config-only", "main");
  const std::string local = env.dir + "/config-local";
  model->config().save_pretrained(local);
  EXPECT_EQ(remote.at("config.json"), read_file(local + "/config.json"));
  EXPECT_EQ(remote.count("README.md"), 1u);
  EXPECT_EQ(remote.count("model.safetensors"), 0u);
  auto seen = commits(fake);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].summary, "Upload config");  // GPT2Config
}

TEST_F(PushToHub, TokenizerPushUploadsItsThreeFiles) {
  auto tok = transformers::AutoTokenizer::from_pretrained(std::string(TRANSFORMERS_FIXTURES_DIR) + "/hf/tokenizers/gpt2_bpe");
  hub::push_to_hub(tok, "me/tokenizer-only", opts());
  auto remote = fake.files_at("me/tokenizer-only", "main");
  const std::string local = env.dir + "/tok-local";
  tok.save_pretrained(local);
  for (const char* f : {"tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"})
    EXPECT_EQ(remote.at(f), read_file(local + "/" + f)) << f;
  EXPECT_EQ(remote.count("README.md"), 1u);
  auto seen = commits(fake);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].summary, "Upload tokenizer");  // PreTrainedTokenizerFast
}

}  // namespace
