// from_pretrained on every variant folder of the shared fixtures, with the tiny stand-in models
// (exact Hugging Face names, no forward), checked against transformers 4.51.3 goldens.
#include <gtest/gtest.h>

#include <regex>
#include <set>

#include "test_helpers.hpp"
#include "tiny_models.hpp"
#include "transformers/io/checkpoint.hpp"
#include "transformers/io/safetensors.hpp"
#include "transformers/modeling/modeling_utils.hpp"

using namespace transformers;
using namespace transformers::test;

namespace {

std::string dir(const char* arch, const char* folder) { return (fixtures() / arch / folder).string(); }

// Reference weights: the float32 safetensors file of model/ (or `folder`), by name.
std::map<std::string, Tensor> reference(const char* arch, const char* folder = "model") {
  std::map<std::string, Tensor> out;
  for (auto& [k, t] : io::load_safetensors(fixtures() / arch / folder / "model.safetensors")) out[k] = t;
  return out;
}

// Bit-exact comparison after converting both to float64 (the fp16/bf16 -> float32 upcast is exact).
void expect_equal(const Tensor& a, const Tensor& b, const std::string& what) {
  ASSERT_EQ(a.sizes(), b.sizes()) << what;
  EXPECT_EQ(a.to_vector<double>(), b.to_vector<double>()) << what;
}

nlohmann::json unordered(const json& j) { return nlohmann::json::parse(j.dump()); }

void expect_loads_all(const PreTrainedModel& m, const std::string& where) {
  const LoadingInfo& i = m.loading_info();
  EXPECT_TRUE(i.missing_keys.empty()) << where << ": missing " << i.to_json().dump();
  EXPECT_TRUE(i.unexpected_keys.empty()) << where << ": unexpected " << i.to_json().dump();
  EXPECT_TRUE(i.mismatched_keys.empty()) << where;
}

}  // namespace

TEST(FromPretrained, EveryBertFolderLoads) {
  for (const char* folder : {"model", "sharded", "bin", "bin_sharded", "variant", "fp16", "bf16"}) {
    SCOPED_TRACE(folder);
    FromPretrainedOptions o;
    if (std::string(folder) == "variant") o.variant = "v2";
    auto m = load_pretrained_model(tiny_factory<TBertForMaskedLM>(), "BertForMaskedLM", dir("bert", folder), o);
    expect_loads_all(*m, folder);
    EXPECT_EQ(m->dtype(), DType::Float32);  // 4.51's default, whatever the file holds
    const auto ref = reference("bert", std::string(folder) == "fp16" || std::string(folder) == "bf16" ? folder : "model");
    for (auto& [k, t] : m->state_dict()) {
      auto it = ref.find(k);
      if (it == ref.end()) continue;  // cls.predictions.decoder.* are tied, not stored
      expect_equal(t.to(DType::Float32), it->second.to(DType::Float32), k);
    }
    // tied: decoder.weight is the word embeddings, decoder.bias is predictions.bias
    auto sd = m->state_dict();
    auto get = [&](const std::string& n) {
      for (auto& [k, t] : sd)
        if (k == n) return t;
      return Tensor();
    };
    EXPECT_TRUE(get("cls.predictions.decoder.weight").is_same(get("bert.embeddings.word_embeddings.weight")));
    EXPECT_TRUE(get("cls.predictions.decoder.bias").is_same(get("cls.predictions.bias")));
  }
}

TEST(FromPretrained, EveryGpt2FolderLoads) {
  for (const char* folder : {"model", "sharded", "bin", "bin_sharded", "variant", "fp16", "bf16"}) {
    SCOPED_TRACE(folder);
    FromPretrainedOptions o;
    if (std::string(folder) == "variant") o.variant = "v2";
    auto m = load_pretrained_model(tiny_factory<TGPT2LMHeadModel>(), "GPT2LMHeadModel", dir("gpt2", folder), o);
    expect_loads_all(*m, folder);
    auto* g = static_cast<TGPT2LMHeadModel*>(m.get());
    EXPECT_TRUE(g->lm_head->weight.is_same(g->wte->weight));
    const auto ref = reference("gpt2", std::string(folder) == "fp16" || std::string(folder) == "bf16" ? folder : "model");
    expect_equal(g->wte->weight, ref.at("transformer.wte.weight").to(DType::Float32), "wte");
    ASSERT_NE(m->generation_config(), nullptr);
    EXPECT_EQ(m->generation_config()->eos_token_ids(), std::vector<int64_t>{2});
  }
}

