// Loading any supported checkpoint file into a Value tree, and writing torch.load-compatible checkpoints.
#pragma once
#include "core/io/value.h"

#include <string>
#include <string_view>
#include <vector>

namespace gs::io {

enum class Format { TorchZip, TorchLegacy, TorchScript, Safetensors, Npy, Pickle };
const char* format_name(Format format);

struct Checkpoint {
  std::string path;
  Format format = Format::TorchZip;
  Document doc;
};

// Detects the format from the file's first bytes. Never imports or executes anything from the file;
// throws IoError naming the file and the reason on anything it cannot read.
Checkpoint load_checkpoint(const std::string& path);

// The per-format readers behind load_checkpoint, over bytes already in memory.
Document read_torch_zip(const std::string& file, std::string_view bytes, bool* is_torchscript = nullptr);
// Also reads a plain pickle (no torch.save magic number), reporting it through `plain_pickle`.
Document read_torch_legacy(const std::string& file, std::string_view bytes, bool* plain_pickle = nullptr);
Document read_safetensors(const std::string& file, std::string_view bytes);

struct NamedTensor {
  std::string name;
  at::Tensor tensor;
};
// Every tensor in the tree with a dotted path ("g_ema.convs.0.conv.weight"); nn.Module pickles are named by their
// parameters the way state_dict() names them.
std::vector<NamedTensor> flatten_tensors(const Value* root);

// "prefix.name" (or "name" at the root): how tensor and value paths are spelled everywhere.
std::string join_path(const std::string& prefix, const std::string& name);

// A state dict (OrderedDict of name -> tensor), ready to be saved.
Value* make_state_dict(ValueArena& arena, const std::vector<NamedTensor>& tensors);

// Writes `root` in torch.save's zip format (pickle protocol 2); Python's torch.load reads it back.
// The file appears atomically: written to a temporary beside it, flushed, then renamed over `path`.
void save_checkpoint(const std::string& path, const Value* root);
// The same archive as bytes.
std::string serialize_checkpoint(const Value* root, const std::string& archive_name = "archive");

} // namespace gs::io
