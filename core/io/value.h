// The object tree a checkpoint decodes to: Python's plain containers and scalars, tensors, and inert records.
#pragma once
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace gs::io {

enum class Kind {
  None,
  Bool,
  Int,
  BigInt, // an integer wider than 64 bits; `text` holds its little-endian two's-complement bytes
  Float,
  String,
  Bytes,
  List,
  Tuple,
  Set,
  Dict, // dict or OrderedDict (`ordered`); keys keep insertion order
  Tensor,
  Record,  // an instance of any other class: class name plus the fields it was pickled with, never constructed
  Global,  // a reference to a class or function found in a pickle (only ever inspected)
  Storage, // a typed storage during unpickling
};

struct Value {
  Kind kind = Kind::None;
  bool boolean = false;
  int64_t integer = 0;
  double real = 0.0;
  std::string text;                                   // String, Bytes, BigInt
  std::vector<Value*> items;                          // List, Tuple, Set; Record constructor arguments
  std::vector<std::pair<Value*, Value*>> entries;     // Dict
  bool ordered = false;                               // Dict: came from collections.OrderedDict
  std::string module, name;                           // Global, Record: the class
  std::vector<std::pair<std::string, Value*>> fields; // Record fields; Dict attributes such as `_metadata`
  at::Tensor tensor;                                  // Tensor, Storage

  std::string qualified_name() const { return module.empty() ? name : module + "." + name; }
  // Dict lookup by string key; nullptr when absent or not a dict.
  Value* get(const std::string& key) const;
  Value* field(const std::string& key) const;
  // A short human-readable rendering (containers abbreviated), for summaries and logs.
  std::string repr(size_t max_len = 80) const;
};

const char* kind_name(Kind kind);

// Owns every Value of one decoded file; values point at each other freely (pickles can share and even cycle).
class ValueArena {
public:
  Value* make(Kind kind);
  Value* none() { return make(Kind::None); }
  Value* boolean(bool b);
  Value* integer(int64_t i);
  Value* real(double d);
  Value* string(std::string s);
  Value* tensor(at::Tensor t);
  Value* list(Kind kind = Kind::List);
  Value* dict(bool ordered = false);
  size_t size() const { return nodes_.size(); }

private:
  std::deque<Value> nodes_;
};

// A decoded file: the arena plus its root value.
struct Document {
  std::shared_ptr<ValueArena> arena = std::make_shared<ValueArena>();
  Value* root = nullptr;
};

} // namespace gs::io
