// A batch norm divides its input by the channel's standard deviation, so scaling a channel's producing weights by s
// changes nothing after it except through eps: with the running statistics moved to s·mean and s²·var, eval mode
// gives gamma·s(x - mean)/sqrt(s²var + eps), which gamma' = gamma·sqrt(s²var + eps)/(s·sqrt(var + eps)) restores.
// Per-sample normalisations (scale-free groups) have no statistics to move: the producers are rescaled alone.
#include "core/prune/weight_scale.h"

#include "core/prune/gradient_scorers.h"

#include <torch/torch.h>

#include <cmath>

namespace gs::prune {
namespace {

using models::ChannelGroup;
using models::SlotRole;

std::string prefix_of(const std::string& tensor) {
  return tensor.substr(0, tensor.rfind('.'));
}

bool selected(const models::ChannelSlot& slot, const models::ChannelSlot* only) {
  return slot.role == SlotRole::Producer && (!only || slot.tensor == only->tensor);
}

// Sum of squares of each channel's entries over the group's producing weights (or only one of them), in double.
at::Tensor producer_energy(const ChannelGroup& group, const TensorLookup& tensors, const models::ChannelSlot* only) {
  at::Tensor total = torch::zeros({group.width}, torch::kDouble);
  for (const auto& slot : group.slots)
    if (selected(slot, only)) total += channel_reduce(tensors.at(slot.tensor).pow(2), slot, group.width, false);
  return total;
}

void scale_channels(at::Tensor t, const models::ChannelSlot& slot, const at::Tensor& s) {
  std::vector<int64_t> shape(static_cast<size_t>(t.dim()), 1);
  shape[static_cast<size_t>(slot.dim)] = s.size(0);
  t.narrow(slot.dim, slot.offset, s.size(0)).mul_(s.to(t.options()).view(shape));
}

struct Matched {
  at::Tensor factors; // per channel; 1 where the weights are all zero
  int64_t live = 0;   // channels with nonzero weights, the ones rescaled
};

// Scales each channel's producing weights (or one producer's), and their layer's bias, to the reference's energy.
Matched match_producers(const ChannelGroup& group, const TensorLookup& tensors, const TensorLookup& ref,
                        const models::ChannelSlot* only) {
  const at::Tensor have = producer_energy(group, tensors, only), want = producer_energy(group, ref, only);
  const at::Tensor live = have > 0;
  const at::Tensor s = at::where(live, (want / have.clamp_min(1e-300)).sqrt(), at::ones_like(have));
  for (const auto& slot : group.slots) {
    if (!selected(slot, only)) continue;
    scale_channels(tensors.at(slot.tensor), slot, s);
    const auto bias = tensors.find(prefix_of(slot.tensor) + ".bias");
    if (bias != tensors.end()) scale_channels(bias->second, {bias->first, 0, slot.offset}, s);
  }
  return {s, live.sum().item<int64_t>()};
}

torch::nn::BatchNorm2dImpl* batch_norm_at(torch::nn::Module& root, const std::string& name) {
  for (const auto& m : root.named_modules())
    if (m.key() == name) return m.value()->as<torch::nn::BatchNorm2dImpl>();
  return nullptr;
}

} // namespace

int64_t match_weight_scale(models::Generator& g, models::Generator& reference) {
  torch::NoGradGuard no_grad;
  const TensorLookup tensors = named_tensors(g.module()), ref = named_tensors(reference.module());
  int64_t rescaled = 0;
  for (const ChannelGroup& group : g.channel_groups()) {
    const models::ChannelSlot* norm_scale = nullptr;
    for (const auto& slot : group.slots)
      if (slot.role == SlotRole::NormScale) norm_scale = &slot;
    const std::string norm = norm_scale ? prefix_of(norm_scale->tensor) : std::string();
    torch::nn::BatchNorm2dImpl* bn = norm_scale ? batch_norm_at(g.module(), norm) : nullptr;
    if (!bn && !group.scale_free) continue;
    if (!bn) {
      // Each producer has its own norm behind it (CycleGAN's residual stream has several): rescale them one by one.
      for (const auto& slot : group.slots)
        if (slot.role == SlotRole::Producer) rescaled += match_producers(group, tensors, ref, &slot).live;
      continue;
    }
    const Matched matched = match_producers(group, tensors, ref, nullptr);
    rescaled += matched.live;
    const at::Tensor& s = matched.factors;

    const at::Tensor var = tensors.at(norm + ".running_var").to(torch::kDouble);
    const double eps = bn->options.eps();
    const at::Tensor gamma_fix = ((s * s * var + eps) / (var + eps)).sqrt() / s;
    scale_channels(tensors.at(norm + ".running_mean"), *norm_scale, s);
    scale_channels(tensors.at(norm + ".running_var"), *norm_scale, s * s);
    scale_channels(tensors.at(norm_scale->tensor), *norm_scale, gamma_fix);
  }
  return rescaled;
}

} // namespace gs::prune
