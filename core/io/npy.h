// NumPy .npy files: how tensors go in and out of the CLI (float32, C order when written).
#pragma once
#include <ATen/core/Tensor.h>

#include <string>
#include <string_view>

namespace gs::io {

at::Tensor read_npy(const std::string& path);
at::Tensor read_npy_bytes(const std::string& file, std::string_view bytes);
// Writes float32 C-order (other dtypes keep their type); atomically, like checkpoints.
void write_npy(const std::string& path, const at::Tensor& tensor);
std::string npy_bytes(const at::Tensor& tensor);

} // namespace gs::io
