// transformers.utils.logging's behaviour: the verbosity comes from TRANSFORMERS_VERBOSITY at first
// use (an unknown value is reported then, once, and WARNING kept, as 4.51 reports it when the
// library's root logger is configured), records go to the handlers, the default one writes
// "message\n" to stderr (Python's StreamHandler without a format).
#include "transformers/core/logging.hpp"

#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <set>
#include <string_view>
#include <utility>
#include <vector>

namespace transformers::logging {

namespace {

struct State {
  std::mutex mu;
  int verbosity = WARNING;
  bool default_handler = true;
  int next_id = 1;
  std::vector<std::pair<int, Handler>> handlers;
  std::set<std::string> once;
};

void emit_locked(State& s, const LogRecord& r) {
  if (s.default_handler) {
    std::fwrite(r.message.data(), 1, r.message.size(), stderr);
    std::fputc('\n', stderr);
    std::fflush(stderr);
  }
  for (auto& [id, h] : s.handlers) h(r);
}

State& state() {
  static State* s = [] {
    auto* st = new State();  // never destroyed: loggers may run during static destruction
    static constexpr std::pair<std::string_view, int> kLevels[] = {
        {"detail", DEBUG}, {"debug", DEBUG}, {"info", INFO}, {"warning", WARNING}, {"error", ERROR}, {"critical", CRITICAL}};
    const char* env = std::getenv("TRANSFORMERS_VERBOSITY");
    if (env && *env) {
      bool known = false;
      for (auto& [name, level] : kLevels)
        if (name == env) {
          st->verbosity = level;
          known = true;
        }
      if (!known)
        emit_locked(*st, {"root", WARNING,
                          std::string("Unknown option TRANSFORMERS_VERBOSITY=") + env +
                              ", has to be one of: detail, debug, info, warning, error, critical"});
    }
    return st;
  }();
  return *s;
}

}  // namespace

int get_verbosity() {
  State& s = state();
  std::lock_guard<std::mutex> lk(s.mu);
  return s.verbosity;
}

void set_verbosity(int level) {
  State& s = state();
  std::lock_guard<std::mutex> lk(s.mu);
  s.verbosity = level;
}

int add_handler(Handler handler) {
  State& s = state();
  std::lock_guard<std::mutex> lk(s.mu);
  s.handlers.emplace_back(s.next_id, std::move(handler));
  return s.next_id++;
}

void remove_handler(int id) {
  State& s = state();
  std::lock_guard<std::mutex> lk(s.mu);
  std::erase_if(s.handlers, [&](const auto& h) { return h.first == id; });
}

void disable_default_handler() {
  State& s = state();
  std::lock_guard<std::mutex> lk(s.mu);
  s.default_handler = false;
}

void enable_default_handler() {
  State& s = state();
  std::lock_guard<std::mutex> lk(s.mu);
  s.default_handler = true;
}

void Logger::log(int level, const std::string& message) const {
  State& s = state();
  std::lock_guard<std::mutex> lk(s.mu);
  if (level < s.verbosity) return;
  emit_locked(s, {name_, level, message});
}

void Logger::warning_once(const std::string& m) const {
  {
    State& s = state();
    std::lock_guard<std::mutex> lk(s.mu);
    if (!s.once.insert(m).second) return;
  }
  warning(m);
}

Logger get_logger(const std::string& name) { return Logger(name); }

}  // namespace transformers::logging
