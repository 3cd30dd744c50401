// generation_config.json through GenerationConfig::from_pretrained(folder), the accessors
// generate() reads, and the save path.
#include <cstdint>

#include "fuzz_util.hpp"
#include "transformers/generation/configuration_utils.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace transformers;
  fuzz::write_file("generation_config.json", fuzz::as_view(data, size));
  fuzz::expect_typed([&] {
    auto cfg = GenerationConfig::from_pretrained(fuzz::scratch_dir().string());
    volatile size_t sink = 0;
    fuzz::expect_typed([&] { sink = sink + cfg->eos_token_ids().size(); });
    fuzz::expect_typed([&] { sink = sink + cfg->get<int64_t>("max_length", 20) + cfg->get<int64_t>("num_beams", 1); });
    fuzz::expect_typed([&] { sink = sink + size_t(cfg->get<double>("temperature", 1.0)); });
    fuzz::expect_typed([&] { sink = sink + cfg->get<bool>("do_sample", false); });
    fuzz::expect_typed([&] { sink = sink + cfg->to_json_string(true).size(); });
    fuzz::expect_typed([&] { sink = sink + cfg->to_json_string(false).size(); });
  });
  return 0;
}
