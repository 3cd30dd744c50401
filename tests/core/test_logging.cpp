// The library logger (core/logging.hpp) as transformers.utils.logging behaves: records below the
// verbosity are dropped, handlers see the rest in order, warning_once emits a text once.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "transformers/core/logging.hpp"

using namespace transformers;

namespace {
struct Collect {
  std::vector<std::string> seen;
  int id;
  int saved = logging::get_verbosity();
  Collect() {
    logging::disable_default_handler();
    id = logging::add_handler([this](const logging::LogRecord& r) { seen.push_back(r.name + ":" + std::to_string(r.level) + ":" + r.message); });
  }
  ~Collect() {
    logging::remove_handler(id);
    logging::enable_default_handler();
    logging::set_verbosity(saved);
  }
};
}  // namespace

TEST(Logging, VerbosityFiltersAndHandlersReceive) {
  Collect c;
  const auto log = logging::get_logger("transformers.test");
  logging::set_verbosity_warning();
  log.info("i");
  log.warning("w");
  log.error("e");
  logging::set_verbosity_error();
  log.warning("w2");
  log.critical("c");
  logging::set_verbosity_debug();
  log.debug("d");
  EXPECT_EQ(c.seen, (std::vector<std::string>{"transformers.test:30:w", "transformers.test:40:e",
                                              "transformers.test:50:c", "transformers.test:10:d"}));
  EXPECT_EQ(logging::get_verbosity(), logging::DEBUG);
}

TEST(Logging, WarningOnceAndRemovedHandlers) {
  Collect c;
  logging::set_verbosity_warning();
  const auto log = logging::get_logger("transformers.test");
  log.warning_once("only once (test_logging)");
  log.warning_once("only once (test_logging)");
  ASSERT_EQ(c.seen.size(), 1u);
  logging::remove_handler(c.id);
  log.warning("after removal");
  EXPECT_EQ(c.seen.size(), 1u);
}
