// hub_server: the test Hub (fake_hub.hpp) as a program, for oracle scripts that run the real
// huggingface_hub client against it. Prints one JSON line {"endpoint", "cdn"} on stdout, serves until
// stdin closes, then writes the request log (JSON) to --log.
//
//   hub_server [--write-token T] [--seed org/name=DIR]... [--spec REPO.json]... [--private org/name=TOKEN]...
//              [--multipart-chunk BYTES] [--log FILE]
// --spec: {"repo_id", "commits": [{"sha", "refs": [...], "files": {path: base64}}]} (the format of
// tests/data/hub/interop_repo.json): commits with the given shas.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "fake_hub.hpp"

namespace fs = std::filesystem;
using transformers::testing::FakeHub;

int main(int argc, char** argv) {
  try {
    FakeHub hub;
    std::string log_path;
    for (int i = 1; i < argc; ++i) {
      std::string a = argv[i];
      auto next = [&]() -> std::string {
        if (i + 1 >= argc) throw std::runtime_error("missing value after " + a);
        return argv[++i];
      };
      if (a == "--write-token") {
        hub.set_write_token(next());
      } else if (a == "--multipart-chunk") {
        hub.set_multipart_chunk(std::stoul(next()));
      } else if (a == "--spec") {
        std::ifstream f(next());
        auto spec = nlohmann::json::parse(f);
        std::string repo = spec.at("repo_id");
        for (const auto& c : spec.at("commits")) {
          FakeHub::Files files;
          for (const auto& [p, b] : c.at("files").items()) files[p] = FakeHub::base64_decode(b.get<std::string>());
          for (const auto& r : c.at("refs")) hub.commit(repo, files, r.get<std::string>(), c.at("sha"));
        }
      } else if (a == "--log") {
        log_path = next();
      } else if (a == "--seed" || a == "--private") {
        std::string v = next();
        auto eq = v.find('=');
        if (eq == std::string::npos) throw std::runtime_error(a + " expects REPO=VALUE");
        std::string repo = v.substr(0, eq), val = v.substr(eq + 1);
        if (a == "--private") {
          hub.set_private(repo, val);
          continue;
        }
        FakeHub::Files files;
        for (const auto& e : fs::recursive_directory_iterator(val)) {
          if (!e.is_regular_file()) continue;
          std::ifstream f(e.path(), std::ios::binary);
          std::stringstream ss;
          ss << f.rdbuf();
          files[fs::relative(e.path(), val).generic_string()] = ss.str();
        }
        hub.commit(repo, files);
      } else {
        throw std::runtime_error("unknown argument " + a);
      }
    }
    std::cout << nlohmann::json{{"endpoint", hub.endpoint()}, {"cdn", hub.cdn_url()}}.dump() << std::endl;
    std::string line;
    while (std::getline(std::cin, line)) {
    }
    if (!log_path.empty()) {
      nlohmann::json out = nlohmann::json::array();
      for (const auto& l : hub.log()) {
        nlohmann::json e{{"server", l.server}, {"method", l.req.method}, {"target", l.req.target},
                         {"content_type", l.req.header("content-type")}, {"accept", l.req.header("accept")},
                         {"authorization", !l.req.header("authorization").empty()}, {"body_size", l.req.body.size()}};
        std::string ct = l.req.header("content-type");
        if (ct.find("json") != std::string::npos && l.req.body.size() < 200000) e["body"] = l.req.body;
        out.push_back(e);
      }
      std::ofstream(log_path) << out.dump(1) << "\n";
    }
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "hub_server: " << e.what() << "\n";
    return 1;
  }
}
