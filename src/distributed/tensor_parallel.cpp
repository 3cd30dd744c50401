// tp_plan="auto" (4.51's base_model_tp_plan and _tp_plan for the Llama family): the planned Linear
// layers keep this rank's slice of their weight, the attention modules their share of the heads
// (unless q/k/v are gathered back), and the Linear output hooks do the collectives (rowwise and
// rowwise_rep: all-reduce then the bias, once, rowwise_rep's input hook taking this rank's features;
// colwise_rep: all-gather of the output slices). A colwise slice of a mapped checkpoint is a view
// of the mapping (row blocks are contiguous), so this rank only ever pages in its own rows; a
// rowwise slice is a strided block, copied once.
#include "transformers/distributed/tensor_parallel.hpp"

#include <algorithm>
#include <cstdint>
#include <map>
#include <regex>
#include <set>

#include "modeling/disk_offload.hpp"
#include "transformers/core/error.hpp"
#include "transformers/models/llama/modeling_llama.hpp"
#include "transformers/nn/linear.hpp"
#include "transformers/ops/elementwise.hpp"

namespace transformers::distributed {

namespace {

const std::set<std::string>& llama_family() {
  // gemma3_text: Gemma3ForCausalLM's config (4.51's Gemma3TextConfig has the same base_model_tp_plan)
  static const std::set<std::string> s = {"llama",       "mistral", "qwen2", "qwen3", "gemma", "gemma2",
                                          "gemma3_text", "mixtral", "olmo2", "phi3"};
  return s;
}

// Bytes of parameter memory the model references: the union of every parameter's byte range, so a
// slice that is a view of a tied tensor or of one checkpoint mapping costs only its own bytes.
int64_t weight_bytes(const nn::Module& m) {
  std::vector<std::pair<uintptr_t, uintptr_t>> ranges;
  for (auto& [name, t] : m.named_parameters("", true, false)) {
    if (t.numel() == 0) continue;
    const uintptr_t lo = reinterpret_cast<uintptr_t>(t.data_ptr());
    ranges.emplace_back(lo, lo + t.nbytes());  // parameters are contiguous (views of rows included)
  }
  std::sort(ranges.begin(), ranges.end());
  int64_t n = 0;
  uintptr_t end = 0;
  for (auto& [lo, hi] : ranges) {
    if (hi <= end) continue;
    n += int64_t(hi - std::max(lo, end));
    end = hi;
  }
  return n;
}

// "model.layers.*.self_attn.q_proj" as a regex over module names.
std::regex pattern_regex(const std::string& p) {
  std::string r;
  for (char c : p) {
    if (c == '*') r += "\\d+";
    else if (c == '.') r += "\\.";
    else r += c;
  }
  return std::regex(r);
}

void require_divides(int64_t value, int n, const std::string& what, const std::string& model) {
  if (value % n != 0)
    throw ValueError("tensor parallel: " + model + "'s " + what + " = " + std::to_string(value) +
                     " is not divisible by the world size " + std::to_string(n) +
                     " (each rank needs an equal share; run with a number of processes that divides it)");
}

}  // namespace

TpPlan get_tp_plan(const PreTrainedModel& model) {
  const std::string& mt = model.config().model_type();
  if (!llama_family().count(mt))
    throw UnsupportedError("tensor parallel: " + model.name() + " (model_type " + mt +
                           ") has no tp_plan here; the Llama family (llama, mistral, qwen2, qwen3, gemma, gemma2, gemma3_text, mixtral, "
                           "olmo2, phi3) has one");
  bool has_base = false;
  for (auto& [n, c] : model.named_children()) has_base = has_base || n == model.base_model_prefix();
  const std::string pre = has_base ? model.base_model_prefix() + "." : "";
  TpPlan plan = {{pre + "layers.*.self_attn.q_proj", "colwise"}, {pre + "layers.*.self_attn.k_proj", "colwise"},
                 {pre + "layers.*.self_attn.v_proj", "colwise"}, {pre + "layers.*.self_attn.o_proj", "rowwise"},
                 {pre + "layers.*.mlp.gate_proj", "colwise"},    {pre + "layers.*.mlp.up_proj", "colwise"},
                 {pre + "layers.*.mlp.down_proj", "rowwise"}};
  if (mt == "mixtral") {  // 4.51's MixtralConfig: the router replicated, each expert split like an MLP
    plan.resize(4);
    plan.insert(plan.end(), {{pre + "layers.*.block_sparse_moe.gate", "colwise_rep"},
                             {pre + "layers.*.block_sparse_moe.experts.*.w1", "colwise"},
                             {pre + "layers.*.block_sparse_moe.experts.*.w2", "rowwise"},
                             {pre + "layers.*.block_sparse_moe.experts.*.w3", "colwise"}});
  }
  if (mt == "olmo2") {  // 4.51: q/k/v gathered back (the norm spans the whole projection), o fed whole
    for (int i = 0; i < 3; ++i) plan[size_t(i)].second = "colwise_rep";
    plan[3].second = "rowwise_rep";
  }
  if (mt == "phi3")  // 4.51: the fused projections gathered back (the split and chunk need them whole)
    plan = {{pre + "layers.*.self_attn.qkv_proj", "colwise_rep"}, {pre + "layers.*.self_attn.o_proj", "rowwise_rep"},
            {pre + "layers.*.mlp.gate_up_proj", "colwise_rep"},   {pre + "layers.*.mlp.down_proj", "rowwise_rep"}};
  if (model.name().find("ForCausalLM") != std::string::npos) plan.emplace_back("lm_head", "colwise_rep");
  return plan;
}

TensorParallelInfo tensor_parallel(PreTrainedModel& model, std::shared_ptr<Communicator> comm, const std::string& tp_plan) {
  if (tp_plan != "auto")
    throw ValueError("tp_plan supports 'auto' only (as 4.51), found '" + tp_plan + "'");
  if (!comm) throw ValueError("tensor_parallel: no communicator");
  const int n = comm->size(), r = comm->rank();
  TensorParallelInfo info;
  info.world_size = n;
  info.weight_bytes_total = weight_bytes(model);
  const TpPlan plan = get_tp_plan(model);

  // Every check first, on every rank (same model, same answer): no rank enters a collective alone.
  const auto mods = model.named_modules();
  const std::string cls = model.name();
  std::vector<std::pair<std::string, std::string>> todo;  // module name -> style
  // Heads are split only where q/k/v stay split ("colwise"); "colwise_rep" gathers them back, so every
  // rank then runs all heads (OLMo 2, Phi-3).
  bool split_heads = false;
  for (auto& [pat, style] : plan) split_heads = split_heads || (pat.ends_with(".q_proj") && style == "colwise");
  for (auto& [name, m] : mods) {
    if (auto* a = dynamic_cast<LlamaAttention*>(m); a && split_heads) {
      if (a->qkv_proj || a->qk_norm_full_projection)
        throw UnsupportedError("tensor parallel: " + cls + " fuses q/k/v or normalises the whole projection; "
                               "its attention has no tp plan here");
      require_divides(a->num_heads, n, "num_attention_heads", cls);
      require_divides(a->num_key_value_heads, n, "num_key_value_heads", cls);
    }
    for (auto& [pat, style] : plan)
      if (std::regex_match(name, pattern_regex(pat))) {
        auto* lin = dynamic_cast<nn::Linear*>(m);
        if (!lin) throw UnsupportedError("tensor parallel: " + name + " is no Linear layer");
        const bool rowwise = style.starts_with("rowwise");
        require_divides(rowwise ? lin->in_features() : lin->out_features(), n,
                        name + (rowwise ? " in_features" : " out_features"), cls);
        todo.emplace_back(name, style);
      }
  }

  for (auto& [name, m] : mods)
    if (auto* a = dynamic_cast<LlamaAttention*>(m); a && split_heads) {
      a->num_heads /= n;
      a->num_key_value_heads /= n;
    }
  for (auto& [name, style] : todo) {
    auto* lin = dynamic_cast<nn::Linear*>(model.find_module(name));
    if (style == "colwise" || style == "colwise_rep") {
      const int64_t rows = lin->out_features() / n;
      // A fresh slot: lm_head may share its tensor with the embedding, which stays whole.
      lin->weight = lin->weight.narrow(0, r * rows, rows);
      if (lin->bias.defined()) lin->bias = lin->bias.narrow(0, r * rows, rows);
      if (style == "colwise_rep") lin->output_hook = [comm](const Tensor& y) { return comm->all_gather(y, y.dim() - 1); };
    } else {
      const int64_t cols = lin->in_features() / n;
      const Tensor whole = lin->weight;
      lin->weight = whole.narrow(1, r * cols, cols).contiguous();
      // rowwise_rep: the input is whole on every rank; this rank multiplies its block of features
      if (style == "rowwise_rep")
        lin->input_hook = [r, cols](const Tensor& x) { return x.narrow(x.dim() - 1, r * cols, cols).contiguous(); };
      // the copy paged the whole weight in; a view of the checkpoint mapping gives those pages back
      modeling_detail::release_mapped_pages(whole);
      Tensor bias = lin->bias;
      lin->bias = Tensor();  // added once, after the sum
      lin->output_hook = [comm, bias](const Tensor& y) {
        Tensor s = y;
        comm->all_reduce_sum(s);
        return bias.defined() ? ops::add(s, bias) : s;
      };
    }
  }
  info.weight_bytes_local = weight_bytes(model);
  return info;
}

}  // namespace transformers::distributed
