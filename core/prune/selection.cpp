// Selection policies. Overrides are applied first; scores decide the rest.
#include "core/prune/selection.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace gs::prune {
namespace {

struct Candidate {
  double score;
  size_t group;
  int64_t channel;
};

void check_inputs(const std::vector<models::ChannelGroup>& groups, const ChannelScores& scores,
                  const Selection& selection) {
  if (!(selection.sparsity >= 0 && selection.sparsity < 1))
    throw std::invalid_argument("sparsity must be in [0, 1), got " + std::to_string(selection.sparsity));
  if (selection.min_width < 1) throw std::invalid_argument("minimum width must be at least 1");
  for (const auto& g : groups) {
    const auto it = scores.find(g.name);
    if (it == scores.end()) throw std::invalid_argument("no scores for channel group " + g.name);
    if (static_cast<int64_t>(it->second.size()) != g.width)
      throw std::invalid_argument("group " + g.name + " has " + std::to_string(g.width) + " channels but " +
                                  std::to_string(it->second.size()) + " scores");
  }
  for (const auto& [name, channels] : selection.overrides) {
    const auto g = std::find_if(groups.begin(), groups.end(), [&](const auto& x) { return x.name == name; });
    if (g == groups.end()) throw std::invalid_argument("override names unknown channel group " + name);
    for (const auto& [c, keep] : channels)
      if (c < 0 || c >= g->width)
        throw std::invalid_argument("override channel " + std::to_string(c) + " is outside group " + name + " (width " +
                                    std::to_string(g->width) + ")");
  }
}

// Channels of one group in pruning order (lowest score first, ties to the higher index so lower indices survive).
std::vector<int64_t> pruning_order(const std::vector<double>& s) {
  std::vector<int64_t> order(s.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](int64_t a, int64_t b) { return s[a] < s[b] || (s[a] == s[b] && a > b); });
  return order;
}

} // namespace

const char* policy_name(Policy p) {
  return p == Policy::Uniform ? "uniform" : "global";
}

std::optional<Policy> policy_from_name(const std::string& name) {
  if (name == "uniform") return Policy::Uniform;
  if (name == "global") return Policy::Global;
  return std::nullopt;
}

nlohmann::json selection_to_json(const Selection& s) {
  nlohmann::json overrides = nlohmann::json::object();
  for (const auto& [group, channels] : s.overrides) {
    nlohmann::json keep = nlohmann::json::array(), prune = nlohmann::json::array();
    for (const auto& [c, k] : channels) (k ? keep : prune).push_back(c);
    overrides[group] = {{"keep", keep}, {"prune", prune}};
  }
  return {{"policy", policy_name(s.policy)},
          {"sparsity", s.sparsity},
          {"min_width", s.min_width},
          {"overrides", overrides}};
}

Selection selection_from_json(const nlohmann::json& j) {
  if (!j.is_object()) throw std::invalid_argument("selection must be a JSON object");
  Selection s;
  for (const auto& [key, v] : j.items()) {
    try {
      if (key == "policy") {
        const auto p = policy_from_name(v.get<std::string>());
        if (!p) throw std::invalid_argument("selection.policy must be uniform or global");
        s.policy = *p;
      } else if (key == "sparsity") {
        s.sparsity = v.get<double>();
      } else if (key == "min_width") {
        s.min_width = v.get<int64_t>();
      } else if (key == "overrides") {
        for (const auto& [group, o] : v.items())
          for (const auto& [which, channels] : o.items()) {
            if (which != "keep" && which != "prune")
              throw std::invalid_argument("unknown key selection.overrides." + group + "." + which);
            for (int64_t c : channels.get<std::vector<int64_t>>()) s.overrides[group][c] = which == "keep";
          }
      } else {
        throw std::invalid_argument("unknown config key selection." + key);
      }
    } catch (const nlohmann::json::exception&) {
      throw std::invalid_argument("selection." + key + " has the wrong type");
    }
  }
  return s;
}

models::KeptChannels select_channels(const std::vector<models::ChannelGroup>& groups, const ChannelScores& scores,
                                     const Selection& selection) {
  check_inputs(groups, scores, selection);
  // pruned[g][c]: decided so far; forced keeps can never be pruned.
  std::vector<std::vector<bool>> pruned(groups.size()), forced_keep(groups.size());
  std::vector<int64_t> remaining(groups.size());
  int64_t removed = 0, total = 0;
  for (size_t i = 0; i < groups.size(); ++i) {
    pruned[i].assign(groups[i].width, false);
    forced_keep[i].assign(groups[i].width, false);
    remaining[i] = groups[i].width;
    total += groups[i].width;
    if (auto it = selection.overrides.find(groups[i].name); it != selection.overrides.end())
      for (const auto& [c, keep] : it->second) {
        (keep ? forced_keep : pruned)[i][c] = true;
        if (!keep) --remaining[i], ++removed;
      }
  }
  auto prunable = [&](size_t g, int64_t c, int64_t floor_width) {
    return !pruned[g][c] && !forced_keep[g][c] && remaining[g] > floor_width;
  };
  auto prune = [&](size_t g, int64_t c) {
    pruned[g][c] = true;
    --remaining[g];
  };

  if (selection.policy == Policy::Uniform) {
    for (size_t i = 0; i < groups.size(); ++i) {
      const int64_t target = groups[i].width - static_cast<int64_t>(std::floor(groups[i].width * selection.sparsity));
      for (int64_t c : pruning_order(scores.at(groups[i].name)))
        if (prunable(i, c, std::max<int64_t>(target, 1))) prune(i, c);
    }
  } else {
    const auto goal = static_cast<int64_t>(std::floor(static_cast<double>(total) * selection.sparsity));
    std::vector<Candidate> all;
    for (size_t i = 0; i < groups.size(); ++i) {
      const auto& s = scores.at(groups[i].name);
      double top = 0;
      for (double v : s) top = std::max(top, std::abs(v));
      for (int64_t c : pruning_order(s)) all.push_back({top > 0 ? s[c] / top : 0.0, i, c});
    }
    std::stable_sort(all.begin(), all.end(), [](const Candidate& a, const Candidate& b) { return a.score < b.score; });
    for (const auto& cand : all) {
      if (removed >= goal) break;
      if (prunable(cand.group, cand.channel, selection.min_width)) {
        prune(cand.group, cand.channel);
        ++removed;
      }
    }
  }

  models::KeptChannels kept;
  for (size_t i = 0; i < groups.size(); ++i) {
    auto& k = kept[groups[i].name];
    for (int64_t c = 0; c < groups[i].width; ++c)
      if (!pruned[i][c]) k.push_back(c);
    if (k.empty()) throw std::invalid_argument("the manual overrides prune every channel of group " + groups[i].name);
  }
  return kept;
}

} // namespace gs::prune
