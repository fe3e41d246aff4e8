// The allow-list of callables a checkpoint pickle may invoke, each reimplemented in C++ as a pure constructor.
#pragma once
#include "core/io/value.h"

#include <string>

namespace gs::io {

// REDUCE: `callable(*args)`. Throws IoError (naming `file` and the callable) when `callable` is not allowed.
Value* call_allowed(const std::string& file, ValueArena& arena, const Value& callable, Value* args);
// BUILD: apply pickled `state` to `target` (a Record's fields, a dict's attributes, a numpy array's contents).
void build_state(const std::string& file, ValueArena& arena, Value* target, Value* state);

} // namespace gs::io
