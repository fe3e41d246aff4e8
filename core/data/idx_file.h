// IDX files (MNIST / Fashion-MNIST), raw or gzip-compressed, as shipped by Debian's dataset-fashion-mnist.
#pragma once
#include <ATen/core/Tensor.h>

#include <string>

namespace gs::data {

// Reads an unsigned-byte IDX file: images come back as uint8 [N, 1, H, W], labels as int64 [N].
// Throws std::runtime_error naming the file on a bad magic number, a size that does not match, or a short file.
at::Tensor read_idx_images(const std::string& path);
at::Tensor read_idx_labels(const std::string& path);

// Where Debian's dataset-fashion-mnist package puts the files.
std::string default_fashion_mnist_dir();

} // namespace gs::data
