#include "core/io/value.h"

#include <sstream>

namespace gs::io {

Value* Value::get(const std::string& key) const {
  if (kind != Kind::Dict) return nullptr;
  for (const auto& [k, v] : entries)
    if (k->kind == Kind::String && k->text == key) return v;
  return nullptr;
}

Value* Value::field(const std::string& key) const {
  for (const auto& [k, v] : fields)
    if (k == key) return v;
  return nullptr;
}

namespace {

void render(const Value* v, std::ostringstream& os, size_t budget, int depth) {
  if (os.tellp() > static_cast<std::streamoff>(budget)) return;
  if (depth > 4) {
    os << "...";
    return;
  }
  switch (v->kind) {
  case Kind::None:
    os << "None";
    break;
  case Kind::Bool:
    os << (v->boolean ? "True" : "False");
    break;
  case Kind::Int:
    os << v->integer;
    break;
  case Kind::BigInt:
    os << "<" << v->text.size() * 8 << "-bit int>";
    break;
  case Kind::Float:
    os << v->real;
    break;
  case Kind::String:
    os << "'" << v->text << "'";
    break;
  case Kind::Bytes:
    os << "<" << v->text.size() << " bytes>";
    break;
  case Kind::List:
  case Kind::Tuple:
  case Kind::Set: {
    const char* open = v->kind == Kind::List ? "[" : v->kind == Kind::Tuple ? "(" : "{";
    const char* close = v->kind == Kind::List ? "]" : v->kind == Kind::Tuple ? ")" : "}";
    os << open;
    for (size_t i = 0; i < v->items.size(); ++i) {
      if (i) os << ", ";
      if (os.tellp() > static_cast<std::streamoff>(budget)) break;
      render(v->items[i], os, budget, depth + 1);
    }
    os << close;
    break;
  }
  case Kind::Dict: {
    os << "{";
    for (size_t i = 0; i < v->entries.size(); ++i) {
      if (i) os << ", ";
      if (os.tellp() > static_cast<std::streamoff>(budget)) break;
      render(v->entries[i].first, os, budget, depth + 1);
      os << ": ";
      render(v->entries[i].second, os, budget, depth + 1);
    }
    os << "}";
    break;
  }
  case Kind::Tensor: {
    os << "tensor(" << c10::toString(v->tensor.scalar_type()) << ", [";
    for (int64_t d = 0; d < v->tensor.dim(); ++d) os << (d ? ", " : "") << v->tensor.size(d);
    os << "])";
    break;
  }
  case Kind::Record:
    os << v->qualified_name() << "(...)";
    break;
  case Kind::Global:
    os << "<" << v->qualified_name() << ">";
    break;
  case Kind::Storage:
    os << "<storage>";
    break;
  }
}

} // namespace

std::string Value::repr(size_t max_len) const {
  std::ostringstream os;
  render(this, os, max_len, 0);
  std::string s = os.str();
  if (s.size() > max_len) s = s.substr(0, max_len - 3) + "...";
  return s;
}

const char* kind_name(Kind kind) {
  switch (kind) {
  case Kind::None:
    return "None";
  case Kind::Bool:
    return "bool";
  case Kind::Int:
    return "int";
  case Kind::BigInt:
    return "int";
  case Kind::Float:
    return "float";
  case Kind::String:
    return "str";
  case Kind::Bytes:
    return "bytes";
  case Kind::List:
    return "list";
  case Kind::Tuple:
    return "tuple";
  case Kind::Set:
    return "set";
  case Kind::Dict:
    return "dict";
  case Kind::Tensor:
    return "tensor";
  case Kind::Record:
    return "object";
  case Kind::Global:
    return "global";
  case Kind::Storage:
    return "storage";
  }
  return "?";
}

Value* ValueArena::make(Kind kind) {
  nodes_.emplace_back();
  nodes_.back().kind = kind;
  return &nodes_.back();
}

Value* ValueArena::boolean(bool b) {
  Value* v = make(Kind::Bool);
  v->boolean = b;
  return v;
}

Value* ValueArena::integer(int64_t i) {
  Value* v = make(Kind::Int);
  v->integer = i;
  return v;
}

Value* ValueArena::real(double d) {
  Value* v = make(Kind::Float);
  v->real = d;
  return v;
}

Value* ValueArena::string(std::string s) {
  Value* v = make(Kind::String);
  v->text = std::move(s);
  return v;
}

Value* ValueArena::tensor(at::Tensor t) {
  Value* v = make(Kind::Tensor);
  v->tensor = std::move(t);
  return v;
}

Value* ValueArena::list(Kind kind) {
  return make(kind);
}

Value* ValueArena::dict(bool ordered) {
  Value* v = make(Kind::Dict);
  v->ordered = ordered;
  return v;
}

} // namespace gs::io
