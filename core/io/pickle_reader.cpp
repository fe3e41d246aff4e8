#include "core/io/pickle_reader.h"

#include "core/io/io_error.h"
#include "core/io/pickle_callables.h"

#include <cstring>
#include <unordered_map>

namespace gs::io {
namespace {

class Machine {
public:
  Machine(std::string_view bytes, ValueArena& arena, const PickleOptions& options)
      : in_(bytes), arena_(arena), opt_(options) {}

  PickleResult run();

private:
  [[noreturn]] void fail(const std::string& reason) const {
    throw IoError(opt_.file, "bad pickle at byte " + std::to_string(pos_) + ": " + reason);
  }
  uint8_t byte() {
    if (pos_ >= in_.size()) fail("truncated (ended without STOP)");
    return static_cast<uint8_t>(in_[pos_++]);
  }
  std::string_view take(uint64_t n) {
    if (n > in_.size() - pos_) fail("truncated (a " + std::to_string(n) + "-byte field runs past the end)");
    auto s = in_.substr(pos_, n);
    pos_ += n;
    return s;
  }
  uint64_t le(int n) {
    auto s = take(n);
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(s[i]);
    return v;
  }
  std::string line() {
    auto end = in_.find('\n', pos_);
    if (end == std::string_view::npos) fail("truncated (unterminated text field)");
    std::string s(in_.substr(pos_, end - pos_));
    pos_ = end + 1;
    return s;
  }

  void push(Value* v) { stack_.push_back(v); }
  Value* pop() {
    if (stack_.size() <= base()) fail("stack underflow");
    Value* v = stack_.back();
    stack_.pop_back();
    return v;
  }
  Value* top() {
    if (stack_.size() <= base()) fail("stack underflow");
    return stack_.back();
  }
  size_t base() const { return marks_.empty() ? 0 : marks_.back(); }
  // Pops everything above the last MARK.
  std::vector<Value*> pop_mark() {
    if (marks_.empty()) fail("MARK expected");
    size_t m = marks_.back();
    marks_.pop_back();
    std::vector<Value*> items(stack_.begin() + static_cast<std::ptrdiff_t>(m), stack_.end());
    stack_.resize(m);
    return items;
  }

  Value* memo_get(uint64_t key) {
    auto it = memo_.find(key);
    if (it == memo_.end()) fail("memo key " + std::to_string(key) + " was never stored");
    return it->second;
  }
  Value* make_global(std::string module, std::string name) {
    // Python 2 spellings found in old checkpoints.
    if (module == "__builtin__") module = "builtins";
    if (module == "copy_reg") module = "copyreg";
    Value* g = arena_.make(Kind::Global);
    g->module = std::move(module);
    g->name = std::move(name);
    return g;
  }
  Value* make_int_from_le(std::string_view bytes);
  Value* make_tuple(std::vector<Value*> items) {
    Value* t = arena_.list(Kind::Tuple);
    t->items = std::move(items);
    return t;
  }
  Value* make_bytes(std::string_view s) {
    Value* b = arena_.make(Kind::Bytes);
    b->text = std::string(s);
    return b;
  }
  Value* make_record(const Value& cls, Value* args) {
    if (cls.kind != Kind::Global) fail("NEWOBJ on something that is not a class");
    Value* r = arena_.make(Kind::Record);
    r->module = cls.module;
    r->name = cls.name;
    if (args && (args->kind == Kind::Tuple || args->kind == Kind::List)) r->items = args->items;
    return r;
  }
  // In structure-only mode, objects that REDUCE would have built are None placeholders; filling them is a no-op.
  void set_item(Value* dict, Value* key, Value* value) {
    if (opt_.structure_only && dict->kind != Kind::Dict) return;
    if (dict->kind != Kind::Dict) fail(std::string("SETITEM on a ") + kind_name(dict->kind));
    dict->entries.emplace_back(key, value);
  }
  void append(Value* list, Value* item) {
    if (opt_.structure_only && list->kind != Kind::List && list->kind != Kind::Set) return;
    if (list->kind != Kind::List && list->kind != Kind::Set) fail(std::string("APPEND on a ") + kind_name(list->kind));
    list->items.push_back(item);
  }
  std::string unescape_quoted(const std::string& s);
  Value* persistent(Value* pid) {
    if (!opt_.persistent_load) fail("unexpected persistent id (storage reference outside a checkpoint)");
    return opt_.persistent_load(pid);
  }

