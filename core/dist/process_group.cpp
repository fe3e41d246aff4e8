#include "core/dist/process_group.h"

#include "core/log.h"

#include <torch/torch.h>

// Torch's CMake config passes USE_C10D_GLOO when its LibTorch has Gloo (Debian's and the official builds do).
#ifndef USE_C10D_GLOO
#error "this LibTorch was built without Gloo (USE_C10D_GLOO): distributed jobs need it"
#endif
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include <unistd.h>

#include <cstdlib>
#include <mutex>
#include <stdexcept>
#include <thread>

namespace gs::dist {
namespace {

int env_int(const char* name, int fallback) {
  const char* v = std::getenv(name);
  if (!v || !*v) return fallback;
  char* end = nullptr;
  const long n = std::strtol(v, &end, 10);
  if (*end || n < 0 || n > 1 << 30) throw std::invalid_argument(std::string(name) + "='" + v + "' is not a count");
  return static_cast<int>(n);
}

// Once a collective has failed, the process must end even if what follows blocks on the peer that failed it: tearing
// down the Gloo group or the store, or a thread joined on the way out (a stopped process keeps its connections open).
// Once, in a fresh-clone `make test`, a job whose rank 1 was stopped never ended (docs/reliability.md). So the first
// failure starts a watchdog that ends the process kFailedGrace later, with the failure's message and exit code 1,
// unless it has ended by then; normally it prints the message and exits within milliseconds.
constexpr std::chrono::seconds kFailedGrace{10};

void end_after_failure(const std::string& message) {
  static std::once_flag once;
  std::call_once(once, [&] {
    const std::string line = "ganstudio-cli: " + message + " (ending: the process did not end within " +
                             std::to_string(kFailedGrace.count()) + " s of the failure)\n";
    std::thread([line] {
      std::this_thread::sleep_for(kFailedGrace);
      [[maybe_unused]] const ssize_t written = ::write(STDERR_FILENO, line.data(), line.size());
      std::_Exit(1);
    }).detach();
  });
}

} // namespace

Launch launch_from_environment(Launch l) {
  l.world = env_int("WORLD_SIZE", l.world);
  l.rank = env_int("RANK", l.rank);
  l.local_rank = env_int("LOCAL_RANK", l.local_rank);
  l.master_port = env_int("MASTER_PORT", l.master_port);
  if (const char* a = std::getenv("MASTER_ADDR"); a && *a) l.master_addr = a;
  return l;
}

void check_launch(const Launch& l) {
  if (l.world < 1) throw std::invalid_argument("the world size must be at least 1");
  if (l.rank < 0 || l.rank >= l.world)
    throw std::invalid_argument("rank " + std::to_string(l.rank) + " is outside a world of " + std::to_string(l.world) +
                                " processes");
  if (l.master_port < 1 || l.master_port > 65535)
    throw std::invalid_argument("master port " + std::to_string(l.master_port) + " is not in 1..65535");
  if (l.timeout.count() <= 0) throw std::invalid_argument("the distributed timeout must be positive");
  if (l.master_addr.empty()) throw std::invalid_argument("no master address");
}

struct Group::Impl {
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<c10d::ProcessGroupGloo> pg;
  std::chrono::seconds timeout;
  int rank = 0;
  int64_t awaited = 0;

