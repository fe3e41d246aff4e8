// libFuzzer target: arbitrary bytes through the safetensors reader.
#include "core/io/checkpoint.h"

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    gs::io::Document d = gs::io::read_safetensors("fuzz.safetensors", {reinterpret_cast<const char*>(data), size});
    (void)gs::io::flatten_tensors(d.root);
  } catch (const std::exception&) {
  }
  return 0;
}
