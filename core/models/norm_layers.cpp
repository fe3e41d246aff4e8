// Normalisation helpers for the pix2pix / CycleGAN family.
#include "core/models/norm_layers.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>

namespace gs::models {

NormKind norm_from_name(const std::string& name) {
  if (name == "batch") return NormKind::Batch;
  if (name == "instance") return NormKind::Instance;
  if (name == "none") return NormKind::None;
  throw ModelError("unknown norm '" + name + "' (batch, instance, none)");
}

const char* norm_name(NormKind kind) {
  switch (kind) {
  case NormKind::Batch:
    return "batch";
  case NormKind::Instance:
    return "instance";
  case NormKind::None:
    return "none";
  }
  return "none";
}

bool applies_as_affine(const torch::nn::BatchNorm2dImpl* norm) {
  return !norm || (!norm->is_training() && norm->running_mean.defined() && norm->running_var.defined());
}

std::vector<direct::ReadAs> channel_reads(const torch::nn::BatchNorm2dImpl* norm, int64_t channels, float slope) {
  std::vector<direct::ReadAs> reads(channels, direct::ReadAs{norm || slope != 1.0f, 1.0f, 0.0f, slope});
  if (!norm) return reads;
  const at::Tensor mean = norm->running_mean.contiguous(), var = norm->running_var.contiguous();
  const at::Tensor weight = norm->weight.defined() ? norm->weight.contiguous() : at::Tensor();
  const at::Tensor bias = norm->bias.defined() ? norm->bias.contiguous() : at::Tensor();
  // The pointers once per layer (data_ptr checks the tensor on every call).
  const float *m = mean.data_ptr<float>(), *v = var.data_ptr<float>();
  const float* w = weight.defined() ? weight.data_ptr<float>() : nullptr;
  const float* b = bias.defined() ? bias.data_ptr<float>() : nullptr;
  const double eps = norm->options.eps();
  for (int64_t c = 0; c < channels; ++c) {
    const double scale = (w ? w[c] : 1.0) / std::sqrt(v[c] + eps);
    reads[c].scale = static_cast<float>(scale);
    reads[c].shift = static_cast<float>((b ? b[c] : 0.0) - m[c] * scale);
  }
  return reads;
}

std::string torchscript_tensor(const std::string& name) {
  std::string flat = name;
  std::replace(flat.begin(), flat.end(), '.', '_');
  return "self." + flat;
}

std::string torchscript_norm(NormKind kind, const std::string& prefix, const std::string& x) {
  auto t = [&](const char* leaf) { return torchscript_tensor(prefix + leaf); };
  switch (kind) {
  case NormKind::Batch:
    return "torch.batch_norm(" + x + ", " + t(".weight") + ", " + t(".bias") + ", " + t(".running_mean") + ", " +
           t(".running_var") + ", False, 0.1, 1e-5, False)";
  case NormKind::Instance:
    return "torch.instance_norm(" + x + ", None, None, None, None, True, 0.1, 1e-5, False)";
  case NormKind::None:
    break;
  }
  return x;
}

torch::nn::AnyModule make_norm(NormKind kind, int64_t channels) {
  switch (kind) {
  case NormKind::Batch:
    return torch::nn::AnyModule(torch::nn::BatchNorm2d(channels));
  case NormKind::Instance:
    return torch::nn::AnyModule(torch::nn::InstanceNorm2d(channels));
  case NormKind::None:
    break;
  }
  return torch::nn::AnyModule(torch::nn::Identity());
}

void add_norm_slots(ChannelGroup& group, NormKind kind, const std::string& prefix) {
  group.scale_free = group.scale_free || kind == NormKind::Instance;
  if (kind != NormKind::Batch) return;
  group.slots.push_back({prefix + ".weight", 0, 0, SlotRole::NormScale});
  for (const char* t : {".bias", ".running_mean", ".running_var"}) group.slots.push_back({prefix + t, 0});
}

NormKind detect_norm(const TensorMap& tensors, const std::string& conv_prefix, const std::string& norm_prefix) {
  if (tensors.count(norm_prefix + ".weight")) return NormKind::Batch;
  if (tensors.count(conv_prefix + ".bias")) return NormKind::Instance;
  return NormKind::None;
}

void drop_instance_norm_statistics(TensorMap& tensors, std::vector<std::string>& notes) {
  size_t dropped = 0;
  for (auto it = tensors.begin(); it != tensors.end();) {
    const std::string& name = it->first;
    const auto dot = name.rfind('.');
    const std::string leaf = dot == std::string::npos ? name : name.substr(dot + 1);
    const bool stat = leaf == "running_mean" || leaf == "running_var" || leaf == "num_batches_tracked";
    if (stat && dot != std::string::npos && !tensors.count(name.substr(0, dot) + ".weight")) {
      it = tensors.erase(it);
      ++dropped;
    } else {
      ++it;
    }
  }
  if (dropped)
    notes.push_back("dropped " + std::to_string(dropped) +
                    " instance-norm running statistics that older pix2pix/CycleGAN versions saved; current upstream "
                    "drops them on load too");
}

} // namespace gs::models
