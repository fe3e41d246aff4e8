#include "core/io/checkpoint.h"

#include "core/io/atomic_file.h"
#include "core/io/io_error.h"
#include "core/io/mapped_file.h"
#include "core/io/npy.h"
#include "core/io/pickle_callables.h"
#include "core/io/pickle_reader.h"
#include "core/io/pickle_writer.h"
#include "core/io/tensor_rebuild.h"
#include "core/io/zip_archive.h"
#include "core/log.h"

#include <torch/torch.h>

#include <map>
#include <sstream>
#include <unordered_set>

namespace gs::io {

const char* format_name(Format format) {
  switch (format) {
  case Format::TorchZip:
    return "torch.save (zip)";
  case Format::TorchLegacy:
    return "torch.save (legacy, pre-1.6)";
  case Format::TorchScript:
    return "TorchScript archive";
  case Format::Safetensors:
    return "safetensors";
  case Format::Npy:
    return "NumPy .npy";
  case Format::Pickle:
    return "Python pickle";
  }
  return "?";
}

namespace {

bool starts_with(std::string_view s, std::string_view p) {
  return s.substr(0, p.size()) == p;
}

// Protocol 2+ pickles start with PROTO; protocol 0/1 ones with one of a few opcodes that can begin an object.
bool looks_like_pickle(std::string_view bytes) {
  const auto first = static_cast<uint8_t>(bytes[0]);
  return first == 0x80 || std::string_view("(c}])NIFLSVdl").find(static_cast<char>(first)) != std::string_view::npos;
}

bool looks_like_safetensors(std::string_view bytes) {
  if (bytes.size() < 10) return false;
  const uint64_t n = load_le(bytes, 0, 8);
  return n >= 2 && n <= bytes.size() - 8 && bytes[8] == '{';
}

void walk(const Value* v, const std::string& path, std::vector<NamedTensor>& out,
          std::unordered_set<const Value*>& seen, int depth);

void walk_dict_entries(const Value* dict, const std::string& path, std::vector<NamedTensor>& out,
                       std::unordered_set<const Value*>& seen, int depth) {
  for (const auto& [k, v] : dict->entries)
    walk(v, join_path(path, k->kind == Kind::String ? k->text : k->repr()), out, seen, depth + 1);
}

void walk(const Value* v, const std::string& path, std::vector<NamedTensor>& out,
          std::unordered_set<const Value*>& seen, int depth) {
  if (depth > 100) return;
  switch (v->kind) {
  case Kind::Tensor:
    out.push_back({path.empty() ? "tensor" : path, v->tensor});
    return;
  case Kind::Dict:
  case Kind::List:
  case Kind::Tuple:
  case Kind::Record:
    if (!seen.insert(v).second) return; // shared or cyclic: name each container once
    break;
  default:
    return;
  }
  if (v->kind == Kind::Dict) return walk_dict_entries(v, path, out, seen, depth);
  if (v->kind == Kind::List || v->kind == Kind::Tuple) {
    for (size_t i = 0; i < v->items.size(); ++i)
      walk(v->items[i], join_path(path, std::to_string(i)), out, seen, depth + 1);
    return;
  }
  // nn.Module pickled whole: name tensors the way state_dict() does.
  const Value* params = v->field("_parameters");
  const Value* buffers = v->field("_buffers");
  const Value* modules = v->field("_modules");
  if (params && modules) {
    for (const Value* d : {params, buffers, modules})
      if (d && d->kind == Kind::Dict) walk_dict_entries(d, path, out, seen, depth);
    return;
  }
  for (const auto& [name, field] : v->fields) walk(field, join_path(path, name), out, seen, depth + 1);
}

} // namespace

Document read_torch_zip(const std::string& file, std::string_view bytes, bool* is_torchscript) {
  ZipReader zip(file, bytes);
  const std::string prefix = zip.prefix();
  const ZipEntry* pkl = zip.find(prefix + "data.pkl");
  if (!pkl) throw IoError(file, "zip archive without data.pkl: not a PyTorch checkpoint");
  if (const ZipEntry* order = zip.find(prefix + "byteorder"); order && zip.read(*order) != "little")
    throw IoError(file, "big-endian checkpoints are not supported");
  const bool script = zip.find(prefix + "constants.pkl") != nullptr;
  if (is_torchscript) *is_torchscript = script;

  Document doc;
  std::map<std::string, Value*> storages; // tensors sharing a storage share its memory, as in PyTorch
  PickleOptions opt;
  opt.file = file;
  opt.persistent_load = [&](Value* pid) -> Value* {
    StorageRef ref = parse_storage_pid(file, pid);
    auto it = storages.find(ref.key);
    if (it != storages.end()) return it->second;
    const ZipEntry* rec = zip.find(prefix + "data/" + ref.key);
    if (!rec) throw IoError(file, "storage '" + ref.key + "' is referenced but missing from the archive");
    Value* s = doc.arena->make(Kind::Storage);
    s->tensor = storage_from_bytes(file, zip.read(*rec), ref.type, ref.numel, "storage '" + ref.key + "'");
    storages[ref.key] = s;
    return s;
  };
  doc.root = unpickle(zip.read(*pkl), *doc.arena, opt).value;
  return doc;
}

Checkpoint load_checkpoint(const std::string& path) {
  MappedFile f(path);
  std::string_view bytes = f.view();
  Checkpoint ck;
  ck.path = path;
  if (bytes.empty()) throw IoError(path, "file is empty");
  try {
    if (starts_with(bytes, "PK\x03\x04") || starts_with(bytes, "PK\x05\x06")) {
      bool script = false;
      ck.doc = read_torch_zip(path, bytes, &script);
      ck.format = script ? Format::TorchScript : Format::TorchZip;
    } else if (looks_like_pickle(bytes)) {
      bool plain = false;
      ck.doc = read_torch_legacy(path, bytes, &plain);
      ck.format = plain ? Format::Pickle : Format::TorchLegacy;
    } else if (starts_with(bytes, "\x93NUMPY")) {
      ck.doc.root = ck.doc.arena->tensor(read_npy_bytes(path, bytes));
      ck.format = Format::Npy;
    } else if (looks_like_safetensors(bytes)) {
      ck.doc = read_safetensors(path, bytes);
      ck.format = Format::Safetensors;
    } else {
      throw IoError(path, "not a checkpoint: unrecognised header (expected torch.save zip or legacy file, "
                          "TorchScript, safetensors, .npy or a pickle)");
    }
  } catch (const c10::Error& e) {
    // Defensive: any Torch-side failure while rebuilding becomes an ordinary, file-named error.
    throw IoError(path, std::string("cannot rebuild tensors: ") + e.what_without_backtrace());
  }
  log::get("io")->info("loaded {} ({}, {} values)", path, format_name(ck.format), ck.doc.arena->size());
  return ck;
}

std::string join_path(const std::string& prefix, const std::string& name) {
  return prefix.empty() ? name : prefix + "." + name;
}

std::vector<NamedTensor> flatten_tensors(const Value* root) {
  std::vector<NamedTensor> out;
  std::unordered_set<const Value*> seen;
  if (root) walk(root, "", out, seen, 0);
  return out;
}

Value* make_state_dict(ValueArena& arena, const std::vector<NamedTensor>& tensors) {
  Value* d = arena.dict(true);
  for (const auto& t : tensors) d->entries.emplace_back(arena.string(t.name), arena.tensor(t.tensor));
  return d;
}

std::string serialize_checkpoint(const Value* root, const std::string& archive_name) {
  std::vector<std::pair<std::string, at::Tensor>> storages;
  std::string pkl = pickle_value(root, [&](const at::Tensor& t) {
    storages.emplace_back(std::to_string(storages.size()), t);
    return storages.back().first;
  });
  std::ostringstream os;
  ZipWriter zip(os);
  const std::string p = archive_name + "/";
  zip.add(p + "data.pkl", pkl.data(), pkl.size());
  zip.add(p + "byteorder", "little", 6);
  for (const auto& [key, t] : storages) zip.add(p + "data/" + key, t.data_ptr(), t.nbytes());
  zip.add(p + "version", "3\n", 2);
  zip.finish();
  return os.str();
}

void save_checkpoint(const std::string& path, const Value* root) {
  write_file_atomic(path, serialize_checkpoint(root));
}

} // namespace gs::io
