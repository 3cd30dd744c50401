// Where a model, config, generation config or tokenizer comes from (issue 18 items 1, 2, 8):
// `org/name@revision` and --revision on every CLI command that takes a PATH, served offline from a
// cache laid out as huggingface_hub lays it out; the repo's generation_config.json resolved through
// the cache like every other file; and the HubOptions fields (revision, token, cache_dir,
// local_files_only, force_download, proxies, subfolder) reaching from_pretrained, AutoConfig and
// AutoTokenizer. Loopback only: the in-process test Hub and a test proxy on 127.0.0.1.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <nlohmann/json.hpp>

#include "cli/cli_runner.hpp"
#include "hub/http.hpp"
#include "hub_server/fake_hub.hpp"
#include "hub_test_util.hpp"
#include "transformers/generation/utils.hpp"
#include "transformers/hub/hub.hpp"
#include "transformers/io/safetensors.hpp"
#include "transformers/modeling/auto.hpp"
#include "transformers/tokenizers/auto_tokenizer.hpp"

namespace {

namespace fs = std::filesystem;
namespace hub = transformers::hub;
using nlohmann::json;
using namespace transformers::testing;  // FakeHub, HubEnv, ScopedEnv, read_file, write_file, HttpServer

const std::string kModels = std::string(TRANSFORMERS_FIXTURES_DIR) + "/hf/models";
const std::string kGpt2 = kModels + "/gpt2/model";
const std::string kTokenizer = std::string(TRANSFORMERS_FIXTURES_DIR) + "/hf/tokenizers/gpt2_bpe/tokenizer.json";

using Files = std::map<std::string, std::string>;

Files folder_files(const std::string& dir, const std::vector<std::string>& names) {
  Files f;
  for (auto& n : names) f[n] = read_file(dir + "/" + n);
  return f;
}

// One snapshot laid out as huggingface_hub writes it: blobs/<etag> (sha256 for LFS weights, the git
// blob sha1 otherwise), snapshots/<commit>/<path> -> ../../blobs/<etag>, refs/<ref> = commit with
// no newline. Written by hand so the reader is tested against the layout, not our own writer.
void add_snapshot(const fs::path& cache, const std::string& repo, const std::string& commit, const Files& files,
                  const std::vector<std::string>& refs) {
  std::string folder = "models--" + repo;
  folder.replace(folder.find('/'), 1, "--");
  const fs::path root = cache / folder;
  for (auto& [path, content] : files) {
    const bool lfs = path.ends_with(".safetensors");
    const std::string etag = lfs ? hub::sha256_hex(content) : hub::git_blob_sha1_hex(content);
    write_file((root / "blobs" / etag).string(), content);
    const fs::path link = root / "snapshots" / commit / path;
    fs::create_directories(link.parent_path());
    std::string up = "../../";
    for (char c : path) up += c == '/' ? "../" : "";
    fs::create_symlink(up + "blobs/" + etag, link);
  }
  for (auto& r : refs) write_file((root / "refs" / r).string(), commit);
}

std::map<std::string, std::vector<float>> read_outputs(const std::string& file) {
  std::map<std::string, std::vector<float>> m;
  for (auto& [n, t] : transformers::io::load_safetensors(file)) m[n] = t.to_vector<float>();
  return m;
}

class CliRevision : public ::testing::Test {
 protected:
  void SetUp() override {
    cache = env.dir + "/hf_cache";
    // v1.0: the tiny GPT-2 with a tokenizer; main: a BERT, so a revision that is not honoured
    // cannot pass by accident.
    Files v1 = folder_files(kGpt2, {"config.json", "generation_config.json", "model.safetensors"});
    v1["tokenizer.json"] = read_file(kTokenizer);
    add_snapshot(cache, "org/tiny", kV1, v1, {"v1.0"});
    add_snapshot(cache, "org/tiny", kMain, folder_files(kModels + "/bert/model", {"config.json", "model.safetensors"}),
                 {"main"});
    inputs = env.dir + "/in.safetensors";
    transformers::io::save_safetensors(inputs, {{"input_ids", transformers::Tensor::from_vector<int64_t>({1, 2, 3, 4}, {1, 4})}});
  }
  cli_test::CliResult forward(const std::vector<std::string>& model_args, const std::string& out) {
    std::vector<std::string> args = {"forward"};
    args.insert(args.end(), model_args.begin(), model_args.end());
    args.insert(args.end(), {"--inputs", inputs, "--output", out});
    return cli_test::run_cli(args);
  }

