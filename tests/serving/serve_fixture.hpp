#pragma once
// The server of the serving tests: the GPT-2 fixture (64 positions) with the 99-word chat tokenizer
// of the chat CLI's tests (tests/data/cli/chat_tokenizer/), served in this process on a free port
// of 127.0.0.1, and an HTTP client for it.
#include <httplib.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "transformers/modeling/auto.hpp"
#include "transformers/serving/server.hpp"
#include "transformers/tokenizers/auto_tokenizer.hpp"

namespace serve_test {

namespace fs = std::filesystem;
using json = nlohmann::ordered_json;

inline const fs::path kFixtures = fs::path(TRANSFORMERS_FIXTURES_DIR) / "hf" / "models";
inline const fs::path kData = fs::path(TRANSFORMERS_TEST_DATA_DIR);

// A copy of the GPT-2 fixture with the chat tokenizer (made once per process).
inline std::string chat_model_dir() {
  static const fs::path dir = [] {
    const fs::path d = fs::temp_directory_path() / ("serve-test-" + std::to_string(::getpid())) / "model";
    fs::create_directories(d);
    for (auto& e : fs::directory_iterator(kFixtures / "gpt2/model")) fs::copy_file(e.path(), d / e.path().filename());
    for (auto& e : fs::directory_iterator(kData / "cli/chat_tokenizer")) fs::copy_file(e.path(), d / e.path().filename());
    std::atexit([] { fs::remove_all(fs::temp_directory_path() / ("serve-test-" + std::to_string(::getpid()))); });
    return d;
  }();
  return dir.string();
}

// A running server; stopped and joined on destruction.
class RunningServer {
 public:
  explicit RunningServer(transformers::serving::ServeOptions o = {}) {
    using namespace transformers;
    static std::shared_ptr<PreTrainedModel> model = AutoModelForCausalLM::from_pretrained(chat_model_dir());
    static auto tok = std::make_shared<const PreTrainedTokenizerFast>(AutoTokenizer::from_pretrained(chat_model_dir()));
    if (o.model_id.empty()) o.model_id = "tiny";
    o.port = 0;
    server_ = std::make_unique<serving::Server>(model, tok, o);
    port_ = server_->bind();
    thread_ = std::thread([this] { server_->listen(); });
  }
  ~RunningServer() {
    server_->stop();
    thread_.join();
  }
  int port() const { return port_; }
  httplib::Client client() const {
    httplib::Client c("127.0.0.1", port_);
    c.set_read_timeout(60, 0);
    return c;
  }
  // POST a JSON body; the response (status, body).
  httplib::Result post(const std::string& path, const std::string& body) const {
    auto c = client();
    return c.Post(path.c_str(), body, "application/json");
  }

 private:
  std::unique_ptr<transformers::serving::Server> server_;
  std::thread thread_;
  int port_ = 0;
};

// The `data:` payloads of a Server-Sent Events body, in order.
inline std::vector<std::string> sse_data(const std::string& body) {
  std::vector<std::string> out;
  std::size_t b = 0;
  while (b < body.size()) {
    std::size_t e = body.find('\n', b);
    if (e == std::string::npos) e = body.size();
    const std::string line = body.substr(b, e - b);
    if (line.rfind("data: ", 0) == 0) out.push_back(line.substr(6));
    b = e + 1;
  }
  return out;
}

}  // namespace serve_test
