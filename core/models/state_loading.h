// Strict state-dict loading: every missing, unexpected or mis-shaped tensor is reported by name.
#pragma once
#include "core/models/generator.h"

#include <map>
#include <string>

namespace gs::models {

using TensorMap = std::map<std::string, at::Tensor>;

// The module's parameters and buffers by state_dict name.
TensorMap state_dict(const torch::nn::Module& module);

// Copies `tensors` into the module (converting dtype). Throws ModelError listing every problem, prefixed by `what`
// ("generator"), before anything is copied, so a failed load leaves the module untouched.
void load_strict(torch::nn::Module& module, const TensorMap& tensors, const std::string& what);

// Copies every parameter and buffer of `from` into the same-named, same-shaped tensor of `to`.
void copy_state(const torch::nn::Module& from, torch::nn::Module& to);

// Entries of `tensors` under "prefix." with the prefix removed ("" keeps everything).
TensorMap with_prefix_stripped(const TensorMap& tensors, const std::string& prefix);

// Shape of a tensor in `tensors`, or ModelError naming the key when it is absent.
std::vector<int64_t> shape_of(const TensorMap& tensors, const std::string& key);

} // namespace gs::models
