#pragma once
// The library's logger, shaped like transformers.utils.logging: one verbosity for the whole library
// (default WARNING, or TRANSFORMERS_VERBOSITY=debug|info|warning|error|critical read once), records
// below it dropped, the rest written as the bare message plus a newline to stderr by the default
// handler. Handlers receive every record that passes the verbosity (tests capture through one; the
// CLI needs none: it holds back all of stderr until a command has succeeded, tools/cli/stderr_hold).
#include <functional>
#include <string>

namespace transformers::logging {

// Python's logging levels.
inline constexpr int DEBUG = 10;
inline constexpr int INFO = 20;
inline constexpr int WARNING = 30;
inline constexpr int ERROR = 40;
inline constexpr int CRITICAL = 50;

int get_verbosity();
void set_verbosity(int level);
inline void set_verbosity_debug() { set_verbosity(DEBUG); }
inline void set_verbosity_info() { set_verbosity(INFO); }
inline void set_verbosity_warning() { set_verbosity(WARNING); }
inline void set_verbosity_error() { set_verbosity(ERROR); }

struct LogRecord {
  std::string name;  // "transformers.modeling_utils"
  int level = WARNING;
  std::string message;
};
using Handler = std::function<void(const LogRecord&)>;

// Returns an id for remove_handler. Handlers run in the order added, under the logger's lock (a
// handler must not log).
int add_handler(Handler handler);
void remove_handler(int id);
// The stderr handler (on by default).
void disable_default_handler();
void enable_default_handler();

// A named logger (get_logger("transformers.modeling_utils")); cheap to copy.
class Logger {
 public:
  explicit Logger(std::string name) : name_(std::move(name)) {}
  const std::string& name() const { return name_; }
  bool is_enabled_for(int level) const { return level >= get_verbosity(); }
  void log(int level, const std::string& message) const;
  void debug(const std::string& m) const { log(DEBUG, m); }
  void info(const std::string& m) const { log(INFO, m); }
  void warning(const std::string& m) const { log(WARNING, m); }
  void error(const std::string& m) const { log(ERROR, m); }
  void critical(const std::string& m) const { log(CRITICAL, m); }
  // Python's logger.warning_once: the same message text is emitted once per process.
  void warning_once(const std::string& m) const;

 private:
  std::string name_;
};
Logger get_logger(const std::string& name);

}  // namespace transformers::logging
