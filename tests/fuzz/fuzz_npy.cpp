// libFuzzer target: arbitrary bytes through the .npy reader.
#include "core/io/npy.h"

#include <ATen/core/Tensor.h>

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const at::Tensor t = gs::io::read_npy_bytes("fuzz.npy", {reinterpret_cast<const char*>(data), size});
    if (t.numel() > 0) (void)t.sum();
  } catch (const std::exception&) {
  }
  return 0;
}
