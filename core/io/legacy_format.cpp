// Plain pickles and torch.save's pre-1.6 format: a chain of pickles (magic number, protocol, system info, the object,
// the storage keys) followed by each storage's raw bytes. Storage bytes come after the pickle that references them, so
// the object pickle is walked twice: once to learn which storages exist, once to rebuild tensors over them.
#include "core/io/checkpoint.h"
#include "core/io/io_error.h"
#include "core/io/pickle_callables.h"
#include "core/io/pickle_reader.h"
#include "core/io/tensor_rebuild.h"

#include <torch/torch.h>

#include <map>

namespace gs::io {
namespace {

// 0x1950a86a20f9469cfc6c, little-endian, as pickled by LONG1.
const std::string kMagic = std::string("\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19", 10);
constexpr int64_t kProtocolVersion = 1001;

struct LegacyStorage {
  at::ScalarType type = at::kFloat;
  int64_t numel = 0;
  std::string_view bytes; // located after the pickles
  Value* value = nullptr;
};

} // namespace

Document read_torch_legacy(const std::string& file, std::string_view bytes, bool* plain_pickle) {
  Document doc;
  ValueArena scratch;
  PickleOptions plain;
  plain.file = file;
  size_t pos = 0;
  auto next = [&](const PickleOptions& opt, ValueArena& arena) {
    PickleResult r = unpickle(bytes.substr(pos), arena, opt);
    pos += r.consumed;
    return r.value;
  };

  if (plain_pickle) *plain_pickle = false;
  Value* magic = next(plain, *doc.arena);
  if (magic->kind != Kind::BigInt || magic->text != kMagic) {
    // A plain pickle (pickle.dump of a dict of numpy arrays, say): it references no torch storages.
    if (pos != bytes.size()) throw IoError(file, "unexpected data after the pickle (not a torch.save file)");
    if (plain_pickle) *plain_pickle = true;
    doc.root = magic;
    return doc;
  }
  const Value* protocol = next(plain, scratch);
  if (protocol->kind != Kind::Int || protocol->integer != kProtocolVersion)
    throw IoError(file, "unsupported legacy checkpoint protocol " + protocol->repr());
  const Value* sys_info = next(plain, scratch);
  if (const Value* le = sys_info->get("little_endian"); le && le->kind == Kind::Bool && !le->boolean)
    throw IoError(file, "big-endian checkpoints are not supported");

  // Pass 1: learn every referenced storage's type and size, and where the object pickle ends.
  std::map<std::string, LegacyStorage> storages;
  auto record_pid = [&](Value* pid) -> Value* {
    StorageRef ref = parse_storage_pid(file, pid);
    auto& s = storages[ref.key];
    s.type = ref.type;
    s.numel = ref.numel;
    return scratch.none();
  };
  PickleOptions walk = plain;
  walk.structure_only = true;
  walk.persistent_load = record_pid;
  const size_t object_start = pos;
  next(walk, scratch);

  const Value* keys = next(plain, scratch);
  if (keys->kind != Kind::List) throw IoError(file, "corrupt legacy checkpoint (storage key list missing)");
  for (const Value* k : keys->items) {
    if (k->kind != Kind::String) throw IoError(file, "corrupt legacy checkpoint (storage key is not a string)");
    auto it = storages.find(k->text);
    if (it == storages.end()) throw IoError(file, "storage '" + k->text + "' is listed but never referenced");
    if (bytes.size() - pos < 8) throw IoError(file, "truncated: storage '" + k->text + "' is missing");
    const auto count = static_cast<int64_t>(load_le(bytes, pos, 8));
    pos += 8;
    if (count != it->second.numel)
      throw IoError(file, "storage '" + k->text + "' holds " + std::to_string(count) + " elements, but " +
                              std::to_string(it->second.numel) + " were declared");
    const auto elem = static_cast<int64_t>(c10::elementSize(it->second.type));
    if (count < 0 || count > static_cast<int64_t>(bytes.size() - pos) / elem)
      throw IoError(file, "truncated: storage '" + k->text + "' runs past the end of the file");
    it->second.bytes = bytes.substr(pos, static_cast<size_t>(count * elem));
    pos += static_cast<size_t>(count * elem);
  }

  // Pass 2: rebuild the object over the located storages. Old files may reference a view of a storage:
  // view_metadata = (view_key, offset, size).
  PickleOptions build = plain;
  build.persistent_load = [&](Value* pid) -> Value* {
    const std::string& key = pid->items[2]->text;
    auto& s = storages.at(key);
    if (s.bytes.data() == nullptr && s.numel > 0)
      throw IoError(file, "storage '" + key + "' is referenced but its data is missing");
    if (!s.value) {
      s.value = doc.arena->make(Kind::Storage);
      s.value->tensor = storage_from_bytes(file, s.bytes, s.type, s.numel, "storage '" + key + "'");
    }
    if (pid->items.size() > 5 && pid->items[5]->kind == Kind::Tuple) {
      const auto& view = pid->items[5]->items;
      if (view.size() != 3 || view[1]->kind != Kind::Int || view[2]->kind != Kind::Int)
        throw IoError(file, "malformed storage view " + pid->items[5]->repr());
      int64_t offset = view[1]->integer, size = view[2]->integer;
      if (offset < 0 || size < 0 || offset > s.numel || size > s.numel - offset)
        throw IoError(file, "storage view lies outside storage '" + key + "'");
      Value* v = doc.arena->make(Kind::Storage);
      v->tensor = s.value->tensor.narrow(0, offset, size);
      return v;
    }
    return s.value;
  };
  doc.root = unpickle(bytes.substr(object_start), *doc.arena, build).value;
  return doc;
}

} // namespace gs::io
