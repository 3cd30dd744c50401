// One completion of `serve` (completion_run.hpp).
#include "completion_run.hpp"

#include <algorithm>
#include <chrono>
#include <random>

#include "transformers/generation/utils.hpp"
#include "transformers/modeling/modeling_utils.hpp"
#include "transformers/ops/random.hpp"
#include "transformers/tokenizers/auto_tokenizer.hpp"

namespace transformers::serving {

namespace {

// The model's context length (GPT-2's n_positions through the attribute map); unbounded when unset.
int64_t context_length(PreTrainedModel& model) {
  return model.config().get<int64_t>("max_position_embeddings", INT64_MAX);
}

// The generated text so far and how much of it is final: text that could still become the start
// of a stop sequence, or ends in an incomplete UTF-8 character, is held back.
class ReplyText {
 public:
  ReplyText(const Tokenizer& tok, const std::vector<std::string>& stop) : tok_(tok), stop_(stop) {}

  void add(const std::vector<int64_t>& ids) {
    for (int64_t id : ids) ids_.push_back(int32_t(id));
    text_ = tok_.decode(ids_, {.skip_special_tokens = true});
    std::size_t cut = std::string::npos;
    for (const auto& s : stop_) cut = std::min(cut, text_.find(s));
    if (cut != std::string::npos) {
      text_.resize(cut);
      stopped_ = true;
    }
  }
  // The text not yet handed out that is final (`all`: generation is over, everything is).
  std::string take(bool all) {
    std::size_t end = text_.size();
    if (!all && !stopped_) {
      if (end >= 3 && text_.compare(end - 3, 3, "\xEF\xBF\xBD") == 0) return "";
      std::size_t hold = 0;
      for (const auto& s : stop_)
        for (std::size_t k = std::min(s.size() - 1, end); k > hold; --k)
          if (text_.compare(end - k, k, s, 0, k) == 0) {
            hold = k;
            break;
          }
      end -= hold;
      while (end > 0 && end < text_.size() && (static_cast<unsigned char>(text_[end]) & 0xC0) == 0x80) --end;
    }
    // Decoding more tokens can rewrite earlier text (a cleanup rule); nothing is sent until it agrees again.
    if (end <= sent_.size() || text_.compare(0, sent_.size(), sent_) != 0) return "";
    std::string piece = text_.substr(sent_.size(), end - sent_.size());
    sent_ = text_.substr(0, end);
    return piece;
  }
  const std::string& text() const { return text_; }
  bool stopped() const { return stopped_; }
  const bool& stopped_flag() const { return stopped_; }

 private:
  const Tokenizer& tok_;
  const std::vector<std::string>& stop_;
  std::vector<int32_t> ids_;
  std::string text_, sent_;
  bool stopped_ = false;
};

using Clock = std::chrono::steady_clock;

// Calls back with the new text of each step, giving the model's turn to the next request meanwhile.
class StepStreamer : public BaseStreamer {
 public:
  StepStreamer(ReplyText& reply, Turn& turn, const std::function<bool(const std::string&)>& on_text, bool& cancelled)
      : reply_(reply), turn_(turn), on_text_(on_text), cancelled_(cancelled) {}
  Clock::time_point first_token;
  void put(const Tensor& value) override {
    std::string piece;
    if (prompt_seen_) {
      if (first_token == Clock::time_point()) first_token = Clock::now();
      reply_.add(value.to_vector<int64_t>());
      piece = reply_.take(false);
    }
    prompt_seen_ = true;
    turn_.pause();  // the other running requests take their step now
    if (!piece.empty() && on_text_ && !on_text_(piece)) cancelled_ = true;
    turn_.resume();
  }
  void end() override {}

 private:
  ReplyText& reply_;
  Turn& turn_;
  const std::function<bool(const std::string&)>& on_text_;
  bool& cancelled_;
  bool prompt_seen_ = false;
};

// Stops on either flag.
class EitherFlag : public StoppingCriteria {
 public:
  EitherFlag(const bool& a, const bool& b) : a_(a), b_(b) {}
  std::vector<bool> is_done(const TokenRows& rows) const override { return std::vector<bool>(rows.size(), a_ || b_); }
  std::string name() const override { return "ServeStopCriteria"; }

