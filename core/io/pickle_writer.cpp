#include "core/io/pickle_writer.h"

#include "core/io/tensor_rebuild.h"

#include <torch/torch.h>

#include <cstring>
#include <stdexcept>
#include <unordered_set>

namespace gs::io {
namespace {

class Writer {
public:
  explicit Writer(const StorageSink& sink) : sink_(sink) {}

  std::string finish(const Value* root) {
    out_ += '\x80';
    out_ += '\x02';
    write(root, 0);
    out_ += '.';
    return std::move(out_);
  }

private:
  void op(char c) { out_ += c; }
  void le(uint64_t v, int n) {
    for (int i = 0; i < n; ++i) out_ += static_cast<char>((v >> (8 * i)) & 0xFF);
  }
  void global(const std::string& module, const std::string& name) {
    op('c');
    out_ += module + "\n" + name + "\n";
  }
  void string(const std::string& s) {
    op('X');
    le(s.size(), 4);
    out_ += s;
  }
  void integer(int64_t i) {
    if (i >= 0 && i < 256) {
      op('K');
      le(static_cast<uint64_t>(i), 1);
    } else if (i >= INT32_MIN && i <= INT32_MAX) {
      op('J');
      le(static_cast<uint32_t>(static_cast<int32_t>(i)), 4);
    } else {
      op('\x8a');
      le(8, 1);
      le(static_cast<uint64_t>(i), 8);
    }
  }
  void empty_ordered_dict() {
    global("collections", "OrderedDict");
    op(')');
    op('R');
  }
  void setitems(const Value* v, int depth) {
    if (v->entries.empty()) return;
    op('(');
    for (const auto& [k, val] : v->entries) {
      write(k, depth);
      write(val, depth);
    }
    op('u');
  }
  // A dict of the value's named fields (an object's __dict__, a dict's attributes).
  void fields_dict(const Value* v, int depth) {
    op('}');
    if (v->fields.empty()) return;
    op('(');
    for (const auto& [name, val] : v->fields) {
      string(name);
      write(val, depth);
    }
    op('u');
  }
  // A list of the value's items.
  void list_of_items(const Value* v, int depth) {
    op(']');
    if (v->items.empty()) return;
    op('(');
    for (const Value* x : v->items) write(x, depth);
    op('e');
  }
  void tensor(const at::Tensor& t) {
    at::Tensor c = t.detach().to(torch::kCPU).contiguous();
    std::string key = sink_(c);
    global("torch._utils", "_rebuild_tensor_v2");
    op('(');
    // Persistent id: ('storage', torch.<Type>Storage, key, location, numel)
    op('(');
    string("storage");
    global("torch", storage_name(c.scalar_type()));
    string(key);
    string("cpu");
    integer(c.numel());
    op('t');
    op('Q');
    integer(0);
    op('(');
    for (int64_t s : c.sizes()) integer(s);
    op('t');
    op('(');
    for (int64_t s : c.strides()) integer(s);
    op('t');
    op('\x89'); // requires_grad False
    empty_ordered_dict();
    op('t');
    op('R');
  }
  // Python 3 under protocol 2 spells bytes as _codecs.encode(latin-1 text, 'latin1').
  void bytes(const std::string& raw) {
    std::string utf8;
    for (unsigned char c : raw) {
      if (c < 0x80) {
        utf8 += static_cast<char>(c);
      } else {
        utf8 += static_cast<char>(0xC0 | (c >> 6));
        utf8 += static_cast<char>(0x80 | (c & 0x3F));
      }
    }
    global("_codecs", "encode");
    string(utf8);
    string("latin1");
    op('\x86');
    op('R');
  }

  void write(const Value* v, int depth) {
    if (depth > 200) throw std::runtime_error("pickle writer: structure nested too deeply");
    if (!active_.insert(v).second) throw std::runtime_error("pickle writer: cyclic structures are not supported");
    switch (v->kind) {
    case Kind::None:
      op('N');
      break;
    case Kind::Bool:
      op(v->boolean ? '\x88' : '\x89');
      break;
    case Kind::Int:
      integer(v->integer);
      break;
    case Kind::BigInt:
      op('\x8b');
      le(v->text.size(), 4);
      out_ += v->text;
      break;
    case Kind::Float: {
      op('G');
      uint64_t bits;
      std::memcpy(&bits, &v->real, sizeof bits);
      for (int i = 7; i >= 0; --i) out_ += static_cast<char>((bits >> (8 * i)) & 0xFF);
      break;
    }
    case Kind::String:
      string(v->text);
      break;
    case Kind::Bytes:
      bytes(v->text);
      break;
    case Kind::List:
      list_of_items(v, depth + 1);
      break;
    case Kind::Tuple:
      op('(');
      for (const Value* x : v->items) write(x, depth + 1);
      op('t');
      break;
    case Kind::Set:
      global("builtins", "set");
      list_of_items(v, depth + 1);
      op('\x85');
      op('R');
      break;
    case Kind::Dict:
      if (v->ordered) {
        empty_ordered_dict();
      } else {
        op('}');
      }
      setitems(v, depth + 1);
      if (!v->fields.empty()) { // attributes such as state_dict()'s `_metadata`
        fields_dict(v, depth + 1);
        op('b');
      }
      break;
    case Kind::Tensor:
      tensor(v->tensor);
      break;
    case Kind::Record:
      global(v->module, v->name);
      op(')');
      op('\x81'); // NEWOBJ: cls.__new__(cls), then the fields as __dict__
      fields_dict(v, depth + 1);
      op('b');
      break;
    case Kind::Global:
      global(v->module, v->name);
      break;
    case Kind::Storage:
      throw std::runtime_error("pickle writer: bare storages cannot be written");
    }
    active_.erase(v);
  }

  const StorageSink& sink_;
  std::string out_;
  std::unordered_set<const Value*> active_;
};

} // namespace

std::string pickle_value(const Value* root, const StorageSink& sink) {
  return Writer(sink).finish(root);
}

} // namespace gs::io
