#include "transformers/nn/init.hpp"

#include "transformers/nn/embedding.hpp"
#include "transformers/nn/linear.hpp"
#include "transformers/nn/normalization.hpp"

namespace transformers::nn {

namespace {
// Writable handles: a weight may be a read-only view of a mapped checkpoint; replace it first.
void make_writable(Tensor& t) {
  if (t.defined() && t.storage() && t.storage()->read_only()) t = t.clone();
}
}  // namespace

bool init_weights_normal(Module& module, double std, ops::Generator& gen) {
  if (auto* l = dynamic_cast<Linear*>(&module)) {
    make_writable(l->weight);
    ops::normal_(l->weight, 0.0, std, gen);
    if (l->bias.defined()) make_writable(l->bias), l->bias.zero_();
    return true;
  }
  if (auto* c = dynamic_cast<Conv1D*>(&module)) {
    make_writable(c->weight);
    ops::normal_(c->weight, 0.0, std, gen);
    make_writable(c->bias);
    c->bias.zero_();
    return true;
  }
  if (auto* e = dynamic_cast<Embedding*>(&module)) {
    make_writable(e->weight);
    ops::normal_(e->weight, 0.0, std, gen);
    if (e->padding_idx) e->weight.select(0, *e->padding_idx).zero_();
    return true;
  }
  if (auto* n = dynamic_cast<LayerNorm*>(&module)) {
    if (n->weight.defined()) make_writable(n->weight), n->weight.fill_(1.0);
    if (n->bias.defined()) make_writable(n->bias), n->bias.zero_();
    return true;
  }
  if (auto* r = dynamic_cast<RMSNorm*>(&module)) {
    make_writable(r->weight);
    r->weight.fill_(r->unit_offset ? 0.0 : 1.0);  // GemmaRMSNorm's identity is a zero weight
    return true;
  }
  return false;
}

}  // namespace transformers::nn
