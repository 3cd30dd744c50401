// Downloads against the in-process fake Hub (loopback only): cache layout, revisions, offline mode,
// .no_exist markers, resume, redirects and their authorization rules, sha256 check, typed errors.
#include <gtest/gtest.h>

#include <filesystem>

#include "hub_server/fake_hub.hpp"
#include "hub_test_util.hpp"
#include "transformers/hub/hub.hpp"

namespace fs = std::filesystem;
namespace hub = transformers::hub;
using transformers::testing::FakeHub;
using transformers::testing::HubEnv;
using transformers::testing::read_file;
using transformers::testing::ScopedEnv;
using transformers::testing::write_file;

namespace {

std::string big_blob(size_t n, char seed) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 131 + static_cast<size_t>(seed)) & 0xff);
  return s;
}

class HubDownload : public ::testing::Test {
 protected:
  void SetUp() override {
    weights = big_blob(300000, 7);
    commit = fake.commit("org/model", {{"config.json", "{\"model_type\": \"bert\"}"},
                                       {"model.safetensors", weights},
                                       {"sub/dir/nested.txt", "nested"}});
  }
  hub::HubOptions opts() const { return {.cache_dir = env.cache(), .endpoint = fake.endpoint()}; }
  std::string storage() const { return env.cache() + "/models--org--model"; }

  HubEnv env;
  FakeHub fake;
  std::string weights, commit;
};

}  // namespace

TEST_F(HubDownload, WritesHuggingFaceCacheLayout) {
  std::string cfg = hub::hf_hub_download("org/model", "config.json", opts());
  std::string w = hub::hf_hub_download("org/model", "model.safetensors", opts());
  std::string nested = hub::hf_hub_download("org/model", "sub/dir/nested.txt", opts());

  EXPECT_EQ(cfg, storage() + "/snapshots/" + commit + "/config.json");
  EXPECT_EQ(read_file(cfg), "{\"model_type\": \"bert\"}");
  EXPECT_EQ(read_file(w), weights);
  EXPECT_EQ(read_file(storage() + "/refs/main"), commit);  // no trailing newline
  // Regular file: blob named by the git sha1 ETag; LFS file: by the sha256 X-Linked-Etag.
  std::string cfg_etag = hub::git_blob_sha1_hex("{\"model_type\": \"bert\"}");
  std::string w_etag = hub::sha256_hex(weights);
  EXPECT_TRUE(fs::is_symlink(cfg));
  EXPECT_EQ(fs::read_symlink(cfg).string(), "../../blobs/" + cfg_etag);
  EXPECT_EQ(fs::read_symlink(w).string(), "../../blobs/" + w_etag);
  EXPECT_EQ(fs::read_symlink(nested).string(), "../../../../blobs/" + hub::git_blob_sha1_hex("nested"));
  EXPECT_TRUE(fs::is_regular_file(storage() + "/blobs/" + w_etag));
  EXPECT_FALSE(fs::exists(storage() + "/blobs/" + w_etag + ".incomplete"));
  EXPECT_TRUE(fs::exists(env.cache() + "/.locks/models--org--model/" + w_etag + ".lock"));
  EXPECT_TRUE(hub::cached_file_exists("org/model", "model.safetensors", opts()));
}

TEST_F(HubDownload, SecondCallServedFromCacheWithoutGet) {
  hub::hf_hub_download("org/model", "model.safetensors", opts());
  int gets_hub = fake.count("hub", "GET"), gets_cdn = fake.count("cdn", "GET");
  EXPECT_EQ(gets_cdn, 1);
  hub::hf_hub_download("org/model", "model.safetensors", opts());
  EXPECT_EQ(fake.count("hub", "GET"), gets_hub);
  EXPECT_EQ(fake.count("cdn", "GET"), gets_cdn);
  EXPECT_EQ(fake.count("hub", "HEAD"), 2);  // a branch is re-checked with one HEAD
  // A full commit hash whose file is cached needs no request at all.
  fake.clear_log();
  auto o = opts();
  o.revision = commit;
  hub::hf_hub_download("org/model", "model.safetensors", o);
  EXPECT_TRUE(fake.log().empty());
}

