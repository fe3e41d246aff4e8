// MACs as a function of channel-group widths, read off a cost report and the groups' slots: each counted layer's MACs
// scale with the kept share of every axis of its weight that carries channel groups. Exact for whole widths (a test
// checks it against with_widths()->cost() on every architecture) and differentiable for expected widths.
#pragma once
#include "core/prune/scorer.h"

namespace gs::prune {

class MacModel {
public:
  MacModel() = default;
  // `tensors`: the module's state dict (shapes only are read).
  MacModel(const models::CostReport& cost, const std::vector<models::ChannelGroup>& groups,
           const std::map<std::string, at::Tensor>& tensors);
  int64_t full() const { return full_; }
  // Whole widths; groups that are absent keep their full width.
  int64_t macs(const std::map<std::string, int64_t>& widths) const;
  // Expected widths as 0-d tensors (differentiable); groups that are absent keep their full width.
  at::Tensor macs(const std::map<std::string, at::Tensor>& widths) const;

private:
  struct Part {
    std::string group;
    int64_t width;
  };
  struct Axis {
    int64_t size;
    std::vector<Part> parts;
  };
  struct Layer {
    double macs;
    std::vector<Axis> axes;
  };
  std::vector<Layer> layers_;
  int64_t full_ = 0;
};

// Tops `kept` back up towards `target`: dropped channels return, highest `priority` first, while the MACs stay within
// it. A learned method's last step usually drops many channels at once and lands well under its budget; this makes
// methods compare at (nearly) equal MACs.
models::KeptChannels fill_budget(const MacModel& cost, const std::vector<models::ChannelGroup>& groups,
                                 models::KeptChannels kept, const ChannelScores& priority, int64_t target);

// The most likely channels that fit `target`: channels go, least `priority` first, until the MACs are within it (at
// least one per group stays).
models::KeptChannels trim_to_budget(const MacModel& cost, const std::vector<models::ChannelGroup>& groups,
                                    const ChannelScores& priority, int64_t target);

} // namespace gs::prune
