// config.json through PretrainedConfig::from_pretrained(folder), then every typed accessor the
// modeling layer calls and the save path (to_json_string = what save_pretrained writes).
#include <cstdint>

#include "fuzz_util.hpp"
#include "transformers/modeling/configuration_utils.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace transformers;
  fuzz::write_file("config.json", fuzz::as_view(data, size));
  fuzz::expect_typed([&] {
    auto cfg = PretrainedConfig::from_pretrained(fuzz::scratch_dir().string());
    volatile size_t sink = 0;
    fuzz::expect_typed([&] { sink = sink + cfg->vocab_size() + cfg->hidden_size(); });
    fuzz::expect_typed([&] { sink = sink + cfg->num_hidden_layers() + cfg->num_attention_heads(); });
    fuzz::expect_typed([&] { sink = sink + cfg->tie_word_embeddings() + cfg->is_decoder() + cfg->is_encoder_decoder(); });
    fuzz::expect_typed([&] { sink = sink + cfg->num_labels(); });
    fuzz::expect_typed([&] { sink = sink + cfg->id2label().size(); });
    fuzz::expect_typed([&] { sink = sink + cfg->label2id().size(); });
    fuzz::expect_typed([&] { sink = sink + cfg->pruned_heads().size(); });
    fuzz::expect_typed([&] { sink = sink + cfg->torch_dtype().has_value(); });
    fuzz::expect_typed([&] { sink = sink + cfg->rope_theta().has_value(); });
    fuzz::expect_typed([&] { sink = sink + cfg->rope_scaling().size(); });
    fuzz::expect_typed([&] { sink = sink + cfg->architectures().size(); });
    fuzz::expect_typed([&] { sink = sink + cfg->attn_implementation().size(); });
    fuzz::expect_typed([&] { sink = sink + cfg->to_json_string(true).size(); });
    fuzz::expect_typed([&] { sink = sink + cfg->to_json_string(false).size(); });
  });
  return 0;
}
