// PreTrainedTokenizerFast as transformers_cpp._core.Tokenizer: encoding (GIL released), decoding,
// chat templates, special tokens, saving. The Python package (transformers_cpp/tokenization.py)
// gives it transformers' __call__ with padding / truncation / return_tensors.
#include "bindings.hpp"

#include "transformers/core/error.hpp"
#include "transformers/hub/push_to_hub.hpp"
#include "transformers/tokenizers/auto_tokenizer.hpp"

namespace transformers_py {

using transformers::PreTrainedTokenizerFast;

transformers::hub::PushToHubOptions push_options(py::dict& kwargs);

namespace {

transformers::Padding padding_of(const std::string& p) {
  if (p == "do_not_pad") return transformers::Padding::DoNotPad;
  if (p == "longest") return transformers::Padding::Longest;
  if (p == "max_length") return transformers::Padding::MaxLength;
  throw transformers::ValueError("padding: expected True, False, 'longest', 'max_length' or 'do_not_pad', found '" + p + "'");
}

transformers::TruncationStrategy truncation_of(const std::string& t) {
  if (t == "longest_first") return transformers::TruncationStrategy::LongestFirst;
  if (t == "only_first") return transformers::TruncationStrategy::OnlyFirst;
  if (t == "only_second") return transformers::TruncationStrategy::OnlySecond;
  throw transformers::ValueError("truncation: expected True, False, 'longest_first', 'only_first', 'only_second' or "
                                 "'do_not_truncate', found '" + t + "'");
}

py::dict batch_dict(const transformers::BatchEncoding& b) {
  py::dict d;
  d["input_ids"] = b.input_ids;
  d["token_type_ids"] = b.token_type_ids;
  d["attention_mask"] = b.attention_mask;
  d["special_tokens_mask"] = b.special_tokens_mask;
  d["offset_mapping"] = b.offset_mapping;
  // BatchEncoding.word_ids(i) / tokens(i) of transformers: per row, None for special and padding tokens
  py::list word_ids, tokens;
  for (const auto& e : b.encodings) {
    py::list w;
    for (const int32_t id : e.word_ids) w.append(id < 0 ? py::object(py::none()) : py::object(py::int_(id)));
    word_ids.append(std::move(w));
    tokens.append(py::cast(e.tokens));
  }
  d["word_ids"] = std::move(word_ids);
  d["tokens"] = std::move(tokens);
  return d;
}

}  // namespace

void bind_tokenizer(py::module_& m) {
  py::class_<PreTrainedTokenizerFast, std::shared_ptr<PreTrainedTokenizerFast>>(m, "Tokenizer")
      .def_static(
          "from_pretrained",
          [](const std::string& path, py::dict kwargs) {
            transformers::AutoTokenizerOptions o;
            o.hub = hub_options(kwargs);
            if (kwargs.contains("split_special_tokens")) o.split_special_tokens = kwargs["split_special_tokens"].cast<bool>();
            py::gil_scoped_release nogil;
            return std::make_shared<PreTrainedTokenizerFast>(transformers::AutoTokenizer::from_pretrained(path, o));
          },
          py::arg("path"), py::arg("kwargs"))
      // `texts`: a list of str, or a list of (text, pair) tuples when `pairs`; with is_split_into_words
      // a list of lists of words (or of (words, pair words) tuples).
      .def("encode_batch",
           [](const PreTrainedTokenizerFast& t, py::list texts, bool pairs, bool add_special_tokens,
              const std::string& padding, py::object truncation, std::optional<std::size_t> max_length,
              std::size_t stride, std::optional<std::size_t> pad_to_multiple_of, std::optional<std::string> padding_side,
              bool is_split_into_words) {
             transformers::TokenizerCallOptions o;
             o.add_special_tokens = add_special_tokens;
             o.padding = padding_of(padding);
             if (!truncation.is_none()) {
               o.truncation = true;
               o.truncation_strategy = truncation_of(truncation.cast<std::string>());
             }
             o.max_length = max_length;
             o.stride = stride;
             o.pad_to_multiple_of = pad_to_multiple_of;
             o.padding_side = padding_side;
             transformers::BatchEncoding b;
             using Words = transformers::Tokenizer::Words;
             if (is_split_into_words && pairs) {  // a list of (words, pair words)
               auto v = texts.cast<std::vector<std::pair<Words, Words>>>();
               std::vector<Words> a, p;
               for (auto& [x, y] : v) a.push_back(std::move(x)), p.push_back(std::move(y));
               py::gil_scoped_release nogil;
               b = t.call_split_into_words(a, &p, o);
             } else if (is_split_into_words) {  // a list of rows of words
               auto v = texts.cast<std::vector<Words>>();
               py::gil_scoped_release nogil;
               b = t.call_split_into_words(v, nullptr, o);
             } else if (pairs) {
               auto v = texts.cast<std::vector<std::pair<std::string, std::string>>>();
               py::gil_scoped_release nogil;
               b = t(v, o);
             } else {
               auto v = texts.cast<std::vector<std::string>>();
               py::gil_scoped_release nogil;
               b = t(v, o);
             }
             return batch_dict(b);
           },
           py::arg("texts"), py::arg("pairs"), py::arg("add_special_tokens"), py::arg("padding"), py::arg("truncation"),
           py::arg("max_length"), py::arg("stride"), py::arg("pad_to_multiple_of"), py::arg("padding_side"),
           py::arg("is_split_into_words") = false)
      .def("tokenize", &PreTrainedTokenizerFast::tokenize, py::arg("text"), py::arg("add_special_tokens") = false)
      .def("decode",
           [](const PreTrainedTokenizerFast& t, const std::vector<int64_t>& ids, bool skip_special_tokens,
              std::optional<bool> clean_up_tokenization_spaces) {
             return t.decode(ids, {.skip_special_tokens = skip_special_tokens,
                                   .clean_up_tokenization_spaces = clean_up_tokenization_spaces});
           },
           py::arg("ids"), py::arg("skip_special_tokens") = false, py::arg("clean_up_tokenization_spaces") = py::none())
      .def("batch_decode",
           [](const PreTrainedTokenizerFast& t, const std::vector<std::vector<int64_t>>& ids, bool skip_special_tokens,
              std::optional<bool> clean_up_tokenization_spaces) {
             py::gil_scoped_release nogil;
             return t.batch_decode(ids, {.skip_special_tokens = skip_special_tokens,
                                         .clean_up_tokenization_spaces = clean_up_tokenization_spaces});
           },
           py::arg("ids"), py::arg("skip_special_tokens") = false, py::arg("clean_up_tokenization_spaces") = py::none())
      .def("convert_tokens_to_ids", &PreTrainedTokenizerFast::convert_tokens_to_ids, py::arg("token"))
      .def("convert_ids_to_tokens", &PreTrainedTokenizerFast::convert_ids_to_tokens, py::arg("id"))
      .def("__len__", &PreTrainedTokenizerFast::size)
      .def_property_readonly("vocab_size", &PreTrainedTokenizerFast::vocab_size)
      .def("get_vocab", [](const PreTrainedTokenizerFast& t) { return t.backend_tokenizer().get_vocab(true); })
      .def("special_tokens_map", [](const PreTrainedTokenizerFast& t) { return from_json(t.special_tokens_map()); })
      .def_readonly("bos_token", &PreTrainedTokenizerFast::bos_token)
      .def_readonly("eos_token", &PreTrainedTokenizerFast::eos_token)
      .def_readonly("unk_token", &PreTrainedTokenizerFast::unk_token)
      .def_readonly("sep_token", &PreTrainedTokenizerFast::sep_token)
      .def_readonly("pad_token", &PreTrainedTokenizerFast::pad_token)
      .def_readonly("cls_token", &PreTrainedTokenizerFast::cls_token)
      .def_readonly("mask_token", &PreTrainedTokenizerFast::mask_token)
      .def_readonly("additional_special_tokens", &PreTrainedTokenizerFast::additional_special_tokens)
      .def_property_readonly("bos_token_id", &PreTrainedTokenizerFast::bos_token_id)
      .def_property_readonly("eos_token_id", &PreTrainedTokenizerFast::eos_token_id)
      .def_property_readonly("unk_token_id", &PreTrainedTokenizerFast::unk_token_id)
      .def_property_readonly("sep_token_id", &PreTrainedTokenizerFast::sep_token_id)
      .def_property_readonly("pad_token_id", &PreTrainedTokenizerFast::pad_token_id)
      .def_property_readonly("cls_token_id", &PreTrainedTokenizerFast::cls_token_id)
      .def_property_readonly("mask_token_id", &PreTrainedTokenizerFast::mask_token_id)
      .def_property_readonly("model_max_length", [](const PreTrainedTokenizerFast& t) -> py::object {
        // "no limit" is int(1e30) in Python
        if (t.model_max_length == SIZE_MAX) return py::module_::import("builtins").attr("int")(py::float_(1e30));
        return py::int_(t.model_max_length);
      })
      .def_readwrite("padding_side", &PreTrainedTokenizerFast::padding_side)
      .def_readwrite("truncation_side", &PreTrainedTokenizerFast::truncation_side)
      .def_readonly("chat_template", &PreTrainedTokenizerFast::chat_template)
      .def_readonly("tokenizer_class", &PreTrainedTokenizerFast::tokenizer_class)
      .def_property_readonly("class_name", &PreTrainedTokenizerFast::class_name)
      .def("apply_chat_template",
           [](const PreTrainedTokenizerFast& t, py::object conversation, py::object tools, py::object documents,
              std::optional<std::string> chat_template, bool add_generation_prompt, bool continue_final_message,
              bool tokenize, bool return_dict, py::dict template_kwargs) {
             transformers::ChatTemplateOptions o;
             o.add_generation_prompt = add_generation_prompt;
             o.continue_final_message = continue_final_message;
             if (!tools.is_none()) o.tools = to_json(tools);
             if (!documents.is_none()) o.documents = to_json(documents);
             o.chat_template = chat_template;
             o.tokenize = tokenize;
             o.return_dict = return_dict;
             o.template_kwargs = to_json(template_kwargs);
             const nlohmann::ordered_json conv = to_json(conversation);
             transformers::ChatTemplateOutput out;
             {
               py::gil_scoped_release nogil;
               out = t.apply_chat_template(conv, o);
             }
             py::dict d;
             d["text"] = out.text;
             d["input_ids"] = out.input_ids;
             d["attention_mask"] = out.attention_mask;
             return d;
           },
           py::arg("conversation"), py::arg("tools"), py::arg("documents"), py::arg("chat_template"),
           py::arg("add_generation_prompt"), py::arg("continue_final_message"), py::arg("tokenize"),
           py::arg("return_dict"), py::arg("template_kwargs"))
      .def("save_pretrained", [](const PreTrainedTokenizerFast& t, const std::string& dir) {
        return t.save_pretrained(dir);
      }, py::arg("save_directory"))
      .def("push_to_hub", [](const PreTrainedTokenizerFast& t, const std::string& repo_id, py::dict kwargs) {
        auto o = push_options(kwargs);
        py::gil_scoped_release nogil;
        return transformers::hub::push_to_hub(t, repo_id, o).commit_url;
      }, py::arg("repo_id"), py::arg("kwargs"));
}

}  // namespace transformers_py
