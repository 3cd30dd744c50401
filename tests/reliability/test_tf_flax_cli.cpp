// The CLI on damaged TensorFlow / Flax weights: `inspect FILE` and `forward --from-tf/--from-flax`
// exit 1 with exactly one `error: ` line (HDF5's own error stacks are silenced), never a signal.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "cli/cli_runner.hpp"
#include "reliability_util.hpp"

namespace reliability {
namespace {

using cli_test::run_cli;

fs::path tfflax(const std::string& rel) { return fs::path(TRANSFORMERS_TEST_DATA_DIR) / "tfflax" / rel; }

void expect_one_error_line(const cli_test::CliResult& r, const std::string& what) {
  EXPECT_EQ(r.status, 1) << what << "\n" << r.err;
  EXPECT_EQ(r.err.rfind("error: ", 0), 0u) << what << ": stderr\n" << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << what << ": stderr\n" << r.err;
}

TEST(TfFlaxCli, DamagedFrameworkWeightsGiveOneErrorLine) {
  TempDir d;
  int runs = 0;
  for (const auto& [folder, file, flag] : std::vector<std::tuple<std::string, std::string, std::string>>{
           {"gpt2/tf", "tf_model.h5", "--from-tf"}, {"gpt2/flax", "flax_model.msgpack", "--from-flax"}}) {
    const fs::path m = d.path / flag;
    fs::create_directories(m);
    fs::copy_file(tfflax(folder + "/config.json"), m / "config.json");
    const std::string whole = read_file(tfflax(folder + "/" + file));
    for (size_t cut : {size_t(0), size_t(9), whole.size() / 2, whole.size() - 7}) {
      write_file(m / file, whole.substr(0, cut));
      expect_one_error_line(run_cli({"inspect", (m / file).string(), "--json"}), "inspect " + file + " cut at " + std::to_string(cut));
      expect_one_error_line(run_cli({"load-info", "--model", m.string(), "--model-class", "GPT2LMHeadModel", flag, "--json"}),
                            "load-info " + flag + " cut at " + std::to_string(cut));
      runs += 2;
    }
  }
  EXPECT_EQ(runs, 16);
}

TEST(TfFlaxCli, FolderWithOnlyTfWeightsNeedsTheFlag) {
  auto r = run_cli({"load-info", "--model", tfflax("gpt2/tf").string(), "--model-class", "GPT2LMHeadModel", "--json"});
  expect_one_error_line(r, "load-info without --from-tf");
  EXPECT_NE(r.err.find("Use `from_tf=True`"), std::string::npos) << r.err;
  auto ok = run_cli({"load-info", "--model", tfflax("gpt2/tf").string(), "--model-class", "GPT2LMHeadModel", "--from-tf", "--json"});
  EXPECT_EQ(ok.status, 0) << ok.err;
  EXPECT_NE(ok.out.find("\"missing_keys\":[]"), std::string::npos) << ok.out;
}

}  // namespace
}  // namespace reliability