 private:
  const bool &a_, &b_;
};

}  // namespace

PreparedPrompt prepare_prompt(PreTrainedModel& model, const PreTrainedTokenizerFast& tok, const CompletionRequest& req,
                              int64_t default_max_tokens) {
  PreparedPrompt p;
  try {
    ChatTemplateOptions chat;
    chat.add_generation_prompt = true;
    if (req.chat) p.ids = tok.apply_chat_template(req.messages, chat).input_ids;
    else p.ids = tok.encode(req.prompt);
  } catch (const ApiError&) {
    throw;
  } catch (const Error& e) {
    throw ApiError(400, std::string(req.chat ? "the chat template failed: " : "the prompt could not be encoded: ") + e.what(),
                   "invalid_request_error", req.chat ? "messages" : "prompt");
  }
  if (p.ids.empty())
    throw ApiError(400, req.chat ? "the chat template renders an empty prompt" : "the prompt encodes to no tokens",
                   "invalid_request_error", req.chat ? "messages" : "prompt");
  const int64_t context = context_length(model), len = int64_t(p.ids.size());
  if (len >= context)
    throw ApiError(400,
                   "the prompt is " + std::to_string(len) + " tokens; the model's context length is " + std::to_string(context) +
                       " tokens, which leaves no room for a completion",
                   "invalid_request_error", req.chat ? "messages" : "prompt", "context_length_exceeded");
  p.max_new_tokens = std::min(req.max_tokens.value_or(default_max_tokens), context - len);
  return p;
}

CompletionResult run_completion(PreTrainedModel& model, const PreTrainedTokenizerFast& tok, const CompletionRequest& req,
                                const PreparedPrompt& prompt, StepScheduler& scheduler,
                                const std::function<bool(const std::string&)>& on_text) {
  const Clock::time_point start = Clock::now();
  CompletionResult result;
  result.prompt_tokens = int64_t(prompt.ids.size());
  ReplyText reply(tok.backend_tokenizer(), req.stop);
  Turn turn(scheduler);
  StepStreamer streamer(reply, turn, on_text, result.cancelled);

  GenerationOptions o;
  o.max_new_tokens = prompt.max_new_tokens;
  // Greedy at temperature 0; otherwise sampling at the request's temperature (transformers serve, TGI).
  if (req.temperature) {
    o.do_sample = *req.temperature > 0;
    if (*req.temperature > 0) o.temperature = *req.temperature;
  }
  if (req.top_p) o.top_p = *req.top_p;
  // Each request samples from its own generator: with `seed` reproducible whatever runs beside it.
  ops::Generator gen(req.seed ? *req.seed : std::random_device{}());
  o.generator = &gen;
  o.streamer = &streamer;
  o.stopping_criteria.push_back(std::make_shared<EitherFlag>(reply.stopped_flag(), result.cancelled));

  const Tensor input = Tensor::from_vector(prompt.ids, {1, int64_t(prompt.ids.size())});
  GenerateOutput out = generate(model, input, Tensor(), o);
  const auto seq = out.sequences.to_vector<int64_t>();
  result.completion_tokens = int64_t(seq.size()) - result.prompt_tokens;
  turn.pause();

  const auto& eos = out.generation_config.eos_token_id;
  const bool eos_end = result.completion_tokens > 0 && std::find(eos.begin(), eos.end(), seq.back()) != eos.end();
  result.finish_reason = reply.stopped() || eos_end ? "stop" : "length";
  const std::string rest = reply.take(true);
  if (!rest.empty() && on_text && !result.cancelled && !on_text(rest)) result.cancelled = true;
  result.text = reply.text();
  result.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  if (streamer.first_token != Clock::time_point())
    result.seconds_to_first_token = std::chrono::duration<double>(streamer.first_token - start).count();
  return result;
}

}  // namespace transformers::serving
