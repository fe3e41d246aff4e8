// PNG encoding without OpenCV (zlib only), so headless LibTorch-only builds can still write sample grids.
#pragma once
#include <ATen/core/Tensor.h>

#include <string>

namespace gs::io {

// Encodes an 8-bit image given as a uint8 tensor [H, W] (grey) or [H, W, C] with C = 1, 3 or 4.
std::string encode_png(const at::Tensor& image);
// encode_png, written atomically.
void write_png(const std::string& path, const at::Tensor& image);

// Images NCHW in [-1, 1] (1 or 3 channels) -> one uint8 [H, W, 3] grid, `columns` per row (0 = near square),
// `padding` pixels of `background` (0..255) between and around tiles.
at::Tensor make_grid(const at::Tensor& images, int64_t columns = 0, int64_t padding = 2, int background = 255);

} // namespace gs::io
