// DebertaV2ConfigView: the DebertaV2Config attributes the DeBERTa-v2 modules use, read once per model.
#include "transformers/models/deberta_v2/configuration_deberta_v2.hpp"

#include <algorithm>
#include <cctype>

#include "models/model_utils.hpp"
#include "transformers/core/quote.hpp"
#include "transformers/modeling/attn_implementation.hpp"

namespace transformers {

namespace {

std::vector<std::string> string_list(const PretrainedConfig& c, const std::string& key, const std::string& fallback) {
  if (!c.has(key) || c.raw_at(key).is_null()) return fallback.empty() ? std::vector<std::string>{} : DebertaV2ConfigView::split_bar_list(fallback);
  const json& v = c.raw_at(key);
  if (v.is_string()) return DebertaV2ConfigView::split_bar_list(v.get<std::string>());
  if (!v.is_array())
    throw ValueError("config key '" + key + "': expected a list of strings or a '|'-separated string, found " + quote_input(v.dump()));
  std::vector<std::string> out;
  for (const auto& x : v) {
    if (!x.is_string()) throw ValueError("config key '" + key + "': expected strings, found " + quote_input(x.dump()));
    out.push_back(x.get<std::string>());
  }
  return out;
}

}  // namespace

std::vector<std::string> DebertaV2ConfigView::split_bar_list(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    const size_t bar = s.find('|', start);
    std::string part = s.substr(start, bar == std::string::npos ? std::string::npos : bar - start);
    const size_t b = part.find_first_not_of(" \t\n\r"), e = part.find_last_not_of(" \t\n\r");
    out.push_back(b == std::string::npos ? std::string() : part.substr(b, e - b + 1));
    if (bar == std::string::npos) return out;
    start = bar + 1;
  }
}

bool DebertaV2ConfigView::has_pos_att(const std::string& kind) const {
  return std::find(pos_att_type.begin(), pos_att_type.end(), kind) != pos_att_type.end();
}

DebertaV2ConfigView DebertaV2ConfigView::from_config(const PretrainedConfig& c, const std::string& class_name) {
  DebertaV2ConfigView v;
  // DebertaV2PreTrainedModel sets no _supports_sdpa: "sdpa" is 4.51's ValueError, the default is eager.
  v.attn_implementation = autoset_attn_implementation(c, class_name, {.sdpa = false});
  v.read_encoder_fields(c);
  if (v.num_attention_heads <= 0 || v.hidden_size % v.num_attention_heads != 0)
    throw ValueError("The hidden size (" + std::to_string(v.hidden_size) +
                     ") is not a multiple of the number of attention heads (" +
                     std::to_string(v.num_attention_heads) + ")");
  v.embedding_size = c.get<int64_t>("embedding_size", v.hidden_size);
  v.attention_head_size = c.get<int64_t>("attention_head_size", v.hidden_size / v.num_attention_heads);
  v.relative_attention = c.get<bool>("relative_attention", false);
  v.max_relative_positions = c.get<int64_t>("max_relative_positions", -1);
  v.position_buckets = c.get<int64_t>("position_buckets", -1);
  v.share_att_key = c.get<bool>("share_att_key", false);
  v.pos_att_type = string_list(c, "pos_att_type", "");
  v.norm_rel_ebd = string_list(c, "norm_rel_ebd", "none");
  v.position_biased_input = c.get<bool>("position_biased_input", true);
  v.pooler_hidden_size = c.get<int64_t>("pooler_hidden_size", v.hidden_size);
  v.pooler_hidden_act = c.get<std::string>("pooler_hidden_act", "gelu");
  v.pooler_dropout = c.get<double>("pooler_dropout", 0.0);
  if (c.has("cls_dropout") && !c.raw_at("cls_dropout").is_null()) v.cls_dropout = c.get<double>("cls_dropout");
  v.legacy = c.get<bool>("legacy", true);
  v.conv_kernel_size = c.get<int64_t>("conv_kernel_size", 0);
  v.conv_groups = c.get<int64_t>("conv_groups", 1);
  v.conv_act = c.get<std::string>("conv_act", "tanh");
  return v;
}

}  // namespace transformers
