#include "core/runtime.h"

#include <torch/torch.h>

#include <dlfcn.h>

#include <climits>
#include <cstdlib>
#include <cstring>
#include <thread>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace gs {

#if defined(__GLIBC__)
namespace {
// Whether the user tuned this malloc parameter through the environment, which then wins.
bool user_set(const char* tunable, const char* alias) {
  const char* tunables = std::getenv("GLIBC_TUNABLES");
  return std::getenv(alias) || (tunables && std::strstr(tunables, tunable));
}
} // namespace
#endif

void keep_freed_memory() {
#if defined(__GLIBC__)
  if (!user_set("glibc.malloc.mmap_threshold", "MALLOC_MMAP_THRESHOLD_"))
    mallopt(M_MMAP_THRESHOLD, 1 << 30); // blocks larger than 1 GiB still get their own mapping
  if (!user_set("glibc.malloc.trim_threshold", "MALLOC_TRIM_THRESHOLD_"))
    mallopt(M_TRIM_THRESHOLD, INT_MAX); // release_freed_memory() trims when a job ends
#endif
}

void release_freed_memory() {
#if defined(__GLIBC__)
  malloc_trim(0);
#endif
}

namespace {
// OpenBLAS's thread count where LibTorch uses OpenBLAS and the user has not chosen one (OPENBLAS_NUM_THREADS).
void set_openblas_threads(int threads) {
  using SetThreads = void (*)(int);
  static const auto openblas = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"));
  static const bool user_chose = std::getenv("OPENBLAS_NUM_THREADS") != nullptr;
  if (openblas && !user_chose) openblas(threads);
}
} // namespace

void set_threads(int threads) {
  at::set_num_threads(threads);
  set_openblas_threads(1);
}

namespace {
thread_local int matrix_product_scopes = 0; // open on this thread: only the outermost one switches
} // namespace

MatrixProductThreads::MatrixProductThreads() : threads_(at::get_num_threads()) {
  if (matrix_product_scopes++ > 0) return;
  at::set_num_threads(1);
  set_openblas_threads(threads_);
}

MatrixProductThreads::~MatrixProductThreads() {
  if (--matrix_product_scopes > 0) return;
  at::set_num_threads(threads_);
  set_openblas_threads(1);
}

int init_runtime() {
  keep_freed_memory();
  const char* env = std::getenv("OMP_NUM_THREADS");
  set_threads(env && *env ? at::get_num_threads()
                          : static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
  return at::get_num_threads();
}

bool cpu_has_avx2_fma() {
#if defined(__x86_64__) && defined(__GNUC__)
  static const bool yes = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return yes;
#else
  return false;
#endif
}

bool cpu_has_avx512f() {
#if defined(__x86_64__) && defined(__GNUC__)
  static const bool yes = cpu_has_avx2_fma() && __builtin_cpu_supports("avx512f");
  return yes;
#else
  return false;
#endif
}

} // namespace gs