  static constexpr const char* kV1 = "1111111111111111111111111111111111111111";
  static constexpr const char* kMain = "2222222222222222222222222222222222222222";
  HubEnv env;
  std::string cache, inputs;
  ScopedEnv hub_cache{"HF_HUB_CACHE", env.dir + "/hf_cache"};
  ScopedEnv offline{"HF_HUB_OFFLINE", "1"};  // no network at all: everything comes from the cache
};

TEST_F(CliRevision, ForwardAtRevisionOfflineFromHuggingFaceHubCache) {
  auto local = forward({"--model", kGpt2}, env.dir + "/local.safetensors");
  ASSERT_EQ(local.status, 0) << local.err;
  const auto want = read_outputs(env.dir + "/local.safetensors");
  ASSERT_TRUE(want.count("logits"));

  auto pinned = forward({"--model", "org/tiny@v1.0"}, env.dir + "/pinned.safetensors");
  ASSERT_EQ(pinned.status, 0) << pinned.err;
  EXPECT_EQ(read_outputs(env.dir + "/pinned.safetensors"), want);
  auto flag = forward({"--model", "org/tiny", "--revision", "v1.0"}, env.dir + "/flag.safetensors");
  ASSERT_EQ(flag.status, 0) << flag.err;
  EXPECT_EQ(read_outputs(env.dir + "/flag.safetensors"), want);
  // the commit hash itself pins too
  auto by_commit = forward({"--model", std::string("org/tiny@") + kV1}, env.dir + "/commit.safetensors");
  ASSERT_EQ(by_commit.status, 0) << by_commit.err;
  EXPECT_EQ(read_outputs(env.dir + "/commit.safetensors"), want);

  // an unknown revision offline, and two revisions that disagree: exit 1, one error line
  for (auto args : {std::vector<std::string>{"--model", "org/tiny@v9"},
                    std::vector<std::string>{"--model", "org/tiny@v1.0", "--revision", "main"},
                    std::vector<std::string>{"--model", "org/tiny@"}}) {
    auto bad = forward(args, env.dir + "/bad.safetensors");
    EXPECT_EQ(bad.status, 1) << args[1] << ": " << bad.err;
    EXPECT_EQ(bad.err.rfind("error: ", 0), 0u) << bad.err;
    EXPECT_EQ(std::count(bad.err.begin(), bad.err.end(), '\n'), 1) << bad.err;
  }
}

TEST_F(CliRevision, EveryPathCommandTakesTheRevision) {
  // inspect takes a repo id (docs/CLI.md) and reports what from_pretrained reads at that revision
  auto local = cli_test::run_cli({"inspect", kGpt2, "--json"});
  ASSERT_EQ(local.status, 0) << local.err;
  auto remote = cli_test::run_cli({"inspect", "org/tiny@v1.0", "--json"});
  ASSERT_EQ(remote.status, 0) << remote.err;
  const json l = json::parse(local.out), r = json::parse(remote.out);
  for (const char* k : {"format", "model_type", "architectures", "num_parameters", "memory_footprint", "tensors", "config"})
    EXPECT_EQ(r[k], l[k]) << k;
  EXPECT_EQ(r["files"], json::parse(R"(["config.json","generation_config.json","model.safetensors","tokenizer.json"])"));
  auto main_rev = cli_test::run_cli({"inspect", "org/tiny", "--json"});
  ASSERT_EQ(main_rev.status, 0) << main_rev.err;
  EXPECT_EQ(json::parse(main_rev.out)["model_type"], "bert");

  // tokenize / decode take the repo's tokenizer.json at the revision
  auto tok_local = cli_test::run_cli({"tokenize", "--tokenizer", kTokenizer, "--text", "Hello world", "--json"});
  auto tok_remote = cli_test::run_cli({"tokenize", "--tokenizer", "org/tiny", "--revision", "v1.0", "--text", "Hello world", "--json"});
  ASSERT_EQ(tok_remote.status, 0) << tok_remote.err;
  EXPECT_EQ(tok_remote.out, tok_local.out);
  auto dec = cli_test::run_cli({"decode", "--tokenizer", "org/tiny@v1.0", "--ids", "15496,995", "--json"});
  ASSERT_EQ(dec.status, 0) << dec.err;
  EXPECT_EQ(dec.out, cli_test::run_cli({"decode", "--tokenizer", kTokenizer, "--ids", "15496,995", "--json"}).out);

  // generate, load-info and convert take --model org/name@revision
  auto gen_local = cli_test::run_cli({"generate", "--model", kGpt2, "--input-ids", "1,2,3", "--max-new-tokens", "3", "--json"});
  auto gen_remote = cli_test::run_cli({"generate", "--model", "org/tiny@v1.0", "--input-ids", "1,2,3", "--max-new-tokens", "3", "--json"});
  ASSERT_EQ(gen_remote.status, 0) << gen_remote.err;
  EXPECT_EQ(json::parse(gen_remote.out)["sequences"], json::parse(gen_local.out)["sequences"]);
  EXPECT_TRUE(json::parse(gen_remote.out).contains("text"));  // the repo's tokenizer.json was found
  auto info = cli_test::run_cli({"load-info", "--model", "org/tiny@v1.0", "--model-class", "AutoModelForCausalLM", "--json"});
  ASSERT_EQ(info.status, 0) << info.err;
  EXPECT_EQ(json::parse(info.out)["missing_keys"], json::array());
  auto conv = cli_test::run_cli({"convert", "--model", "org/tiny@v1.0", "--output", env.dir + "/converted"});
  ASSERT_EQ(conv.status, 0) << conv.err;
  EXPECT_EQ(json::parse(read_file(env.dir + "/converted/config.json"))["model_type"], "gpt2");
}

// ---- item 2: the repo's generation_config.json drives generate ----

class RepoGenerationConfig : public ::testing::Test {
 protected:
  hub::HubOptions opts() const { return {.cache_dir = env.cache(), .endpoint = fake.endpoint()}; }
  HubEnv env;
  FakeHub fake;
};

TEST_F(RepoGenerationConfig, RepoFileDrivesGenerateAndMissingFileIsDerived) {
  const std::string gen = R"({"bos_token_id": 1, "do_sample": false, "eos_token_id": 3, "max_length": 6,
                              "pad_token_id": 0, "temperature": 0.5, "transformers_version": "4.51.3"})";
  Files files = folder_files(kGpt2, {"config.json", "model.safetensors"});
  files["generation_config.json"] = gen;
  fake.commit("org/gen", files);
  auto m = transformers::AutoModelForCausalLM::from_pretrained("org/gen", {.hub = opts()});
  auto g = m->generation_config();
  ASSERT_TRUE(g);
  EXPECT_EQ(g->get<int64_t>("max_length"), 6);
  EXPECT_EQ(g->get<int64_t>("eos_token_id"), 3);
  EXPECT_DOUBLE_EQ(g->get<double>("temperature"), 0.5);
  EXPECT_FALSE(g->get<bool>("_from_model_config", false));
  // generate with no options stops at the repo's max_length (a derived config says 20)
  auto out = transformers::generate(*m, transformers::Tensor::from_vector<int64_t>({1, 2}, {1, 2}));
  EXPECT_LE(out.sequences.size(1), 6);
  // the same from the cache, offline
  {
    ScopedEnv offline("HF_HUB_OFFLINE", "1");
    auto again = transformers::AutoModelForCausalLM::from_pretrained("org/gen", {.hub = opts()});
    EXPECT_EQ(again->generation_config()->get<int64_t>("max_length"), 6);
  }
  // convert org/name writes the repo's generation config, not one derived from config.json
  cli_test::CliResult conv;
  {
    ScopedEnv ep("HF_ENDPOINT", fake.endpoint());
    ScopedEnv cache("HF_HUB_CACHE", env.cache());
    conv = cli_test::run_cli({"convert", "--model", "org/gen", "--output", env.dir + "/conv"});
  }
  ASSERT_EQ(conv.status, 0) << conv.err;
  const json saved = json::parse(read_file(env.dir + "/conv/generation_config.json"));
  EXPECT_EQ(saved["max_length"], 6);
  EXPECT_EQ(saved["temperature"], 0.5);
  EXPECT_FALSE(saved.contains("_from_model_config"));

  // a repo without the file: derived from config.json (4.51), and the 404 is remembered in .no_exist
  const std::string commit = fake.commit("org/nogen", folder_files(kGpt2, {"config.json", "model.safetensors"}));
  auto d = transformers::AutoModelForCausalLM::from_pretrained("org/nogen", {.hub = opts()});
  EXPECT_TRUE(d->generation_config()->get<bool>("_from_model_config", false));
  EXPECT_TRUE(fs::exists(env.cache() + "/models--org--nogen/.no_exist/" + commit + "/generation_config.json"));
}

