#include "core/io/tensor_rebuild.h"

#include "core/io/io_error.h"

#include <torch/torch.h>

#include <cstring>
#include <limits>

namespace gs::io {
namespace {

struct DtypeNames {
  at::ScalarType type;
  const char* storage;
  const char* numpy;
  const char* safetensors;
  const char* short_name;
};

const DtypeNames kDtypes[] = {
    {at::kFloat, "FloatStorage", "f4", "F32", "float32"}, {at::kDouble, "DoubleStorage", "f8", "F64", "float64"},
    {at::kHalf, "HalfStorage", "f2", "F16", "float16"},   {at::kBFloat16, "BFloat16Storage", "", "BF16", "bfloat16"},
    {at::kLong, "LongStorage", "i8", "I64", "int64"},     {at::kInt, "IntStorage", "i4", "I32", "int32"},
    {at::kShort, "ShortStorage", "i2", "I16", "int16"},   {at::kChar, "CharStorage", "i1", "I8", "int8"},
    {at::kByte, "ByteStorage", "u1", "U8", "uint8"},      {at::kBool, "BoolStorage", "b1", "BOOL", "bool"},
};

const DtypeNames* by_type(at::ScalarType type) {
  for (const auto& d : kDtypes)
    if (d.type == type) return &d;
  return nullptr;
}

} // namespace

std::optional<at::ScalarType> scalar_type_from_storage(const std::string& name) {
  if (name == "UntypedStorage") return at::kByte;
  for (const auto& d : kDtypes)
    if (name == d.storage) return d.type;
  return std::nullopt;
}

std::optional<at::ScalarType> scalar_type_from_numpy(const std::string& descr) {
  std::string s = descr;
  if (!s.empty() && (s[0] == '<' || s[0] == '|' || s[0] == '=')) s = s.substr(1);
  if (s == "?") s = "b1";
  for (const auto& d : kDtypes)
    if (*d.numpy && s == d.numpy) return d.type;
  return std::nullopt;
}

std::optional<at::ScalarType> scalar_type_from_safetensors(const std::string& dtype) {
  for (const auto& d : kDtypes)
    if (dtype == d.safetensors) return d.type;
  return std::nullopt;
}

std::string storage_name(at::ScalarType type) {
  const auto* d = by_type(type);
  if (!d) throw std::invalid_argument(std::string("no storage class for dtype ") + c10::toString(type));
  return d->storage;
}

std::string numpy_descr(at::ScalarType type) {
  const auto* d = by_type(type);
  if (!d || !*d->numpy) throw std::invalid_argument(std::string("no numpy dtype for ") + c10::toString(type));
  return (type == at::kByte || type == at::kChar || type == at::kBool ? "|" : "<") + std::string(d->numpy);
}

std::string short_dtype_name(at::ScalarType type) {
  const auto* d = by_type(type);
  return d ? d->short_name : c10::toString(type);
}

at::Tensor storage_from_bytes(const std::string& file, std::string_view bytes, at::ScalarType type, int64_t numel,
                              const std::string& what) {
  const auto elem = static_cast<int64_t>(c10::elementSize(type));
  if (numel < 0 || numel > std::numeric_limits<int64_t>::max() / elem)
    throw IoError(file, what + " declares an impossible element count " + std::to_string(numel));
  if (static_cast<uint64_t>(numel * elem) > bytes.size())
    throw IoError(file, what + " needs " + std::to_string(numel * elem) + " bytes but only " +
                            std::to_string(bytes.size()) + " are present (truncated or inconsistent file)");
  at::Tensor t = torch::empty({numel}, torch::TensorOptions().dtype(type));
  if (numel) std::memcpy(t.data_ptr(), bytes.data(), static_cast<size_t>(numel * elem));
  return t;
}

at::Tensor shaped(const at::Tensor& flat, const std::vector<int64_t>& sizes, bool fortran_order) {
  if (!fortran_order) return flat.reshape(sizes);
  std::vector<int64_t> reversed(sizes.rbegin(), sizes.rend()), perm;
  for (int64_t i = static_cast<int64_t>(sizes.size()) - 1; i >= 0; --i) perm.push_back(i);
  return flat.reshape(reversed).permute(perm).contiguous();
}

uint64_t load_le(std::string_view bytes, size_t offset, int n) {
  uint64_t v = 0;
  for (int i = n - 1; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(bytes[offset + i]);
  return v;
}

int64_t checked_numel(const std::string& file, const std::vector<int64_t>& sizes) {
  int64_t n = 1;
  for (int64_t s : sizes) {
    if (s < 0) throw IoError(file, "tensor has a negative dimension");
    if (s != 0 && n > std::numeric_limits<int64_t>::max() / s) throw IoError(file, "tensor size overflows");
    n *= s;
  }
  return n;
}

at::Tensor view_of_storage(const std::string& file, const at::Tensor& storage, int64_t offset,
                           const std::vector<int64_t>& sizes, const std::vector<int64_t>& strides) {
  if (sizes.size() != strides.size()) throw IoError(file, "tensor has different numbers of sizes and strides");
  if (sizes.size() > 64) throw IoError(file, "tensor has more than 64 dimensions");
  if (offset < 0) throw IoError(file, "tensor has a negative storage offset");
  const int64_t numel = checked_numel(file, sizes);
  if (numel > 0) {
    // The last element a view touches must still be inside the storage.
    int64_t last = offset;
    for (size_t i = 0; i < sizes.size(); ++i) {
      if (strides[i] < 0) throw IoError(file, "tensor has a negative stride");
      if (sizes[i] > 1 && strides[i] > (std::numeric_limits<int64_t>::max() - last) / (sizes[i] - 1))
        throw IoError(file, "tensor strides overflow");
      last += (sizes[i] - 1) * strides[i];
    }
    if (last >= storage.numel())
      throw IoError(file, "tensor view (offset " + std::to_string(offset) + ", last element " + std::to_string(last) +
                              ") lies outside its storage of " + std::to_string(storage.numel()) + " elements");
  } else if (offset > storage.numel()) {
    throw IoError(file, "empty tensor's storage offset lies outside its storage");
  }
  return storage.as_strided(sizes, strides, offset);
}

} // namespace gs::io
