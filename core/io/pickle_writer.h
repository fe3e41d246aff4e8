// Writes a Value tree as a protocol-2 pickle in the dialect torch.save uses (tensors as persistent storage ids).
#pragma once
#include "core/io/value.h"

#include <functional>
#include <string>

namespace gs::io {

// Called once per tensor; returns the storage key under which the caller stores the tensor's contiguous bytes.
using StorageSink = std::function<std::string(const at::Tensor& contiguous_cpu)>;

std::string pickle_value(const Value* root, const StorageSink& sink);

} // namespace gs::io
