// MPI_COMM_WORLD as a Communicator (Open MPI). Collectives run on contiguous float32/float64 buffers;
// 16-bit floats travel as float32 so sums round once, as torch's all-reduce of a bf16 tensor on CPU
// (gloo) accumulates in the tensor's dtype only per hop -- here the result is cast back once.
#include <cstdlib>
#include <mutex>

#include "transformers/core/error.hpp"
#include "transformers/distributed/communicator.hpp"
#include "transformers/ops/indexing.hpp"

#ifdef TRANSFORMERS_HAVE_MPI
#define OMPI_SKIP_MPICXX 1  // the C API only
#include <mpi.h>
#endif

namespace transformers::distributed {

bool launched_by_mpirun() {
  return std::getenv("OMPI_COMM_WORLD_SIZE") != nullptr || std::getenv("PMIX_RANK") != nullptr ||
         std::getenv("PMI_RANK") != nullptr;
}

#ifdef TRANSFORMERS_HAVE_MPI

bool mpi_available() { return true; }

namespace {

void check(int rc, const char* what) {
  if (rc == MPI_SUCCESS) return;
  char msg[MPI_MAX_ERROR_STRING];
  int len = 0;
  MPI_Error_string(rc, msg, &len);
  throw EnvironmentError(std::string("MPI ") + what + " failed: " + std::string(msg, size_t(len)));
}

// The tensor as a contiguous float32/float64 buffer, and how to put the result back.
Tensor wire(const Tensor& t) {
  if (t.dtype() == DType::Float32 || t.dtype() == DType::Float64) return t.is_contiguous() ? t : t.contiguous();
  if (t.dtype() == DType::BFloat16 || t.dtype() == DType::Float16) return t.to(DType::Float32);
  throw UnsupportedError("tensor parallel collective on a " + std::string(dtype_name(t.dtype())) +
                         " tensor (float32, float64, bfloat16 and float16 are supported)");
}
MPI_Datatype mpi_type(DType d) { return d == DType::Float64 ? MPI_DOUBLE : MPI_FLOAT; }

class MpiWorld : public Communicator {
 public:
  MpiWorld() {
    int inited = 0;
    MPI_Initialized(&inited);
    if (!inited) {
      int provided = 0;
      check(MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread");
      std::atexit([] {
        int fin = 0;
        MPI_Finalized(&fin);
        if (!fin) MPI_Finalize();
      });
    }
    // Errors come back as return codes (turned into exceptions), not as an abort.
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
  }
  int rank() const override { return rank_; }
  int size() const override { return size_; }

  void all_reduce_sum(Tensor& t) override {
    if (size_ == 1) return;
    Tensor w = wire(t);
    if (w.is_same(t) && t.storage()->read_only()) w = t.clone();
    if (w.numel() > int64_t(INT32_MAX)) throw UnsupportedError("all_reduce of more than 2^31 elements");
    check(MPI_Allreduce(MPI_IN_PLACE, w.mutable_data_ptr(), int(w.numel()), mpi_type(w.dtype()), MPI_SUM, MPI_COMM_WORLD),
          "MPI_Allreduce");
    t = w.dtype() == t.dtype() ? w : w.to(t.dtype());
  }

  Tensor all_gather(const Tensor& t, int64_t dim) override {
    if (size_ == 1) return t;
    const Tensor w = wire(t);
    if (w.numel() > int64_t(INT32_MAX) / size_) throw UnsupportedError("all_gather of more than 2^31 elements");
    // gathered rank-major: [size, *shape], then each rank's block put along `dim`
    Shape big = w.sizes();
    big.insert(big.begin(), size_);
    Tensor all = Tensor::empty(big, w.dtype());
    check(MPI_Allgather(w.data_ptr(), int(w.numel()), mpi_type(w.dtype()), all.mutable_data_ptr(), int(w.numel()),
                        mpi_type(w.dtype()), MPI_COMM_WORLD),
          "MPI_Allgather");
    std::vector<Tensor> parts;
    for (int r = 0; r < size_; ++r) parts.push_back(all.select(0, r));
    Tensor out = ops::cat(parts, dim);
    return out.dtype() == t.dtype() ? out : out.to(t.dtype());
  }

  int64_t all_reduce_max(int64_t v) override {
    if (size_ == 1) return v;
    long long x = v, out = 0;
    check(MPI_Allreduce(&x, &out, 1, MPI_LONG_LONG, MPI_MAX, MPI_COMM_WORLD), "MPI_Allreduce");
    return out;
  }
  void barrier() override { check(MPI_Barrier(MPI_COMM_WORLD), "MPI_Barrier"); }

 private:
  int rank_ = 0, size_ = 1;
};

}  // namespace

std::shared_ptr<Communicator> mpi_world() {
  static std::mutex m;
  static std::shared_ptr<Communicator> world;
  std::lock_guard<std::mutex> lock(m);
  if (!world) world = std::make_shared<MpiWorld>();
  return world;
}

#else

bool mpi_available() { return false; }

std::shared_ptr<Communicator> mpi_world() {
  throw UnsupportedError("tensor parallelism needs MPI, and this build was configured without it "
                         "(install libopenmpi-dev and re-run cmake)");
}

#endif

}  // namespace transformers::distributed
