// Strict loading: the whole report is built before anything is copied.
#include "core/models/state_loading.h"

#include <torch/torch.h>

#include <sstream>

namespace gs::models {
namespace {

std::string shape_text(at::IntArrayRef s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + "]";
}

// "3 missing (a, b, c, ...)" for the summary line; the full list follows on later lines.
std::string brief(const char* what, const std::vector<std::string>& names) {
  std::string s = std::to_string(names.size()) + " " + what + " (";
  for (size_t i = 0; i < names.size() && i < 3; ++i) s += (i ? ", " : "") + names[i];
  return s + (names.size() > 3 ? ", ...)" : ")");
}

void list(std::ostringstream& os, const char* what, const std::vector<std::string>& names) {
  if (names.empty()) return;
  constexpr size_t shown = 20;
  os << "\n  " << what << ":";
  for (size_t i = 0; i < names.size() && i < shown; ++i) os << "\n    " << names[i];
  if (names.size() > shown) os << "\n    ... and " << names.size() - shown << " more";
}

} // namespace

TensorMap state_dict(const torch::nn::Module& module) {
  TensorMap out;
  // Modules register undefined tensors for absent parts (an InstanceNorm's affine weight and statistics); PyTorch's
  // state_dict leaves those out, so do we.
  for (const auto& p : module.named_parameters(true))
    if (p.value().defined()) out[p.key()] = p.value();
  for (const auto& b : module.named_buffers(true))
    if (b.value().defined()) out[b.key()] = b.value();
  return out;
}

void load_strict(torch::nn::Module& module, const TensorMap& tensors, const std::string& what) {
  TensorMap own = state_dict(module);
  std::vector<std::string> missing, unexpected, misshaped;
  for (const auto& [name, t] : own) {
    auto it = tensors.find(name);
    if (it == tensors.end())
      missing.push_back(name);
    else if (it->second.sizes() != t.sizes())
      misshaped.push_back(name + ": checkpoint " + shape_text(it->second.sizes()) + ", model " + shape_text(t.sizes()));
  }
  for (const auto& [name, t] : tensors)
    if (!own.count(name)) unexpected.push_back(name);
  if (!missing.empty() || !unexpected.empty() || !misshaped.empty()) {
    std::ostringstream os;
    os << what << ": the checkpoint does not fit the architecture:";
    const char* sep = " ";
    const std::pair<const char*, const std::vector<std::string>*> parts[] = {
        {"missing", &missing}, {"unexpected", &unexpected}, {"mis-shaped", &misshaped}};
    for (const auto& [label, names] : parts)
      if (!names->empty()) {
        os << sep << brief(label, *names);
        sep = ", ";
      }
    list(os, "missing", missing);
    list(os, "unexpected", unexpected);
    list(os, "mis-shaped", misshaped);
    throw ModelError(os.str());
  }
  torch::NoGradGuard no_grad;
  for (auto& [name, t] : own) t.copy_(tensors.at(name));
}

void copy_state(const torch::nn::Module& from, torch::nn::Module& to) {
  load_strict(to, state_dict(from), "copy");
}

TensorMap with_prefix_stripped(const TensorMap& tensors, const std::string& prefix) {
  if (prefix.empty()) return tensors;
  const std::string p = prefix + ".";
  TensorMap out;
  for (const auto& [name, t] : tensors)
    if (name.rfind(p, 0) == 0) out[name.substr(p.size())] = t;
  return out;
}

std::vector<int64_t> shape_of(const TensorMap& tensors, const std::string& key) {
  auto it = tensors.find(key);
  if (it == tensors.end()) throw ModelError("the checkpoint lacks tensor '" + key + "'");
  return it->second.sizes().vec();
}

} // namespace gs::models