TEST_F(HubDownload, ForceDownloadFetchesAgain) {
  hub::hf_hub_download("org/model", "config.json", opts());
  auto o = opts();
  o.force_download = true;
  hub::hf_hub_download("org/model", "config.json", o);
  EXPECT_EQ(fake.count("hub", "GET"), 2);
}

TEST_F(HubDownload, OfflineServesCacheAndNeverConnects) {
  std::string online = hub::hf_hub_download("org/model", "config.json", opts());
  fake.clear_log();
  auto o = opts();
  o.local_files_only = true;
  EXPECT_EQ(hub::hf_hub_download("org/model", "config.json", o), online);
  EXPECT_THROW(hub::hf_hub_download("org/model", "model.safetensors", o), hub::LocalEntryNotFoundError);
  EXPECT_EQ(hub::resolve_file("org/model", "model.safetensors", o), std::nullopt);
  {
    ScopedEnv off("HF_HUB_OFFLINE", "1");
    EXPECT_EQ(hub::resolve_file("org/model", "config.json", opts()), online);
  }
  {
    ScopedEnv off("TRANSFORMERS_OFFLINE", "yes");
    EXPECT_THROW(hub::hf_hub_download("org/model", "model.safetensors", opts()), hub::LocalEntryNotFoundError);
  }
  EXPECT_TRUE(fake.log().empty());
}

TEST_F(HubDownload, RevisionsBranchTagCommitAndPullRequest) {
  std::string c2 = fake.commit("org/model", {{"config.json", "{\"v\": 2}"}}, "main");
  fake.set_ref("org/model", "v1.0", commit);
  fake.set_ref("org/model", "refs/pr/1", c2);

  auto o = opts();
  o.revision = "v1.0";
  std::string tag = hub::hf_hub_download("org/model", "config.json", o);
  EXPECT_EQ(read_file(tag), "{\"model_type\": \"bert\"}");
  EXPECT_EQ(read_file(storage() + "/refs/v1.0"), commit);

  std::string main_file = hub::hf_hub_download("org/model", "config.json", opts());
  EXPECT_EQ(read_file(main_file), "{\"v\": 2}");
  EXPECT_EQ(read_file(storage() + "/refs/main"), c2);

  o.revision = "refs/pr/1";
  hub::hf_hub_download("org/model", "config.json", o);
  EXPECT_EQ(read_file(storage() + "/refs/refs/pr/1"), c2);
  bool saw_quoted = false;
  for (const auto& l : fake.log()) saw_quoted |= l.req.target.find("/resolve/refs%2Fpr%2F1/") != std::string::npos;
  EXPECT_TRUE(saw_quoted);

  o.revision = commit;  // a commit revision writes no ref
  hub::hf_hub_download("org/model", "sub/dir/nested.txt", o);
  EXPECT_FALSE(fs::exists(storage() + "/refs/" + commit));

  // Offline, each revision maps through its own ref.
  o.local_files_only = true;
  o.revision = "v1.0";
  EXPECT_EQ(read_file(*hub::resolve_file("org/model", "config.json", o)), "{\"model_type\": \"bert\"}");
  o.revision = "main";
  EXPECT_EQ(read_file(*hub::resolve_file("org/model", "config.json", o)), "{\"v\": 2}");

  o.local_files_only = false;
  o.revision = "no-such-branch";
  try {
    hub::hf_hub_download("org/model", "config.json", o);
    FAIL() << "expected RevisionNotFoundError";
  } catch (const hub::RevisionNotFoundError& e) {
    EXPECT_EQ(e.status, 404);
    EXPECT_NE(std::string(e.what()).find("no-such-branch"), std::string::npos);
  }
}

