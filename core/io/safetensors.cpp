// safetensors: an 8-byte little-endian header length, a JSON header, then the tensors' bytes.
#include "core/io/checkpoint.h"
#include "core/io/io_error.h"
#include "core/io/tensor_rebuild.h"

#include <nlohmann/json.hpp>
#include <torch/torch.h>

namespace gs::io {

Document read_safetensors(const std::string& file, std::string_view bytes) {
  if (bytes.size() < 8) throw IoError(file, "truncated safetensors file (no header length)");
  const uint64_t n = load_le(bytes, 0, 8);
  if (n > bytes.size() - 8) throw IoError(file, "truncated safetensors file (header runs past the end)");
  nlohmann::ordered_json header; // keeps the file's tensor order
  try {
    header = nlohmann::ordered_json::parse(bytes.substr(8, n));
  } catch (const nlohmann::json::exception& e) {
    throw IoError(file, std::string("safetensors header is not valid JSON: ") + e.what());
  }
  if (!header.is_object()) throw IoError(file, "safetensors header is not a JSON object");
  const std::string_view data = bytes.substr(8 + n);

  Document doc;
  Value* root = doc.arena->dict(true);
  for (const auto& [name, info] : header.items()) {
    if (name == "__metadata__") {
      Value* meta = doc.arena->make(Kind::Record);
      meta->module = "safetensors";
      meta->name = "metadata";
      if (info.is_object())
        for (const auto& [k, v] : info.items())
          meta->fields.emplace_back(k, doc.arena->string(v.is_string() ? v.get<std::string>() : v.dump()));
      root->entries.emplace_back(doc.arena->string(name), meta);
      continue;
    }
    const std::string what = "tensor '" + name + "'";
    if (!info.is_object() || !info.contains("dtype") || !info.contains("shape") || !info.contains("data_offsets"))
      throw IoError(file, what + " lacks dtype, shape or data_offsets");
    try {
      auto type = scalar_type_from_safetensors(info["dtype"].get<std::string>());
      if (!type) throw IoError(file, what + " has unsupported dtype " + info["dtype"].dump());
      auto shape = info["shape"].get<std::vector<int64_t>>();
      auto offsets = info["data_offsets"].get<std::vector<uint64_t>>();
      if (offsets.size() != 2 || offsets[0] > offsets[1] || offsets[1] > data.size())
        throw IoError(file, what + " has data offsets outside the file (truncated?)");
      const int64_t numel = checked_numel(file, shape);
      const auto elem = static_cast<int64_t>(c10::elementSize(*type));
      if (numel > static_cast<int64_t>(offsets[1] - offsets[0]) / elem ||
          static_cast<uint64_t>(numel * elem) != offsets[1] - offsets[0])
        throw IoError(file, what + " has a shape that does not match its byte range");
      at::Tensor flat = storage_from_bytes(file, data.substr(offsets[0], offsets[1] - offsets[0]), *type, numel, what);
      root->entries.emplace_back(doc.arena->string(name), doc.arena->tensor(flat.reshape(shape)));
    } catch (const nlohmann::json::exception& e) {
      throw IoError(file, what + " has a malformed entry: " + e.what());
    }
  }
  doc.root = root;
  return doc;
}

} // namespace gs::io