TEST(FromPretrained, ResizedFoldersLoadWithTheirShapes) {
  for (auto [folder, rows] : {std::pair{"resized_up", 104}, std::pair{"resized_down", 92}}) {
    SCOPED_TRACE(folder);
    auto b = load_pretrained_model(tiny_factory<TBertForMaskedLM>(), "", dir("bert", folder));
    expect_loads_all(*b, folder);
    EXPECT_EQ(b->find_parameter("bert.embeddings.word_embeddings.weight")->size(0), rows);
    EXPECT_EQ(b->find_parameter("cls.predictions.bias")->size(0), rows);
    auto g = load_pretrained_model(tiny_factory<TGPT2LMHeadModel>(), "", dir("gpt2", folder));
    expect_loads_all(*g, folder);
    expect_equal(*g->find_parameter("transformer.wte.weight"),
                 reference("gpt2", folder).at("transformer.wte.weight"), "wte");
  }
}

TEST(FromPretrained, DtypeDefaultExplicitAuto) {
  const json goldens = read_json(data_dir() / "loading_goldens.json")["utils"];
  for (const char* v : {"fp16", "bf16"}) {
    SCOPED_TRACE(v);
    auto d = load_pretrained_model(tiny_factory<TGPT2LMHeadModel>(), "", dir("gpt2", v));
    EXPECT_EQ(dtype_name(d->dtype()), goldens["gpt2"][std::string(v) + "_default_dtype"].get<std::string>());
    EXPECT_EQ(d->config().get<std::string>("torch_dtype"), "float32");
    auto a = load_pretrained_model(tiny_factory<TGPT2LMHeadModel>(), "", dir("gpt2", v), {.torch_dtype = "auto"});
    EXPECT_EQ(dtype_name(a->dtype()), goldens["gpt2"][std::string(v) + "_auto_dtype"].get<std::string>());
    // auto + same dtype as the file: the parameters are the mapped bytes themselves (zero copy)
    auto* g = static_cast<TGPT2LMHeadModel*>(a.get());
    EXPECT_TRUE(g->wte->weight.storage()->borrowed());
    EXPECT_TRUE(g->wte->weight.storage()->read_only());
    EXPECT_TRUE(g->lm_head->weight.is_same(g->wte->weight));
  }
  // float32 file into a float32 model: zero copy as well
  auto m = load_pretrained_model(tiny_factory<TGPT2LMHeadModel>(), "", dir("gpt2", "model"));
  EXPECT_TRUE(m->find_parameter("transformer.h.0.attn.c_attn.weight")->storage()->borrowed());
  // explicit dtype
  auto e = load_pretrained_model(tiny_factory<TGPT2LMHeadModel>(), "", dir("gpt2", "model"),
                                 {.torch_dtype = DType::BFloat16});
  EXPECT_EQ(e->dtype(), DType::BFloat16);
  EXPECT_EQ(e->config().get<std::string>("torch_dtype"), "bfloat16");
  EXPECT_THROW(load_pretrained_model(tiny_factory<TGPT2LMHeadModel>(), "", dir("gpt2", "model"),
                                     {.torch_dtype = DType::Int32}),
               ValueError);
}

TEST(FromPretrained, LoadingInfoMatches451) {
  const json g = read_json(data_dir() / "loading_goldens.json")["loading_info"];
  const json facts = read_json(fixtures() / "facts.json")["bert"];
  auto head = load_pretrained_model(tiny_factory<TBertForMaskedLM>(), "", dir("bert", "base"), {.output_loading_info = true});
  EXPECT_EQ(unordered(head->loading_info().to_json()), unordered(g["load_base_into_head"]));
  // 5.x (facts.json) agrees on the missing keys; it reports unexpected keys without the "bert." prefix 4.51 adds
  EXPECT_EQ(json(head->loading_info().missing_keys), json(facts["load_base_into_head"]["missing_keys"]));
  // newly created modules went through init_weights; loaded ones kept the checkpoint's values
  EXPECT_EQ(head->find_parameter("cls.predictions.transform.dense.weight")->at({0, 0}), 0.5);
  EXPECT_EQ(head->find_parameter("cls.predictions.transform.LayerNorm.weight")->at({3}), 1.0);
  EXPECT_NE(head->find_parameter("bert.encoder.layer.0.attention.self.query.weight")->at({0, 0}), 0.5);

  auto base = load_pretrained_model([](auto c) { return std::make_shared<TBertModel>(c); }, "", dir("bert", "model"));
  EXPECT_EQ(unordered(base->loading_info().to_json()), unordered(g["load_head_into_base"]));
  EXPECT_EQ(unordered(base->loading_info().to_json()), unordered(facts["load_head_into_base"]));

  auto cls = load_pretrained_model(tiny_factory<TBertForSequenceClassification>(), "", dir("bert", "cls3"),
                                   {.ignore_mismatched_sizes = true, .num_labels = 5});
  EXPECT_EQ(unordered(cls->loading_info().to_json()), unordered(g["load_mismatched"]));
  EXPECT_EQ(cls->config().num_labels(), 5);
  EXPECT_EQ(cls->find_parameter("classifier.weight")->size(0), 5);
  EXPECT_EQ(cls->find_parameter("classifier.weight")->at({4, 31}), 0.5);  // re-initialised
  // without ignore_mismatched_sizes the shape mismatch is an error naming the tensor
  try {
    load_pretrained_model(tiny_factory<TBertForSequenceClassification>(), "", dir("bert", "cls3"), {.num_labels = 5});
    FAIL() << "expected ShapeError";
  } catch (const ShapeError& e) {
    EXPECT_NE(std::string(e.what()).find("classifier.bias"), std::string::npos) << e.what();
  }
}

