// PNG: signature, IHDR, one zlib-compressed IDAT of filter-0 rows, IEND.
#include "core/io/png.h"

#include "core/io/atomic_file.h"
#include "core/io/zip_archive.h"

#include <torch/torch.h>
#include <zlib.h>

#include <cmath>
#include <stdexcept>

namespace gs::io {
namespace {

void put_u32(std::string& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>((v >> shift) & 0xff));
}

void chunk(std::string& out, const char type[4], const std::string& data) {
  put_u32(out, static_cast<uint32_t>(data.size()));
  std::string body(type, 4);
  body += data;
  out += body;
  put_u32(out, crc32(body.data(), body.size()));
}

} // namespace

std::string encode_png(const at::Tensor& image_in) {
  at::Tensor image = image_in;
  if (image.dim() == 2) image = image.unsqueeze(2);
  if (image.dim() != 3 || image.scalar_type() != at::kByte)
    throw std::invalid_argument("encode_png: expected a uint8 [H, W] or [H, W, C] tensor");
  const int64_t h = image.size(0), w = image.size(1), c = image.size(2);
  static const int colour_type[] = {0, 0, 4, 2, 6}; // grey, grey+alpha, RGB, RGBA
  if (c < 1 || c > 4 || h < 1 || w < 1) throw std::invalid_argument("encode_png: unsupported image shape");
  image = image.cpu().contiguous();

  std::string raw;
  raw.reserve(static_cast<size_t>(h * (w * c + 1)));
  const auto* px = image.data_ptr<uint8_t>();
  for (int64_t y = 0; y < h; ++y) {
    raw.push_back(0); // filter: none
    raw.append(reinterpret_cast<const char*>(px + y * w * c), static_cast<size_t>(w * c));
  }
  uLongf packed_size = compressBound(static_cast<uLong>(raw.size()));
  std::string packed(packed_size, '\0');
  if (compress2(reinterpret_cast<Bytef*>(packed.data()), &packed_size, reinterpret_cast<const Bytef*>(raw.data()),
                static_cast<uLong>(raw.size()), 6) != Z_OK)
    throw std::runtime_error("encode_png: zlib compression failed");
  packed.resize(packed_size);

  std::string header;
  put_u32(header, static_cast<uint32_t>(w));
  put_u32(header, static_cast<uint32_t>(h));
  header += {8, static_cast<char>(colour_type[c]), 0, 0, 0};

  std::string out = "\x89PNG\r\n\x1a\n";
  chunk(out, "IHDR", header);
  chunk(out, "IDAT", packed);
  chunk(out, "IEND", "");
  return out;
}

void write_png(const std::string& path, const at::Tensor& image) {
  write_file_atomic(path, encode_png(image));
}

at::Tensor make_grid(const at::Tensor& images_in, int64_t columns, int64_t padding, int background) {
  if (images_in.dim() != 4 || (images_in.size(1) != 1 && images_in.size(1) != 3))
    throw std::invalid_argument("make_grid: expected images [N, 1 or 3, H, W]");
  at::Tensor images = images_in.detach().to(at::kCPU, at::kFloat);
  if (images.size(1) == 1) images = images.expand({-1, 3, -1, -1});
  const int64_t n = images.size(0), h = images.size(2), w = images.size(3);
  if (columns <= 0) columns = std::max<int64_t>(1, static_cast<int64_t>(std::ceil(std::sqrt(double(n)))));
  const int64_t rows = (n + columns - 1) / columns;
  at::Tensor grid = at::full({rows * (h + padding) + padding, columns * (w + padding) + padding, 3}, background,
                             at::TensorOptions().dtype(at::kByte));
  at::Tensor pixels = ((images.clamp(-1, 1) + 1) * 127.5).round().to(at::kByte).permute({0, 2, 3, 1});
  for (int64_t i = 0; i < n; ++i) {
    const int64_t y = padding + (i / columns) * (h + padding), x = padding + (i % columns) * (w + padding);
    grid.slice(0, y, y + h).slice(1, x, x + w).copy_(pixels[i]);
  }
  return grid;
}

} // namespace gs::io
