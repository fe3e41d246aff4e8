#include "app/cli/launcher.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <iostream>
#include <stdexcept>
#include <thread>

namespace gs::cli {
namespace {

std::atomic<int> g_signal{0};
void on_signal(int s) {
  g_signal = s;
}

int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    if (fd >= 0) ::close(fd);
    throw std::runtime_error(std::string("--nproc: no free local port for the rendezvous (") + std::strerror(errno) +
                             ")");
  }
  ::close(fd);
  return ntohs(a.sin_port);
}

pid_t spawn(const std::vector<std::string>& args, int rank, int world, int port) {
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error(std::string("--nproc: cannot start a process (") + std::strerror(errno) + ")");
  if (pid > 0) return pid;
  ::setenv("RANK", std::to_string(rank).c_str(), 1);
  ::setenv("LOCAL_RANK", std::to_string(rank).c_str(), 1);
  ::setenv("WORLD_SIZE", std::to_string(world).c_str(), 1);
  ::setenv("MASTER_ADDR", "127.0.0.1", 1);
  ::setenv("MASTER_PORT", std::to_string(port).c_str(), 1);
  // The cores shared out between the ranks (unless the user chose): N processes of all-core thread pools on the
  // same cores run slower than one.
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency() / static_cast<unsigned>(world));
  ::setenv("OMP_NUM_THREADS", std::to_string(cores).c_str(), 0);
  std::vector<char*> argv;
  static char self[] = "ganstudio-cli";
  argv.push_back(self);
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  ::execv("/proc/self/exe", argv.data());
  std::cerr << std::string("ganstudio-cli: --nproc: cannot run /proc/self/exe: ") + std::strerror(errno) + "\n";
  ::_exit(127);
}

int exit_code(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + WTERMSIG(status);
}

} // namespace

int launch_local(int nproc, const std::vector<std::string>& args, int master_port, std::chrono::seconds grace) {
  if (nproc < 1) throw std::invalid_argument("--nproc must be at least 1");
  const int port = master_port > 0 ? master_port : free_port();
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);

  std::vector<pid_t> ranks;
  for (int r = 0; r < nproc; ++r) ranks.push_back(spawn(args, r, nproc, port));
  std::vector<bool> running(ranks.size(), true);
  int result = 0, alive = nproc, forwarded = 0;
  std::chrono::steady_clock::time_point kill_at{};
  bool killing = false;
  while (alive > 0) {
    if (const int s = g_signal.exchange(0); s != 0) {
      // A terminal's Ctrl-C reaches every rank already; a signal sent to the launcher alone is passed on.
      for (size_t r = 0; r < ranks.size(); ++r)
        if (running[r]) ::kill(ranks[r], SIGINT);
      if (++forwarded > 1) kill_at = std::chrono::steady_clock::now(), killing = true;
    }
    int status = 0;
    const pid_t pid = ::waitpid(-1, &status, WNOHANG);
    if (pid > 0) {
      for (size_t r = 0; r < ranks.size(); ++r) {
        if (ranks[r] != pid || !running[r]) continue;
        running[r] = false;
        --alive;
        const int code = exit_code(status);
        if (code != 0 && result == 0) {
          result = code;
          if (alive > 0 && code != 130) {
            // One write, so that the ranks' own messages on the same stderr cannot land inside it.
            std::cerr << "ganstudio-cli: rank " + std::to_string(r) + " of " + std::to_string(nproc) +
                             " ended with code " + std::to_string(code) + "; stopping the other " +
                             std::to_string(alive) + " process(es)\n";
            // Without rank 0 nobody can go on; otherwise rank 0 gets time to notice and say what happened.
            kill_at = std::chrono::steady_clock::now() + (r == 0 ? std::chrono::seconds(0) : grace);
            killing = true;
          }
        }
      }
      continue;
    }
    if (killing && std::chrono::steady_clock::now() >= kill_at) {
      for (size_t r = 0; r < ranks.size(); ++r)
        if (running[r]) ::kill(ranks[r], SIGKILL);
      killing = false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ::signal(SIGINT, SIG_DFL);
  ::signal(SIGTERM, SIG_DFL);
  return result;
}

} // namespace gs::cli
