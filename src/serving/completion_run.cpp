// One completion of `serve` (completion_run.hpp).
#include "completion_run.hpp"

#include <algorithm>
#include <chrono>
#include <random>
#include <unordered_map>

#include "transformers/generation/utils.hpp"
#include "transformers/modeling/modeling_utils.hpp"
#include "transformers/ops/random.hpp"
#include "transformers/tokenizers/auto_tokenizer.hpp"

namespace transformers::serving {

namespace {

// The model's context length (GPT-2's n_positions through the attribute map); unbounded when unset.
// A sliding window shortens it: ContinuousBatch runs a sequence only while it fits in the window
// (continuous_batching.hpp), so serve clamps to it as it clamps to the context.
int64_t context_length(PreTrainedModel& model) {
  int64_t n = model.config().get<int64_t>("max_position_embeddings", INT64_MAX);
  if (model.config().has("sliding_window") && model.config().raw_at("sliding_window").is_number_integer())
    n = std::min(n, model.config().get<int64_t>("sliding_window"));
  return n;
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

// OpenAI's presence and frequency penalties: each token's logit is lowered by frequency_penalty
// times its count among the generated tokens (not the prompt's) plus presence_penalty when that
// count is not zero.
class OpenAIPenaltyLogitsProcessor : public LogitsProcessor {
 public:
  OpenAIPenaltyLogitsProcessor(size_t prompt_len, double presence, double frequency)
      : prompt_len_(prompt_len), presence_(presence), frequency_(frequency) {}
  void process(const TokenRows& rows, float* scores, int64_t vocab) const override {
    for (size_t r = 0; r < rows.size(); ++r) {
      std::unordered_map<int64_t, int64_t> count;
      for (size_t t = prompt_len_; t < rows[r].size(); ++t) ++count[rows[r][t]];
      for (const auto& [token, n] : count)
        if (token >= 0 && token < vocab)
          scores[int64_t(r) * vocab + token] -= float(frequency_ * double(n) + presence_);
    }
  }
  std::string name() const override { return "OpenAIPenaltyLogitsProcessor"; }

 private:
  size_t prompt_len_;
  double presence_, frequency_;
};

// A token as text, and that text's bytes, for OpenAI's logprobs entries.
nlohmann::ordered_json token_entry(const Tokenizer& tok, const TokenLogprob& t) {
  const std::string s = tok.decode(std::vector<int32_t>{int32_t(t.token)}, {.skip_special_tokens = false});
  nlohmann::ordered_json bytes = nlohmann::ordered_json::array();
  for (unsigned char c : s) bytes.push_back(int(c));
  return {{"token", s}, {"logprob", t.logprob}, {"bytes", bytes}};
}

// The log-probabilities of some tokens in the endpoint's shape: chat's {"content": [...]} or the
// completions endpoint's parallel lists.
class LogprobLog {
 public:
  LogprobLog(const Tokenizer& tok, bool chat) : tok_(tok), chat_(chat) {}
  void add(const SequenceStep& s) {
    nlohmann::ordered_json e = token_entry(tok_, s.chosen);
    nlohmann::ordered_json top = nlohmann::ordered_json::array();
    for (const auto& t : s.top) top.push_back(token_entry(tok_, t));
    e["top_logprobs"] = top;
    offsets_.push_back(offset_);
    offset_ += int64_t(e["token"].get<std::string>().size());
    pending_.push_back(e);
  }
  // The entries added since the last take(), in the endpoint's shape (null when none).
  nlohmann::ordered_json take() {
    nlohmann::ordered_json out = shape(pending_, all_.size());
    all_.insert(all_.end(), pending_.begin(), pending_.end());
    pending_.clear();
    return out;
  }
  nlohmann::ordered_json all() const { return shape(all_, 0); }

 private:
  // `first`: the index of entries[0] among all tokens (for its text offset).
  nlohmann::ordered_json shape(const std::vector<nlohmann::ordered_json>& entries, size_t first) const {
    if (chat_) return {{"content", entries}};
    nlohmann::ordered_json tokens = nlohmann::ordered_json::array(), lps = tokens, tops = tokens, offsets = tokens;
    for (size_t i = 0; i < entries.size(); ++i) {
      const auto& e = entries[i];
      tokens.push_back(e["token"]);
      lps.push_back(e["logprob"]);
      nlohmann::ordered_json t = nlohmann::ordered_json::object();
      for (const auto& a : e["top_logprobs"]) t[a["token"].get<std::string>()] = a["logprob"];
      tops.push_back(t);
      offsets.push_back(offsets_[first + i]);
    }
    return {{"tokens", tokens}, {"token_logprobs", lps}, {"top_logprobs", tops}, {"text_offset", offsets}};
  }
  const Tokenizer& tok_;
  bool chat_;
  int64_t offset_ = 0;  // text length of the tokens so far (the completions endpoint's text_offset)
  std::vector<int64_t> offsets_;
  std::vector<nlohmann::ordered_json> pending_, all_;
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

std::vector<SequenceRequest> sequence_requests(const CompletionRequest& req, const PreparedPrompt& prompt,
                                               std::vector<uint64_t>& seeds) {
  GenerationOptions o;
  o.max_new_tokens = prompt.max_new_tokens;
  // Greedy at temperature 0; otherwise sampling at the request's temperature (transformers serve, TGI).
  if (req.temperature) {
    o.do_sample = *req.temperature > 0;
    if (*req.temperature > 0) o.temperature = *req.temperature;
  }
  if (req.top_p) o.top_p = *req.top_p;
  const double presence = req.presence_penalty.value_or(0), frequency = req.frequency_penalty.value_or(0);
  if (presence != 0 || frequency != 0)
    o.logits_processor.push_back(std::make_shared<OpenAIPenaltyLogitsProcessor>(prompt.ids.size(), presence, frequency));
  std::vector<SequenceRequest> out;
  seeds.clear();
  std::random_device random;
  for (int64_t i = 0; i < req.n; ++i) {
    out.push_back({.input_ids = prompt.ids, .options = o, .top_logprobs = std::nullopt});
    if (req.logprobs) out.back().top_logprobs = req.top_logprobs;
    // Each choice samples from its own generator: with `seed` reproducible whatever runs beside it.
    seeds.push_back(req.seed ? *req.seed + uint64_t(i) : (uint64_t(random()) << 32 | random()));
  }
  return out;
}

CompletionResult collect_completion(const PreTrainedTokenizerFast& tok, const CompletionRequest& req,
                                    const PreparedPrompt& prompt, Job& job, const OnText& on_text) {
  const Clock::time_point start = Clock::now();
  Clock::time_point first_token;
  CompletionResult result;
  result.prompt_tokens = int64_t(prompt.ids.size());
  const Tokenizer& backend = tok.backend_tokenizer();
  const int n = job.choices();
  std::vector<ReplyText> replies;
  std::vector<LogprobLog> logs;
  for (int c = 0; c < n; ++c) {
    replies.emplace_back(backend, req.stop);
    logs.emplace_back(backend, req.chat);
  }
  result.choices.resize(size_t(n));
  std::vector<bool> done(size_t(n), false);
  auto send = [&](int c, const std::string& piece, bool last) {
    nlohmann::ordered_json lp = req.logprobs ? logs[size_t(c)].take() : nlohmann::ordered_json();
    if ((piece.empty() && !last) || !on_text || result.cancelled) return;
    if (piece.empty() && (!req.logprobs || lp.empty())) return;
    if (!on_text(c, piece, lp)) {
      result.cancelled = true;
      job.cancel_all();
    }
  };
  int open = n;
  std::string error;
  while (open > 0 && !result.cancelled) {
    for (JobEvent& e : job.wait()) {
      const int c = e.choice;
      if (done[size_t(c)]) continue;
      ChoiceResult& choice = result.choices[size_t(c)];
      if (!e.error.empty()) {
        error = e.error;
        done[size_t(c)] = true;
        --open;
        continue;
      }
      if (first_token == Clock::time_point()) first_token = Clock::now();
      ++choice.completion_tokens;
      ReplyText& reply = replies[size_t(c)];
      const auto& eos = e.step.eos;
      // An eos token ends the choice and is not text (skip_special_tokens drops it when it is special).
      reply.add({e.step.token});
      if (req.logprobs) logs[size_t(c)].add(e.step);
      const bool over = e.step.finished || reply.stopped();
      if (!over) {
        send(c, reply.take(false), false);
        continue;
      }
      if (!e.step.finished) job.cancel(c);  // a stop sequence: the sequence leaves the batch
      choice.finish_reason = reply.stopped() || eos ? "stop" : "length";
      send(c, reply.take(true), true);
      choice.text = reply.text();
      if (req.logprobs) choice.logprobs = logs[size_t(c)].all();
      done[size_t(c)] = true;
      --open;
    }
  }
  if (result.cancelled) job.cancel_all();
  if (!error.empty() && !result.cancelled) throw Error("generation failed: " + error);
  for (const auto& c : result.choices) result.completion_tokens += c.completion_tokens;
  result.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  if (first_token != Clock::time_point())
    result.seconds_to_first_token = std::chrono::duration<double>(first_token - start).count();
  return result;
}

}  // namespace transformers::serving
