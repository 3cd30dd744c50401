// _core._forward_times: the C++ API's forward timed in a loop inside the Python process, for
// bench/python_overhead.py. Against the same call made from Python it isolates the binding's own
// cost (argument conversion, GIL release, output objects) from differences between processes.
// thread=True runs the loop on a new thread: its allocations come from a malloc arena of its own
// instead of the main thread's, which the Python interpreter shares (the bench reports both).
#include <chrono>
#include <thread>

#include "bindings.hpp"

#include "transformers/core/autograd.hpp"
#include "transformers/modeling/modeling_utils.hpp"

namespace transformers_py {

void bind_bench_probe(py::module_& m) {
  m.def(
      "_forward_times",
      [](transformers::PreTrainedModel& model, const py::array& input_ids, int reps, bool thread) {
        const Tensor ids = from_numpy(input_ids);
        std::vector<double> ms;
        ms.reserve(std::size_t(std::max(reps, 0)));
        py::gil_scoped_release nogil;
        auto loop = [&] {
          transformers::autograd::NoGradGuard no_grad;  // as the Python forward path runs it
          for (int i = 0; i < reps; ++i) {
            const auto t0 = std::chrono::steady_clock::now();
            transformers::ModelOutput out = model.forward({.input_ids = ids});
            ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
          }
        };
        if (thread) std::thread(loop).join();
        else loop();
        return ms;
      },
      py::arg("model"), py::arg("input_ids"), py::arg("reps"), py::arg("thread") = false);
}

}  // namespace transformers_py