  std::string_view in_;
  size_t pos_ = 0;
  ValueArena& arena_;
  const PickleOptions& opt_;
  std::vector<Value*> stack_;
  std::vector<size_t> marks_;
  std::unordered_map<uint64_t, Value*> memo_;
};

Value* Machine::make_int_from_le(std::string_view bytes) {
  if (bytes.size() <= 8) {
    uint64_t v = 0;
    for (size_t i = bytes.size(); i-- > 0;) v = (v << 8) | static_cast<uint8_t>(bytes[i]);
    if (!bytes.empty() && bytes.size() < 8 && (static_cast<uint8_t>(bytes.back()) & 0x80))
      v |= ~uint64_t(0) << (8 * bytes.size()); // sign-extend
    return arena_.integer(static_cast<int64_t>(v));
  }
  Value* big = arena_.make(Kind::BigInt);
  big->text = std::string(bytes);
  return big;
}

std::string Machine::unescape_quoted(const std::string& s) {
  if (s.size() < 2 || (s.front() != '\'' && s.front() != '"') || s.back() != s.front()) fail("bad STRING literal");
  std::string out;
  for (size_t i = 1; i + 1 < s.size(); ++i) {
    char c = s[i];
    if (c != '\\' || i + 2 >= s.size()) {
      out += c;
      continue;
    }
    char e = s[++i];
    switch (e) {
    case 'n':
      out += '\n';
      break;
    case 't':
      out += '\t';
      break;
    case 'r':
      out += '\r';
      break;
    case 'x':
      if (i + 2 < s.size()) {
        out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
        i += 2;
      }
      break;
    default:
      out += e;
    }
  }
  return out;
}

PickleResult Machine::run() {
  for (;;) {
    const size_t at = pos_;
    const uint8_t op = byte();
    switch (op) {
    case 0x80: // PROTO
      if (byte() > 5) fail("unsupported pickle protocol");
      break;
    case 0x95:
      take(8);
      break;    // FRAME: framing is transparent to us
    case '.': { // STOP
      if (stack_.size() != 1 || !marks_.empty()) fail("STOP with a malformed stack");
      return {stack_.back(), pos_};
    }
    case '(':
      marks_.push_back(stack_.size());
      break;
    case '0':
      pop();
      break;
    case '1':
      pop_mark();
      break;
    case '2':
      push(top());
      break;
    case 'N':
      push(arena_.none());
      break;
    case 0x88:
      push(arena_.boolean(true));
      break;
    case 0x89:
      push(arena_.boolean(false));
      break;
    case 'J':
      push(arena_.integer(static_cast<int32_t>(le(4))));
      break;
    case 'K':
      push(arena_.integer(static_cast<int64_t>(le(1))));
      break;
    case 'M':
      push(arena_.integer(static_cast<int64_t>(le(2))));
      break;
    case 0x8a: { // LONG1
      uint64_t n = le(1);
      push(make_int_from_le(take(n)));
      break;
    }
    case 0x8b: { // LONG4
      uint64_t n = le(4);
      push(make_int_from_le(take(n)));
      break;
    }
    case 'I': { // INT (text); "I00"/"I01" are protocol 0 booleans
      std::string s = line();
      if (s == "00" || s == "01") {
        push(arena_.boolean(s == "01"));
        break;
      }
      try {
        push(arena_.integer(std::stoll(s)));
      } catch (const std::exception&) {
        fail("bad INT literal");
      }
      break;
    }
    case 'L': { // LONG (text)
      std::string s = line();
      if (!s.empty() && s.back() == 'L') s.pop_back();
      try {
        push(arena_.integer(std::stoll(s)));
      } catch (const std::exception&) {
        fail("integer literal out of range or malformed");
      }
      break;
    }
    case 'F': {
      std::string s = line();
      try {
        push(arena_.real(std::stod(s)));
      } catch (const std::exception&) {
        fail("bad FLOAT literal");
      }
      break;
    }
    case 'G': { // BINFLOAT: big-endian double
      auto s = take(8);
      uint64_t bits = 0;
      for (char c : s) bits = (bits << 8) | static_cast<uint8_t>(c);
      double d;
      std::memcpy(&d, &bits, sizeof d);
      push(arena_.real(d));
      break;
    }
    case 'S':
      push(arena_.string(unescape_quoted(line())));
      break;
    case 'V':
      push(arena_.string(line()));
      break;
    case 'T':
      push(arena_.string(std::string(take(le(4)))));
      break;
    case 'U':
      push(arena_.string(std::string(take(le(1)))));
      break;
    case 'X':
      push(arena_.string(std::string(take(le(4)))));
      break;
    case 0x8c:
      push(arena_.string(std::string(take(le(1)))));
      break;
    case 0x8d:
      push(arena_.string(std::string(take(le(8)))));
      break;
    case 'B':
      push(make_bytes(take(le(4))));
      break;
    case 'C':
      push(make_bytes(take(le(1))));
      break;
    case 0x8e:
      push(make_bytes(take(le(8))));
      break;
    case 0x96:
      push(make_bytes(take(le(8))));
      break; // BYTEARRAY8
    case ')':
      push(arena_.list(Kind::Tuple));
      break;
    case 't':
      push(make_tuple(pop_mark()));
      break;
    case 0x85: {
      Value* a = pop();
      push(make_tuple({a}));
      break;
    }
    case 0x86: {
      Value* b = pop();
      Value* a = pop();
      push(make_tuple({a, b}));
      break;
    }
    case 0x87: {
      Value* c = pop();
      Value* b = pop();
      Value* a = pop();
      push(make_tuple({a, b, c}));
      break;
    }
    case ']':
      push(arena_.list());
      break;
    case 'l': {
      Value* l = arena_.list();
      l->items = pop_mark();
      push(l);
      break;
    }
    case 'a': {
      Value* item = pop();
      append(top(), item);
      break;
    }
    case 'e': {
      auto items = pop_mark();
      Value* l = top();
      for (Value* v : items) append(l, v);
      break;
    }
    case 0x8f:
      push(arena_.list(Kind::Set));
      break;
    case 0x90: {
      auto items = pop_mark();
      Value* s = top();
      for (Value* v : items) append(s, v);
      break;
    }
    case 0x91: {
      Value* s = arena_.list(Kind::Set);
      s->items = pop_mark();
      push(s);
      break;
    }
    case '}':
      push(arena_.dict());
      break;
    case 'd': {
      auto items = pop_mark();
      if (items.size() % 2) fail("DICT with an odd number of items");
      Value* d = arena_.dict();
      for (size_t i = 0; i < items.size(); i += 2) d->entries.emplace_back(items[i], items[i + 1]);
      push(d);
      break;
    }
    case 's': {
      Value* v = pop();
      Value* k = pop();
      set_item(top(), k, v);
      break;
    }
    case 'u': {
      auto items = pop_mark();
      if (items.size() % 2) fail("SETITEMS with an odd number of items");
      Value* d = top();
      for (size_t i = 0; i < items.size(); i += 2) set_item(d, items[i], items[i + 1]);
      break;
    }
    case 'g': {
      std::string s = line();
      try {
        push(memo_get(std::stoull(s)));
      } catch (const std::invalid_argument&) {
        fail("bad GET index");
      } catch (const std::out_of_range&) {
        fail("bad GET index");
      }
      break;
    }
    case 'h':
      push(memo_get(le(1)));
      break;
    case 'j':
      push(memo_get(le(4)));
      break;
    case 'p': {
      std::string s = line();
      try {
        memo_[std::stoull(s)] = top();
      } catch (const std::invalid_argument&) {
        fail("bad PUT index");
      } catch (const std::out_of_range&) {
        fail("bad PUT index");
      }
      break;
    }
    case 'q':
      memo_[le(1)] = top();
      break;
    case 'r':
      memo_[le(4)] = top();
      break;
    case 0x94:
      memo_[memo_.size()] = top();
      break; // MEMOIZE
    case 'c': {
      std::string module = line();
      std::string name = line();
      push(make_global(std::move(module), std::move(name)));
      break;
    }
    case 0x93: { // STACK_GLOBAL
      Value* name = pop();
      Value* module = pop();
      if (name->kind != Kind::String || module->kind != Kind::String) fail("STACK_GLOBAL needs two strings");
      push(make_global(module->text, name->text));
      break;
    }
    case 'R': { // REDUCE: only allow-listed callables
      Value* args = pop();
      Value* callable = pop();
      if (callable->kind != Kind::Global) fail("REDUCE on something that is not a global");
      if (args->kind != Kind::Tuple) fail("REDUCE arguments are not a tuple");
      if (opt_.structure_only) {
        push(arena_.none());
        break;
      }
      push(call_allowed(opt_.file, arena_, *callable, args));
      break;
    }
    case 0x81: { // NEWOBJ: cls.__new__(cls, *args) -> inert record
      Value* args = pop();
      Value* cls = pop();
      push(make_record(*cls, args));
      break;
    }
    case 0x92: { // NEWOBJ_EX
      pop();     // kwargs
      Value* args = pop();
      Value* cls = pop();
      push(make_record(*cls, args));
      break;
    }
    case 'i': { // INST: a call of module.name(*args) in protocol 0
      std::string module = line();
      std::string name = line();
      Value* g = make_global(std::move(module), std::move(name));
      if (opt_.structure_only) {
        pop_mark();
        push(arena_.none());
        break;
      }
      push(call_allowed(opt_.file, arena_, *g, make_tuple(pop_mark())));
      break;
    }
    case 'o': { // OBJ
      auto items = pop_mark();
      if (items.empty()) fail("OBJ without a class");
      Value* cls = items.front();
      if (cls->kind != Kind::Global) fail("OBJ on something that is not a class");
      if (opt_.structure_only) {
        push(arena_.none());
        break;
      }
      push(call_allowed(opt_.file, arena_, *cls, make_tuple({items.begin() + 1, items.end()})));
      break;
    }
    case 'b': { // BUILD
      Value* state = pop();
      if (!opt_.structure_only) build_state(opt_.file, arena_, top(), state);
      break;
    }
    case 'P':
      push(persistent(arena_.string(line())));
      break;
    case 'Q':
      push(persistent(pop()));
      break;
    case 0x82:
    case 0x83:
    case 0x84:
      fail("extension registry opcodes (EXT1/2/4) are not allowed");
    case 0x97:
    case 0x98:
      fail("out-of-band buffers (protocol 5) are not supported");
    default: {
      char buf[64];
      std::snprintf(buf, sizeof buf, "unknown opcode 0x%02x at byte %zu", op, at);
      throw IoError(opt_.file, std::string("not a valid pickle: ") + buf);
    }
    }
  }
}

} // namespace

PickleResult unpickle(std::string_view bytes, ValueArena& arena, const PickleOptions& options) {
  Machine m(bytes, arena, options);
  return m.run();
}

} // namespace gs::io
