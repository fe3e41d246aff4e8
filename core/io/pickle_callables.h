// The allow-list of callables a checkpoint pickle may invoke, each reimplemented in C++ as a pure constructor.
#pragma once
#include "core/io/value.h"

#include <string>

namespace gs::io {

// REDUCE: `callable(*args)`. Throws IoError (naming `file` and the callable) when `callable` is not allowed.
Value* call_allowed(const std::string& file, ValueArena& arena, const Value& callable, Value* args);
// ('storage', <Type>Storage, key, location, numel[, view_metadata]): a storage reference as torch.save writes it.
struct StorageRef {
  at::ScalarType type;
  std::string key;
  int64_t numel;
};
// Validates a persistent id and names its storage; IoError naming `file` when it is anything else.
StorageRef parse_storage_pid(const std::string& file, const Value* pid);

// BUILD: apply pickled `state` to `target` (a Record's fields, a dict's attributes, a numpy array's contents).
void build_state(const std::string& file, ValueArena& arena, Value* target, Value* state);

} // namespace gs::io
