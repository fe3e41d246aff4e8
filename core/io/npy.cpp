#include "core/io/npy.h"

#include "core/io/atomic_file.h"
#include "core/io/io_error.h"
#include "core/io/mapped_file.h"
#include "core/io/tensor_rebuild.h"

#include <torch/torch.h>

#include <regex>

namespace gs::io {

at::Tensor read_npy(const std::string& path) {
  MappedFile f(path);
  return read_npy_bytes(path, f.view());
}

at::Tensor read_npy_bytes(const std::string& file, std::string_view bytes) {
  if (bytes.size() < 10 || bytes.substr(0, 6) != "\x93NUMPY") throw IoError(file, "not a .npy file (bad magic)");
  const int major = static_cast<uint8_t>(bytes[6]);
  size_t header_len = 0, start = 0;
  if (major == 1) {
    header_len = load_le(bytes, 8, 2);
    start = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12) throw IoError(file, "truncated .npy header");
    header_len = load_le(bytes, 8, 4);
    start = 12;
  } else {
    throw IoError(file, "unsupported .npy version " + std::to_string(major));
  }
  if (header_len > bytes.size() - start) throw IoError(file, "truncated .npy header");
  const std::string header(bytes.substr(start, header_len));

  std::smatch m;
  static const std::regex descr_re(R"('descr'\s*:\s*'([^']*)')");
  static const std::regex fortran_re(R"('fortran_order'\s*:\s*(True|False))");
  static const std::regex shape_re(R"('shape'\s*:\s*\(([^)]*)\))");
  if (!std::regex_search(header, m, descr_re)) throw IoError(file, ".npy header lacks 'descr'");
  const std::string descr = m[1];
  if (descr.size() > 1 && descr[0] == '>') throw IoError(file, "big-endian .npy data is not supported");
  auto type = scalar_type_from_numpy(descr);
  if (!type) throw IoError(file, "unsupported .npy dtype '" + descr + "'");
  if (!std::regex_search(header, m, fortran_re)) throw IoError(file, ".npy header lacks 'fortran_order'");
  const bool fortran = m[1] == "True";
  if (!std::regex_search(header, m, shape_re)) throw IoError(file, ".npy header lacks 'shape'");
  std::vector<int64_t> shape;
  const std::string dims = m[1];
  static const std::regex int_re(R"(\d+)");
  for (auto it = std::sregex_iterator(dims.begin(), dims.end(), int_re); it != std::sregex_iterator(); ++it) {
    try {
      shape.push_back(std::stoll(it->str()));
    } catch (const std::out_of_range&) {
      throw IoError(file, ".npy shape is out of range");
    }
  }
  const int64_t numel = checked_numel(file, shape);
  at::Tensor flat = storage_from_bytes(file, bytes.substr(start + header_len), *type, numel, ".npy data");
  return shaped(flat, shape, fortran);
}

std::string npy_bytes(const at::Tensor& tensor) {
  at::Tensor t = tensor.detach().to(torch::kCPU);
  if (at::isFloatingType(t.scalar_type())) t = t.to(torch::kFloat);
  t = t.contiguous();
  std::string shape = "(";
  for (int64_t d = 0; d < t.dim(); ++d)
    shape += std::to_string(t.size(d)) + (t.dim() == 1 ? "," : d + 1 < t.dim() ? ", " : "");
  shape += ")";
  std::string header =
      "{'descr': '" + numpy_descr(t.scalar_type()) + "', 'fortran_order': False, 'shape': " + shape + ", }";
  // Pad so the data starts on a 64-byte boundary, ending the header with a newline (format 1.0).
  const size_t unpadded = 10 + header.size() + 1;
  header.append((64 - unpadded % 64) % 64, ' ');
  header += '\n';
  std::string out("\x93NUMPY\x01\x00", 8);
  out += static_cast<char>(header.size() & 0xFF);
  out += static_cast<char>(header.size() >> 8);
  out += header;
  out.append(static_cast<const char*>(t.data_ptr()), t.nbytes());
  return out;
}

void write_npy(const std::string& path, const at::Tensor& tensor) {
  write_file_atomic(path, npy_bytes(tensor));
}

} // namespace gs::io
