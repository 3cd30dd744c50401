// CrossEncoder (see the header): CrossEncoder.__init__'s choices, then predict / rank.
#include "cross_encoder.hpp"

#include <algorithm>

#include "sentence_pipeline.hpp"
#include "transformers/core/quote.hpp"
#include "transformers/modeling/auto.hpp"

namespace transformers::cli {
namespace {

Tensor rows_tensor(const std::vector<std::vector<int64_t>>& rows) {
  std::vector<int64_t> v;
  for (auto& r : rows) v.insert(v.end(), r.begin(), r.end());
  return Tensor::from_vector(v, {int64_t(rows.size()), int64_t(rows.at(0).size())});
}

}  // namespace

CrossEncoder CrossEncoder::load(const Source& src) {
  CrossEncoder ce;
  auto config = PretrainedConfig::from_pretrained(src.path, {.hub = src.hub});
  const auto archs = config->architectures();
  const bool classifier_trained =
      !config->has("architectures") || config->raw_at("architectures").is_null() ||
      std::any_of(archs.begin(), archs.end(), [](const std::string& a) { return a.ends_with("ForSequenceClassification"); });
  FromPretrainedOptions o{.hub = src.hub};
  if (!classifier_trained) o.num_labels = 1;
  ce.model = AutoModelForSequenceClassification::from_pretrained(src.path, o);
  ce.tokenizer = std::make_shared<PreTrainedTokenizerFast>(AutoTokenizer::from_pretrained(src.path, {.hub = src.hub}));
  ce.num_labels = ce.model->config().num_labels();
  const PretrainedConfig& c = ce.model->config();
  if (c.has("sbert_ce_default_activation_function") && !c.raw_at("sbert_ce_default_activation_function").is_null()) {
    const json& a = c.raw_at("sbert_ce_default_activation_function");
    if (!a.is_string())
      throw FormatError(src.path + "/config.json: \"sbert_ce_default_activation_function\" must be a class path string, found " +
                        escape_input(a.dump()));
    ce.default_activation = torch_activation(a.get<std::string>(), src.path + "/config.json");
  } else {
    ce.default_activation = ce.num_labels == 1 ? "sigmoid" : "identity";
  }
  return ce;
}

std::vector<std::vector<float>> CrossEncoder::predict(const std::vector<std::pair<std::string, std::string>>& pairs,
                                                      const std::optional<std::string>& activation,
                                                      size_t batch_size) const {
  const std::string act = activation.value_or(default_activation);
  const bool with_types = passes_token_type_ids(*tokenizer);
  std::vector<std::vector<float>> scores;
  for (size_t start = 0; start < pairs.size(); start += std::max<size_t>(batch_size, 1)) {
    std::vector<std::pair<std::string, std::string>> batch;
    for (size_t i = start; i < std::min(pairs.size(), start + std::max<size_t>(batch_size, 1)); ++i)
      batch.emplace_back(strip_whitespace(pairs[i].first), strip_whitespace(pairs[i].second));
    const BatchEncoding enc = (*tokenizer)(batch, {.padding = Padding::Longest, .truncation = true});
    ModelInputs in;
    in.input_ids = rows_tensor(enc.input_ids);
    in.attention_mask = rows_tensor(enc.attention_mask);
    if (with_types && !enc.token_type_ids.empty()) in.token_type_ids = rows_tensor(enc.token_type_ids);
    const Tensor logits = model->forward(in).logits.to(DType::Float32).contiguous();
    const int64_t n = logits.size(0), k = logits.size(1);
    const float* p = logits.data<float>();
    for (int64_t i = 0; i < n; ++i) {
      std::vector<float> row(static_cast<size_t>(k));
      for (int64_t j = 0; j < k; ++j) row[size_t(j)] = float(activate(double(p[i * k + j]), act));
      scores.push_back(std::move(row));
    }
  }
  return scores;
}

std::vector<RankedDocument> CrossEncoder::rank(const std::string& query, const std::vector<std::string>& documents,
                                               const std::optional<std::string>& activation) const {
  if (num_labels != 1)
    throw ValueError("CrossEncoder.rank() only works for models with num_labels=1; this model has num_labels=" +
                     std::to_string(num_labels));
  std::vector<std::pair<std::string, std::string>> pairs;
  for (auto& d : documents) pairs.emplace_back(query, d);
  const auto scores = predict(pairs, activation);
  std::vector<RankedDocument> ranked;
  for (size_t i = 0; i < scores.size(); ++i) ranked.push_back({i, double(scores[i][0])});
  std::stable_sort(ranked.begin(), ranked.end(), [](auto& a, auto& b) { return a.score > b.score; });
  return ranked;
}

}  // namespace transformers::cli
