// A safe unpickler: decodes Python pickles into a Value tree without importing or calling anything.
// Only the callables needed to rebuild tensors and plain containers (see pickle_callables.h) are honoured;
// instances of other classes become inert Records; any other call is refused with an IoError.
#pragma once
#include "core/io/value.h"

#include <functional>
#include <string>
#include <string_view>

namespace gs::io {

struct PickleOptions {
  std::string file; // named in every error
  // Resolves a persistent id (torch.save's storage references). Unset: persistent ids are an error.
  std::function<Value*(Value* pid)> persistent_load;
  // Only walk the structure: REDUCE and BUILD are not applied (they yield None). Used to find where a pickle ends
  // and which storages it references before the storage bytes that follow it are located.
  bool structure_only = false;
};

struct PickleResult {
  Value* value = nullptr;
  size_t consumed = 0; // bytes up to and including STOP, so consecutive pickles can be read from one buffer
};

PickleResult unpickle(std::string_view bytes, ValueArena& arena, const PickleOptions& options);

} // namespace gs::io
