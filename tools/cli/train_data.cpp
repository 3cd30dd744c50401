// transformers-cli train's data files (see train_data.hpp).
#include "train_data.hpp"

#include <fstream>
#include <iterator>
#include <set>

#include "transformers/core/error.hpp"
#include "transformers/core/quote.hpp"
#include "transformers/io/json_file.hpp"
#include "transformers/tokenizers/auto_tokenizer.hpp"

namespace transformers::cli {

namespace {
std::string read_all(const std::string& path) {
  io::require_regular_file(path, "training data");
  std::ifstream in(path, std::ios::binary);
  std::string s{std::istreambuf_iterator<char>(in), {}};
  if (!in.good() && !in.eof()) throw EnvironmentError("training data: cannot read '" + path + "'");
  return s;
}

// Python's str.splitlines() over UTF-8 text (what datasets' "text" loader splits rows with):
// \n, \r, \r\n, \v, \f, \x1c, \x1d, \x1e, U+0085, U+2028, U+2029; no empty row after a final break.
std::vector<std::string> split_lines(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0, i = 0;
  auto cut = [&](size_t end, size_t next) {
    out.push_back(s.substr(start, end - start));
    start = i = next;
  };
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == '\r') cut(i, i + 1 < s.size() && s[i + 1] == '\n' ? i + 2 : i + 1);
    else if (c == '\n' || c == 0x0b || c == 0x0c || c == 0x1c || c == 0x1d || c == 0x1e) cut(i, i + 1);
    else if (c == 0xc2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0x85) cut(i, i + 2);
    else if (c == 0xe2 && i + 2 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0x80 &&
             (static_cast<unsigned char>(s[i + 2]) == 0xa8 || static_cast<unsigned char>(s[i + 2]) == 0xa9))
      cut(i, i + 3);
    else ++i;
  }
  if (start < s.size()) out.push_back(s.substr(start));
  return out;
}

// The records of an RFC 4180 file; blank lines skipped (pandas' skip_blank_lines).
std::vector<std::vector<std::string>> csv_records(const std::string& s, const std::string& path) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> row;
  std::string field;
  bool quoted = false, any = false;
  size_t line = 1, quote_line = 0;
  auto end_row = [&] {
    if (any || !field.empty() || !row.empty()) {
      row.push_back(std::move(field));
      rows.push_back(std::move(row));
    }
    row.clear();
    field.clear();
    any = false;
  };
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (quoted) {
      if (c == '"' && i + 1 < s.size() && s[i + 1] == '"') field += '"', ++i;
      else if (c == '"') quoted = false;
      else field += c, line += c == '\n';
    } else if (c == '"') {
      quoted = any = true;
      quote_line = line;
    } else if (c == ',') {
      row.push_back(std::move(field));
      field.clear();
      any = true;
    } else if (c == '\n' || c == '\r') {
      if (c == '\r' && i + 1 < s.size() && s[i + 1] == '\n') ++i;
      end_row();
      ++line;
    } else {
      field += c;
      any = true;
    }
  }
  if (quoted) throw FormatError(path + ":" + std::to_string(quote_line) + ": a quoted field is not closed");
  end_row();
  return rows;
}

training::Example checked(std::vector<int64_t> ids, const std::string& path, const TrainDataOptions& o) {
  for (int64_t id : ids)
    if (o.vocab_size > 0 && (id < 0 || id >= o.vocab_size))
      throw ValueError("training data: '" + path + "': the tokenizer gives token id " + std::to_string(id) +
                       ", outside the model's vocabulary [0, " + std::to_string(o.vocab_size) + ")");
  training::Example e;
  e.input_ids = std::move(ids);
  return e;
}
}  // namespace

std::string data_file_kind(const std::string& path) {
  const auto dot = path.find_last_of('.');
  const std::string ext = dot == std::string::npos ? "" : path.substr(dot + 1);
  if (ext == "json" || ext == "jsonl") return "json";
  if (ext == "txt") return "text";
  if (ext == "csv") return "csv";
  throw ValueError("training data: '" + path + "' is not a .jsonl, .json, .txt or .csv file");
}

std::vector<std::string> read_csv_texts(const std::string& path) {
  const auto records = csv_records(read_all(path), path);
  if (records.empty()) throw ValueError("training data: '" + path + "' has no header row");
  const std::vector<std::string>& header = records.front();
  size_t column = 0;
  for (size_t i = 0; i < header.size(); ++i)
    if (header[i] == "text") column = i;
  std::vector<std::string> texts;
  for (size_t r = 1; r < records.size(); ++r) {
    if (records[r].size() != header.size())
      throw FormatError(path + ": record " + std::to_string(r + 1) + " has " + std::to_string(records[r].size()) +
                        " fields, the header " + std::to_string(header.size()));
    texts.push_back(records[r][column]);
  }
  return texts;
}

std::vector<training::Example> read_training_file(const std::string& path, const TrainDataOptions& o) {
  const std::string kind = data_file_kind(path);
  if (kind == "json") return training::read_jsonl_examples(path, o.vocab_size, o.max_positions);
  const std::vector<std::string> texts = kind == "text" ? split_lines(read_all(path)) : read_csv_texts(path);
  if (texts.empty()) throw ValueError("training data: '" + path + "' holds no rows");
  const auto tok = AutoTokenizer::from_pretrained(o.tokenizer);
  std::vector<training::Example> rows;
  rows.reserve(texts.size());
  for (const std::string& t : texts) rows.push_back(checked(tok.encode(t), path, o));
  if (o.block_size < 1 || (o.max_positions > 0 && o.block_size > o.max_positions))
    throw ValueError("train: --block-size " + std::to_string(o.block_size) + " must be in [1, " +
                     std::to_string(o.max_positions) + "] (the model's positions)");
  std::vector<training::Example> blocks = training::group_texts(rows, o.block_size, o.causal);
  if (blocks.empty()) {
    size_t tokens = 0;
    for (const auto& r : rows) tokens += r.input_ids.size();
    throw ValueError("training data: '" + path + "' gives " + std::to_string(tokens) +
                     " tokens, fewer than one block of --block-size " + std::to_string(o.block_size));
  }
  return blocks;
}

training::MaskingOptions masking_options(const std::string& tokenizer, double mlm_probability) {
  const auto tok = AutoTokenizer::from_pretrained(tokenizer);
  const auto mask = tok.mask_token_id();
  if (!mask)
    throw ValueError("This tokenizer ('" + tokenizer + "') does not have a mask token which is necessary for masked "
                     "language modeling.");
  std::set<int64_t> special;
  for (const auto& id : {tok.bos_token_id(), tok.eos_token_id(), tok.unk_token_id(), tok.sep_token_id(),
                         tok.pad_token_id(), tok.cls_token_id(), tok.mask_token_id()})
    if (id) special.insert(*id);
  const auto map = tok.special_tokens_map();
  if (map.contains("additional_special_tokens"))
    for (const auto& t : map["additional_special_tokens"])
      if (t.is_string())
        if (auto id = tok.convert_tokens_to_ids(t.get<std::string>())) special.insert(*id);
  return {.mask_token_id = *mask,
          .vocab_size = int64_t(tok.size()),
          .special_ids = {special.begin(), special.end()},
          .mlm_probability = mlm_probability};
}

}  // namespace transformers::cli
