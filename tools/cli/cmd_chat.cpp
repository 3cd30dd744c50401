// transformers-cli chat: a conversation with a causal LM through its chat template (docs/CLI.md).
// Each turn renders the history with tokenizer.apply_chat_template(add_generation_prompt=True),
// generates (flags as `generate`), streams the reply as it comes and keeps it in the history. The
// oldest turns are dropped (with a notice on stderr) while the prompt plus --max-new-tokens would
// not fit the model's context length. Interactive on stdin (/reset, /system TEXT, /exit), or one
// turn per --message.
#include <unistd.h>

#include <iostream>

#include "cli_common.hpp"
#include "generation_flags.hpp"
#include "int_options.hpp"
#include "source_path.hpp"
#include "text_streamer.hpp"
#include "transformers/generation/utils.hpp"
#include "transformers/modeling/auto.hpp"
#include "transformers/ops/random.hpp"
#include "transformers/tokenizers/auto_tokenizer.hpp"

namespace transformers::cli {
namespace {

struct ChatArgs {
  std::string model, revision, tokenizer, system;
  std::vector<std::string> messages;
  GenerationOptions gen;
  std::optional<uint64_t> seed;
  bool do_sample = false;
  int threads = 0;
};

class ChatSession {
 public:
  ChatSession(const ChatArgs& a, PreTrainedModel& model, const PreTrainedTokenizerFast& tok)
      : a_(a), model_(model), tok_(tok), gen_(a.seed.value_or(0)) {
    // The context: max_position_embeddings (n_positions for GPT-2, through the attribute map).
    context_ = model.config().get<int64_t>("max_position_embeddings", INT64_MAX);
    reserve_ = a.gen.max_new_tokens.value_or(std::min<int64_t>(256, context_ / 4));
    if (reserve_ < 1 || reserve_ >= context_)
      throw ValueError("chat: --max-new-tokens " + std::to_string(reserve_) + " leaves no room for a prompt in the context length " +
                       std::to_string(context_));
    set_system(a.system);
  }

  void set_system(const std::string& text) {
    if (!history_.empty() && history_[0]["role"] == "system") history_.erase(history_.begin());
    if (!text.empty()) history_.insert(history_.begin(), json{{"role", "system"}, {"content", text}});
  }
  void reset() {
    json system = (!history_.empty() && history_[0]["role"] == "system") ? history_[0] : json();
    history_ = json::array();
    if (!system.is_null()) history_.push_back(system);
  }

  // One user turn: prints the reply (streamed) and adds both messages to the history.
  void turn(const std::string& user_text) {
    history_.push_back(json{{"role", "user"}, {"content", user_text}});
    std::vector<int64_t> ids;
    try {
      ids = fit_prompt();
    } catch (...) {
      history_.erase(history_.end() - 1);
      throw;
    }
    GenerationOptions o = a_.gen;
    o.max_new_tokens = reserve_;
    if (a_.do_sample) o.do_sample = true;
    if (a_.seed) o.generator = &gen_;
    StdoutTextStreamer streamer(tok_.backend_tokenizer());
    o.streamer = &streamer;
    const Tensor input = Tensor::from_vector(ids, {1, int64_t(ids.size())});
    GenerateOutput out = generate(model_, input, Tensor(), o);
    const auto seq = out.sequences.to_vector<int64_t>();
    const std::vector<int64_t> reply(seq.begin() + long(ids.size()), seq.end());
    history_.push_back(json{{"role", "assistant"}, {"content", tok_.decode(reply, {.skip_special_tokens = true})}});
  }

 private:
  // The prompt's ids, after dropping the oldest turns (a user message and the replies up to the
  // next user message) while prompt + reserve exceeds the context.
  std::vector<int64_t> fit_prompt() {
    while (true) {
      ChatTemplateOutput p = tok_.apply_chat_template(history_, {.add_generation_prompt = true});
      if (p.input_ids.empty()) throw ValueError("chat: the chat template renders an empty prompt");
      if (int64_t(p.input_ids.size()) + reserve_ <= context_) return std::move(p.input_ids);
      const std::size_t first = (!history_.empty() && history_[0]["role"] == "system") ? 1 : 0;
      if (history_.size() - first <= 1)
        throw ValueError("chat: the prompt (" + std::to_string(p.input_ids.size()) + " tokens) plus max_new_tokens (" +
                         std::to_string(reserve_) + ") does not fit the model's context length (" + std::to_string(context_) + ")");
      std::size_t end = first + 1;
      while (end < history_.size() - 1 && history_[end]["role"] != "user") ++end;
      history_.erase(history_.begin() + long(first), history_.begin() + long(end));
      std::cerr << "[chat] dropped the oldest turn to fit the context length (" << context_ << " tokens)\n" << std::flush;
    }
  }

  const ChatArgs& a_;
  PreTrainedModel& model_;
  const PreTrainedTokenizerFast& tok_;
  ops::Generator gen_;
  json history_ = json::array();
  int64_t context_ = 0, reserve_ = 0;
};

int run_chat(const ChatArgs& a) {
  apply_threads(a.threads);
  const Source src = parse_source(a.model, a.revision);
  const Source tok_src = a.tokenizer.empty() ? src : parse_source(a.tokenizer, "");
  auto tok = AutoTokenizer::from_pretrained(tok_src.path, {.hub = tok_src.hub});
  (void)tok.get_chat_template();  // no template: fail before the model loads
  auto model = AutoModelForCausalLM::from_pretrained(src.path, {.hub = src.hub});
  ChatSession chat(a, *model, tok);

  if (!a.messages.empty()) {
    for (const auto& m : a.messages) chat.turn(m);
    return 0;
  }
  const bool tty = isatty(STDIN_FILENO);
  if (tty) std::cerr << "chat with " << a.model << " — /system TEXT, /reset, /exit\n";
  std::string line;
  while (true) {
    if (tty) std::cerr << "> " << std::flush;
    if (!std::getline(std::cin, line)) break;
    if (line.empty()) continue;
    if (line == "/exit" || line == "/quit") break;
    if (line == "/reset") {
      chat.reset();
      std::cerr << "[chat] history cleared\n";
    } else if (line == "/system" || line.rfind("/system ", 0) == 0) {
      chat.set_system(line.size() > 8 ? line.substr(8) : "");
      std::cerr << "[chat] system prompt set\n";
    } else if (line[0] == '/') {
      std::cerr << "[chat] unknown command " << line.substr(0, line.find(' ')) << " (/system TEXT, /reset, /exit)\n";
    } else {
      chat.turn(line);
    }
  }
  return 0;
}

REGISTER_COMMAND("chat", "chat with a causal LM through its chat template (interactive, or --message)", [](CLI::App& app) {
  auto a = std::make_shared<ChatArgs>();
  app.add_option("--model", a->model, "model folder or Hub repo id org/name[@revision]")->required();
  app.add_option("--revision", a->revision, "Hub branch, tag, commit or refs/pr/N of a repo id --model");
  app.add_option("--tokenizer", a->tokenizer, "tokenizer folder or repo id with the chat template (default: the model's)");
  app.add_option("--system", a->system, "system message");
  app.add_option("--message", a->messages, "a user message (repeatable): answer each in turn, then exit");
  add_length_and_sampling_flags(app, a->gen, a->do_sample);
  add_penalty_flags(app, a->gen);
  app.add_option("--seed", a->seed, "seed of the sampling generator")->check(SeedRange());
  app.add_option("--threads", a->threads)->check(ThreadsRange());
  return [a] { return run_chat(*a); };
});

}  // namespace
}  // namespace transformers::cli
