// libFuzzer target: arbitrary bytes through the PyTorch checkpoint readers (zip archive and legacy tar/pickle
// formats). Any input may be refused with an exception; none may crash, leak or touch memory it does not own.
#include "core/io/checkpoint.h"
#include "core/io/io_error.h"

#include <c10/util/Exception.h>

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  try {
    gs::io::Document d = gs::io::read_torch_zip("fuzz.pt", bytes);
    (void)gs::io::flatten_tensors(d.root);
  } catch (const std::exception&) {
  }
  try {
    gs::io::Document d = gs::io::read_torch_legacy("fuzz.pt", bytes);
    (void)gs::io::flatten_tensors(d.root);
  } catch (const std::exception&) {
  }
  return 0;
}
