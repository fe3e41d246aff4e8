#include "core/prune/mac_model.h"

#include <torch/torch.h>

#include "core/models/channel_ops.h"

#include <algorithm>
#include <cmath>
#include <set>

namespace gs::prune {
namespace {

// The weight a cost report's layer names: "<layer>.weight", or the first weight of dim >= 2 inside it (a wrapped
// convolution such as StyleGAN2's "convs.0.conv.weight").
const std::string* weight_of(std::string layer, const std::map<std::string, at::Tensor>& tensors) {
  // "down.1 (model.model.1.model.1)": a readable name with the module path in brackets.
  if (const auto open = layer.rfind(" ("); open != std::string::npos && layer.back() == ')')
    layer = layer.substr(open + 2, layer.size() - open - 3);
  for (const char* suffix : {".weight", ".weight_orig"}) // the latter: spectral norm's parametrisation
    if (auto it = tensors.find(layer + suffix); it != tensors.end()) return &it->first;
  for (auto it = tensors.lower_bound(layer + "."); it != tensors.end() && it->first.rfind(layer + ".", 0) == 0; ++it) {
    const std::string& name = it->first;
    if (it->second.dim() >= 2 && name.size() >= 6 && name.compare(name.size() - 6, 6, "weight") == 0) return &name;
  }
  return nullptr;
}

double constant(double v, double) {
  return v;
}
at::Tensor constant(double v, const at::Tensor&) {
  return torch::full({}, v, torch::kDouble);
}

} // namespace

// The kept share of an axis: its size less what the groups on it dropped, over its size.
double MacModel::kept_share(const Axis& axis, const std::map<std::string, int64_t>& widths) {
  int64_t kept = axis.size;
  for (const auto& part : axis.parts)
    if (auto it = widths.find(part.group); it != widths.end()) kept += it->second - part.width;
  return static_cast<double>(kept) / static_cast<double>(axis.size);
}

at::Tensor MacModel::kept_share(const Axis& axis, const std::map<std::string, at::Tensor>& widths) {
  at::Tensor kept = torch::full({}, static_cast<double>(axis.size), torch::kDouble);
  for (const auto& part : axis.parts)
    if (auto it = widths.find(part.group); it != widths.end())
      kept = kept + (it->second.to(torch::kDouble) - static_cast<double>(part.width));
  return kept / static_cast<double>(axis.size);
}

MacModel::MacModel(const models::CostReport& cost, const std::vector<models::ChannelGroup>& groups,
                   const std::map<std::string, at::Tensor>& tensors) {
  for (const auto& l : cost.layers) {
    full_ += l.macs;
    full_outputs_ += l.outputs;
    Layer layer{static_cast<double>(l.macs), static_cast<double>(l.outputs), {}, -1};
    if (const std::string* weight = weight_of(l.layer, tensors)) {
      const at::Tensor& w = tensors.at(*weight);
      for (int64_t d = 0; d < w.dim(); ++d) {
        Axis axis{w.size(d), {}};
        for (const auto& g : groups)
          for (const auto& slot : g.slots)
            if (slot.tensor == *weight && slot.dim == d) axis.parts.push_back({g.name, g.width});
        if (axis.parts.empty()) continue;
        if (d == l.out_dim) layer.out_axis = static_cast<int>(layer.axes.size());
        layer.axes.push_back(std::move(axis));
      }
    }
    layers_.push_back(std::move(layer));
  }
}

// MACs scale with the kept share of every narrowed axis of a layer's weight, written values with its output axis's.
template <class Widths, class Value> Value MacModel::total(const Widths& widths, bool outputs) const {
  Value sum = constant(0.0, Value{});
  for (const auto& l : layers_) {
    if (outputs) {
      sum = sum + (l.out_axis < 0 ? constant(l.outputs, Value{}) : kept_share(l.axes[l.out_axis], widths) * l.outputs);
      continue;
    }
    Value m = constant(l.macs, Value{});
    for (const auto& axis : l.axes) m = m * kept_share(axis, widths);
    sum = sum + m;
  }
  return sum;
}

int64_t MacModel::macs(const std::map<std::string, int64_t>& widths) const {
  return std::llround(total<std::map<std::string, int64_t>, double>(widths, false));
}

int64_t MacModel::outputs(const std::map<std::string, int64_t>& widths) const {
  return std::llround(total<std::map<std::string, int64_t>, double>(widths, true));
}

bool MacModel::fits(const std::map<std::string, int64_t>& widths, const Budget& budget) const {
  return macs(widths) <= budget.macs && (budget.outputs <= 0 || outputs(widths) <= budget.outputs);
}

at::Tensor MacModel::macs(const std::map<std::string, at::Tensor>& widths) const {
  return total<std::map<std::string, at::Tensor>, at::Tensor>(widths, false);
}

at::Tensor MacModel::outputs(const std::map<std::string, at::Tensor>& widths) const {
  return total<std::map<std::string, at::Tensor>, at::Tensor>(widths, true);
}

at::Tensor MacModel::excess(const std::map<std::string, at::Tensor>& widths, const Budget& budget) const {
  at::Tensor over = torch::relu(macs(widths) / static_cast<double>(budget.macs) - 1);
  if (budget.outputs > 0) over = over + torch::relu(outputs(widths) / static_cast<double>(budget.outputs) - 1);
  return over;
}

models::KeptChannels fill_budget(const MacModel& cost, const std::vector<models::ChannelGroup>& groups,
                                 models::KeptChannels kept, const ChannelScores& priority, const Budget& budget) {
  struct Candidate {
    double priority;
    std::string group;
    int64_t channel;
  };
  std::vector<Candidate> dropped;
  for (const auto& group : groups) {
    const auto& k = kept.at(group.name);
    for (int64_t c = 0; c < group.width; ++c)
      if (!std::binary_search(k.begin(), k.end(), c)) dropped.push_back({priority.at(group.name)[c], group.name, c});
  }
  std::stable_sort(dropped.begin(), dropped.end(),
                   [](const auto& a, const auto& b) { return a.priority > b.priority; });
  std::map<std::string, int64_t> widths = models::widths_after(groups, kept);
  for (const auto& d : dropped) {
    ++widths[d.group];
    if (!cost.fits(widths, budget)) {
      --widths[d.group];
      continue;
    }
    auto& k = kept[d.group];
    k.insert(std::upper_bound(k.begin(), k.end(), d.channel), d.channel);
  }
  return kept;
}

models::KeptChannels trim_to_budget(const MacModel& cost, const std::vector<models::ChannelGroup>& groups,
                                    const ChannelScores& priority, const Budget& budget) {
  struct Candidate {
    double priority;
    std::string group;
    int64_t channel;
  };
  std::vector<Candidate> all;
  std::map<std::string, int64_t> widths;
  for (const auto& group : groups) {
    widths[group.name] = group.width;
    for (int64_t c = 0; c < group.width; ++c) all.push_back({priority.at(group.name)[c], group.name, c});
  }
  std::stable_sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.priority < b.priority; });
  std::map<std::string, std::set<int64_t>> removed;
  for (const auto& c : all) {
    if (cost.fits(widths, budget)) break;
    if (widths[c.group] == 1) continue;
    --widths[c.group];
    removed[c.group].insert(c.channel);
  }
  models::KeptChannels kept;
  for (const auto& group : groups)
    for (int64_t c = 0; c < group.width; ++c)
      if (!removed[group.name].count(c)) kept[group.name].push_back(c);
  return kept;
}

} // namespace gs::prune
