// What `info` and the GUI's tensor table show of a checkpoint, as plain data (no Torch types, so any layer can hold
// it).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace gs::io {

struct Checkpoint;

struct TensorInfo {
  std::string name;
  std::string dtype; // "float32", "bfloat16", ...
  std::vector<int64_t> shape;
  int64_t numel = 0;
  int64_t bytes = 0;
  bool contiguous = true;
};

struct FieldInfo {
  std::string name;  // dotted path, or the field name inside a record
  std::string type;  // Python type name: int, float, str, list, ...
  std::string value; // short rendering
};

// An object of a class the reader does not construct (training options, say), with its fields.
struct RecordInfo {
  std::string path;
  std::string class_name;
  std::vector<FieldInfo> fields;
};

// Totals per top-level key ("g", "g_ema", "d", ... or the whole state dict).
struct GroupTotal {
  std::string key;
  int64_t tensors = 0;
  int64_t parameters = 0; // elements of floating-point tensors
  int64_t bytes = 0;
};

struct CheckpointSummary {
  std::string path;
  std::string format;
  std::string root_type;
  std::vector<std::string> top_keys;
  std::vector<TensorInfo> tensors;
  std::vector<RecordInfo> records;
  std::vector<FieldInfo> values; // scalar entries such as "step": 1000 (capped)
  std::vector<GroupTotal> groups;
  int64_t parameters = 0; // elements of all floating-point tensors
  int64_t elements = 0;   // elements of all tensors
  int64_t bytes = 0;      // bytes of all tensors as stored (shared storages counted once per tensor)
};

CheckpointSummary summarize(const Checkpoint& checkpoint);
// Loads and summarises; throws gs::io::IoError on unreadable input.
CheckpointSummary summarize_checkpoint(const std::string& path);

std::string summary_to_json(const CheckpointSummary& summary);
std::string summary_to_text(const CheckpointSummary& summary);
std::string format_count(int64_t n); // 1234567 -> "1.23M"

} // namespace gs::io
