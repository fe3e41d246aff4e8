// The normalisation choices of the pix2pix/CycleGAN code (get_norm_layer) and what follows from them.
#pragma once
#include "core/models/direct_kernel.h"
#include "core/models/generator.h"
#include "core/models/state_loading.h"

#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/container/any.h>

#include <vector>

namespace gs::models {

// batch: BatchNorm2d (affine, running statistics); instance: InstanceNorm2d without affine or statistics; none.
enum class NormKind { Batch, Instance, None };
NormKind norm_from_name(const std::string& name); // throws ModelError for anything else
const char* norm_name(NormKind kind);

// Upstream gives convolutions a bias only when the norm is instance norm (the others cancel or lack it).
inline bool conv_bias(NormKind kind) {
  return kind == NormKind::Instance;
}

// A norm module for `channels` (Identity for none), to push into a Sequential at the same index as upstream.
torch::nn::AnyModule make_norm(NormKind kind, int64_t channels);

// TorchScript expression applying the norm at state_dict prefix `prefix` (dotted) to `x`, in eval mode.
std::string torchscript_norm(NormKind kind, const std::string& prefix, const std::string& x);
// "self.<name with dots as underscores>": how an exported TorchScript module names a state_dict tensor.
std::string torchscript_tensor(const std::string& name);

// The per-channel tensors a norm holds, as channel-group slots (none for instance/none); instance norm makes the
// group scale-free.
void add_norm_slots(ChannelGroup& group, NormKind kind, const std::string& prefix);

// Reads the norm from a state dict: a norm's affine weight at `norm_prefix` means batch; a bias on the convolution at
// `conv_prefix` means instance; neither means none.
NormKind detect_norm(const TensorMap& tensors, const std::string& conv_prefix, const std::string& norm_prefix);

// Whether `norm` can be applied as the affine map of its running statistics: none (null), or a batch norm in eval mode
// that has them.
bool applies_as_affine(const torch::nn::BatchNorm2dImpl* norm);

// How the direct routes read each of `channels` channels while laying them out: leaky_relu(norm(v), slope), with
// `norm` null for none (and slope 1 for no activation). Needs applies_as_affine(norm).
std::vector<direct::ReadAs> channel_reads(const torch::nn::BatchNorm2dImpl* norm, int64_t channels, float slope);

// Older checkpoints carry running statistics of instance norms, which current upstream drops when loading
// (__patch_instance_norm_state_dict): a running_mean / running_var / num_batches_tracked without an affine weight
// beside it. Drops them and appends a note.
void drop_instance_norm_statistics(TensorMap& tensors, std::vector<std::string>& notes);

} // namespace gs::models