TEST(FromPretrained, LegacyNamesAndKeyMapping) {
  // gamma/beta checkpoints (pre-4.x BERT) load into LayerNorm.weight/bias
  std::vector<std::pair<std::string, Tensor>> state;
  for (auto& [k, t] : io::load_safetensors(fixtures() / "bert" / "model" / "model.safetensors")) {
    std::string n = k;
    if (n.size() > 16 && n.compare(n.size() - 16, 16, "LayerNorm.weight") == 0) n = n.substr(0, n.size() - 6) + "gamma";
    if (n.size() > 14 && n.compare(n.size() - 14, 14, "LayerNorm.bias") == 0) n = n.substr(0, n.size() - 4) + "beta";
    state.emplace_back(n, t);
  }
  auto m = load_pretrained_model(tiny_factory<TBertForMaskedLM>(), "", dir("bert", "model"), {.state_dict = state});
  expect_loads_all(*m, "gamma/beta");
  expect_equal(*m->find_parameter("bert.embeddings.LayerNorm.weight"),
               reference("bert").at("bert.embeddings.LayerNorm.weight"), "LayerNorm.weight");
  // key_mapping: regex, first pattern that substitutes wins
  std::vector<std::pair<std::string, Tensor>> renamed;
  for (auto& [k, t] : io::load_safetensors(fixtures() / "gpt2" / "model" / "model.safetensors"))
    renamed.emplace_back(std::regex_replace(k, std::regex("^transformer\\.h\\."), "blocks."), t);
  auto g = load_pretrained_model(tiny_factory<TGPT2LMHeadModel>(), "", dir("gpt2", "model"),
                                 {.state_dict = renamed,
                                  .key_mapping = {{"^blocks\\.(\\d+)\\.", "transformer.h.\\1."}, {"^blocks", "never"}}});
  expect_loads_all(*g, "key_mapping");
}

TEST(FromPretrained, ResolutionOrderAndErrors) {
  TempDir d;
  // a folder with both: safetensors wins unless use_safetensors=false
  std::filesystem::copy(fixtures() / "gpt2" / "model", d.path, std::filesystem::copy_options::recursive);
  std::filesystem::copy(fixtures() / "gpt2" / "bin" / "pytorch_model.bin", d.path / "pytorch_model.bin");
  EXPECT_EQ(resolve_checkpoint_files(d.str()).files.at(0), (d.path / "model.safetensors").string());
  FromPretrainedOptions no_safe;
  no_safe.use_safetensors = false;
  EXPECT_EQ(resolve_checkpoint_files(d.str(), no_safe).files.at(0), (d.path / "pytorch_model.bin").string());
  auto sharded = resolve_checkpoint_files(dir("gpt2", "sharded"));
  ASSERT_EQ(sharded.files.size(), 3u);
  EXPECT_NE(sharded.index_file.find("model.safetensors.index.json"), std::string::npos);
  // a single file path is used as is
  auto single = load_pretrained_model(tiny_factory<TGPT2LMHeadModel>(), "", (fixtures() / "gpt2" / "bin" / "pytorch_model.bin").string(),
                                      {.config_path = dir("gpt2", "bin")});
  expect_loads_all(*single, "single file");
  // the variant folder without its variant: the error lists what was looked for
  try {
    resolve_checkpoint_files(dir("gpt2", "variant"));
    FAIL() << "expected FileNotFoundError";
  } catch (const FileNotFoundError& e) {
    const std::string msg = e.what();
    for (const char* n : {"model.safetensors", "model.safetensors.index.json", "pytorch_model.bin", "pytorch_model.bin.index.json"})
      EXPECT_NE(msg.find(n), std::string::npos) << msg;
  }
  FromPretrainedOptions only_safe;
  only_safe.use_safetensors = true;
  EXPECT_THROW(resolve_checkpoint_files(dir("gpt2", "bin"), only_safe), FileNotFoundError);
  FromPretrainedOptions offline;
  offline.hub.local_files_only = true;
  offline.hub.cache_dir = d.str();
  EXPECT_THROW(load_pretrained_model(tiny_factory<TGPT2LMHeadModel>(), "", "no-such-org/no-such-repo-xyz", offline),
               FileNotFoundError);
}

