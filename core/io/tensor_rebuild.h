// Turning raw storage bytes into tensors with every size checked first: no read past a buffer, no huge allocation.
#pragma once
#include <ATen/core/Tensor.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gs::io {

// "FloatStorage" -> kFloat, ... (also the numpy/safetensors spellings through the functions below).
std::optional<at::ScalarType> scalar_type_from_storage(const std::string& name);
std::optional<at::ScalarType> scalar_type_from_numpy(const std::string& descr);       // "f4", "<f4", "|u1", "?"
std::optional<at::ScalarType> scalar_type_from_safetensors(const std::string& dtype); // "F32", "BF16", ...
std::string storage_name(at::ScalarType type);                                        // kFloat -> "FloatStorage"
std::string numpy_descr(at::ScalarType type);                                         // kFloat -> "<f4"
std::string short_dtype_name(at::ScalarType type);                                    // kFloat -> "float32"

// A 1-D tensor of `numel` elements copied from `bytes`, which must hold at least that many.
at::Tensor storage_from_bytes(const std::string& file, std::string_view bytes, at::ScalarType type, int64_t numel,
                              const std::string& what);
// storage.as_strided(sizes, strides, offset) after checking the view lies inside the storage.
at::Tensor view_of_storage(const std::string& file, const at::Tensor& storage, int64_t offset,
                           const std::vector<int64_t>& sizes, const std::vector<int64_t>& strides);
// `flat` viewed as `sizes`; Fortran-ordered data (numpy) is reordered to C order.
at::Tensor shaped(const at::Tensor& flat, const std::vector<int64_t>& sizes, bool fortran_order);
// Little-endian unsigned integer of `n` bytes at `offset`; the caller has checked the bytes are there.
uint64_t load_le(std::string_view bytes, size_t offset, int n);
// Number of elements of a shape, or an IoError when it is negative or overflows.
int64_t checked_numel(const std::string& file, const std::vector<int64_t>& sizes);

} // namespace gs::io
