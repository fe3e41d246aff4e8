// How long LibTorch's OpenMP threads spin before they sleep while waiting for each other. libgomp's default (300,000
// spins, about a millisecond) costs nothing on an idle machine, but beside other busy processes the spinning threads
// take the cores the working ones need: a 400-step DCGAN compress job with two threads took 98-200 s beside two
// busy processes instead of 39-45 s with 10,000 spins, which cost nothing measurable when idle (docs/benchmarks.md).
//
// libgomp reads GOMP_SPINCOUNT in its initialiser, before main, and libc's initialiser, which runs before it, puts
// back the environment the process started with. So the program starts itself again with the setting, from its
// .preinit_array: that runs after the libraries are loaded but before any initialiser, so the first start costs only
// the loading (about a quarter of a second). Not where nothing waits: settings the user made (GOMP_SPINCOUNT,
// OMP_WAIT_POLICY, OMP_NUM_THREADS=1), one processor, or a command that runs no LibTorch work (ganstudio-cli info,
// --help, --version). A failed restart goes on with libgomp's default.
// Linked into each executable directly: a static library's object with nothing referring to it would be left out.
#include <unistd.h>

#include <cstring>
#include <vector>

namespace {

bool starts(const char* s, const char* prefix) {
  return !std::strncmp(s, prefix, std::strlen(prefix));
}

bool waits_matter(int argc, char** argv, char** envp) {
  for (char** e = envp; *e; ++e)
    if (starts(*e, "GOMP_SPINCOUNT=") || starts(*e, "OMP_WAIT_POLICY=") || !std::strcmp(*e, "OMP_NUM_THREADS=1"))
      return false;
  if (sysconf(_SC_NPROCESSORS_ONLN) < 2) return false;
  for (const char* quick : {"info", "--help", "-h", "--version"})
    if (argc > 1 && !std::strcmp(argv[1], quick)) return false;
  return true;
}

void restart_with_shorter_omp_spin(int argc, char** argv, char** envp) {
  if (!waits_matter(argc, argv, envp)) return;
  static char setting[] = "GOMP_SPINCOUNT=10000";
  std::vector<char*> env;
  for (char** e = envp; *e; ++e) env.push_back(*e);
  env.push_back(setting);
  env.push_back(nullptr);
  execve("/proc/self/exe", argv, env.data()); // returns only on failure
}

} // namespace

__attribute__((section(".preinit_array"),
               used)) static void (*const omp_spin_preinit)(int, char**, char**) = restart_with_shorter_omp_spin;
