// The docs stay true (issue 18, item 11): every `transformers-cli` command shown in README.md runs
// on the fixtures and exits 0, and every command and flag docs/CLI.md documents is run by an example
// of tests/data/cli/doc_commands.json with its documented exit status. A flag added to the docs
// without an example, a documented command the CLI lacks, or a flag the CLI no longer accepts
// (usage error, exit 2) fails here.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <tuple>

#include "cli/cli_runner.hpp"

using cli_test::run_cli;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

const fs::path kSource = TRANSFORMERS_SOURCE_DIR;
const fs::path kFixtures = TRANSFORMERS_FIXTURES_DIR;
const fs::path kData = TRANSFORMERS_TEST_DATA_DIR;

std::string read_text(const fs::path& p) {
  std::ifstream in(p);
  EXPECT_TRUE(in) << "cannot read " << p;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

const json& doc_data() {
  static const json j = json::parse(read_text(kData / "cli/doc_commands.json"));
  return j;
}

void replace_all(std::string& s, const std::string& from, const std::string& to) {
  for (size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size())) s.replace(p, from.size(), to);
}

// Words of a shell command line as the README shows them: blanks separate, double quotes group.
std::vector<std::string> shell_words(const std::string& line) {
  std::vector<std::string> out;
  std::string cur;
  bool quoted = false, any = false;
  for (char c : line) {
    if (c == '"') {
      quoted = !quoted;
      any = true;
    } else if (!quoted && (c == ' ' || c == '\t')) {
      if (any) out.push_back(cur);
      cur.clear();
      any = false;
    } else {
      cur += c;
      any = true;
    }
  }
  EXPECT_FALSE(quoted) << "unbalanced quote in: " << line;
  if (any) out.push_back(cur);
  return out;
}

// Folders the examples use: the fixtures, a fresh temporary folder per example and the GPT-2
// fixture with a word-level tokenizer whose ids fit its 99-token vocabulary (for --prompt / --text)
// and a chat template.
class DocRun : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    root_ = fs::temp_directory_path() / ("tcpp_docs_" + std::to_string(::getpid()));
    fs::remove_all(root_);
    fs::create_directories(root_ / "docmodel");
    for (auto& e : fs::directory_iterator(kFixtures / "hf/models/gpt2/model"))
      fs::copy_file(e.path(), root_ / "docmodel" / e.path().filename());
    fs::copy_file(kData / "cli/doc_tokenizer.json", root_ / "docmodel/tokenizer.json");
    // a chat template for `chat` (the other commands read tokenizer.json alone)
    fs::copy_file(kData / "cli/doc_tokenizer_config.json", root_ / "docmodel/tokenizer_config.json");
  }
  static void TearDownTestSuite() { fs::remove_all(root_); }

  std::string expand(std::string s) {
    const fs::path tmp = root_ / ("run" + std::to_string(++runs_));
    fs::create_directories(tmp);
    replace_all(s, "{models}", (kFixtures / "hf/models").string());
    replace_all(s, "{tokenizers}", (kFixtures / "hf/tokenizers").string());
    replace_all(s, "{docmodel}", (root_ / "docmodel").string());
    replace_all(s, "{tmp}", tmp.string());
    replace_all(s, "{data}", kData.string());
    replace_all(s, "{default_model}", default_model().string());
    return s;
  }

  // where scripts/fetch_default_model puts the embedding model (as cmd_embed.cpp looks for it)
  static fs::path default_model() {
    if (const char* home = std::getenv("TRANSFORMERS_CPP_HOME")) return fs::path(home) / "models/all-MiniLM-L6-v2";
    const char* home = std::getenv("HOME");
    return fs::path(home ? home : "/root") / ".cache/transformers-cpp/models/all-MiniLM-L6-v2";
  }

  static fs::path root_;
  static int runs_;
};
fs::path DocRun::root_;
int DocRun::runs_ = 0;

