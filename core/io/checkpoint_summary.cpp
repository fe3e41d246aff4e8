#include "core/io/checkpoint_summary.h"

#include "core/io/checkpoint.h"
#include "core/io/tensor_rebuild.h"

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <cstdio>
#include <sstream>
#include <unordered_set>

namespace gs::io {
namespace {

constexpr size_t kMaxValues = 500;

bool is_module_record(const Value* v) {
  return v->field("_parameters") || v->module.rfind("__torch__", 0) == 0;
}

bool is_scalar(const Value* v) {
  switch (v->kind) {
  case Kind::None:
  case Kind::Bool:
  case Kind::Int:
  case Kind::BigInt:
  case Kind::Float:
  case Kind::String:
  case Kind::Bytes:
    return true;
  default:
    return false;
  }
}

std::string type_name(const Value* v) {
  if (v->kind == Kind::Record) return v->qualified_name();
  if (v->kind == Kind::Dict && v->ordered) return "OrderedDict";
  return kind_name(v->kind);
}

// Collects records (not modules) and scalar leaves, each container visited once.
void collect(const Value* v, const std::string& path, CheckpointSummary& s, std::unordered_set<const Value*>& seen,
             int depth) {
  if (depth > 100 || !seen.insert(v).second) return;
  if (v->kind == Kind::Record && !is_module_record(v)) {
    RecordInfo r{path, v->qualified_name(), {}};
    for (const auto& [name, field] : v->fields)
      r.fields.push_back({name, type_name(field), field->kind == Kind::Tensor ? field->repr() : field->repr(120)});
    for (size_t i = 0; i < v->items.size(); ++i)
      r.fields.push_back({"arg" + std::to_string(i), type_name(v->items[i]), v->items[i]->repr(120)});
    s.records.push_back(std::move(r));
    return;
  }
  if (v->kind == Kind::Record) return; // a pickled nn.Module: its tensors are listed, its bookkeeping is noise
  if (v->kind == Kind::Dict) {
    for (const auto& [k, val] : v->entries) {
      std::string p = join_path(path, k->kind == Kind::String ? k->text : k->repr());
      if (is_scalar(val)) {
        if (s.values.size() < kMaxValues) s.values.push_back({p, type_name(val), val->repr(120)});
      } else {
        collect(val, p, s, seen, depth + 1);
      }
    }
    return;
  }
  if (v->kind == Kind::List || v->kind == Kind::Tuple || v->kind == Kind::Set) {
    bool all_scalar = true;
    for (const Value* x : v->items) all_scalar = all_scalar && is_scalar(x);
    if (all_scalar) {
      if (s.values.size() < kMaxValues) s.values.push_back({path, type_name(v), v->repr(120)});
      return;
    }
    for (size_t i = 0; i < v->items.size(); ++i)
      collect(v->items[i], join_path(path, std::to_string(i)), s, seen, depth + 1);
  }
}

} // namespace

CheckpointSummary summarize(const Checkpoint& ck) {
  CheckpointSummary s;
  s.path = ck.path;
  s.format = format_name(ck.format);
  const Value* root = ck.doc.root;
  s.root_type = type_name(root);
  if (root->kind == Kind::Dict) {
    for (const auto& [k, v] : root->entries) s.top_keys.push_back(k->kind == Kind::String ? k->text : k->repr());
  } else if (root->kind == Kind::Record) {
    // A pickled module lists its children, as its state_dict() would; other objects their fields.
    const Value* children = root->field("_modules");
    if (children && children->kind == Kind::Dict) {
      for (const auto& [k, v] : children->entries) s.top_keys.push_back(k->kind == Kind::String ? k->text : k->repr());
    } else {
      for (const auto& [name, v] : root->fields) s.top_keys.push_back(name);
    }
  }

  for (const auto& nt : flatten_tensors(root)) {
    const at::Tensor& t = nt.tensor;
    TensorInfo info{nt.name,
                    short_dtype_name(t.scalar_type()),
                    t.sizes().vec(),
                    t.numel(),
                    static_cast<int64_t>(t.numel() * t.element_size()),
                    t.is_contiguous()};
    const bool is_param = at::isFloatingType(t.scalar_type());
    s.elements += info.numel;
    s.bytes += info.bytes;
    if (is_param) s.parameters += info.numel;
    // Group by the first path component when the root is a dict of several parts (g / g_ema / d ...).
    std::string key = "(all)";
    if (root->kind == Kind::Dict && nt.name.find('.') != std::string::npos) {
      const std::string first = nt.name.substr(0, nt.name.find('.'));
      const Value* part = root->get(first);
      if (part && part->kind != Kind::Tensor) key = first;
    }
    auto it = std::find_if(s.groups.begin(), s.groups.end(), [&](const GroupTotal& g) { return g.key == key; });
    if (it == s.groups.end()) it = s.groups.insert(s.groups.end(), GroupTotal{key});
    it->tensors += 1;
    it->bytes += info.bytes;
    if (is_param) it->parameters += info.numel;
    s.tensors.push_back(std::move(info));
  }
  std::unordered_set<const Value*> seen;
  collect(root, "", s, seen, 0);
  return s;
}

CheckpointSummary summarize_checkpoint(const std::string& path) {
  return summarize(load_checkpoint(path));
}

std::string format_count(int64_t n) {
  char buf[32];
  if (n >= 1000000000)
    std::snprintf(buf, sizeof buf, "%.2fG", n / 1e9);
  else if (n >= 1000000)
    std::snprintf(buf, sizeof buf, "%.2fM", n / 1e6);
  else if (n >= 10000)
    std::snprintf(buf, sizeof buf, "%.1fK", n / 1e3);
  else
    std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(n));
  return buf;
}