TEST(ModelUtils, CountsAndFootprintMatchGoldens) {
  const json facts = read_json(fixtures() / "facts.json");
  auto b = load_pretrained_model(tiny_factory<TBertForMaskedLM>(), "", dir("bert", "model"));
  const json& bu = facts["bert"]["utils"];
  EXPECT_EQ(b->num_parameters(), bu["num_parameters"].get<int64_t>());
  EXPECT_EQ(b->num_parameters(true), bu["num_parameters_trainable"].get<int64_t>());
  EXPECT_EQ(b->num_parameters(false, true), bu["num_parameters_no_embeddings"].get<int64_t>());
  // BertEmbeddings' two int64 buffers are the same in 4.51 and 5.x
  EXPECT_EQ(b->get_memory_footprint(), bu["memory_footprint"].get<int64_t>());
  EXPECT_EQ(b->get_memory_footprint(false), bu["memory_footprint_no_buffers"].get<int64_t>());
  auto g = load_pretrained_model(tiny_factory<TGPT2LMHeadModel>(), "", dir("gpt2", "model"));
  const json& gu = facts["gpt2"]["utils"];
  EXPECT_EQ(g->num_parameters(), gu["num_parameters"].get<int64_t>());
  EXPECT_EQ(g->num_parameters(false, true), gu["num_parameters_no_embeddings"].get<int64_t>());
  EXPECT_EQ(g->get_memory_footprint(false), gu["memory_footprint_no_buffers"].get<int64_t>());
  // half precision halves the bytes
  g->to(DType::Float16);
  EXPECT_EQ(g->get_memory_footprint(false), gu["memory_footprint_no_buffers"].get<int64_t>() / 2);
  EXPECT_EQ(g->dtype(), DType::Float16);
  auto* t = static_cast<TGPT2LMHeadModel*>(g.get());
  EXPECT_TRUE(t->lm_head->weight.is_same(t->wte->weight));  // to() keeps ties
}

TEST(ModelUtils, TieWeightsPadsOutputBias) {
  auto cfg = PretrainedConfig::from_pretrained(dir("bert", "model"));
  auto m = build_model_from_config(tiny_factory<TBertForMaskedLM>(), cfg, 0);
  auto* mlm = static_cast<TBertForMaskedLM*>(m.get());
  // grow the input embeddings by 5 rows and re-tie: the decoder bias is zero-padded to 104
  Tensor* we = m->find_parameter("bert.embeddings.word_embeddings.weight");
  *we = Tensor::full({104, 32}, 2.0);
  mlm->head->decoder->bias = Tensor::full({99}, 3.0);
  mlm->tie_submodule_weights();  // decoder.bias = bias (99 rows)
  // the generic tie: weight shared, bias of the output module padded
  struct NoSubTie : TBertForMaskedLM {
    using TBertForMaskedLM::TBertForMaskedLM;
    void tie_submodule_weights() override {}
  };
  auto m2 = std::make_shared<NoSubTie>(cfg);
  *m2->find_parameter("bert.embeddings.word_embeddings.weight") = Tensor::full({104, 32}, 2.0);
  m2->head->decoder->bias = Tensor::full({99}, 3.0);
  m2->tie_weights();
  EXPECT_TRUE(m2->head->decoder->weight.is_same(*m2->find_parameter("bert.embeddings.word_embeddings.weight")));
  ASSERT_EQ(m2->head->decoder->bias.size(0), 104);
  EXPECT_EQ(m2->head->decoder->bias.at({98}), 3.0);
  EXPECT_EQ(m2->head->decoder->bias.at({103}), 0.0);
}
