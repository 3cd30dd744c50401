// Names, URLs, environment and hashing of the hub layer (no network).
#include <gtest/gtest.h>

#include "hub_test_util.hpp"
#include "transformers/hub/hub.hpp"

namespace hub = transformers::hub;
using transformers::testing::HubEnv;
using transformers::testing::ScopedEnv;
using transformers::testing::write_file;

TEST(HubNames, RepoFolderName) {
  EXPECT_EQ(hub::repo_folder_name("google-bert/bert-base-uncased"), "models--google-bert--bert-base-uncased");
  EXPECT_EQ(hub::repo_folder_name("gpt2"), "models--gpt2");
  EXPECT_EQ(hub::repo_folder_name("org/ds", "dataset"), "datasets--org--ds");
  EXPECT_EQ(hub::repo_folder_name("org/sp", "space"), "spaces--org--sp");
  EXPECT_THROW(hub::repo_folder_name("org/x", "modelz"), transformers::ValueError);
}

TEST(HubNames, ResolveUrlQuotesRevisionAndPath) {
  HubEnv env;
  EXPECT_EQ(hub::hf_hub_url("org/m", "config.json"), "https://huggingface.co/org/m/resolve/main/config.json");
  EXPECT_EQ(hub::hf_hub_url("org/m", "a b/c#.json", {.revision = "refs/pr/3", .endpoint = "http://h:1/"}),
            "http://h:1/org/m/resolve/refs%2Fpr%2F3/a%20b/c%23.json");
  EXPECT_EQ(hub::hf_hub_url("org/d", "x.txt", {.repo_type = "dataset", .subfolder = "sub"}),
            "https://huggingface.co/datasets/org/d/resolve/main/sub/x.txt");
  ScopedEnv e("HF_ENDPOINT", "http://mirror.example//");
  EXPECT_EQ(hub::hf_hub_url("org/m", "f"), "http://mirror.example/org/m/resolve/main/f");
}

TEST(HubNames, ValidateRepoId) {
  for (const char* ok : {"gpt2", "org/name", "Org_1/na.me-2"}) EXPECT_NO_THROW(hub::validate_repo_id(ok)) << ok;
  for (const char* bad : {"", "a/b/c", "a--b", "a..b", "x.git", "-abc", "with space", "/abs/path", "./rel"})
    EXPECT_THROW(hub::validate_repo_id(bad), transformers::ValueError) << bad;
}

TEST(HubNames, CommitHash) {
  EXPECT_TRUE(hub::is_commit_hash("0123456789abcdef0123456789abcdef01234567"));
  EXPECT_FALSE(hub::is_commit_hash("0123456789ABCDEF0123456789abcdef01234567"));  // uppercase is not a sha
  EXPECT_FALSE(hub::is_commit_hash("main"));
  EXPECT_FALSE(hub::is_commit_hash("0123456"));
}

TEST(HubEnvTest, CacheDirPrecedence) {
  HubEnv env;
  {
    ScopedEnv home("HF_HOME", std::nullopt);
    ScopedEnv xdg("XDG_CACHE_HOME", "/x/cache");
    EXPECT_EQ(hub::hf_home(), "/x/cache/huggingface");
    EXPECT_EQ(hub::default_cache_dir(), "/x/cache/huggingface/hub");
  }
  ScopedEnv home("HF_HOME", "/h");
  EXPECT_EQ(hub::default_cache_dir(), "/h/hub");
  ScopedEnv legacy("HUGGINGFACE_HUB_CACHE", "/legacy");
  EXPECT_EQ(hub::default_cache_dir(), "/legacy");
  ScopedEnv hc("HF_HUB_CACHE", "/hc");
  EXPECT_EQ(hub::default_cache_dir(), "/hc");
  ScopedEnv tc("TRANSFORMERS_CACHE", "/tc");  // transformers' deprecated variable still wins
  EXPECT_EQ(hub::default_cache_dir(), "/tc");
}

TEST(HubEnvTest, OfflineTruthyValues) {
  HubEnv env;
  EXPECT_FALSE(hub::is_offline_mode());
  for (const char* v : {"1", "on", "YES", "True"}) {
    ScopedEnv e("HF_HUB_OFFLINE", v);
    EXPECT_TRUE(hub::is_offline_mode()) << v;
  }
  for (const char* v : {"0", "false", "", "2"}) {
    ScopedEnv e("TRANSFORMERS_OFFLINE", v);
    EXPECT_FALSE(hub::is_offline_mode()) << v;
  }
  ScopedEnv e("TRANSFORMERS_OFFLINE", "1");
  EXPECT_TRUE(hub::is_offline_mode());
}

TEST(HubEnvTest, TokenResolutionOrder) {
  HubEnv env;
  EXPECT_EQ(hub::get_token(), std::nullopt);
  write_file(env.dir + "/hf_home/token", "  file_tok\r\n");
  EXPECT_EQ(hub::get_token(), "file_tok");
  {
    ScopedEnv p("HF_TOKEN_PATH", env.dir + "/other_token");
    write_file(env.dir + "/other_token", "path_tok\n");
    EXPECT_EQ(hub::get_token(), "path_tok");
  }
  ScopedEnv legacy("HUGGING_FACE_HUB_TOKEN", "legacy_tok");
  EXPECT_EQ(hub::get_token(), "legacy_tok");
  ScopedEnv t("HF_TOKEN", "env_tok");
  EXPECT_EQ(hub::get_token(), "env_tok");
  EXPECT_EQ(hub::get_token({.token = "explicit"}), "explicit");
  EXPECT_EQ(hub::get_token({.token = ""}), std::nullopt);  // token=False
  ScopedEnv off("HF_HUB_DISABLE_IMPLICIT_TOKEN", "1");
  EXPECT_EQ(hub::get_token(), std::nullopt);
  EXPECT_EQ(hub::get_token({.token = "explicit"}), "explicit");
}

TEST(HubEnvTest, UserAgentNamesLibrary) {
  std::string ua = hub::user_agent({.user_agent = "file_type/model"});
  EXPECT_EQ(ua.rfind(std::string("transformers.cpp/") + TRANSFORMERS_VERSION, 0), 0u) << ua;
  EXPECT_NE(ua.find("; file_type/model"), std::string::npos) << ua;
}

TEST(HubHashing, KnownVectors) {
  // FIPS 180-2 test vector, and `printf 'hello\n' | git hash-object --stdin`.
  EXPECT_EQ(hub::sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(hub::sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(hub::git_blob_sha1_hex("hello\n"), "ce013625030ba8dba906f756967f9e9ca394464a");
  HubEnv env;
  write_file(env.dir + "/f", "abc");
  EXPECT_EQ(hub::sha256_file_hex(env.dir + "/f"), hub::sha256_hex("abc"));
  EXPECT_THROW(hub::sha256_file_hex(env.dir + "/missing"), transformers::FileNotFoundError);
}