  // Gloo works on CPU tensors here (Debian's LibTorch has no CUDA): CUDA tensors travel through host copies.
  template <class F> void collective(const char* what, std::vector<at::Tensor>& tensors, F&& op) {
    std::vector<at::Tensor> host;
    for (const auto& t : tensors) host.push_back(t.is_cuda() ? t.cpu() : t);
    try {
      op(host)->wait();
    } catch (const std::exception& e) {
      std::string why = e.what();
      why = why.substr(0, why.find('\n'));
      const std::string message = "distributed " + std::string(what) + " failed on rank " + std::to_string(rank) +
                                  ": another process died or did not answer within " + std::to_string(timeout.count()) +
                                  " s (" + why + ")";
      end_after_failure(message);
      throw std::runtime_error(message);
    }
    for (size_t i = 0; i < tensors.size(); ++i)
      if (tensors[i].is_cuda()) tensors[i].copy_(host[i]);
  }
};

Group::Group(int rank, int world, std::unique_ptr<Impl> impl) : rank_(rank), world_(world), impl_(std::move(impl)) {}
Group::~Group() = default;

std::unique_ptr<Group> Group::connect(const Launch& l, c10::Device device) {
  check_launch(l);
  auto impl = std::make_unique<Impl>();
  impl->timeout = l.timeout;
  impl->rank = l.rank;
  try {
    c10d::TCPStoreOptions so;
    so.port = static_cast<uint16_t>(l.master_port);
    so.isServer = l.rank == 0;
    so.numWorkers = static_cast<size_t>(l.world);
    so.timeout = l.timeout;
    impl->store = c10::make_intrusive<c10d::TCPStore>(l.master_addr, so);
    auto opts = c10d::ProcessGroupGloo::Options::create(l.timeout);
    // One host: the loopback interface. Several: GLOO_SOCKET_IFNAME names the interface, else the host name's.
    const char* ifname = std::getenv("GLOO_SOCKET_IFNAME");
    const bool local = l.master_addr == "localhost" || l.master_addr.rfind("127.", 0) == 0;
    opts->devices.push_back(ifname && *ifname ? c10d::ProcessGroupGloo::createDeviceForInterface(ifname)
                            : local           ? c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1")
                                              : c10d::ProcessGroupGloo::createDefaultDevice());
    impl->pg = c10::make_intrusive<c10d::ProcessGroupGloo>(impl->store, l.rank, l.world, opts);
  } catch (const std::exception& e) {
    std::string why = e.what();
    throw std::runtime_error("cannot join the distributed job at " + l.master_addr + ":" +
                             std::to_string(l.master_port) + " as rank " + std::to_string(l.rank) + " of " +
                             std::to_string(l.world) + " (" + why.substr(0, why.find('\n')) + ")");
  }
  log::get("dist")->info("rank {} of {} joined {}:{} (gloo, {})", l.rank, l.world, l.master_addr, l.master_port,
                         device.str());
  return std::unique_ptr<Group>(new Group(l.rank, l.world, std::move(impl)));
}

void Group::average_gradients(const std::vector<at::Tensor>& params, int64_t bucket_bytes) {
  std::vector<at::Tensor> bucket;
  int64_t bytes = 0;
  auto flush = [&] {
    if (bucket.empty()) return;
    std::vector<at::Tensor> flat;
    for (const auto& g : bucket) flat.push_back(g.reshape(-1));
    std::vector<at::Tensor> joined{torch::cat(flat)};
    impl_->collective("gradient all-reduce", joined,
                      [&](std::vector<at::Tensor>& t) { return impl_->pg->allreduce(t); });
    joined[0].div_(world_);
    int64_t at = 0;
    for (auto& g : bucket) {
      g.copy_(joined[0].slice(0, at, at + g.numel()).view_as(g));
      at += g.numel();
    }
    bucket.clear();
    bytes = 0;
  };
  for (const auto& p : params) {
    const at::Tensor& g = p.grad();
    if (!g.defined()) continue;
    if (!bucket.empty() && (g.scalar_type() != bucket[0].scalar_type() || g.device() != bucket[0].device())) flush();
    bucket.push_back(g);
    bytes += g.numel() * static_cast<int64_t>(g.element_size());
    if (bytes >= bucket_bytes) flush();
  }
  flush();
}

void Group::sum(at::Tensor& t) {
  std::vector<at::Tensor> v{t};
  impl_->collective("all-reduce", v, [&](std::vector<at::Tensor>& x) { return impl_->pg->allreduce(x); });
}

void Group::broadcast(std::vector<at::Tensor>& tensors) {
  for (auto& t : tensors) {
    std::vector<at::Tensor> v{t};
    impl_->collective("broadcast", v, [&](std::vector<at::Tensor>& x) { return impl_->pg->broadcast(x); });
  }
}

std::string Group::broadcast_bytes(const std::string& bytes) {
  std::vector<at::Tensor> size{torch::tensor({static_cast<int64_t>(bytes.size())})};
  broadcast(size);
  const int64_t n = size[0].item<int64_t>();
  std::vector<at::Tensor> data{leader() ? torch::from_blob(const_cast<char*>(bytes.data()), {n}, torch::kUInt8).clone()
                                        : torch::empty({n}, torch::kUInt8)};
  broadcast(data);
  return std::string(static_cast<const char*>(data[0].data_ptr()), static_cast<size_t>(n));
}

bool Group::any(bool flag) {
  at::Tensor t = torch::tensor({flag ? 1.0f : 0.0f});
  sum(t);
  return t.item<float>() > 0;
}

void Group::barrier() {
  at::Tensor t = torch::zeros({1});
  sum(t);
}

} // namespace gs::dist

namespace gs::dist {

void Group::await_leader(const std::string& what) {
  const std::string key = "ganstudio/" + what + "/" + std::to_string(impl_->awaited++);
  try {
    if (leader())
      impl_->store->set(key, std::vector<uint8_t>{1});
    else
      impl_->store->wait({key}, std::chrono::hours(24 * 7));
  } catch (const std::exception& e) {
    std::string why = e.what();
    throw std::runtime_error("distributed job: rank " + std::to_string(rank_) + " lost rank 0 while waiting for '" +
                             what + "' (" + why.substr(0, why.find('\n')) + ")");
  }
}

} // namespace gs::dist
