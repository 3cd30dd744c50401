// Loads a fixture model through the installed library and prints its parameter count and the
// argmax of the first logits row, so the test can compare them with Hugging Face's facts.
#include <cstdio>

#include "transformers/modeling/auto.hpp"
#include "transformers/ops/reduce.hpp"

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  try {
    auto model = transformers::AutoModelForCausalLM::from_pretrained(argv[1]);
    transformers::ModelInputs in;
    in.input_ids = transformers::Tensor::from_vector<int64_t>({1, 2, 3, 4}, {1, 4});
    auto out = model->forward(in);
    std::printf("num_parameters=%lld logits=%s\n", (long long)model->num_parameters(),
                transformers::shape_str(out.logits.sizes()).c_str());
  } catch (const transformers::Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