// Checks a run against its documented status: 0, or 1 with exactly one `error: ` line.
void expect_status(const cli_test::CliResult& r, int status, const std::string& what) {
  EXPECT_EQ(r.status, status) << what << "\nstderr: " << r.err;
  if (status == 1) {
    EXPECT_EQ(r.err.rfind("error: ", 0), 0u) << what << "\nstderr: " << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << what << "\nstderr: " << r.err;
  }
}

// `transformers-cli ...` lines inside the README's fenced code blocks.
std::vector<std::string> readme_commands() {
  std::vector<std::string> out;
  std::istringstream in(read_text(kSource / "README.md"));
  bool code = false;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("```", 0) == 0) code = !code;
    else if (code && line.rfind("transformers-cli ", 0) == 0) out.push_back(line);
  }
  return out;
}

// docs/CLI.md's command table: command name -> the flags its synopsis cell names.
std::map<std::string, std::set<std::string>> cli_md_commands() {
  std::map<std::string, std::set<std::string>> out;
  std::istringstream in(read_text(kSource / "docs/CLI.md"));
  const std::regex row(R"(^\| `([a-z][a-z-]*)([^|]|\\\|)*\|)");
  const std::regex flag(R"(--[a-z][a-z0-9-]*)");
  for (std::string line; std::getline(in, line);) {
    std::smatch m;
    if (!std::regex_search(line, m, row)) continue;
    const std::string cell = m.str(0);
    auto& flags = out[m.str(1)];
    for (std::sregex_iterator it(cell.begin(), cell.end(), flag), end; it != end; ++it) flags.insert(it->str());
  }
  return out;
}

}  // namespace

TEST_F(DocRun, ReadmeCommandsRun) {
  const auto cmds = readme_commands();
  ASSERT_GE(cmds.size(), 7u) << "README.md's command-line block was not found";
  for (const std::string& line : cmds) {
    auto words = shell_words(line);
    words.erase(words.begin());  // transformers-cli
    const json& by_cmd = doc_data()["readme_words_by_command"];
    const json none = json::object();
    const json& own = by_cmd.contains(words.at(0)) ? by_cmd[words[0]] : none;
    for (auto& w : words) {
      if (own.contains(w)) w = expand(own[w].get<std::string>());
      else if (doc_data()["readme_words"].contains(w)) w = expand(doc_data()["readme_words"][w].get<std::string>());
    }
    expect_status(run_cli(words), 0, "README: " + line);
  }
}

TEST_F(DocRun, EveryCliMdCommandAndFlagHasARunningExample) {
  const auto documented = cli_md_commands();
  ASSERT_GE(documented.size(), 13u) << "docs/CLI.md's command table was not found";
  const json& examples = doc_data()["commands"];
  for (auto& [name, flags] : documented) {
    SCOPED_TRACE("docs/CLI.md command " + name);
    ASSERT_TRUE(examples.contains(name)) << "add examples of `" << name << "` to tests/data/cli/doc_commands.json";
    std::set<std::string> used;
    for (const json& ex : examples[name]) {
      std::vector<std::string> args;
      for (auto& a : ex["args"]) args.push_back(expand(a.get<std::string>()));
      ASSERT_EQ(args.at(0), name);
      for (auto& a : args)
        if (a.rfind("--", 0) == 0) used.insert(a);
      std::vector<std::string> set_env;
      if (ex.contains("env"))
        for (auto& [k, v] : ex["env"].items()) {
          ::setenv(k.c_str(), v.get<std::string>().c_str(), 1);
          set_env.push_back(k);
        }
      expect_status(run_cli(args), ex["status"].get<int>(), ex["args"].dump());
      for (auto& k : set_env) ::unsetenv(k.c_str());
    }
    for (auto& f : flags) EXPECT_TRUE(used.count(f)) << name << " " << f << " is documented but no example runs it";
  }
  for (auto& [name, ex] : examples.items()) EXPECT_TRUE(documented.count(name)) << name << " is not in docs/CLI.md";
}

