#include "cli_common.hpp"

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <sstream>

#include "transformers/core/error.hpp"
#include "transformers/core/parallel.hpp"

namespace transformers::cli {

std::vector<Command>& commands() {
  static std::vector<Command> c;
  return c;
}

RegisterCommand::RegisterCommand(std::string name, std::string summary,
                                 std::function<std::function<int()>(CLI::App&)> setup) {
  commands().push_back({std::move(name), std::move(summary), std::move(setup)});
}

Tensor parse_ids(const std::string& text, const std::string& what) {
  std::vector<std::vector<int64_t>> rows;
  std::stringstream rs(text);
  std::string row;
  while (std::getline(rs, row, ';')) {
    std::vector<int64_t> ids;
    std::stringstream cs(row);
    std::string cell;
    while (std::getline(cs, cell, ',')) {
      size_t b = cell.find_first_not_of(" \t"), e = cell.find_last_not_of(" \t");
      if (b == std::string::npos) throw ValueError(what + ": empty entry in '" + text + "'");
      cell = cell.substr(b, e - b + 1);
      size_t used = 0;
      int64_t v = 0;
      try {
        v = std::stoll(cell, &used);
      } catch (const std::exception&) {
        used = 0;
      }
      if (used != cell.size()) throw ValueError(what + ": expected comma-separated integers, found '" + cell + "'");
      ids.push_back(v);
    }
    rows.push_back(std::move(ids));
  }
  if (rows.empty() || rows[0].empty()) throw ValueError(what + ": expected at least one integer, found '" + text + "'");
  for (auto& r : rows)
    if (r.size() != rows[0].size())
      throw ValueError(what + ": rows must have equal length (found " + std::to_string(rows[0].size()) + " and " +
                       std::to_string(r.size()) + ")");
  std::vector<int64_t> flat;
  for (auto& r : rows) flat.insert(flat.end(), r.begin(), r.end());
  return Tensor::from_vector(flat, {int64_t(rows.size()), int64_t(rows[0].size())});
}

std::optional<DType> parse_dtype_option(const std::string& name) {
  if (name == "auto") return std::nullopt;
  // int8: the int8 compute type (Linear weights quantized per channel at load, docs/int8.md)
  if (name == "float32" || name == "float16" || name == "bfloat16" || name == "float64" || name == "int8")
    return dtype_from_name(name);
  throw ValueError("--dtype: expected auto, float32, float16, bfloat16, float64 or int8, found '" + name + "'");
}

void print_json(const json& j) {
  std::cout << j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  std::cout.flush();
}

bool stderr_is_tty() { return isatty(STDERR_FILENO) == 1; }

ProgressBar::ProgressBar(std::string label, int64_t total)
    : label_(std::move(label)), total_(total), enabled_(stderr_is_tty() && total > 0) {}

void ProgressBar::update(int64_t done) {
  if (!enabled_) return;
  const int width = 30;
  const int filled = total_ ? int(width * done / total_) : width;
  std::fprintf(stderr, "\r%s [%s%s] %lld/%lld", label_.c_str(), std::string(size_t(filled), '#').c_str(),
               std::string(size_t(width - filled), ' ').c_str(), (long long)done, (long long)total_);
  std::fflush(stderr);
}

void ProgressBar::finish() {
  if (enabled_ && !finished_) std::fprintf(stderr, "\n");
  finished_ = true;
}

ProgressBar::~ProgressBar() { finish(); }

void apply_threads(int threads) {
  if (threads > 0) set_num_threads(threads);
}

void check_output_folder(const std::string& output) {
  // save_pretrained (as 4.51) only logs and returns when its folder is a file; a command that
  // promised to write there must fail instead of exiting 0 with nothing written.
  std::error_code ec;
  const auto st = std::filesystem::status(output, ec);
  if (std::filesystem::exists(st) && !std::filesystem::is_directory(st))
    throw EnvironmentError("--output '" + output + "' is an existing file; expected a folder or a new name");
}

}  // namespace transformers::cli
