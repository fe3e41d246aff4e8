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
  if (auto it = tensors.find(layer + ".weight"); it != tensors.end()) return &it->first;
  for (auto it = tensors.lower_bound(layer + "."); it != tensors.end() && it->first.rfind(layer + ".", 0) == 0; ++it) {
    const std::string& name = it->first;
    if (it->second.dim() >= 2 && name.size() >= 6 && name.compare(name.size() - 6, 6, "weight") == 0) return &name;
  }
  return nullptr;
}

} // namespace

MacModel::MacModel(const models::CostReport& cost, const std::vector<models::ChannelGroup>& groups,
                   const std::map<std::string, at::Tensor>& tensors) {
  for (const auto& l : cost.layers) {
    full_ += l.macs;
    Layer layer{static_cast<double>(l.macs), {}};
    if (const std::string* weight = weight_of(l.layer, tensors)) {
      const at::Tensor& w = tensors.at(*weight);
      for (int64_t d = 0; d < w.dim(); ++d) {
        Axis axis{w.size(d), {}};
        for (const auto& g : groups)
          for (const auto& slot : g.slots)
            if (slot.tensor == *weight && slot.dim == d) axis.parts.push_back({g.name, g.width});
        if (!axis.parts.empty()) layer.axes.push_back(std::move(axis));
      }
    }
    layers_.push_back(std::move(layer));
  }
}

int64_t MacModel::macs(const std::map<std::string, int64_t>& widths) const {
  double total = 0;
  for (const auto& l : layers_) {
    double m = l.macs;
    for (const auto& axis : l.axes) {
      int64_t kept = axis.size;
      for (const auto& part : axis.parts)
        if (auto it = widths.find(part.group); it != widths.end()) kept += it->second - part.width;
      m = m * static_cast<double>(kept) / static_cast<double>(axis.size);
    }
    total += m;
  }
  return std::llround(total);
}

at::Tensor MacModel::macs(const std::map<std::string, at::Tensor>& widths) const {
  at::Tensor total = torch::zeros({}, torch::kDouble);
  for (const auto& l : layers_) {
    at::Tensor m = torch::full({}, l.macs, torch::kDouble);
    for (const auto& axis : l.axes) {
      at::Tensor kept = torch::full({}, static_cast<double>(axis.size), torch::kDouble);
      for (const auto& part : axis.parts)
        if (auto it = widths.find(part.group); it != widths.end())
          kept = kept + (it->second.to(torch::kDouble) - static_cast<double>(part.width));
      m = m * kept / static_cast<double>(axis.size);
    }
    total = total + m;
  }
  return total;
}

models::KeptChannels fill_budget(const MacModel& cost, const std::vector<models::ChannelGroup>& groups,
                                 models::KeptChannels kept, const ChannelScores& priority, int64_t target) {
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
    if (cost.macs(widths) > target) {
      --widths[d.group];
      continue;
    }
    auto& k = kept[d.group];
    k.insert(std::upper_bound(k.begin(), k.end(), d.channel), d.channel);
  }
  return kept;
}

models::KeptChannels trim_to_budget(const MacModel& cost, const std::vector<models::ChannelGroup>& groups,
                                    const ChannelScores& priority, int64_t target) {
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
    if (cost.macs(widths) <= target) break;
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
