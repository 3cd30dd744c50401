// The encoder families and heads of issue #23 against transformers 4.51.3 on the tiny random
// checkpoints of tests/oracle/make_encoder_cases.py (tests/data/models/encoders/<case>/): every
// named output (logits, start/end logits, pooler output, ...), all hidden states and attention
// probabilities with eager attention, the outputs with sdpa, each within the suite's float32 parity
// bound; the Auto class 4.51 maps the head to; a save_pretrained -> from_pretrained round trip (for the
// save_pretrained folders also from_pretrained by class name and Python's key set). A head case
// holds only its own tensors (classifier, pooler) and starts from its architecture's base case.
#include <unistd.h>

#include <filesystem>

#include "models/parity_util.hpp"
#include "transformers/modeling/auto.hpp"
#include "transformers/models/distilbert/modeling_distilbert.hpp"
#include "transformers/models/roberta/modeling_roberta.hpp"

using namespace transformers;
using namespace parity;

namespace {

fs::path cases_dir() { return test_data("encoders"); }

std::vector<std::string> case_names() {
  std::vector<std::string> names;
  for (auto& e : fs::directory_iterator(cases_dir())) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

struct Meta {
  std::string cls, base, auto_class;
  std::vector<std::string> outputs;
  bool sdpa = true;  // false: 4.51 refuses attn_implementation="sdpa" for the class
};

Meta meta_of(const fs::path& dir) {
  io::SafetensorsReader reader(dir / "expected.safetensors");
  const auto& m = reader.metadata();
  return {json::parse(m.at("class")).get<std::string>(), json::parse(m.at("base")).get<std::string>(),
          json::parse(m.at("auto")).get<std::string>(),
          json::parse(m.at("outputs")).get<std::vector<std::string>>(),
          !m.count("sdpa") || json::parse(m.at("sdpa")).get<bool>()};
}

Tensor output_named(const ModelOutput& o, const std::string& key) {
  if (key == "logits") return o.logits;
  if (key == "last_hidden_state") return o.last_hidden_state;
  if (key == "pooler_output") return o.pooler_output;
  if (key == "start_logits") return o.start_logits;
  if (key == "end_logits") return o.end_logits;
  if (key == "prediction_logits") return o.prediction_logits;
  if (key == "seq_relationship_logits") return o.seq_relationship_logits;
  throw KeyError("no ModelOutput field " + key);
}

ModelInputs inputs_of(const std::map<std::string, Tensor>& e) {
  ModelInputs in;
  in.input_ids = e.at("input_ids");
  in.attention_mask = e.at("attention_mask");
  if (e.count("token_type_ids")) in.token_type_ids = e.at("token_type_ids");
  return in;
}

// A head case: the base case's weights (without the prefix when the class is the base model) and
// the head's own tensors; nothing may be left over or missing but tied keys.
std::shared_ptr<PreTrainedModel> load_case(const std::string& name, const std::string& attn) {
  const fs::path dir = cases_dir() / name;
  const Meta m = meta_of(dir);
  if (m.base.empty()) return load_model(dir, m.cls, attn);
  register_all_models();  // ctest runs each case in its own process: nothing has registered yet
  const ModelClassInfo* info = find_model_class(m.cls);
  if (!info) throw KeyError("no registered model class " + m.cls);
  auto model = info->factory(load_config(dir, attn));
  auto weights = load_tensors(cases_dir() / m.base / "model.safetensors");
  if (model->base_model() == model.get()) {
    const std::string prefix = model->base_model_prefix() + ".";
    std::map<std::string, Tensor> stripped;
    for (auto& [k, v] : weights)
      if (k.rfind(prefix, 0) == 0) stripped[k.substr(prefix.size())] = v;
    weights = std::move(stripped);
  }
  std::map<std::string, Tensor> fitting;  // the base tensors whose names this model has (no LM head)
  for (auto& [k, v] : model->state_dict())
    if (weights.count(k)) fitting[k] = weights.at(k);
  for (auto& [k, v] : load_tensors(dir / "head.safetensors")) fitting[k] = v;
  auto r = model->load_state_dict(fitting, /*strict=*/false);
  EXPECT_TRUE(r.unexpected_keys.empty()) << name << ": weights do not fit the model";
  for (auto& k : r.missing_keys) {  // only tied ones (the decoder weight is the word embeddings)
    bool tied = false;
    for (auto& t : model->tied_weights_keys()) tied = tied || (k.size() >= t.size() && k.ends_with(t));
    EXPECT_TRUE(tied) << name << ": missing key that is not tied: " << k;
  }
  tie_word_embeddings(*model);
  return model;
}

class EncoderCase : public ::testing::TestWithParam<std::string> {
 protected:
  fs::path dir() const { return cases_dir() / GetParam(); }
  std::map<std::string, Tensor> exp() const { return load_tensors(dir() / "expected.safetensors"); }
};

TEST_P(EncoderCase, EagerMatchesTransformers451) {
  const Meta m = meta_of(dir());
  const auto e = exp();
  auto model = load_case(GetParam(), "eager");
  EXPECT_EQ(model->name(), m.cls);
  ModelInputs in = inputs_of(e);
  in.output_hidden_states = true;
  in.output_attentions = true;
  const ModelOutput o = model->forward(in);
  for (const auto& key : m.outputs) {
    EXPECT_TRUE(allclose(output_named(o, key), e.at(key))) << key;
    std::printf("%s %s: max|err| %.3g\n", GetParam().c_str(), key.c_str(), max_abs_diff(output_named(o, key), e.at(key)));
  }
  if (e.count("hidden_states")) {  // base cases and base model classes
    EXPECT_TRUE(allclose(stack(o.hidden_states), e.at("hidden_states")));
    EXPECT_TRUE(allclose(stack(o.attentions), e.at("attentions"), {.atol = 1e-5}));
  }
}

// Classes without sdpa in 4.51 (MPNet, DeBERTa-v2): asking for it is 4.51's ValueError.
TEST_P(EncoderCase, SdpaMatchesTransformers451) {
  const Meta m = meta_of(dir());
  if (!m.sdpa) {
    EXPECT_THROW(load_case(GetParam(), "sdpa"), ValueError);
    return;
  }
  const auto e = exp();
  auto model = load_case(GetParam(), "sdpa");
  const ModelOutput o = model->forward(inputs_of(e));
  for (const auto& key : m.outputs) EXPECT_TRUE(allclose(output_named(o, key), e.at(key + "_sdpa"))) << key;
}

TEST_P(EncoderCase, AutoClassResolvesAs451) {
  const Meta m = meta_of(dir());
  auto config = load_config(dir());
  EXPECT_EQ(resolve_auto_class(m.auto_class, *config).class_name, m.cls) << m.auto_class;
}

// save_pretrained -> from_pretrained gives the same outputs for every class; the base cases are
// Python's save_pretrained folders, so they also load by class name and our save writes Python's key set.
TEST_P(EncoderCase, SavePretrainedRoundTrips) {
  const Meta m = meta_of(dir());
  const auto e = exp();
  auto model = m.base.empty() ? from_pretrained_class(m.cls, dir().string(), {.attn_implementation = "eager"})
                              : load_case(GetParam(), "eager");
  const ModelOutput before = model->forward(inputs_of(e));
  for (const auto& key : m.outputs) EXPECT_TRUE(allclose(output_named(before, key), e.at(key))) << key;
  const fs::path out = fs::temp_directory_path() / ("tfcpp_encoder_" + GetParam() + "_" + std::to_string(::getpid()));
  fs::remove_all(out);
  model->save_pretrained(out.string());
  if (m.base.empty()) {
    std::set<std::string> ours, theirs;
    for (auto& [k, v] : load_tensors(out / "model.safetensors")) ours.insert(k);
    for (auto& [k, v] : load_tensors(dir() / "model.safetensors")) theirs.insert(k);
    EXPECT_EQ(ours, theirs);
  }
  auto again = from_pretrained_class(m.cls, out.string(), {.attn_implementation = "eager"});
  EXPECT_EQ(again->name(), m.cls);
  const ModelOutput after = again->forward(inputs_of(e));
  for (const auto& key : m.outputs) EXPECT_EQ(max_abs_diff(output_named(after, key), output_named(before, key)), 0.0) << key;
  fs::remove_all(out);
}

INSTANTIATE_TEST_SUITE_P(Encoders, EncoderCase, ::testing::ValuesIn(case_names()),
                         [](const auto& info) { return info.param; });

// The folders tests/oracle/make_encoder_cases.py writes: RoBERTa, XLM-RoBERTa and DistilBERT 6 each
// (MaskedLM, Model, sequence / token classification, question answering, multiple choice); BERT 5
// (MaskedLM, question answering, multiple choice, next sentence prediction, pre-training); MPNet 6;
// DeBERTa-v2 6 (v3-like) + 3 (v2-xlarge-like with the conv layer: MaskedLM, Model, sequence
// classification); ModernBERT 7 (tests/oracle/make_modernbert_cases.py: two MaskedLM, Model, cls / mean
// sequence classification, token classification, question answering). A lost folder fails here instead
// of silently running fewer cases.
// DebertaV2ForSequenceClassification's own loss with problem_type unset (4.51's, recorded by the oracle
// in losses.safetensors): negative labels dropped, none left -> 0, label distributions; the config's
// problem_type stays unset (4.51 does not set it here).
TEST(DebertaV2SequenceClassification, LossesEqual451) {
  const auto e = load_tensors(cases_dir() / "debertav2_seq_cls" / "losses.safetensors");
  auto model = load_case("debertav2_seq_cls", "eager");
  int checked = 0;
  for (const char* kind : {"int_mixed", "int_none", "soft"}) {
    ModelInputs in;
    in.input_ids = e.at("input_ids");
    in.attention_mask = e.at("attention_mask");
    in.labels = e.at(std::string("labels_") + kind);
    const Tensor loss = model->forward(in).loss;
    EXPECT_TRUE(allclose(loss, e.at(std::string("loss_") + kind))) << kind;
    EXPECT_TRUE(!model->config().has("problem_type") || model->config().raw_at("problem_type").is_null()) << kind;
    ++checked;
  }
  EXPECT_EQ(checked, 3);
}

constexpr size_t kEncoderCases = 6 + 6 + 6 + 5 + 6 + 6 + 3 + 7;
TEST(EncoderCases, EveryCaseFolderPresent) { EXPECT_EQ(case_names().size(), kEncoderCases); }

std::shared_ptr<PretrainedConfig> tiny(const std::string& model_type, json extra = json::object()) {
  return tiny_encoder_config(model_type, std::move(extra));
}

TEST(RobertaConfig, DefaultsOf451) {
  register_all_models();
  PretrainedConfig r(json{{"model_type", "roberta"}}), x(json{{"model_type", "xlm-roberta"}});
  EXPECT_EQ(r.vocab_size(), 50265);
  EXPECT_EQ(x.vocab_size(), 30522);
  for (const auto* c : {&r, &x}) {
    EXPECT_EQ(c->get<int64_t>("pad_token_id"), 1);
    EXPECT_EQ(c->get<int64_t>("bos_token_id"), 0);
    EXPECT_EQ(c->get<int64_t>("eos_token_id"), 2);
    EXPECT_EQ(c->get<int64_t>("type_vocab_size"), 2);
    EXPECT_EQ(c->get<double>("layer_norm_eps"), 1e-12);
  }
}

TEST(RobertaModel, QuestionAnsweringNeedsTwoLabels) {
  RobertaForQuestionAnswering m(tiny("roberta", {{"num_labels", 3}}));
  ModelInputs in;
  in.input_ids = Tensor::from_vector<int64_t>({0, 5, 6, 2}, {1, 4});
  try {
    m.forward(in);
    FAIL() << "3 labels accepted";
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("num_labels == 2"), std::string::npos) << e.what();
  }
}

TEST(RobertaModel, MultipleChoiceNeedsChoicesDimension) {
  RobertaForMultipleChoice m(tiny("roberta"));
  ModelInputs in;
  in.input_ids = Tensor::from_vector<int64_t>({0, 5, 6, 2}, {1, 4});
  EXPECT_THROW(m.forward(in), ShapeError);
}

TEST(RobertaModel, NullPadTokenNeedsPositionIds) {
  RobertaModel m(tiny("roberta", {{"pad_token_id", nullptr}}));
  ModelInputs in;
  in.input_ids = Tensor::from_vector<int64_t>({0, 5, 6, 2}, {1, 4});
  EXPECT_THROW(m.forward(in), ValueError);
  in.position_ids = Tensor::from_vector<int64_t>({2, 3, 4, 5}, {1, 4});
  EXPECT_EQ(m.forward(in).last_hidden_state.size(1), 4);
}

// sinusoidal_pos_embds: a model built from the config (no checkpoint) has 4.51's sinusoidal table
// (recorded by the oracle from a fresh DistilBertModel) in position_embeddings.
TEST(DistilBertModel, SinusoidalPositionsFromConfig) {
  const fs::path dir = cases_dir() / "distilbert_masked_lm";
  const auto e = load_tensors(dir / "expected.safetensors");
  auto model = AutoModel::from_config(load_config(dir), /*seed=*/0);
  auto* m = dynamic_cast<DistilBertModel*>(model.get());
  ASSERT_NE(m, nullptr);
  EXPECT_TRUE(allclose(m->embeddings->position_embeddings->weight, e.at("sinusoidal")));
}

// The size check from_pretrained runs before building anything: the parameter count a config implies
// equals num_parameters() of the built base model (DistilBERT has its own formula, RoBERTa BERT's).
TEST(EncoderConfigSizes, BaseModelCountEqualsBuiltModel) {
  for (const char* name : {"distilbert_masked_lm", "roberta_masked_lm", "xlmroberta_masked_lm"}) {
    auto config = load_config(cases_dir() / name);
    ASSERT_TRUE(config->class_info() && config->class_info()->base_model_num_parameters) << name;
    auto model = AutoModel::from_config(config, /*seed=*/0);
    EXPECT_EQ(config->class_info()->base_model_num_parameters(*config), double(model->num_parameters())) << name;
  }
}

TEST(DistilBertConfig, DefaultsAndAttributeMapOf451) {
  register_all_models();
  PretrainedConfig c(json{{"model_type", "distilbert"}, {"hidden_size", 64}});
  EXPECT_EQ(c.get<int64_t>("dim"), 64);
  EXPECT_EQ(c.num_hidden_layers(), 6);
  EXPECT_EQ(c.num_attention_heads(), 12);
  EXPECT_EQ(c.get<int64_t>("hidden_dim"), 3072);
  EXPECT_EQ(c.vocab_size(), 30522);
  EXPECT_FALSE(c.get<bool>("sinusoidal_pos_embds"));
}

std::shared_ptr<PretrainedConfig> tiny_distilbert(json extra = json::object()) {
  register_all_models();
  json j{{"model_type", "distilbert"}, {"dim", 8}, {"n_heads", 2}, {"n_layers", 1}, {"hidden_dim", 8},
         {"vocab_size", 10}, {"max_position_embeddings", 12}};
  j.update(extra);
  return std::make_shared<PretrainedConfig>(j);
}

TEST(DistilBertModel, RejectsTokenTypeIdsAndLongInputs) {
  DistilBertModel m(tiny_distilbert());
  ModelInputs in;
  in.input_ids = Tensor::from_vector<int64_t>({1, 5, 6, 2}, {1, 4});
  in.token_type_ids = Tensor::from_vector<int64_t>({0, 0, 0, 0}, {1, 4});
  EXPECT_THROW(m.forward(in), ValueError);
  in.token_type_ids = Tensor();
  in.input_ids = Tensor::zeros({1, 13}, DType::Int64);
  EXPECT_THROW(m.forward(in), ValueError);
}

TEST(DistilBertModel, QuestionAnsweringChecksLabelsAtConstruction) {
  EXPECT_THROW(DistilBertForQuestionAnswering m(tiny_distilbert({{"num_labels", 3}})), ValueError);
}

}  // namespace
