#include "core/io/pickle_callables.h"

#include "core/io/io_error.h"
#include "core/io/tensor_rebuild.h"

#include <torch/torch.h>

#include <cstring>
#include <functional>
#include <map>

namespace gs::io {
namespace {

using Args = const std::vector<Value*>&;

struct Call {
  const std::string& file;
  ValueArena& arena;
  const Value& callable;
  Args args;

  [[noreturn]] void fail(const std::string& why) const {
    throw IoError(file, "bad arguments to " + callable.qualified_name() + ": " + why);
  }
  Value* arg(size_t i) const {
    if (i >= args.size()) fail("expected at least " + std::to_string(i + 1) + " arguments");
    return args[i];
  }
  int64_t integer(size_t i) const {
    Value* v = arg(i);
    if (v->kind != Kind::Int) fail("argument " + std::to_string(i) + " is not an integer");
    return v->integer;
  }
  std::vector<int64_t> ints(size_t i) const {
    Value* v = arg(i);
    if (v->kind != Kind::Tuple && v->kind != Kind::List) fail("argument " + std::to_string(i) + " is not a tuple");
    std::vector<int64_t> out;
    for (Value* x : v->items) {
      if (x->kind != Kind::Int) fail("argument " + std::to_string(i) + " holds a non-integer");
      out.push_back(x->integer);
    }
    return out;
  }
  const std::string& text(size_t i) const {
    Value* v = arg(i);
    if (v->kind != Kind::String) fail("argument " + std::to_string(i) + " is not a string");
    return v->text;
  }
  Value* record(const Value& cls) const {
    Value* r = arena.make(Kind::Record);
    r->module = cls.module;
    r->name = cls.name;
    return r;
  }
};

Value* rebuild_tensor(const Call& c) {
  Value* storage = c.arg(0);
  if (storage->kind != Kind::Storage) c.fail("first argument is not a storage");
  return c.arena.tensor(view_of_storage(c.file, storage->tensor, c.integer(1), c.ints(2), c.ints(3)));
}

Value* first_tensor(const Call& c) {
  if (c.arg(0)->kind != Kind::Tensor) c.fail("first argument is not a tensor");
  return c.arg(0);
}

// UTF-8 text to the Latin-1 bytes Python 3 writes for `bytes` in protocol 2 (`_codecs.encode(s, 'latin1')`).
Value* codecs_encode(const Call& c) {
  const std::string& s = c.text(0);
  Value* out = c.arena.make(Kind::Bytes);
  for (size_t i = 0; i < s.size(); ++i) {
    auto b = static_cast<uint8_t>(s[i]);
    if (b < 0x80) {
      out->text += static_cast<char>(b);
    } else if ((b & 0xE0) == 0xC0 && i + 1 < s.size()) {
      out->text += static_cast<char>(((b & 0x1F) << 6) | (static_cast<uint8_t>(s[++i]) & 0x3F));
    } else {
      c.fail("text is not Latin-1");
    }
  }
  return out;
}

Value* ordered_dict(const Call& c) {
  Value* d = c.arena.dict(true);
  if (!c.args.empty() && (c.args[0]->kind == Kind::List || c.args[0]->kind == Kind::Tuple)) {
    for (Value* pair : c.args[0]->items) {
      if ((pair->kind != Kind::Tuple && pair->kind != Kind::List) || pair->items.size() != 2)
        c.fail("items are not key/value pairs");
      d->entries.emplace_back(pair->items[0], pair->items[1]);
    }
  }
  return d;
}

Value* container_copy(const Call& c, Kind kind) {
  Value* out = c.arena.list(kind);
  if (!c.args.empty()) {
    Value* src = c.args[0];
    if (src->kind != Kind::List && src->kind != Kind::Tuple && src->kind != Kind::Set)
      c.fail("argument is not a sequence");
    out->items = src->items;
  }
  return out;
}

// numpy scalars: scalar(dtype, raw bytes) -> a Python number.
Value* numpy_scalar(const Call& c) {
  Value* dtype = c.arg(0);
  Value* raw = c.arg(1);
  if (dtype->kind != Kind::Record || raw->kind != Kind::Bytes) c.fail("expected (dtype, bytes)");
  auto type = scalar_type_from_numpy(dtype->text);
  if (!type) c.fail("unsupported numpy dtype '" + dtype->text + "'");
  at::Tensor t = storage_from_bytes(c.file, raw->text, *type, 1, "numpy scalar");
  if (*type == at::kBool) return c.arena.boolean(t.item<bool>());
  if (at::isFloatingType(*type)) return c.arena.real(t.item<double>());
  return c.arena.integer(t.item<int64_t>());
}

Value* numpy_dtype(const Call& c) {
  Value* r = c.record(c.callable);
  r->text = c.text(0);
  return r;
}

Value* path_join(const Call& c) {
  std::string s;
  for (size_t i = 0; i < c.args.size(); ++i) s += (i ? "/" : "") + c.text(i);
  return c.arena.string(s);
}

Value* torch_device(const Call& c) {
  std::string s = c.text(0);
  if (c.args.size() > 1 && c.args[1]->kind == Kind::Int) s += ":" + std::to_string(c.args[1]->integer);
  return c.arena.string(s);
}

Value* reconstructor(const Call& c) {
  Value* cls = c.arg(0);
  if (cls->kind != Kind::Global) c.fail("first argument is not a class");
  return c.record(*cls);
}

Value* inert_record(const Call& c) {
  Value* r = c.record(c.callable);
  r->items = c.args;
  return r;
}

using Handler = std::function<Value*(const Call&)>;

const std::map<std::string, Handler>& allow_list() {
  static const std::map<std::string, Handler> table = [] {
    std::map<std::string, Handler> t;
    t["torch._utils._rebuild_tensor_v2"] = rebuild_tensor;
    t["torch._utils._rebuild_tensor"] = rebuild_tensor;
    t["torch._utils._rebuild_parameter"] = first_tensor;
    t["torch._utils._rebuild_parameter_with_state"] = first_tensor;
    t["collections.OrderedDict"] = ordered_dict;
    t["collections.defaultdict"] = [](const Call& c) { return c.arena.dict(); };
    t["builtins.dict"] = [](const Call& c) { return c.arena.dict(); };
    t["builtins.set"] = [](const Call& c) { return container_copy(c, Kind::Set); };
    t["builtins.frozenset"] = [](const Call& c) { return container_copy(c, Kind::Set); };
    t["builtins.list"] = [](const Call& c) { return container_copy(c, Kind::List); };
    t["builtins.tuple"] = [](const Call& c) { return container_copy(c, Kind::Tuple); };
    t["torch.Size"] = [](const Call& c) { return container_copy(c, Kind::Tuple); };
    t["_codecs.encode"] = codecs_encode;
    t["copyreg._reconstructor"] = reconstructor;
    t["argparse.Namespace"] = inert_record;
    t["types.SimpleNamespace"] = inert_record;
    t["torch.device"] = torch_device;
    for (const char* p : {"PosixPath", "PurePosixPath", "WindowsPath", "PureWindowsPath", "Path"})
      t[std::string("pathlib.") + p] = path_join;
    for (const char* m : {"numpy.core.multiarray.", "numpy._core.multiarray."}) {
      t[std::string(m) + "scalar"] = numpy_scalar;
      t[std::string(m) + "_reconstruct"] = [](const Call& c) {
        Value* r = c.arena.make(Kind::Record);
        r->module = "numpy";
        r->name = "ndarray";
        return r;
      };
    }
    t["numpy.dtype"] = numpy_dtype;
    // TorchScript archives wrap typed containers in these; they only return their argument.
    for (const char* f :
         {"build_intlist", "build_doublelist", "build_boollist", "build_tensorlist", "restore_type_tag"})
      t[std::string("torch.jit._pickle.") + f] = [](const Call& c) { return c.arg(0); };
    return t;
  }();
  return table;
}

// Tensor subclasses: _rebuild_from_type(_v2)(func, type, args, state) -> func(*args), where func is allow-listed too.
Value* rebuild_from_type(const std::string& file, ValueArena& arena, Args args) {
  if (args.size() < 3 || args[0]->kind != Kind::Global || args[2]->kind != Kind::Tuple)
    throw IoError(file, "bad arguments to torch._tensor._rebuild_from_type");
  return call_allowed(file, arena, *args[0], args[2]);
}

// numpy.ndarray state: (version, shape, dtype, is_fortran, raw bytes).
void build_ndarray(const std::string& file, Value* target, Value* state) {
  if (state->kind != Kind::Tuple || state->items.size() < 5) throw IoError(file, "bad numpy array state");
  Value* shape = state->items[1];
  Value* dtype = state->items[2];
  Value* raw = state->items[4];
  if (shape->kind != Kind::Tuple || dtype->kind != Kind::Record || raw->kind != Kind::Bytes)
    throw IoError(file, "unsupported numpy array (object arrays are not read)");
  auto type = scalar_type_from_numpy(dtype->text);
  if (!type) throw IoError(file, "unsupported numpy dtype '" + dtype->text + "'");
  std::vector<int64_t> sizes;
  for (Value* s : shape->items) {
    if (s->kind != Kind::Int) throw IoError(file, "bad numpy array shape");
    sizes.push_back(s->integer);
  }
  at::Tensor flat = storage_from_bytes(file, raw->text, *type, checked_numel(file, sizes), "numpy array");
  const bool fortran = state->items[3]->kind == Kind::Bool && state->items[3]->boolean;
  target->kind = Kind::Tensor;
  target->tensor = shaped(flat, sizes, fortran);
}

} // namespace

StorageRef parse_storage_pid(const std::string& file, const Value* pid) {
  if (pid->kind != Kind::Tuple || pid->items.size() < 5 || pid->items[0]->kind != Kind::String ||
      pid->items[0]->text != "storage")
    throw IoError(file, "unsupported persistent id " + pid->repr() + " (expected a storage reference)");
  const Value* type = pid->items[1];
  const Value* key = pid->items[2];
  const Value* numel = pid->items[4];
  if (type->kind != Kind::Global || key->kind != Kind::String || numel->kind != Kind::Int)
    throw IoError(file, "malformed storage reference " + pid->repr());
  auto st = scalar_type_from_storage(type->name);
  if (!st || (type->module != "torch" && type->module != "torch.storage"))
    throw IoError(file, "unsupported storage type '" + type->qualified_name() + "'");
  return {*st, key->text, numel->integer};
}

Value* call_allowed(const std::string& file, ValueArena& arena, const Value& callable, Value* args) {
  const std::string name = callable.qualified_name();
  if (name == "torch._tensor._rebuild_from_type_v2" || name == "torch._tensor._rebuild_from_type")
    return rebuild_from_type(file, arena, args->items);
  const auto& table = allow_list();
  auto it = table.find(name);
  if (it == table.end())
    throw IoError(file, "refusing to call '" + name +
                            "': the checkpoint asks for a function outside the allow-list needed to rebuild tensors "
                            "(nothing was executed)");
  return it->second(Call{file, arena, callable, args->items});
}

void build_state(const std::string& file, ValueArena& arena, Value* target, Value* state) {
  if (target->kind == Kind::Record && target->module == "numpy" && target->name == "ndarray")
    return build_ndarray(file, target, state);
  if (target->kind == Kind::Record && target->qualified_name() == "numpy.dtype") {
    if (state->kind == Kind::Tuple && state->items.size() > 1 && state->items[1]->kind == Kind::String &&
        state->items[1]->text == ">")
      throw IoError(file, "big-endian numpy data is not supported");
    return;
  }
  if (target->kind != Kind::Record && target->kind != Kind::Dict) return; // e.g. tensor subclass state: not needed
  auto absorb = [&](Value* dict) {
    if (dict->kind != Kind::Dict) return false;
    for (auto& [k, v] : dict->entries) target->fields.emplace_back(k->kind == Kind::String ? k->text : k->repr(), v);
    return true;
  };
  if (absorb(state)) return;
  // (instance dict or None, slots dict) as written for classes with __slots__.
  if (state->kind == Kind::Tuple && state->items.size() == 2) {
    bool ok = state->items[0]->kind == Kind::None || absorb(state->items[0]);
    if (ok && absorb(state->items[1])) return;
    if (ok && state->items[1]->kind == Kind::None) return;
  }
  if (state->kind != Kind::None) target->fields.emplace_back("__state__", state);
}

} // namespace gs::io
