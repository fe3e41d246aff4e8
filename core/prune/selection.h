// Turning channel scores into kept indices: uniform or global policies, with manual overrides per channel.
#pragma once
#include "core/prune/scorer.h"

#include <optional>

namespace gs::prune {

enum class Policy {
  Uniform, // every group loses floor(width x sparsity) of its lowest-scoring channels (DCP-GAN's default)
  Global,  // one threshold across scores normalised by each group's maximum, each group keeping >= min_width
};
const char* policy_name(Policy p); // "uniform", "global"
std::optional<Policy> policy_from_name(const std::string& name);

struct Selection {
  Policy policy = Policy::Uniform;
  double sparsity = 0.5; // share of channels removed, in [0, 1)
  int64_t min_width = 1; // global policy: no group narrower than this
  // Manual decisions that win over scores: group -> channel -> true (keep) / false (prune).
  std::map<std::string, std::map<int64_t, bool>> overrides;
};

// {"policy", "sparsity", "min_width", "overrides": {group: {"keep": [...], "prune": [...]}}}, as scores.json and
// config.json store it. Reading fills defaults for absent keys and throws std::invalid_argument naming an unknown key,
// a wrong type or an unknown policy.
nlohmann::json selection_to_json(const Selection& s);
Selection selection_from_json(const nlohmann::json& j);

// Throws std::invalid_argument before selecting when the sparsity is outside [0, 1), scores are missing or have the
// wrong length for a group, an override names an unknown group or channel, or the result would empty a group.
// Ties go to the lower channel index, so equal scores give a reproducible plan.
models::KeptChannels select_channels(const std::vector<models::ChannelGroup>& groups, const ChannelScores& scores,
                                     const Selection& selection);

} // namespace gs::prune
