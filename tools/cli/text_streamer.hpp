#pragma once
// The text streamer of transformers-cli generate and chat: prints the text of newly generated
// tokens on stdout as soon as it is complete UTF-8 (Python's TextStreamer holds back text ending
// in an incomplete character the same way).
#include <iostream>
#include <string>
#include <vector>

#include "transformers/generation/utils.hpp"
#include "transformers/tokenizers/tokenizer.hpp"

namespace transformers::cli {

class StdoutTextStreamer : public BaseStreamer {
 public:
  explicit StdoutTextStreamer(const Tokenizer& tok) : tok_(tok) {}
  void put(const Tensor& value) override {
    if (!prompt_seen_) {
      prompt_seen_ = true;
      return;
    }
    for (int64_t id : value.to_vector<int64_t>()) ids_.push_back(int32_t(id));
    flush(false);
  }
  void end() override {
    flush(true);
    std::cout << "\n" << std::flush;
  }

 private:
  void flush(bool final) {
    const std::string text = tok_.decode(ids_, {.skip_special_tokens = true});
    if (!final && text.size() >= 3 && text.compare(text.size() - 3, 3, "\xEF\xBF\xBD") == 0) return;
    if (text.size() > printed_ && text.compare(0, printed_, printed_text_) == 0) {
      std::cout << text.substr(printed_) << std::flush;
      printed_ = text.size();
      printed_text_ = text;
    }
  }
  const Tokenizer& tok_;
  std::vector<int32_t> ids_;
  std::string printed_text_;
  size_t printed_ = 0;
  bool prompt_seen_ = false;
};

}  // namespace transformers::cli
