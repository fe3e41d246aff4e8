// Slicing and masking by channel groups, generic over architectures: groups list every slot their channels occupy.
#include "core/models/channel_ops.h"

#include "core/models/state_loading.h"

#include <torch/torch.h>

#include <algorithm>
#include <set>

namespace gs::models {
namespace {

const ChannelGroup& find_group(const std::vector<ChannelGroup>& groups, const std::string& name) {
  for (const auto& g : groups)
    if (g.name == name) return g;
  throw ModelError("no channel group named '" + name + "'");
}

std::string shape_text(at::IntArrayRef s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + "]";
}

// The indices along `slot`'s axis that the channels of `width` not in `keep` occupy.
std::vector<int64_t> removed_indices(const ChannelSlot& slot, int64_t width, const std::set<int64_t>& keep) {
  std::vector<int64_t> out;
  for (int64_t c = 0; c < width; ++c)
    if (!keep.count(c))
      for (int64_t j = 0; j < slot.block; ++j) out.push_back(slot.offset + c * slot.block + j);
  return out;
}

// For every (tensor, dim) touched by a pruned group: the indices along that dim that survive.
using Survivors = std::map<std::pair<std::string, int64_t>, std::vector<int64_t>>;

Survivors survivors(const std::vector<ChannelGroup>& groups, const KeptChannels& kept, const TensorMap& tensors) {
  // Removed indices per (tensor, dim), then the complement.
  std::map<std::pair<std::string, int64_t>, std::set<int64_t>> removed;
  for (const auto& [name, indices] : kept) {
    const ChannelGroup& g = find_group(groups, name);
    const std::set<int64_t> keep(indices.begin(), indices.end());
    for (const auto& slot : g.slots) {
      auto it = tensors.find(slot.tensor);
      if (it == tensors.end())
        throw ModelError("channel group '" + g.name + "' names tensor '" + slot.tensor + "', which the model lacks");
      if (slot.dim >= it->second.dim() || slot.offset + g.width * slot.block > it->second.size(slot.dim))
        throw ModelError("channel group '" + g.name + "' does not fit tensor '" + slot.tensor + "' of shape " +
                         shape_text(it->second.sizes()));
      const std::vector<int64_t> gone = removed_indices(slot, g.width, keep);
      removed[{slot.tensor, slot.dim}].insert(gone.begin(), gone.end());
    }
  }
  Survivors out;
  for (const auto& [key, gone] : removed) {
    const int64_t size = tensors.at(key.first).size(key.second);
    auto& s = out[key];
    for (int64_t i = 0; i < size; ++i)
      if (!gone.count(i)) s.push_back(i);
  }
  return out;
}

} // namespace

void validate_kept(const std::vector<ChannelGroup>& groups, const KeptChannels& kept) {
  for (const auto& [name, indices] : kept) {
    const ChannelGroup& g = find_group(groups, name);
    if (indices.empty())
      throw ModelError("channel group '" + name + "' would keep no channels; at least one must remain");
    std::set<int64_t> seen;
    for (int64_t c : indices) {
      if (c < 0 || c >= g.width)
        throw ModelError("channel " + std::to_string(c) + " is outside group '" + name + "' of width " +
                         std::to_string(g.width));
      if (!seen.insert(c).second)
        throw ModelError("channel " + std::to_string(c) + " is listed twice for group '" + name + "'");
    }
  }
}

std::map<std::string, int64_t> widths_after(const std::vector<ChannelGroup>& groups, const KeptChannels& kept) {
  validate_kept(groups, kept);
  std::map<std::string, int64_t> widths;
  for (const auto& [name, indices] : kept) widths[name] = static_cast<int64_t>(indices.size());
  return widths;
}

namespace {

// Copies every tensor of `full` into `small` (built at the narrowed widths), each slot narrowed to the kept indices.
void copy_sliced(torch::nn::Module& full, const std::vector<ChannelGroup>& groups, const KeptChannels& kept,
                 torch::nn::Module& small) {
  const TensorMap src = state_dict(full);
  const Survivors keep = survivors(groups, kept, src);
  TensorMap dst = state_dict(small);
  torch::NoGradGuard no_grad;
  for (auto& [name, target] : dst) {
    auto it = src.find(name);
    if (it == src.end()) throw ModelError("the narrowed model has tensor '" + name + "' that the full one lacks");
    at::Tensor t = it->second;
    for (int64_t d = 0; d < t.dim(); ++d)
      if (auto k = keep.find({name, d}); k != keep.end())
        t = t.index_select(d, torch::tensor(k->second, torch::kLong).to(t.device()));
    if (t.sizes() != target.sizes())
      throw ModelError("slicing '" + name + "' gives shape " + shape_text(t.sizes()) + " but the narrowed model has " +
                       shape_text(target.sizes()) + ": a channel group misses this tensor");
    target.copy_(t);
  }
  small.train(full.is_training());
}

void mask_module(torch::nn::Module& full, const std::vector<ChannelGroup>& groups, const KeptChannels& kept) {
  validate_kept(groups, kept);
  TensorMap tensors = state_dict(full);
  torch::NoGradGuard no_grad;
  for (const auto& [name, indices] : kept) {
    const ChannelGroup& g = find_group(groups, name);
    const std::set<int64_t> keep(indices.begin(), indices.end());
    for (const auto& slot : g.slots) {
      const std::vector<int64_t> pruned = removed_indices(slot, g.width, keep);
      if (pruned.empty()) continue;
      at::Tensor& t = tensors.at(slot.tensor);
      t.index_fill_(slot.dim, torch::tensor(pruned, torch::kLong).to(t.device()), 0);
    }
  }
}

template <class Net> std::unique_ptr<Net> slice_net(Net& full, const KeptChannels& kept) {
  const auto groups = full.channel_groups();
  auto small = full.with_widths(widths_after(groups, kept));
  copy_sliced(full.module(), groups, kept, small->module());
  return small;
}

template <class Net> std::unique_ptr<Net> clone_net(Net& net) {
  auto copy = net.with_widths({});
  copy_state(net.module(), copy->module());
  copy->module().train(net.module().is_training());
  return copy;
}

} // namespace

std::unique_ptr<Generator> slice(Generator& full, const KeptChannels& kept) {
  return slice_net(full, kept);
}

std::unique_ptr<Discriminator> slice(Discriminator& full, const KeptChannels& kept) {
  return slice_net(full, kept);
}

std::unique_ptr<Generator> clone(Generator& g) {
  return clone_net(g);
}

std::unique_ptr<Discriminator> clone(Discriminator& d) {
  return clone_net(d);
}

void mask(Generator& full, const KeptChannels& kept) {
  mask_module(full.module(), full.channel_groups(), kept);
}

void mask(Discriminator& full, const KeptChannels& kept) {
  mask_module(full.module(), full.channel_groups(), kept);
}

std::unique_ptr<Discriminator> Discriminator::with_widths(const std::map<std::string, int64_t>&) const {
  throw ModelError("this discriminator cannot be narrowed (it lists no channel groups)");
}

} // namespace gs::models
