// Interop with Python huggingface_hub, both ways, through committed data (tests never run Python):
// - tests/data/hub/python_cache: written by huggingface_hub.hf_hub_download (oracle
//   tests/oracle/hub_python_cache.py); C++ must resolve every file offline to the same path.
// - tests/data/hub/cpp_cache: written by this test (HUB_INTEROP_WRITE_DIR set); the oracle
//   tests/oracle/hub_check_cpp_cache.py recorded in cpp_cache_python_view.json what Python's
//   try_to_load_from_cache / hf_hub_download(local_files_only) / AutoConfig find there. Here we check
//   that our downloader still writes that exact tree, and that Python found everything.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "hub_server/fake_hub.hpp"
#include "hub_test_util.hpp"
#include "transformers/hub/hub.hpp"

namespace fs = std::filesystem;
namespace hub = transformers::hub;
using nlohmann::json;
using transformers::testing::FakeHub;
using transformers::testing::HubEnv;
using transformers::testing::ScopedEnv;

namespace {

const std::string kData = std::string(TRANSFORMERS_TEST_DATA_DIR) + "/hub";

json load_json(const std::string& path) {
  std::ifstream f(path);
  if (!f) throw std::runtime_error("missing test data " + path);
  return json::parse(f);
}

std::string b64decode(const std::string& in) {
  static const std::string chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  int val = 0, bits = -8;
  for (char c : in) {
    auto pos = chars.find(c);
    if (pos == std::string::npos) continue;  // '=' padding
    val = (val << 6) | static_cast<int>(pos);
    bits += 6;
    if (bits >= 0) {
      out += static_cast<char>((val >> bits) & 0xff);
      bits -= 8;
    }
  }
  return out;
}

// "type path [-> target | sha256]" for every entry under root except .locks, sorted.
std::vector<std::string> tree_listing(const std::string& root) {
  std::vector<std::string> out;
  for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator(); ++it) {
    std::string rel = fs::relative(it->path(), root).string();
    if (rel.rfind(".locks", 0) == 0) {
      it.disable_recursion_pending();
      continue;
    }
    if (it->is_symlink()) out.push_back("l " + rel + " -> " + fs::read_symlink(it->path()).string());
    else if (it->is_directory()) out.push_back("d " + rel);
    else out.push_back("f " + rel + " " + hub::sha256_file_hex(it->path().string()));
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

TEST(HubInterop, PythonWrittenCacheServesCppOffline) {
  HubEnv env;
  json manifest = load_json(kData + "/python_cache_manifest.json");
  std::string cache = kData + "/python_cache";
  std::string repo = manifest["repo_id"];
  ASSERT_FALSE(manifest["files"].empty());
  for (const auto& f : manifest["files"]) {
    hub::HubOptions o{.revision = f["revision"], .cache_dir = cache, .local_files_only = true};
    std::string want = cache + "/" + f["path"].get<std::string>();
    auto got = hub::resolve_file(repo, f["filename"], o);
    ASSERT_TRUE(got.has_value()) << f.dump();
    EXPECT_EQ(*got, want);
    EXPECT_EQ(hub::sha256_file_hex(*got), f["sha256"]);
    EXPECT_EQ(hub::hf_hub_download(repo, f["filename"], o), want);
    EXPECT_EQ(hub::try_to_load_from_cache(repo, f["filename"], o).path, want);
    // The commit the snapshot lives in works as a revision too.
    std::string commit = fs::path(want).parent_path().filename().string();
    if (f["filename"] == "config.json") {
      o.revision = commit;
      EXPECT_EQ(hub::resolve_file(repo, "config.json", o), want);
    }
  }
  for (const auto& m : manifest["missing"]) {
    hub::HubOptions o{.revision = m["revision"], .cache_dir = cache, .local_files_only = true};
    EXPECT_EQ(hub::try_to_load_from_cache(repo, m["filename"], o).status, hub::CacheLookup::Status::kCachedNonExistent);
    EXPECT_EQ(hub::resolve_file(repo, m["filename"], o), std::nullopt);
  }
  // Offline through the environment, no local_files_only: still served, never downloaded.
  ScopedEnv off("HF_HUB_OFFLINE", "1");
  EXPECT_TRUE(hub::resolve_file(repo, "config.json", {.cache_dir = cache}).has_value());
  EXPECT_THROW(hub::hf_hub_download(repo, "tokenizer.json", {.cache_dir = cache}), hub::LocalEntryNotFoundError);
}

TEST(HubInterop, CppDownloadWritesTheTreePythonWritesAndPythonReadsIt) {
  HubEnv env;
  json spec = load_json(kData + "/interop_repo.json");
  FakeHub fake;
  std::string repo = spec["repo_id"];
  for (const auto& c : spec["commits"]) {
    FakeHub::Files files;
    for (const auto& [p, b] : c["files"].items()) files[p] = b64decode(b.get<std::string>());
    for (const auto& r : c["refs"]) fake.commit(repo, files, r.get<std::string>(), c["sha"]);
  }
  const char* write_dir = std::getenv("HUB_INTEROP_WRITE_DIR");  // set by the oracle run only
  std::string cache = write_dir ? std::string(write_dir) : env.dir + "/cpp_cache";
  if (write_dir) fs::remove_all(cache);
  for (const auto& d : spec["downloads"])
    hub::hf_hub_download(repo, d["filename"], {.revision = d["revision"], .cache_dir = cache, .endpoint = fake.endpoint()});
  for (const auto& d : spec["missing"])
    EXPECT_THROW(hub::hf_hub_download(repo, d["filename"], {.revision = d["revision"], .cache_dir = cache,
                                                            .endpoint = fake.endpoint()}),
                 hub::EntryNotFoundError);
  if (write_dir) {
    fs::remove_all(cache + "/.locks");
    GTEST_SKIP() << "wrote " << cache << " for tests/oracle/hub_check_cpp_cache.py";
  }
  // Same files, blobs, refs, relative symlinks and .no_exist markers as huggingface_hub wrote ...
  EXPECT_EQ(tree_listing(cache), tree_listing(kData + "/python_cache"));
  // ... and as the committed tree Python was checked against.
  EXPECT_EQ(tree_listing(cache), tree_listing(kData + "/cpp_cache"));

  json view = load_json(kData + "/cpp_cache_python_view.json");
  ASSERT_EQ(view["files"].size(), spec["downloads"].size());
  for (const auto& f : view["files"]) {
    EXPECT_EQ(f["try_to_load_from_cache"], f["expected_path"]) << f.dump();
    EXPECT_EQ(f["hf_hub_download_offline"], f["expected_path"]) << f.dump();
    EXPECT_TRUE(f["sha256_ok"].get<bool>()) << f.dump();
  }
  for (const auto& m : view["missing"]) EXPECT_TRUE(m["cached_no_exist"].get<bool>()) << m.dump();
  EXPECT_EQ(view["auto_config_model_type"], "bert");
  EXPECT_EQ(view["safetensors_keys"], json::array({"embeddings.word_embeddings.weight"}));
}
