// Our upload client against the test Hub, checked against what the real huggingface_hub client sent
// and got from the same server (tests/oracle/hub_upload_oracle.py -> tests/data/hub/upload_oracle.json):
// same create body, same preupload entries (path, size, 512-byte sample), same LFS batch objects and
// ref, PUT without authorization, same NDJSON commit lines, same downloads and snapshot listing.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "hub_server/fake_hub.hpp"
#include "hub_test_util.hpp"
#include "transformers/hub/hf_api.hpp"
#include "transformers/hub/hub.hpp"

namespace {

namespace fs = std::filesystem;
namespace hub = transformers::hub;
using nlohmann::json;
using transformers::testing::FakeHub;
using transformers::testing::HubEnv;
using transformers::testing::read_file;

const std::string kToken = "hf_oracle_write_token";  // the oracle script's token

json oracle() {
  return json::parse(read_file(std::string(TRANSFORMERS_TEST_DATA_DIR) + "/hub/upload_oracle.json"));
}
std::string input_dir() { return std::string(TRANSFORMERS_TEST_DATA_DIR) + "/hub/upload_oracle/input"; }

std::string path_only(const std::string& target) { return target.substr(0, target.find('?')); }

// The server log, reduced as the oracle script reduces it.
struct Seen {
  json creates = json::array(), preuploads = json::array(), batches = json::array(), puts = json::array(),
       commits = json::array();
  int verifies = 0;
};
Seen reduce(const FakeHub& fake) {
  Seen s;
  for (const auto& l : fake.log()) {
    const auto& r = l.req;
    std::string p = path_only(r.target);
    if (r.method == "POST" && p == "/api/repos/create") s.creates.push_back(json::parse(r.body));
    if (r.method == "POST" && p.find("/preupload/") != std::string::npos) {
      json files = json::array(), body = json::parse(r.body);
      for (const auto& f : body["files"]) files.push_back({{"path", f["path"]}, {"size", f["size"]}, {"sample", f["sample"]}});
      s.preuploads.push_back({{"target", r.target}, {"files", files}});
    }
    if (r.method == "POST" && p.size() > 23 && p.compare(p.size() - 23, 23, "/info/lfs/objects/batch") == 0) {
      json b = json::parse(r.body);
      s.batches.push_back({{"target", r.target}, {"accept", r.header("accept")}, {"content_type", r.header("content-type")},
                           {"operation", b["operation"]}, {"hash_algo", b.value("hash_algo", json())},
                           {"ref", b.value("ref", json())}, {"objects", b["objects"]}});
    }
    if (r.method == "POST" && p.find("/info/lfs/objects/verify") != std::string::npos) ++s.verifies;
    if (r.method == "PUT")
      s.puts.push_back({{"target", r.target}, {"size", r.body.size()}, {"authorization", !r.header("authorization").empty()}});
    if (r.method == "POST" && p.find("/commit/") != std::string::npos) {
      json lines = json::array();
      std::istringstream in(r.body);
      for (std::string line; std::getline(in, line);) {
        if (line.empty()) continue;
        json j = json::parse(line), v = j["value"], o{{"key", j["key"]}};
        for (const char* k : {"path", "summary", "description", "algo", "oid", "size", "encoding"})
          if (v.contains(k)) o[k] = v[k];
        lines.push_back(o);
      }
      s.commits.push_back({{"target", r.target}, {"content_type", r.header("content-type")}, {"lines", lines}});
    }
  }
  return s;
}

// Commit lines compared as a set after the header (huggingface_hub orders LFS before regular in
// some calls; the server applies them independently).
json sorted_lines(json lines) {
  std::sort(lines.begin() + 1, lines.end(), [](const json& a, const json& b) { return a.dump() < b.dump(); });
  return lines;
}

class HubUploadOracle : public ::testing::Test {
 protected:
  HubEnv env;
  FakeHub fake;
  json want = oracle();
  std::string repo = want["repo_id"];
  hub::HubOptions ho() { return {.cache_dir = env.cache(), .token = kToken, .endpoint = fake.endpoint()}; }
  hub::CommitOptions co(const std::string& msg) { return {.commit_message = msg, .hub = ho()}; }
  void SetUp() override {
    fake.set_write_token(kToken);
    fake.set_multipart_chunk(want["multipart"]["chunk"].get<size_t>());  // as the oracle's server
  }
  // The oracle's "Add a big file" commit: above the multipart chunk.
  std::string big_bytes() {
    size_t n = want["multipart"]["size"].get<size_t>();
    std::string b(n, '\0');
    for (size_t i = 0; i < n; ++i) b[i] = static_cast<char>((i * 7 + i / 256) % 251);
    return b;
  }
  hub::CommitInfo commit_big() {
    return hub::create_commit(repo, {{"big/weights.bin", "", big_bytes()}}, {}, co("Add a big file"));
  }
};

TEST_F(HubUploadOracle, InputMatchesTheOracleInput) {
  for (const auto& [p, facts] : want["input"].items()) {
    std::string bytes = read_file(input_dir() + "/" + p);
    EXPECT_EQ(hub::sha256_hex(bytes), facts["sha256"].get<std::string>()) << p;
    EXPECT_EQ(hub::git_blob_sha1_hex(bytes), facts["git_sha1"].get<std::string>()) << p;
  }
}

TEST_F(HubUploadOracle, CreateRepoSendsTheSameBodyAndTypesErrors) {
  auto url = hub::create_repo(repo, {.hub = ho()});
  EXPECT_EQ(url.url, fake.endpoint() + "/" + repo);
  EXPECT_NO_THROW(hub::create_repo(repo, {.exist_ok = true, .hub = ho()}));
  try {
    hub::create_repo(repo, {.hub = ho()});
    FAIL() << "a second create without exist_ok must fail";
  } catch (const hub::HfHubHTTPError& e) {
    EXPECT_EQ(e.status, want["results"]["create_repo_again"].get<long>());
  }
  try {
    auto bad = ho();
    bad.token = "hf_wrong";
    hub::create_repo("oracle-org/denied", {.hub = bad});
    FAIL() << "a wrong token must be refused";
  } catch (const hub::HfHubHTTPError& e) {
    EXPECT_EQ(e.status, want["results"]["create_repo_wrong_token"].get<long>());
  }
  Seen s = reduce(fake);
  ASSERT_EQ(s.creates.size(), 4u);
  for (size_t i = 0; i < 4; ++i) EXPECT_EQ(s.creates[i], want["requests"]["creates"][i]) << i;
}

TEST_F(HubUploadOracle, UploadFolderAndCreateCommitSendWhatHuggingfaceHubSends) {
  hub::create_repo(repo, {.hub = ho()});
  fake.clear_log();
  auto c1 = hub::upload_folder(repo, input_dir(), {.commit = co("Upload model")});
  EXPECT_EQ(c1.oid.size(), 40u);
  EXPECT_EQ(c1.lfs_uploaded, std::vector<std::string>{"model.safetensors"});
  Seen s1 = reduce(fake);
  const json& req = want["requests"];
  ASSERT_EQ(s1.preuploads.size(), 1u);
  EXPECT_EQ(s1.preuploads[0], req["preuploads"][0]);
  ASSERT_EQ(s1.batches.size(), 1u);
  json b = s1.batches[0], wb = req["lfs_batches"][0];
  for (const char* k : {"target", "accept", "content_type", "operation", "hash_algo", "ref", "objects"}) EXPECT_EQ(b[k], wb[k]) << k;
  ASSERT_EQ(s1.puts.size(), 1u);
  EXPECT_EQ(s1.puts[0], req["lfs_puts"][0]);
  EXPECT_EQ(s1.verifies, 1);
  ASSERT_EQ(s1.commits.size(), 1u);
  EXPECT_EQ(s1.commits[0]["target"], req["commits"][0]["target"]);
  EXPECT_EQ(s1.commits[0]["content_type"], req["commits"][0]["content_type"]);
  EXPECT_EQ(sorted_lines(s1.commits[0]["lines"]), sorted_lines(req["commits"][0]["lines"]));

  // Nothing changed: huggingface_hub made no commit (same oid back); we make no call past preupload.
  ASSERT_TRUE(want["results"]["upload_folder_again"]["same_oid_as_first"].get<bool>());
  fake.clear_log();
  auto c2 = hub::upload_folder(repo, input_dir(), {.commit = co("Upload model")});
  EXPECT_TRUE(c2.skipped);
  EXPECT_EQ(c2.unchanged.size(), 3u);
  Seen s2 = reduce(fake);
  EXPECT_EQ(s2.puts.size(), 0u);
  EXPECT_EQ(s2.commits.size(), 0u);
  EXPECT_EQ(s2.batches.size(), 0u);

  fake.clear_log();
  std::string lfs_bytes;
  for (int i = 0; i < 7; ++i) lfs_bytes += std::string("\x00\x01", 2) + "binary-lfs-payload\n";
  auto opts = co("Add two files");
  opts.commit_description = "one LFS, one regular";
  auto c3 = hub::create_commit(repo, {{"weights/extra.bin", "", lfs_bytes}, {"notes.md", "", std::string("# notes\n")}}, {}, opts);
  EXPECT_NE(c3.oid, c1.oid);
  Seen s3 = reduce(fake);
  ASSERT_EQ(s3.commits.size(), 1u);
  EXPECT_EQ(sorted_lines(s3.commits[0]["lines"]), sorted_lines(req["commits"][1]["lines"]));
  ASSERT_EQ(s3.puts.size(), 1u);
  EXPECT_EQ(s3.puts[0], req["lfs_puts"][1]);

  fake.clear_log();
  auto pr_opts = co("Change notes");
  pr_opts.create_pr = true;
  auto c4 = hub::create_commit(repo, {{"notes.md", "", std::string("# notes, changed in a PR\n")}}, {}, pr_opts);
  EXPECT_EQ(c4.pr_revision, want["results"]["create_pr"]["pr_revision"].get<std::string>());
  Seen s4 = reduce(fake);
  ASSERT_EQ(s4.commits.size(), 1u);
  EXPECT_EQ(s4.commits[0]["target"], req["commits"][2]["target"]);
  EXPECT_EQ(sorted_lines(s4.commits[0]["lines"]), sorted_lines(req["commits"][2]["lines"]));

  commit_big();
  // What the client downloads afterwards is what huggingface_hub downloaded.
  for (const auto& [key, sha] : want["results"]["downloads_sha256"].items()) {
    auto o = ho();
    std::string file = key;
    if (auto at = key.find('@'); at != std::string::npos) o.revision = key.substr(at + 1), file = key.substr(0, at);
    EXPECT_EQ(hub::sha256_file_hex(hub::hf_hub_download(repo, file, o)), sha.get<std::string>()) << key;
  }
  auto info = hub::repo_info(repo, ho(), /*files_metadata=*/true);
  json sibs = json::array();
  for (const auto& s : info.siblings)
    sibs.push_back({{"rfilename", s.rfilename}, {"size", s.size ? json(*s.size) : json()}, {"lfs", s.lfs_sha256.has_value()}});
  EXPECT_EQ(sibs, want["results"]["repo_info_siblings"]);
}

std::vector<std::string> list_files(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (!e.is_directory()) out.push_back(e.path().lexically_relative(dir).generic_string());
  std::sort(out.begin(), out.end());
  return out;
}

TEST_F(HubUploadOracle, SnapshotDownloadWithPatternsListsWhatHuggingfaceHubGot) {
  hub::create_repo(repo, {.hub = ho()});
  hub::upload_folder(repo, input_dir(), {.commit = co("Upload model")});
  std::string lfs_bytes;
  for (int i = 0; i < 7; ++i) lfs_bytes += std::string("\x00\x01", 2) + "binary-lfs-payload\n";
  hub::create_commit(repo, {{"weights/extra.bin", "", lfs_bytes}, {"notes.md", "", std::string("# notes\n")}}, {}, co("Add two files"));
  commit_big();
  auto o1 = ho();
  o1.cache_dir = env.dir + "/c1";
  std::string snap = hub::snapshot_download(repo, {.hub = o1, .allow_patterns = {"*.json", "extra/*"}});
  EXPECT_EQ(json(list_files(snap)), want["results"]["snapshot_allow_json_extra"]);
  auto o2 = ho();
  o2.cache_dir = env.dir + "/c2";
  std::string full = hub::snapshot_download(repo, {.hub = o2});
  EXPECT_EQ(json(list_files(full)), want["results"]["snapshot_full"]);
  EXPECT_EQ(read_file(full + "/model.safetensors"), read_file(input_dir() + "/model.safetensors"));
  // Offline afterwards: the cached snapshot of refs/main, no request.
  fake.clear_log();
  auto off = o2;
  off.local_files_only = true;
  EXPECT_EQ(hub::snapshot_download(repo, {.hub = off}), full);
  EXPECT_EQ(fake.log().size(), 0u);
  auto o3 = ho();
  o3.cache_dir = env.dir + "/c3";
  o3.local_files_only = true;
  EXPECT_THROW(hub::snapshot_download(repo, {.hub = o3}), hub::LocalEntryNotFoundError);
  {
    // The documented short form: everything from the environment.
    transformers::testing::ScopedEnv ep("HF_ENDPOINT", fake.endpoint());
    transformers::testing::ScopedEnv tok("HF_TOKEN", kToken);
    transformers::testing::ScopedEnv cache("HF_HUB_CACHE", env.dir + "/c5");
    std::string s5 = hub::snapshot_download(repo, {.allow_patterns = {"*.json", "extra/*"}});
    EXPECT_EQ(json(list_files(s5)), want["results"]["snapshot_allow_json_extra"]);
    EXPECT_EQ(s5.rfind(env.dir + "/c5/models--oracle-org--pushed/snapshots/", 0), 0u) << s5;
  }
  auto o4 = ho();
  o4.cache_dir = env.dir + "/c4";
  std::string ignored = hub::snapshot_download(repo, {.hub = o4, .ignore_patterns = {"*.safetensors", "weights/"}});
  EXPECT_EQ(list_files(ignored), (std::vector<std::string>{".gitattributes", "big/weights.bin", "config.json", "extra/notes.txt", "notes.md"}));
}

TEST_F(HubUploadOracle, MultipartTransferAsHuggingfaceHubDoesIt) {
  hub::create_repo(repo, {.hub = ho()});
  fake.clear_log();
  auto info = commit_big();
  EXPECT_EQ(info.lfs_uploaded, std::vector<std::string>{"big/weights.bin"});
  json parts = json::array(), completions = json::array();
  for (const auto& l : fake.log()) {
    std::string p = path_only(l.req.target);
    if (l.req.method == "PUT" && p.rfind("/part/", 0) == 0)
      parts.push_back({{"path", p}, {"size", l.req.body.size()}, {"authorization", !l.req.header("authorization").empty()}});
    if (p.rfind("/complete/", 0) == 0)
      completions.push_back({{"path", p}, {"authorization", !l.req.header("authorization").empty()},
                             {"content_type", l.req.header("content-type")}, {"accept", l.req.header("accept")},
                             {"body", json::parse(l.req.body)}});
  }
  ASSERT_EQ(want["multipart"]["part_puts"].size(), 3u);
  EXPECT_EQ(parts, want["multipart"]["part_puts"]);
  EXPECT_EQ(completions, want["multipart"]["completions"]);  // same parts, numbers and ETags
  EXPECT_EQ(fake.count_path("/upload/", "PUT"), 0);           // no single PUT for this file
  EXPECT_EQ(hub::sha256_file_hex(hub::hf_hub_download(repo, "big/weights.bin", ho())),
            want["results"]["multipart_download_sha256"].get<std::string>());
  EXPECT_EQ(want["results"]["multipart_download_sha256"], want["results"]["multipart_input_sha256"]);
  // Also from a file on disk (slices read from the file).
  std::string path = env.dir + "/big.bin";
  transformers::testing::write_file(path, big_bytes() + "more");
  fake.clear_log();
  hub::create_commit(repo, {{"big/from_file.bin", path, std::nullopt}}, {}, co("From a file"));
  EXPECT_EQ(fake.count_path("/part/", "PUT"), 3);
  EXPECT_EQ(fake.files_at(repo, "main").at("big/from_file.bin"), big_bytes() + "more");
}

TEST_F(HubUploadOracle, PrivateRepoNeedsTheToken) {
  hub::create_repo("oracle-org/private", {.private_repo = true, .hub = ho()});
  EXPECT_TRUE(fake.is_private("oracle-org/private"));
  hub::create_commit("oracle-org/private", {{"config.json", input_dir() + "/config.json", std::nullopt}}, {}, co("Upload config"));
  auto anon = ho();
  anon.token = "";
  ASSERT_EQ(want["results"]["private_without_token"], "RepositoryNotFoundError");
  EXPECT_THROW(hub::hf_hub_download("oracle-org/private", "config.json", anon), hub::RepositoryNotFoundError);
  EXPECT_EQ(hub::sha256_file_hex(hub::hf_hub_download("oracle-org/private", "config.json", ho())),
            want["results"]["private_with_token_sha256"].get<std::string>());
}

TEST(HubUploadErrors, TypedErrors) {
  HubEnv env;
  FakeHub fake;
  fake.set_write_token("hf_good");
  hub::HubOptions o{.cache_dir = env.cache(), .token = "hf_good", .endpoint = fake.endpoint()};
  // Commit to a repo that does not exist: RepositoryNotFoundError (404 RepoNotFound).
  try {
    hub::create_commit("nobody/none", {{"a.txt", "", std::string("a")}}, {}, {.commit_message = "x", .hub = o});
    FAIL();
  } catch (const hub::RepositoryNotFoundError& e) {
    EXPECT_EQ(e.status, 404);
    EXPECT_EQ(e.error_code, "RepoNotFound");
  }
  hub::create_repo("me/r", {.hub = o});
  // Bad token: 401 "Invalid credentials" is an HfHubHTTPError, not a RepositoryNotFoundError.
  auto bad = o;
  bad.token = "hf_bad";
  try {
    hub::create_commit("me/r", {{"a.txt", "", std::string("a")}}, {}, {.commit_message = "x", .hub = bad});
    FAIL();
  } catch (const hub::RepositoryNotFoundError&) {
    FAIL() << "wrong type";
  } catch (const hub::HfHubHTTPError& e) {
    EXPECT_EQ(e.status, 401);
  }
  // Unknown branch: RevisionNotFoundError.
  EXPECT_THROW(hub::create_commit("me/r", {{"a.txt", "", std::string("a")}}, {}, {.commit_message = "x", .revision = "nope", .hub = o}),
               hub::RevisionNotFoundError);
  EXPECT_THROW(hub::create_commit("me/r", {{"a.txt", "", std::string("a")}}, {}, {.hub = o}), transformers::ValueError);
  // Stale parent commit: 412 from the server.
  try {
    hub::create_commit("me/r", {{"a.txt", "", std::string("a")}}, {},
                       {.commit_message = "x", .parent_commit = std::string(40, '0'), .hub = o});
    FAIL();
  } catch (const hub::HfHubHTTPError& e) {
    EXPECT_EQ(e.status, 412);
  }
  // No server at all: HfHubHTTPError with status 0.
  auto dead = o;
  dead.endpoint = "http://127.0.0.1:1";
  try {
    hub::create_repo("me/x", {.hub = dead});
    FAIL();
  } catch (const hub::HfHubHTTPError& e) {
    EXPECT_EQ(e.status, 0);
  }
}

TEST(HubUploadModes, ServerDecidesLfsByGitattributesAndSize) {
  HubEnv env;
  FakeHub fake;
  hub::HubOptions o{.cache_dir = env.cache(), .token = "", .endpoint = fake.endpoint()};
  hub::create_repo("me/modes", {.hub = o});
  std::string big(10u * 1024 * 1024, 'x');  // >= 10 MiB: LFS whatever the name
  auto info = hub::create_commit("me/modes",
                                 {{"tf_model.h5", "", std::string("h5 bytes")},   // *.h5 in .gitattributes
                                  {"notes.txt", "", std::string("text")},         // regular
                                  {"big.txt", "", big},
                                  {"empty.bin", "", std::string()}},              // zero bytes: always regular
                                 {}, {.commit_message = "modes", .hub = o});
  std::vector<std::string> lfs = info.lfs_uploaded;
  std::sort(lfs.begin(), lfs.end());
  EXPECT_EQ(lfs, (std::vector<std::string>{"big.txt", "tf_model.h5"}));
  auto files = fake.files_at("me/modes", "main");
  EXPECT_EQ(files.at("big.txt"), big);
  EXPECT_EQ(files.at("empty.bin"), "");
  // Deletions: a file and a folder.
  hub::create_commit("me/modes", {{"dir/a.txt", "", std::string("a")}, {"dir/b.txt", "", std::string("b")}}, {},
                     {.commit_message = "dir", .hub = o});
  hub::create_commit("me/modes", {}, {{"notes.txt"}, {"dir", true}}, {.commit_message = "delete", .hub = o});
  files = fake.files_at("me/modes", "main");
  EXPECT_EQ(files.count("notes.txt"), 0u);
  EXPECT_EQ(files.count("dir/a.txt"), 0u);
  EXPECT_EQ(files.count("tf_model.h5"), 1u);
}

TEST(HubPatterns, FnmatchAndFilterRepoObjects) {
  EXPECT_TRUE(hub::fnmatch("config.json", "*.json"));
  EXPECT_TRUE(hub::fnmatch("sub/config.json", "*.json"));  // '*' crosses '/' as in Python's fnmatch
  EXPECT_FALSE(hub::fnmatch("config.json5", "*.json"));
  EXPECT_TRUE(hub::fnmatch("model-00001-of-00002.safetensors", "model-0000?-of-*.safetensors"));
  EXPECT_TRUE(hub::fnmatch("a1", "a[0-9]"));
  EXPECT_FALSE(hub::fnmatch("ab", "a[!b]"));
  EXPECT_TRUE(hub::fnmatch("ac", "a[!b]"));
  auto got = hub::filter_repo_objects({"config.json", "sub/x.bin", "sub/y.txt", "model.bin"}, {"*.json", "sub/"}, {"*.bin"});
  EXPECT_EQ(got, (std::vector<std::string>{"config.json", "sub/y.txt"}));
}

}  // namespace
