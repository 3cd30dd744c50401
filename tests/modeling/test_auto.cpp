// The Auto classes over the architectures models/ registers: every fixture folder loads through
// them, with the dtype rules and loading info of 4.51.
#include <gtest/gtest.h>

#include "test_helpers.hpp"
#include "transformers/modeling/auto.hpp"

using namespace transformers;
using namespace transformers::test;

namespace {
std::string dir(const char* arch, const char* folder) { return (fixtures() / arch / folder).string(); }
bool registered(const char* auto_class, const char* model_type) {
  ensure_models_registered();
  return find_auto_model_class(auto_class, model_type) != nullptr;
}
}  // namespace

TEST(AutoClasses, EveryFixtureFolderLoads) {
  struct Arch {
    const char* name;
    const char* auto_class;
  };
  for (Arch a : {Arch{"bert", "AutoModelForMaskedLM"}, Arch{"gpt2", "AutoModelForCausalLM"}, Arch{"llama", "AutoModelForCausalLM"}}) {
    if (!registered(a.auto_class, a.name)) {
      ADD_FAILURE() << a.name << " is not registered for " << a.auto_class;
      continue;
    }
    for (const char* folder : {"model", "sharded", "bin", "bin_sharded", "variant", "fp16", "bf16", "resized_up", "resized_down"}) {
      SCOPED_TRACE(std::string(a.name) + "/" + folder);
      FromPretrainedOptions o;
      if (std::string(folder) == "variant") o.variant = "v2";
      auto m = auto_from_pretrained(a.auto_class, dir(a.name, folder), o);
      EXPECT_TRUE(m->loading_info().missing_keys.empty()) << m->loading_info().to_json().dump();
      EXPECT_TRUE(m->loading_info().unexpected_keys.empty()) << m->loading_info().to_json().dump();
      EXPECT_EQ(m->dtype(), DType::Float32);
      if (std::string(folder) == "fp16" || std::string(folder) == "bf16") {
        auto am = auto_from_pretrained(a.auto_class, dir(a.name, folder), {.torch_dtype = "auto"});
        EXPECT_EQ(am->dtype(), std::string(folder) == "fp16" ? DType::Float16 : DType::BFloat16);
      }
    }
  }
}

TEST(AutoClasses, BertBaseAndClassifier) {
  // a missing registration is a defect, not a reason to skip (issue 18)
  ASSERT_TRUE(registered("AutoModel", "bert"));
  ASSERT_TRUE(registered("AutoModelForSequenceClassification", "bert"));
  const json g = read_json(data_dir() / "loading_goldens.json")["loading_info"];
  auto base = AutoModel::from_pretrained(dir("bert", "base"));
  EXPECT_TRUE(base->loading_info().missing_keys.empty());
  EXPECT_EQ(base->name(), "BertModel");
  auto head_into_base = AutoModel::from_pretrained(dir("bert", "model"));
  EXPECT_EQ(nlohmann::json::parse(head_into_base->loading_info().to_json().dump()),
            nlohmann::json::parse(g["load_head_into_base"].dump()));
  auto base_into_head = AutoModelForMaskedLM::from_pretrained(dir("bert", "base"));
  EXPECT_EQ(nlohmann::json::parse(base_into_head->loading_info().to_json().dump()),
            nlohmann::json::parse(g["load_base_into_head"].dump()));
  auto cls = AutoModelForSequenceClassification::from_pretrained(dir("bert", "cls3"));
  EXPECT_TRUE(cls->loading_info().missing_keys.empty());
  auto cls5 = from_pretrained_class("BertForSequenceClassification", dir("bert", "cls3"),
                                    {.ignore_mismatched_sizes = true, .num_labels = 5});
  EXPECT_EQ(nlohmann::json::parse(cls5->loading_info().to_json().dump()), nlohmann::json::parse(g["load_mismatched"].dump()));
  // from the config's architectures
  auto byarch = from_pretrained_class("", dir("bert", "cls3"));
  EXPECT_EQ(byarch->name(), "BertForSequenceClassification");
}

TEST(AutoClasses, FromConfigAndErrors) {
  ASSERT_TRUE(registered("AutoModelForCausalLM", "gpt2"));
  auto cfg = AutoConfig::from_pretrained(dir("gpt2", "model"));
  EXPECT_EQ(cfg->model_type(), "gpt2");
  auto m = AutoModelForCausalLM::from_config(cfg, 1234);
  EXPECT_EQ(m->name(), "GPT2LMHeadModel");
  EXPECT_TRUE(m->can_generate());
  EXPECT_EQ(m->num_parameters(), read_json(fixtures() / "facts.json")["gpt2"]["utils"]["num_parameters"].get<int64_t>());
  EXPECT_THROW(AutoModelForSequenceClassification::from_config(std::make_shared<PretrainedConfig>(json{{"model_type", "nope"}})),
               ValueError);
  EXPECT_THROW(from_pretrained_class("NoSuchModelClass", dir("gpt2", "model")), ValueError);
  auto c2 = AutoConfig::for_model("gpt2", {{"n_layer", 3}});
  EXPECT_EQ(c2->num_hidden_layers(), 3);
}
