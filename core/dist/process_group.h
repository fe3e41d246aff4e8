// Data-parallel training across processes and hosts on LibTorch's distributed engine (c10d): a TCP store for the
// rendezvous and Gloo; CUDA tensors are staged through host memory (NCCL is not wired up: Debian's LibTorch has no
// CUDA). Every collective turns a dead or hung peer into a std::runtime_error that names the operation and the timeout;
// the process then ends within 10 s even if unwinding blocks on that peer (exit code 1, the message on stderr): a
// Group belongs in a process of its own, as `ganstudio-cli compress --nproc` starts them.
#pragma once
#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace gs::dist {

struct Launch {
  int rank = 0, world = 1, local_rank;
  std::string master_addr = "127.0.0.1";
  int master_port = 29500;
  std::chrono::seconds timeout{300}; // how long any collective waits for the others
};

// RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT (the torchrun variables) over `defaults` (world 1 when
// WORLD_SIZE is unset). Throws std::invalid_argument naming a malformed variable.
Launch launch_from_environment(Launch defaults = {});

// Throws std::invalid_argument unless 0 <= rank < world, world >= 1, the port is in 1..65535 and the timeout positive.
void check_launch(const Launch& launch);

class Group {
public:
  // Connects to the other world - 1 processes (rank 0 hosts the store); throws std::runtime_error when they do not
  // all arrive within the timeout.
  static std::unique_ptr<Group> connect(const Launch& launch, c10::Device device);
  ~Group();

  int rank() const { return rank_; }
  int world() const { return world_; }
  bool leader() const { return rank_ == 0; }

  // Gradients of `params` (those that have one) averaged over all processes, in flat buckets of about `bucket_bytes`.
  void average_gradients(const std::vector<at::Tensor>& params, int64_t bucket_bytes = 25 << 20);
  // Sums `t` over all processes, in place.
  void sum(at::Tensor& t);
  // Rank 0's values of `tensors` on every process, in place.
  void broadcast(std::vector<at::Tensor>& tensors);
  // Rank 0's bytes on every process (other ranks pass anything).
  std::string broadcast_bytes(const std::string& bytes);
  // True on every process when `flag` is true on any.
  bool any(bool flag);
  void barrier();
  // Rank 0 marks `what` done and goes on; the others wait for it without the collective timeout (rank 0 may work
  // alone for a long time: learning masks, evaluating) and fail at once when rank 0 is gone. Call in the same order
  // on every process.
  void await_leader(const std::string& what);

private:
  struct Impl;
  Group(int rank, int world, std::unique_ptr<Impl> impl);
  int rank_, world_;
  std::unique_ptr<Impl> impl_;
};

} // namespace gs::dist
