// Internal to core/prune: the gradient-based scorers (content-aware, diversity-aware) and shared channel reductions.
#pragma once
#include "core/prune/scorer.h"

#include <map>

namespace gs::prune {

using TensorLookup = std::map<std::string, at::Tensor>; // state_dict name -> parameter or buffer

TensorLookup named_tensors(torch::nn::Module& module);
// One value per channel of `slot` (width channels from its offset): the sum or mean over every other axis, as double.
at::Tensor channel_reduce(const at::Tensor& t, const models::ChannelSlot& slot, int64_t width, bool mean);
std::vector<double> to_vector(const at::Tensor& t);

// "content" or "diversity"; the method has been checked to apply.
ScoreResult gradient_scores(const std::string& method, models::Generator& g, const ScoreParams& params);

} // namespace gs::prune