// A sharded repo: the index comes through the cache and so does every shard it names (one search,
// io::find_checkpoint_files, for folders and repo ids; before, the shard paths were taken beside the
// cached index and never downloaded).
TEST_F(RepoGenerationConfig, ShardsOfARepoAreDownloaded) {
  const std::string dir = kModels + "/gpt2/sharded";
  fake.commit("org/sharded", folder_files(dir, {"config.json", "generation_config.json", "model.safetensors.index.json",
                                                "model-00001-of-00003.safetensors", "model-00002-of-00003.safetensors",
                                                "model-00003-of-00003.safetensors"}));
  auto remote = transformers::AutoModelForCausalLM::from_pretrained("org/sharded", {.hub = opts()});
  auto local = transformers::AutoModelForCausalLM::from_pretrained(dir);
  EXPECT_TRUE(remote->loading_info().missing_keys.empty());
  const auto ids = transformers::Tensor::from_vector<int64_t>({1, 2, 3}, {1, 3});
  EXPECT_EQ(remote->forward({.input_ids = ids}).logits.to_vector<float>(),
            local->forward({.input_ids = ids}).logits.to_vector<float>());
  const auto rc = transformers::resolve_checkpoint_files("org/sharded", {.hub = opts()});
  ASSERT_EQ(rc.files.size(), 3u);
  for (auto& f : rc.files) EXPECT_NE(f.find("/models--org--sharded/snapshots/"), std::string::npos) << f;
}

