// transformers-cli push against the test Hub: a saved folder, then the same again (nothing sent),
// then --max-shard-size (the model is re-saved sharded); errors give exit status 1.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "hub_server/fake_hub.hpp"
#include "hub_test_util.hpp"
#include "transformers/hub/hub.hpp"

namespace {

namespace fs = std::filesystem;
namespace hub = transformers::hub;
using transformers::testing::FakeHub;
using transformers::testing::HubEnv;
using transformers::testing::read_file;

struct CliRun {
  int status;
  std::string out;
};
CliRun cli(const std::string& args) {
  std::string cmd = std::string(TRANSFORMERS_CLI_PATH) + " " + args + " 2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  int st = ::pclose(p);
  return {WIFEXITED(st) ? WEXITSTATUS(st) : -1, out};
}

std::string gpt2_dir() { return std::string(TRANSFORMERS_FIXTURES_DIR) + "/hf/models/gpt2/model"; }

TEST(CliPush, FolderThenUnchangedThenResharded) {
  HubEnv env;
  FakeHub fake;
  fake.set_write_token("hf_cli");
  std::string common = " --repo-id me/cli --token hf_cli --endpoint " + fake.endpoint() + " --json";
  CliRun r1 = cli("push " + gpt2_dir() + common + " --tags cli,tiny");
  ASSERT_EQ(r1.status, 0) << r1.out;
  auto j1 = nlohmann::json::parse(r1.out.substr(r1.out.rfind('{')));
  EXPECT_FALSE(j1["skipped"].get<bool>());
  auto files = fake.files_at("me/cli", "main");
  for (const char* f : {"config.json", "generation_config.json", "model.safetensors"})
    EXPECT_EQ(files.at(f), read_file(gpt2_dir() + "/" + f)) << f;
  EXPECT_NE(files.at("README.md").find("tags:\n- cli\n- tiny\n"), std::string::npos);
  // The commit message comes from config.architectures (GPT2LMHeadModel -> "Upload model").
  bool saw_message = false;
  for (const auto& l : fake.log())
    if (l.req.target.find("/commit/") != std::string::npos) saw_message = l.req.body.find("\"summary\":\"Upload model\"") != std::string::npos;
  EXPECT_TRUE(saw_message);

  fake.clear_log();
  CliRun r2 = cli("push " + gpt2_dir() + common + " --tags cli,tiny");
  ASSERT_EQ(r2.status, 0) << r2.out;
  EXPECT_TRUE(nlohmann::json::parse(r2.out.substr(r2.out.rfind('{')))["skipped"].get<bool>());
  EXPECT_EQ(fake.count("cdn", "PUT"), 0);
  EXPECT_EQ(fake.count_path("/commit/"), 0);

  CliRun r3 = cli("push " + gpt2_dir() + common + " --max-shard-size 30KB --commit-message Reshard");
  ASSERT_EQ(r3.status, 0) << r3.out;
  files = fake.files_at("me/cli", "main");
  EXPECT_EQ(files.count("model.safetensors.index.json"), 1u);
  EXPECT_EQ(files.count("model.safetensors"), 1u);  // push never deletes remote files (as transformers)

  // DIR may be a repo id: the model is loaded from the Hub (HF_ENDPOINT) and pushed elsewhere.
  {
    transformers::testing::ScopedEnv ep("HF_ENDPOINT", fake.endpoint());
    transformers::testing::ScopedEnv tok("HF_TOKEN", "hf_cli");
    CliRun copy = cli("push me/cli@main --repo-id me/copy --json");
    ASSERT_EQ(copy.status, 0) << copy.out;
    auto copied = fake.files_at("me/copy", "main");
    // Loaded and saved again: config.json is our save's (not the fixture's bytes), same weights size.
    EXPECT_NE(copied.at("config.json").find("GPT2LMHeadModel"), std::string::npos);
    EXPECT_EQ(copied.at("model.safetensors").size(), read_file(gpt2_dir() + "/model.safetensors").size());
  }

  CliRun bad = cli("push " + gpt2_dir() + " --repo-id me/cli --token wrong --endpoint " + fake.endpoint());
  EXPECT_EQ(bad.status, 1) << bad.out;
  EXPECT_NE(bad.out.find("error: "), std::string::npos) << bad.out;
  CliRun usage = cli("push " + gpt2_dir());
  EXPECT_EQ(usage.status, 2) << usage.out;
}

}  // namespace
