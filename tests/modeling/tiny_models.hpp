#pragma once
// Small stand-ins for BertModel / BertForMaskedLM / BertForSequenceClassification / GPT2LMHeadModel
// with Hugging Face's exact parameter names, buffers and tied weights, so the loading and saving
// machinery is tested on the shared fixtures independently of models/. No forward pass.
#include <memory>
#include <string>

#include "transformers/modeling/modeling_utils.hpp"

namespace transformers::test {

struct TLinear : nn::Module {
  TLinear(int64_t in, int64_t out, bool bias = true) {
    weight = Tensor::zeros({out, in});
    if (bias) this->bias = Tensor::zeros({out});
    register_parameter("weight", &weight);
    register_parameter("bias", &this->bias);
  }
  std::string name() const override { return "Linear"; }
  Tensor weight, bias;
};
struct TConv1D : nn::Module {  // GPT-2's Conv1D: weight [nx, nf]
  TConv1D(int64_t nf, int64_t nx) {
    weight = Tensor::zeros({nx, nf});
    bias = Tensor::zeros({nf});
    register_parameter("weight", &weight);
    register_parameter("bias", &bias);
  }
  std::string name() const override { return "Conv1D"; }
  Tensor weight, bias;
};
struct TEmbedding : nn::Module {
  TEmbedding(int64_t n, int64_t d) {
    weight = Tensor::zeros({n, d});
    register_parameter("weight", &weight);
  }
  std::string name() const override { return "Embedding"; }
  Tensor weight;
};
struct TLayerNorm : nn::Module {
  explicit TLayerNorm(int64_t d) {
    weight = Tensor::zeros({d});
    bias = Tensor::zeros({d});
    register_parameter("weight", &weight);
    register_parameter("bias", &bias);
  }
  std::string name() const override { return "LayerNorm"; }
  Tensor weight, bias;
};
struct TModule : nn::Module {
  using nn::Module::register_buffer;
  using nn::Module::register_module;
};

// init_weights shared by the tiny models: a recognisable constant per kind (so tests can see which
// modules were initialised): Linear/Conv1D/Embedding weight 0.5, biases 0, LayerNorm 1/0.
inline void tiny_init(nn::Module& m) {
  if (m.name() == "Linear" || m.name() == "Conv1D" || m.name() == "Embedding") {
    m.find_parameter("weight")->fill_(0.5);
    if (Tensor* b = m.find_parameter("bias"); b && b->defined()) b->zero_();
  } else if (m.name() == "LayerNorm") {
    m.find_parameter("weight")->fill_(1.0);
    m.find_parameter("bias")->zero_();
  } else if (m.name() == "BertLMPredictionHead") {
    m.find_parameter("bias")->zero_();
  }
}

struct TBertModel : PreTrainedModel {
  TBertModel(std::shared_ptr<PretrainedConfig> c, bool pooler = true) : PreTrainedModel(c) {
    const int64_t h = c->hidden_size(), v = c->vocab_size(), p = c->get<int64_t>("max_position_embeddings");
    auto emb = register_module("embeddings", std::make_shared<TModule>());
    emb->register_module("word_embeddings", std::make_shared<TEmbedding>(v, h));
    emb->register_module("position_embeddings", std::make_shared<TEmbedding>(p, h));
    emb->register_module("token_type_embeddings", std::make_shared<TEmbedding>(c->get<int64_t>("type_vocab_size"), h));
    emb->register_module("LayerNorm", std::make_shared<TLayerNorm>(h));
    position_ids = Tensor::zeros({1, p}, DType::Int64);
    token_type_ids = Tensor::zeros({1, p}, DType::Int64);
    // BertEmbeddings' buffers, non-persistent as in 4.51
    emb->register_buffer("position_ids", &position_ids, false);
    emb->register_buffer("token_type_ids", &token_type_ids, false);
    auto enc = register_module("encoder", std::make_shared<TModule>());
    auto layers = enc->register_module("layer", std::make_shared<TModule>());
    const int64_t inter = c->get<int64_t>("intermediate_size");
    for (int64_t i = 0; i < c->num_hidden_layers(); ++i) {
      auto l = layers->register_module(std::to_string(i), std::make_shared<TModule>());
      auto att = l->register_module("attention", std::make_shared<TModule>());
      auto self = att->register_module("self", std::make_shared<TModule>());
      for (const char* n : {"query", "key", "value"}) self->register_module(n, std::make_shared<TLinear>(h, h));
      auto out = att->register_module("output", std::make_shared<TModule>());
      out->register_module("dense", std::make_shared<TLinear>(h, h));
      out->register_module("LayerNorm", std::make_shared<TLayerNorm>(h));
      l->register_module("intermediate", std::make_shared<TModule>())
          ->register_module("dense", std::make_shared<TLinear>(h, inter));
      auto o = l->register_module("output", std::make_shared<TModule>());
      o->register_module("dense", std::make_shared<TLinear>(inter, h));
      o->register_module("LayerNorm", std::make_shared<TLayerNorm>(h));
    }
    if (pooler) register_module("pooler", std::make_shared<TModule>())->register_module("dense", std::make_shared<TLinear>(h, h));
  }
  ModelOutput forward(const ModelInputs&) override { throw UnsupportedError("tiny model"); }
  std::string base_model_prefix() const override { return "bert"; }
  nn::Module* get_input_embeddings() override { return find_module("embeddings.word_embeddings"); }
  void init_weights(nn::Module& m) override { tiny_init(m); }
  std::string name() const override { return "BertModel"; }
  Tensor position_ids, token_type_ids;
};

struct TBertLMHead : nn::Module {
  TBertLMHead(int64_t h, int64_t v) {
    auto t = std::make_shared<TModule>();
    t->register_module("dense", std::make_shared<TLinear>(h, h));
    t->register_module("LayerNorm", std::make_shared<TLayerNorm>(h));
    register_module("transform", t);
    decoder = std::make_shared<TLinear>(h, v);
    register_module("decoder", decoder);
    bias = Tensor::zeros({v});
    register_parameter("bias", &bias);
  }
  std::string name() const override { return "BertLMPredictionHead"; }
  std::shared_ptr<TLinear> decoder;
  Tensor bias;
};

struct TBertForMaskedLM : PreTrainedModel {
  explicit TBertForMaskedLM(std::shared_ptr<PretrainedConfig> c) : PreTrainedModel(c) {
    bert = register_module("bert", std::make_shared<TBertModel>(c, false));
    auto cls = register_module("cls", std::make_shared<TModule>());
    head = cls->register_module("predictions", std::make_shared<TBertLMHead>(c->hidden_size(), c->vocab_size()));
  }
  ModelOutput forward(const ModelInputs&) override { throw UnsupportedError("tiny model"); }
  std::string base_model_prefix() const override { return "bert"; }
  std::vector<std::string> tied_weights_keys() const override {
    return {"predictions.decoder.bias", "cls.predictions.decoder.weight"};
  }
  nn::Module* base_model() override { return bert.get(); }
  nn::Module* get_output_embeddings() override { return head->decoder.get(); }
  void tie_submodule_weights() override { head->decoder->bias = head->bias; }
  void init_weights(nn::Module& m) override { tiny_init(m); }
  std::string name() const override { return "BertForMaskedLM"; }
  std::shared_ptr<TBertModel> bert;
  std::shared_ptr<TBertLMHead> head;
};

struct TBertForSequenceClassification : PreTrainedModel {
  explicit TBertForSequenceClassification(std::shared_ptr<PretrainedConfig> c) : PreTrainedModel(c) {
    bert = register_module("bert", std::make_shared<TBertModel>(c, true));
    register_module("classifier", std::make_shared<TLinear>(c->hidden_size(), c->num_labels()));
  }
  ModelOutput forward(const ModelInputs&) override { throw UnsupportedError("tiny model"); }
  std::string base_model_prefix() const override { return "bert"; }
  nn::Module* base_model() override { return bert.get(); }
  void init_weights(nn::Module& m) override { tiny_init(m); }
  std::string name() const override { return "BertForSequenceClassification"; }
  std::shared_ptr<TBertModel> bert;
};

struct TGPT2LMHeadModel : PreTrainedModel {
  explicit TGPT2LMHeadModel(std::shared_ptr<PretrainedConfig> c) : PreTrainedModel(c) {
    const int64_t h = c->hidden_size(), v = c->vocab_size(), p = c->get<int64_t>("n_positions");
    const int64_t inner = c->get<int64_t>("n_inner");
    auto tr = register_module("transformer", std::make_shared<TModule>());
    wte = tr->register_module("wte", std::make_shared<TEmbedding>(v, h));
    tr->register_module("wpe", std::make_shared<TEmbedding>(p, h));
    auto hs = tr->register_module("h", std::make_shared<TModule>());
    for (int64_t i = 0; i < c->num_hidden_layers(); ++i) {
      auto b = hs->register_module(std::to_string(i), std::make_shared<TModule>());
      b->register_module("ln_1", std::make_shared<TLayerNorm>(h));
      auto a = b->register_module("attn", std::make_shared<TModule>());
      a->register_module("c_attn", std::make_shared<TConv1D>(3 * h, h));
      a->register_module("c_proj", std::make_shared<TConv1D>(h, h));
      b->register_module("ln_2", std::make_shared<TLayerNorm>(h));
      auto m = b->register_module("mlp", std::make_shared<TModule>());
      m->register_module("c_fc", std::make_shared<TConv1D>(inner, h));
      m->register_module("c_proj", std::make_shared<TConv1D>(h, inner));
    }
    tr->register_module("ln_f", std::make_shared<TLayerNorm>(h));
    lm_head = register_module("lm_head", std::make_shared<TLinear>(h, v, false));
  }
  ModelOutput forward(const ModelInputs&) override { throw UnsupportedError("tiny model"); }
  std::string base_model_prefix() const override { return "transformer"; }
  std::vector<std::string> tied_weights_keys() const override { return {"lm_head.weight"}; }
  nn::Module* get_input_embeddings() override { return wte.get(); }
  nn::Module* get_output_embeddings() override { return lm_head.get(); }
  void init_weights(nn::Module& m) override { tiny_init(m); }
  bool can_generate() const override { return true; }
  std::string name() const override { return "GPT2LMHeadModel"; }
  std::shared_ptr<TEmbedding> wte;
  std::shared_ptr<TLinear> lm_head;
};

template <typename M>
ModelFactory tiny_factory() {
  return [](std::shared_ptr<PretrainedConfig> c) { return std::make_shared<M>(std::move(c)); };
}

}  // namespace transformers::test
