#pragma once
// A group of processes that hold one model together (tensor parallelism): the collectives a
// sharded forward needs. The implementation is MPI (Open MPI from Debian, libopenmpi-dev): run the
// program under `mpirun -np N` (or with a hostfile across machines) and mpi_world() is MPI_COMM_WORLD.
// This header has no MPI types, so code above it builds without mpi.h.
#include <cstdint>
#include <memory>

#include "transformers/core/tensor.hpp"

namespace transformers::distributed {

class Communicator {
 public:
  virtual ~Communicator() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  // Elementwise sum over every rank, in place (float32, float64; 16-bit floats are summed in float32).
  virtual void all_reduce_sum(Tensor& t) = 0;
  // Every rank's `t` (same shape on each) concatenated along `dim`, rank order.
  virtual Tensor all_gather(const Tensor& t, int64_t dim) = 0;
  // The largest of each rank's value (used to agree on an error before any collective).
  virtual int64_t all_reduce_max(int64_t v) = 0;
  virtual void barrier() = 0;
};

// Whether this build has MPI (find_package(MPI) at configure time).
bool mpi_available();
// MPI_COMM_WORLD: MPI_Init_thread on first use, MPI_Finalize at exit. UnsupportedError in a build
// without MPI.
std::shared_ptr<Communicator> mpi_world();
// True when this process was started by mpirun/mpiexec (Open MPI's or PMIx's environment).
bool launched_by_mpirun();

}  // namespace transformers::distributed
