#include "core/runtime.h"

#include <torch/torch.h>

#include <cstdlib>
#include <thread>

namespace gs {

int init_threads() {
  const char* env = std::getenv("OMP_NUM_THREADS");
  if (!env || !*env) at::set_num_threads(static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
  return at::get_num_threads();
}

} // namespace gs