TEST_F(HubDownload, MissingEntryWritesNoExistMarker) {
  try {
    hub::hf_hub_download("org/model", "pytorch_model.bin", opts());
    FAIL() << "expected EntryNotFoundError";
  } catch (const hub::EntryNotFoundError& e) {
    EXPECT_EQ(e.status, 404);
    EXPECT_EQ(e.url, fake.endpoint() + "/org/model/resolve/main/pytorch_model.bin");
    std::string msg = e.what();
    for (const char* part : {"org/model", "main", "pytorch_model.bin"}) EXPECT_NE(msg.find(part), std::string::npos) << msg;
  }
  EXPECT_TRUE(fs::is_regular_file(storage() + "/.no_exist/" + commit + "/pytorch_model.bin"));
  EXPECT_EQ(read_file(storage() + "/refs/main"), commit);
  EXPECT_EQ(hub::try_to_load_from_cache("org/model", "pytorch_model.bin", opts()).status,
            hub::CacheLookup::Status::kCachedNonExistent);
  EXPECT_EQ(hub::resolve_file("org/model", "pytorch_model.bin", opts()), std::nullopt);
  // With the commit pinned, the marker answers without the network.
  fake.clear_log();
  auto o = opts();
  o.revision = commit;
  EXPECT_EQ(hub::resolve_file("org/model", "pytorch_model.bin", o), std::nullopt);
  EXPECT_TRUE(fake.log().empty());
}

TEST_F(HubDownload, ResumesFromIncompleteWithRange) {
  std::string blob = storage() + "/blobs/" + hub::sha256_hex(weights);
  write_file(blob + ".incomplete", weights.substr(0, 120000));
  std::string p = hub::hf_hub_download("org/model", "model.safetensors", opts());
  EXPECT_EQ(read_file(p), weights);
  EXPECT_FALSE(fs::exists(blob + ".incomplete"));
  int ranged = 0;
  for (const auto& l : fake.log())
    if (l.server == "cdn") ranged += l.req.header("range") == "bytes=120000-";
  EXPECT_EQ(ranged, 1);
}

TEST_F(HubDownload, InterruptedTransferIsRetriedAndResumed) {
  fake.cut_next_lfs_gets(1, 100000);
  std::string p = hub::hf_hub_download("org/model", "model.safetensors", opts());
  EXPECT_EQ(read_file(p), weights);
  std::vector<std::string> ranges;
  for (const auto& l : fake.log())
    if (l.server == "cdn") ranges.push_back(l.req.header("range"));
  ASSERT_EQ(ranges.size(), 2u);
  EXPECT_EQ(ranges[0], "");
  EXPECT_EQ(ranges[1], "bytes=100000-");
}

TEST_F(HubDownload, RelativeRedirectOfRenamedRepoIsFollowed) {
  fake.rename("old-org/old-name", "org/model");
  std::string p = hub::hf_hub_download("old-org/old-name", "config.json", opts());
  EXPECT_EQ(read_file(p), "{\"model_type\": \"bert\"}");
  EXPECT_EQ(p, env.cache() + "/models--old-org--old-name/snapshots/" + commit + "/config.json");
  EXPECT_EQ(read_file(hub::hf_hub_download("old-org/old-name", "model.safetensors", opts())), weights);
}

TEST_F(HubDownload, CrossHostRedirectDropsAuthorization) {
  fake.set_private("org/model", "hf_secret");
  auto o = opts();
  o.token = "hf_secret";
  EXPECT_EQ(read_file(hub::hf_hub_download("org/model", "model.safetensors", o)), weights);
  int hub_auth = 0, cdn_requests = 0;
  for (const auto& l : fake.log()) {
    if (l.server == "hub") hub_auth += l.req.header("authorization") == "Bearer hf_secret";
    if (l.server == "cdn") {
      ++cdn_requests;
      EXPECT_EQ(l.req.header("authorization"), "") << "token leaked to the CDN host";
    }
  }
  EXPECT_GE(hub_auth, 1);
  EXPECT_EQ(cdn_requests, 1);
}