// Every subcommand the CLI offers is documented in docs/CLI.md.
TEST(CliDocs, EverySubcommandIsDocumented) {
  auto r = run_cli({"--help"});
  ASSERT_EQ(r.status, 0) << r.err;
  const auto documented = cli_md_commands();
  std::istringstream in(r.out);
  bool in_list = false;
  int n = 0;
  for (std::string line; std::getline(in, line);) {
    if (line == "commands:") {
      in_list = true;
      continue;
    }
    if (!in_list) continue;
    if (line.empty()) break;  // the list ends at the first blank line
    std::istringstream words(line);
    std::string name;
    if (!(words >> name)) continue;
    ++n;
    EXPECT_TRUE(documented.count(name)) << "subcommand " << name << " is not in docs/CLI.md";
  }
  EXPECT_GE(n, 13) << r.out;
}

// docs/ARCHITECTURE.md's layer order against the code: an `#include` of a later layer under src/ or
// include/ must be one of the listed exceptions, and each listed exception must still exist.
TEST(CliDocs, ArchitectureLayerOrderMatchesIncludes) {
  const std::string md = read_text(kSource / "docs/ARCHITECTURE.md");
  std::vector<std::string> order;
  std::set<std::tuple<std::string, std::string, std::string>> listed;  // (layer, later layer, file)
  {
    std::istringstream in(md);
    bool layers = false;
    const std::regex row(R"(^\| ([a-z_]+) \|)");
    const std::regex debt(R"(^- `([a-z_]+)` → `([a-z_]+)`: `([^`]+)`)");
    for (std::string line; std::getline(in, line);) {
      if (line.rfind("## ", 0) == 0) layers = line.rfind("## Layers", 0) == 0;
      std::smatch m;
      if (layers && std::regex_search(line, m, row) && m.str(1) != "layer") order.push_back(m.str(1));
      if (std::regex_search(line, m, debt)) listed.insert({m.str(1), m.str(2), m.str(3)});
    }
  }
  ASSERT_GE(order.size(), 9u) << "the layer table of docs/ARCHITECTURE.md was not found";
  auto rank = [&](const std::string& l) { return std::find(order.begin(), order.end(), l) - order.begin(); };
  std::set<std::tuple<std::string, std::string, std::string>> found;
  const std::regex inc(R"(^\s*#\s*include\s*"(?:transformers/)?([a-z_]+)/([^"]*))");
  // hub/push_to_hub.* is the push_to_hub layer of its own (it saves a model); the rest of hub/ is the
  // Hub client, early in the order
  auto layer_of = [](const std::string& top, const std::string& rest) {
    return top == "hub" && rest.find("push_to_hub") != std::string::npos ? std::string("push_to_hub") : top;
  };
  for (const fs::path base : {kSource / "src", kSource / "include/transformers"}) {
    for (auto& e : fs::recursive_directory_iterator(base)) {
      if (!e.is_regular_file()) continue;
      const fs::path rel = fs::relative(e.path(), base);
      const std::string layer = layer_of(rel.begin()->string(), rel.generic_string());
      if (rank(layer) == std::ptrdiff_t(order.size())) {
        ADD_FAILURE() << e.path() << ": folder " << layer << " is not a layer of docs/ARCHITECTURE.md";
        continue;
      }
      std::ifstream in(e.path());
      for (std::string line; std::getline(in, line);) {
        std::smatch m;
        if (!std::regex_search(line, m, inc)) continue;
        const std::string to = layer_of(m.str(1), m.str(2));
        if (rank(to) == std::ptrdiff_t(order.size())) continue;
        if (rank(to) > rank(layer)) found.insert({layer, to, fs::relative(e.path(), kSource).string()});
      }
    }
  }
  for (auto& [from, to, file] : found)
    EXPECT_TRUE(listed.count({from, to, file})) << file << ": " << from << " includes the later layer " << to
                                                << " (not listed in docs/ARCHITECTURE.md)";
  for (auto& [from, to, file] : listed)
    EXPECT_TRUE(found.count({from, to, file})) << "docs/ARCHITECTURE.md lists " << from << " → " << to << " in "
                                               << file << ", which the code no longer has";
}