std::string summary_to_json(const CheckpointSummary& s) {
  using nlohmann::json;
  json j;
  j["path"] = s.path;
  j["format"] = s.format;
  j["root_type"] = s.root_type;
  j["top_keys"] = s.top_keys;
  j["totals"] = {
      {"tensors", s.tensors.size()}, {"parameters", s.parameters}, {"elements", s.elements}, {"bytes", s.bytes}};
  j["groups"] = json::array();
  for (const auto& g : s.groups)
    j["groups"].push_back({{"key", g.key}, {"tensors", g.tensors}, {"parameters", g.parameters}, {"bytes", g.bytes}});
  j["tensors"] = json::array();
  for (const auto& t : s.tensors)
    j["tensors"].push_back(
        {{"name", t.name}, {"dtype", t.dtype}, {"shape", t.shape}, {"numel", t.numel}, {"contiguous", t.contiguous}});
  auto fields = [](const std::vector<FieldInfo>& fs) {
    json a = json::array();
    for (const auto& f : fs) a.push_back({{"name", f.name}, {"type", f.type}, {"value", f.value}});
    return a;
  };
  j["records"] = json::array();
  for (const auto& r : s.records)
    j["records"].push_back({{"path", r.path}, {"class", r.class_name}, {"fields", fields(r.fields)}});
  j["values"] = fields(s.values);
  return j.dump(2);
}

std::string summary_to_text(const CheckpointSummary& s) {
  std::ostringstream os;
  os << s.path << "\n  format:     " << s.format << "\n  root:       " << s.root_type;
  if (!s.top_keys.empty()) {
    os << "\n  top keys:  ";
    for (size_t i = 0; i < s.top_keys.size() && i < 20; ++i) os << " " << s.top_keys[i];
    if (s.top_keys.size() > 20) os << " ... (" << s.top_keys.size() << " in all)";
  }
  os << "\n  tensors:    " << s.tensors.size() << "  parameters: " << format_count(s.parameters) << " (" << s.parameters
     << ")  size: " << format_count(s.bytes) << "B\n";
  if (s.groups.size() > 1) {
    os << "\n  part            tensors   parameters\n";
    for (const auto& g : s.groups) {
      char line[160];
      std::snprintf(line, sizeof line, "  %-14s %8lld %12s\n", g.key.c_str(), static_cast<long long>(g.tensors),
                    format_count(g.parameters).c_str());
      os << line;
    }
  }
  size_t width = 4;
  for (const auto& t : s.tensors) width = std::max(width, t.name.size());
  os << "\n  " << std::string("name").append(width - 4, ' ') << "  dtype     shape\n";
  for (const auto& t : s.tensors) {
    std::string shape = "[";
    for (size_t i = 0; i < t.shape.size(); ++i) shape += (i ? ", " : "") + std::to_string(t.shape[i]);
    shape += "]";
    std::string dtype = t.dtype;
    dtype.resize(std::max<size_t>(dtype.size(), 8), ' ');
    os << "  " << t.name << std::string(width - t.name.size(), ' ') << "  " << dtype << "  " << shape
       << (t.contiguous ? "" : "  (strided view)") << "\n";
  }
  for (const auto& r : s.records) {
    os << "\n  record " << (r.path.empty() ? "(root)" : r.path) << ": " << r.class_name << "\n";
    for (const auto& f : r.fields) os << "    " << f.name << " = " << f.value << "\n";
  }
  if (!s.values.empty()) {
    os << "\n  values\n";
    for (const auto& v : s.values) os << "    " << v.name << " = " << v.value << "\n";
  }
  return os.str();
}

} // namespace gs::io