// ---- item 8: every HubOptions field reaches the model, config and tokenizer loads ----

// A forwarding HTTP proxy on 127.0.0.1 (absolute-form request targets, as libcurl sends them to an
// http proxy). Host "hub.test" (which resolves nowhere) is sent to the test Hub, so a load can only
// succeed through the proxy. Records every target it forwarded.
class TestProxy {
 public:
  explicit TestProxy(std::string hub_endpoint)
      : hub_(std::move(hub_endpoint)), server_([this](const transformers::testing::ServerRequest& r) { return forward(r); }) {}
  std::string url() const { return server_.base_url(); }
  std::vector<std::string> targets() const {
    std::lock_guard<std::mutex> g(mu_);
    return targets_;
  }

 private:
  transformers::testing::ServerResponse forward(const transformers::testing::ServerRequest& r) {
    {
      std::lock_guard<std::mutex> g(mu_);
      targets_.push_back(r.method + " " + r.target);
    }
    std::string url = r.target;
    const std::string fake_host = "http://hub.test";
    if (url.rfind(fake_host, 0) == 0) url = hub_ + url.substr(fake_host.size());
    hub::detail::HttpRequest req;
    req.method = r.method;
    req.url = url;
    req.body = r.body;
    for (auto& [k, v] : r.headers)
      if (k != "host" && k != "connection" && k != "proxy-connection" && k != "content-length" && k != "expect")
        req.headers.emplace_back(k, v);
    transformers::testing::ServerResponse out;
    try {
      hub::detail::HttpResponse resp = hub::detail::http_request(req);
      out.status = int(resp.status);
      out.body = resp.body;
      for (auto& [k, v] : resp.headers)
        if (k != "connection" && k != "transfer-encoding") out.headers.emplace_back(k, v);
    } catch (const std::exception& e) {
      out.status = 502;
      out.body = e.what();
    }
    return out;
  }
  std::string hub_;
  mutable std::mutex mu_;
  std::vector<std::string> targets_;
  transformers::testing::HttpServer server_;
};

