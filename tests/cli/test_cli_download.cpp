// `download` served offline from a cache written by Python's huggingface_hub
// (tests/oracle/hub_python_cache.py), and a clear error when the cache lacks the repo.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "cli/cli_runner.hpp"

using cli_test::run_cli;

namespace {
struct OfflineEnv {
  OfflineEnv() { setenv("HF_HUB_OFFLINE", "1", 1); }
  ~OfflineEnv() { unsetenv("HF_HUB_OFFLINE"); }
};
}  // namespace

TEST(CliDownload, OfflineFromPythonCache) {
  OfflineEnv offline;
  const std::string cache = std::string(TRANSFORMERS_TEST_DATA_DIR) + "/hub/python_cache";
  auto r = run_cli({"download", "interop-org/tiny-bert", "--cache-dir", cache, "--json"});
  ASSERT_EQ(r.status, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  // The snapshot Python recorded for main (tests/data/hub/python_cache_manifest.json).
  EXPECT_NE(j["snapshot_dir"].get<std::string>().find("snapshots/f5e407f47fb609ccaaba7f43f93c764e498a2725"),
            std::string::npos)
      << r.out;
  EXPECT_TRUE(std::filesystem::exists(j["snapshot_dir"].get<std::string>() + "/config.json"));
}

TEST(CliDownload, OfflineMissIsAnInputError) {
  OfflineEnv offline;
  auto empty = std::filesystem::temp_directory_path() / ("tcpp_empty_cache_" + std::to_string(::getpid()));
  std::filesystem::create_directories(empty);
  auto r = run_cli({"download", "nobody/nothing", "--cache-dir", empty.string()});
  EXPECT_EQ(r.status, 1) << r.err;
  EXPECT_EQ(r.err.rfind("error: ", 0), 0u) << r.err;
  EXPECT_NE(r.err.find("nobody/nothing"), std::string::npos) << r.err;
  std::filesystem::remove_all(empty);
}
