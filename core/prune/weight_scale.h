// Internal to core/prune: giving learned weights back the scale of the model they were learned from.
#pragma once
#include "core/models/generator.h"

namespace gs::prune {

// Rescales, for every channel group that a batch norm normalises or that is scale-free, each channel's producing
// weights (and bias) to the root-mean-square that `reference` (same architecture and widths) has for that channel,
// and moves a batch norm's running statistics and gamma with them, so that `g` computes the same function in eval
// mode (scale-free groups: up to the norm's eps). Channels whose weights are all zero are left alone. Returns the
// number of channels rescaled (counted once per producing layer).
int64_t match_weight_scale(models::Generator& g, models::Generator& reference);

} // namespace gs::prune