class HubOptionsReach : public ::testing::Test {
 protected:
  void SetUp() override {
    Files main = folder_files(kGpt2, {"config.json", "generation_config.json", "model.safetensors"});
    main["tokenizer.json"] = read_file(kTokenizer);
    fake.commit("org/priv", main);
    // v1.0: the same model with a marker key in its config, and everything again under sub/
    Files v1 = main;
    json cfg = json::parse(main["config.json"]);
    cfg["marker"] = "v1";
    v1["config.json"] = cfg.dump();
    for (auto& [p, c] : Files(v1)) v1["sub/" + p] = c;
    fake.set_ref("org/priv", "v1.0", fake.commit("org/priv", v1, "release"));
    fake.set_private("org/priv", "hf_secret");
  }
  hub::HubOptions opts(const std::string& cache) const {
    return {.revision = "v1.0", .cache_dir = cache, .token = "hf_secret", .endpoint = fake.endpoint()};
  }
  // GETs of a regular file on the Hub; LFS bytes (the weights) are GETs on the CDN.
  int gets(const std::string& file) const {
    int n = 0;
    for (auto& l : fake.log())
      if (l.req.method == "GET" && l.req.target.ends_with("/" + file)) ++n;
    return n;
  }
  int cdn_gets() const {
    int n = 0;
    for (auto& l : fake.log())
      if (l.server == "cdn" && l.req.method == "GET") ++n;
    return n;
  }
  HubEnv env;
  FakeHub fake;
};

TEST_F(HubOptionsReach, RevisionTokenCacheDirSubfolder) {
  const std::string cache = env.dir + "/my_cache";
  auto cfg = transformers::AutoConfig::from_pretrained("org/priv", {.hub = opts(cache)});
  EXPECT_EQ(cfg->raw().value("marker", ""), "v1");  // revision reached
  EXPECT_EQ(fs::read_symlink(cache + "/models--org--priv/snapshots/" + fake.head("org/priv", "v1.0") + "/config.json")
                .string()
                .rfind("../../blobs/", 0),
            0u);  // cache_dir reached
  EXPECT_EQ(read_file(cache + "/models--org--priv/refs/v1.0"), fake.head("org/priv", "v1.0"));
  auto model = transformers::AutoModelForCausalLM::from_pretrained("org/priv", {.hub = opts(cache)});
  EXPECT_EQ(model->config().raw().value("marker", ""), "v1");
  auto tok = transformers::AutoTokenizer::from_pretrained("org/priv", {.hub = opts(cache)});
  EXPECT_EQ(tok.encode("Hello world", {.add_special_tokens = false}),
            transformers::AutoTokenizer::from_pretrained(kTokenizer).encode("Hello world", {.add_special_tokens = false}));
  auto gen = transformers::GenerationConfig::from_pretrained("org/priv", {.hub = opts(cache)});
  EXPECT_EQ(gen->get<int64_t>("eos_token_id"), 2);

  // subfolder reached (a second cache, so nothing is already there)
  hub::HubOptions sub = opts(env.dir + "/sub_cache");
  sub.subfolder = "sub";
  EXPECT_EQ(transformers::AutoConfig::from_pretrained("org/priv", {.hub = sub})->raw().value("marker", ""), "v1");
  EXPECT_NO_THROW(transformers::AutoModelForCausalLM::from_pretrained("org/priv", {.hub = sub}));
  EXPECT_NO_THROW(transformers::AutoTokenizer::from_pretrained("org/priv", {.hub = sub}));
  EXPECT_TRUE(fs::exists(env.dir + "/sub_cache/models--org--priv/snapshots/" + fake.head("org/priv", "v1.0") +
                         "/sub/model.safetensors"));

  // token reached: without it the private repo is not found, for each entry point
  hub::HubOptions anon = opts(env.dir + "/anon_cache");
  anon.token = "";
  EXPECT_THROW(transformers::AutoConfig::from_pretrained("org/priv", {.hub = anon}), transformers::FileNotFoundError);
  EXPECT_THROW(transformers::AutoModelForCausalLM::from_pretrained("org/priv", {.hub = anon}), transformers::FileNotFoundError);
  EXPECT_THROW(transformers::AutoTokenizer::from_pretrained("org/priv", {.hub = anon}), transformers::FileNotFoundError);
}