TEST_F(HubDownload, Sha256MismatchIsRefusedAndNotKept) {
  fake.set_corrupt_lfs(true);
  std::string blob = storage() + "/blobs/" + hub::sha256_hex(weights);
  try {
    hub::hf_hub_download("org/model", "model.safetensors", opts());
    FAIL() << "expected a sha256 mismatch";
  } catch (const transformers::EnvironmentError& e) {
    EXPECT_NE(std::string(e.what()).find("sha256 mismatch"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(blob));
  EXPECT_FALSE(fs::exists(blob + ".incomplete"));
  EXPECT_FALSE(fs::exists(storage() + "/snapshots/" + commit + "/model.safetensors"));
  fake.set_corrupt_lfs(false);
  EXPECT_EQ(read_file(hub::hf_hub_download("org/model", "model.safetensors", opts())), weights);
}

TEST_F(HubDownload, AuthErrorsAreTyped) {
  fake.set_private("org/model", "hf_good");
  try {
    hub::hf_hub_download("org/model", "config.json", opts());
    FAIL() << "expected RepositoryNotFoundError";
  } catch (const hub::RepositoryNotFoundError& e) {
    EXPECT_EQ(e.status, 401);
    EXPECT_EQ(e.url, fake.endpoint() + "/org/model/resolve/main/config.json");
  }
  auto o = opts();
  o.token = "hf_bad";
  try {
    hub::hf_hub_download("org/model", "config.json", o);
    FAIL() << "expected HfHubHTTPError";
  } catch (const hub::HfHubHTTPError& e) {
    EXPECT_EQ(e.status, 401);
    EXPECT_NE(std::string(e.what()).find(fake.endpoint()), std::string::npos) << e.what();
  }
  // Token from the environment and from the token file.
  {
    ScopedEnv t("HF_TOKEN", "hf_good");
    EXPECT_NO_THROW(hub::hf_hub_download("org/model", "config.json", opts()));
  }
  write_file(env.dir + "/hf_home/token", "hf_good\n");
  EXPECT_NO_THROW(hub::hf_hub_download("org/model", "sub/dir/nested.txt", opts()));
  o.token = "";  // explicit "no token" wins over the file
  EXPECT_THROW(hub::hf_hub_download("org/model", "model.safetensors", o), hub::RepositoryNotFoundError);
}

TEST_F(HubDownload, UnknownRepoAndUnreachableServer) {
  EXPECT_THROW(hub::hf_hub_download("org/nothing", "config.json", opts()), hub::RepositoryNotFoundError);
  EXPECT_THROW(hub::resolve_file("org/nothing", "config.json", opts()), hub::RepositoryNotFoundError);
  // Port 1 on loopback: connection refused -> EnvironmentError naming the URL.
  auto o = opts();
  o.endpoint = "http://127.0.0.1:1";
  try {
    hub::hf_hub_download("org/model", "config.json", o);
    FAIL() << "expected HfHubHTTPError";
  } catch (const hub::HfHubHTTPError& e) {
    EXPECT_EQ(e.status, 0);
    EXPECT_NE(std::string(e.what()).find("127.0.0.1:1/org/model/resolve/main/config.json"), std::string::npos)
        << e.what();
  }
  // ... but a cached file is served when the Hub cannot be reached.
  std::string p = hub::hf_hub_download("org/model", "config.json", opts());
  EXPECT_EQ(hub::hf_hub_download("org/model", "config.json", o), p);
}

TEST_F(HubDownload, ServerErrorFallsBackToCache) {
  fake.set_private("org/model", "");
  std::string p = hub::hf_hub_download("org/model", "config.json", opts());
  fake.rename("org/model", "org/model");  // redirect loop: the HEAD never settles
  EXPECT_EQ(hub::hf_hub_download("org/model", "config.json", opts()), p);
}

TEST_F(HubDownload, UserAgentSent) {
  hub::hf_hub_download("org/model", "config.json", {.cache_dir = env.cache(), .user_agent = "file_type/model",
                                                    .endpoint = fake.endpoint()});
  for (const auto& l : fake.log()) {
    EXPECT_EQ(l.req.header("user-agent").rfind("transformers.cpp/", 0), 0u);
    EXPECT_NE(l.req.header("user-agent").find("file_type/model"), std::string::npos);
  }
}

TEST_F(HubDownload, DatasetRepoTypeAndHfEndpointEnv) {
  std::string c = fake.commit("datasets/org/data", {{"train.txt", "rows"}});
  ScopedEnv e("HF_ENDPOINT", fake.endpoint());
  std::string p = hub::hf_hub_download("org/data", "train.txt", {.cache_dir = env.cache(), .repo_type = "dataset"});
  EXPECT_EQ(p, env.cache() + "/datasets--org--data/snapshots/" + c + "/train.txt");
  EXPECT_EQ(read_file(p), "rows");
}

TEST_F(HubDownload, ResolveFileLocalFolderAndSubfolder) {
  write_file(env.dir + "/local/sub/config.json", "{}");
  EXPECT_EQ(hub::resolve_file(env.dir + "/local", "config.json", {.subfolder = "sub"}),
            env.dir + "/local/sub/config.json");
  EXPECT_EQ(hub::resolve_file(env.dir + "/local", "model.safetensors", {}), std::nullopt);
  EXPECT_THROW(hub::resolve_file(env.dir + "/not/a/folder", "config.json", {}), transformers::FileNotFoundError);
  auto o = opts();
  o.subfolder = "sub/dir";
  std::string p = *hub::resolve_file("org/model", "nested.txt", o);
  EXPECT_EQ(p, storage() + "/snapshots/" + commit + "/sub/dir/nested.txt");
}

TEST_F(HubDownload, DownloadRepoFetchesIndexThenShards) {
  std::string s1 = big_blob(5000, 1), s2 = big_blob(7000, 2);
  std::string index = R"({"metadata": {"total_size": 12000}, "weight_map": {"a.weight": "model-00001-of-00002.safetensors",
    "b.weight": "model-00002-of-00002.safetensors", "c.weight": "model-00001-of-00002.safetensors"}})";
  std::string c = fake.commit("org/sharded", {{"config.json", "{}"},
                                              {"tokenizer.json", "{\"tok\": 1}"},
                                              {"model.safetensors.index.json", index},
                                              {"model-00001-of-00002.safetensors", s1},
                                              {"model-00002-of-00002.safetensors", s2}});
  std::map<std::string, std::uint64_t> progress;
  auto o = opts();
  o.progress = [&](const std::string& f, std::uint64_t done, std::uint64_t total) {
    EXPECT_LE(done, total);
    progress[f] = done;
  };
  hub::DownloadResult r = hub::download_repo("org/sharded", o);
  EXPECT_EQ(r.commit_hash, c);
  EXPECT_EQ(r.snapshot_dir, env.cache() + "/models--org--sharded/snapshots/" + c);
  std::vector<std::string> want{"config.json", "tokenizer.json", "model.safetensors.index.json",
                                "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"};
  EXPECT_EQ(r.files, want);
  EXPECT_EQ(read_file(r.snapshot_dir + "/model-00002-of-00002.safetensors"), s2);
  EXPECT_EQ(progress["model-00001-of-00002.safetensors"], 5000u);
  EXPECT_EQ(progress["model-00002-of-00002.safetensors"], 7000u);
  // Absent optional files were recorded as absent for this commit.
  EXPECT_TRUE(fs::exists(env.cache() + "/models--org--sharded/.no_exist/" + c + "/vocab.txt"));

  std::string dir = hub::snapshot_download("org/model", {"config.json", "sub/dir/nested.txt"}, opts());
  EXPECT_EQ(dir, storage() + "/snapshots/" + commit);
  EXPECT_THROW(hub::download_repo("org/nothing", opts()), hub::RepositoryNotFoundError);
}
