#include "core/data/idx_file.h"

#include <torch/torch.h>
#include <zlib.h>

#include <memory>
#include <stdexcept>
#include <vector>

namespace gs::data {
namespace {

// Reads a whole file through zlib, which passes uncompressed files through unchanged. Stops at `limit` bytes.
std::string read_maybe_gzip(const std::string& path, size_t limit) {
  std::unique_ptr<gzFile_s, int (*)(gzFile)> f(gzopen(path.c_str(), "rb"), gzclose);
  if (!f) throw std::runtime_error(path + ": cannot open");
  std::string out;
  char buf[1 << 16];
  for (;;) {
    int n = gzread(f.get(), buf, sizeof buf);
    if (n < 0) throw std::runtime_error(path + ": corrupt or truncated compressed data");
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
    if (out.size() > limit) throw std::runtime_error(path + ": larger than its header declares");
  }
  return out;
}

uint32_t be32(const std::string& s, size_t at) {
  return (uint32_t(uint8_t(s[at])) << 24) | (uint32_t(uint8_t(s[at + 1])) << 16) | (uint32_t(uint8_t(s[at + 2])) << 8) |
         uint32_t(uint8_t(s[at + 3]));
}

// Returns the dimensions of a ubyte IDX file and its payload.
std::pair<std::vector<int64_t>, std::string> read_idx(const std::string& path) {
  // Fashion-MNIST's largest file is 47 MB; nothing legitimate comes near 1 GiB.
  std::string bytes = read_maybe_gzip(path, size_t(1) << 30);
  if (bytes.size() < 4 || bytes[0] != 0 || bytes[1] != 0)
    throw std::runtime_error(path + ": not an IDX file (bad magic number)");
  if (uint8_t(bytes[2]) != 0x08) throw std::runtime_error(path + ": only unsigned-byte IDX files are supported");
  const int ndim = uint8_t(bytes[3]);
  if (ndim < 1 || ndim > 4 || bytes.size() < 4 + 4 * size_t(ndim))
    throw std::runtime_error(path + ": truncated header");
  std::vector<int64_t> dims;
  uint64_t total = 1;
  for (int i = 0; i < ndim; ++i) {
    dims.push_back(be32(bytes, 4 + 4 * i));
    total *= static_cast<uint64_t>(dims.back());
    if (total > bytes.size()) break;
  }
  const size_t header = 4 + 4 * size_t(ndim);
  if (total != bytes.size() - header)
    throw std::runtime_error(path + ": holds " + std::to_string(bytes.size() - header) +
                             " bytes of data but its header " + "declares more or fewer (truncated?)");
  return {dims, bytes.substr(header)};
}

at::Tensor to_tensor(const std::string& payload, std::vector<int64_t> shape) {
  at::Tensor t = torch::empty(shape, torch::kUInt8);
  std::memcpy(t.data_ptr(), payload.data(), payload.size());
  return t;
}

} // namespace

at::Tensor read_idx_images(const std::string& path) {
  auto [dims, payload] = read_idx(path);
  if (dims.size() != 3)
    throw std::runtime_error(path + ": expected an image file ([N, H, W]), got " + std::to_string(dims.size()) +
                             " dimensions");
  return to_tensor(payload, {dims[0], 1, dims[1], dims[2]});
}

at::Tensor read_idx_labels(const std::string& path) {
  auto [dims, payload] = read_idx(path);
  if (dims.size() != 1) throw std::runtime_error(path + ": expected a label file ([N])");
  return to_tensor(payload, {dims[0]}).to(torch::kLong);
}

std::string default_fashion_mnist_dir() {
  return "/usr/share/datasets/fashion-mnist";
}

} // namespace gs::data