TEST_F(HubOptionsReach, LocalFilesOnlyAndForceDownload) {
  const std::string cache = env.dir + "/c";
  // local_files_only with an empty cache: nothing is asked of the Hub, each load fails typed
  hub::HubOptions local = opts(cache);
  local.local_files_only = true;
  EXPECT_THROW(transformers::AutoConfig::from_pretrained("org/priv", {.hub = local}), transformers::FileNotFoundError);
  EXPECT_THROW(transformers::AutoModelForCausalLM::from_pretrained("org/priv", {.hub = local}), transformers::FileNotFoundError);
  EXPECT_THROW(transformers::AutoTokenizer::from_pretrained("org/priv", {.hub = local}), transformers::FileNotFoundError);
  EXPECT_TRUE(fake.log().empty());
  // fill the cache; then local_files_only loads with no request at all
  transformers::AutoModelForCausalLM::from_pretrained("org/priv", {.hub = opts(cache)});
  transformers::AutoTokenizer::from_pretrained("org/priv", {.hub = opts(cache)});
  fake.clear_log();
  EXPECT_NO_THROW(transformers::AutoModelForCausalLM::from_pretrained("org/priv", {.hub = local}));
  EXPECT_NO_THROW(transformers::AutoTokenizer::from_pretrained("org/priv", {.hub = local}));
  EXPECT_TRUE(fake.log().empty());
  // cached and not forced: HEADs only; force_download: every file is fetched again
  transformers::AutoModelForCausalLM::from_pretrained("org/priv", {.hub = opts(cache)});
  EXPECT_EQ(gets("config.json") + cdn_gets(), 0);
  hub::HubOptions force = opts(cache);
  force.force_download = true;
  transformers::AutoModelForCausalLM::from_pretrained("org/priv", {.hub = force});
  transformers::AutoTokenizer::from_pretrained("org/priv", {.hub = force});
  EXPECT_GE(gets("config.json"), 1);
  EXPECT_GE(gets("generation_config.json"), 1);
  EXPECT_GE(gets("tokenizer.json"), 1);
  EXPECT_GE(cdn_gets(), 1);
}

TEST_F(HubOptionsReach, ProxiesCarryEveryRequest) {
  TestProxy proxy(fake.endpoint());
  hub::HubOptions via = opts(env.dir + "/pc");
  via.endpoint = "http://hub.test";  // reachable only through the proxy
  via.proxies = {{"http", proxy.url()}};
  auto cfg = transformers::AutoConfig::from_pretrained("org/priv", {.hub = via});
  EXPECT_EQ(cfg->raw().value("marker", ""), "v1");
  EXPECT_NO_THROW(transformers::AutoModelForCausalLM::from_pretrained("org/priv", {.hub = via}));
  EXPECT_NO_THROW(transformers::AutoTokenizer::from_pretrained("org/priv", {.hub = via}));
  std::set<std::string> seen;
  for (auto& t : proxy.targets())
    for (const char* f : {"config.json", "generation_config.json", "model.safetensors", "tokenizer.json"})
      if (t.ends_with(std::string("/resolve/v1.0/") + f)) seen.insert(f);
  EXPECT_EQ(seen.size(), 4u) << json(proxy.targets()).dump();
}

}  // namespace
