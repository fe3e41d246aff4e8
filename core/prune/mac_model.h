// MACs as a function of channel-group widths, read off a cost report and the groups' slots: each counted layer's MACs
// scale with the kept share of every axis of its weight that carries channel groups. Exact for whole widths (a test
// checks it against with_widths()->cost() on every architecture) and differentiable for expected widths.
#pragma once
#include "core/prune/scorer.h"

namespace gs::prune {

// What a learned method may spend: MACs, and the values its layers write per sample (0: not limited; only with
// learn.output_budget, which measurably bought no speed per MAC on the DCGAN demo: docs/compression.md).
struct Budget {
  int64_t macs = 0;
  int64_t outputs = 0;
  // How `macs` counts transposed convolutions. By input counts the multiplications performed, which is what the
  // students' latency follows (docs/compression.md, pix2pix); by output is the papers' count.
  models::MacConvention convention = models::MacConvention::TransposedByOutput;
};

class MacModel {
public:
  MacModel() = default;
  // `tensors`: the module's state dict (shapes only are read).
  MacModel(const models::CostReport& cost, const std::vector<models::ChannelGroup>& groups,
           const std::map<std::string, at::Tensor>& tensors);
  int64_t full() const { return full_; }
  int64_t full_outputs() const { return full_outputs_; }
  // Whole widths; groups that are absent keep their full width.
  int64_t macs(const std::map<std::string, int64_t>& widths) const;
  int64_t outputs(const std::map<std::string, int64_t>& widths) const;
  bool fits(const std::map<std::string, int64_t>& widths, const Budget& budget) const;
  // Expected widths as 0-d tensors (differentiable); groups that are absent keep their full width.
  at::Tensor macs(const std::map<std::string, at::Tensor>& widths) const;
  at::Tensor outputs(const std::map<std::string, at::Tensor>& widths) const;
  // How far expected widths are over `budget`: the sum of each limit's relative excess (0 within it).
  at::Tensor excess(const std::map<std::string, at::Tensor>& widths, const Budget& budget) const;

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
    double outputs;
    std::vector<Axis> axes;
    int out_axis; // index into axes of the output channels' axis; -1 when no group narrows it
  };
  static double kept_share(const Axis& axis, const std::map<std::string, int64_t>& widths);
  static at::Tensor kept_share(const Axis& axis, const std::map<std::string, at::Tensor>& widths);
  template <class Widths, class Value> Value total(const Widths& widths, bool outputs) const;
  std::vector<Layer> layers_;
  int64_t full_ = 0, full_outputs_ = 0;
};

// Tops `kept` back up towards `budget`: dropped channels return, highest `priority` first, while the cost stays
// within it. A learned method's last step usually drops many channels at once and lands well under its budget; this
// makes methods compare at (nearly) equal MACs.
models::KeptChannels fill_budget(const MacModel& cost, const std::vector<models::ChannelGroup>& groups,
                                 models::KeptChannels kept, const ChannelScores& priority, const Budget& budget);

// The most likely channels that fit `budget`: channels go, least `priority` first, until the cost is within it (at
// least one per group stays).
models::KeptChannels trim_to_budget(const MacModel& cost, const std::vector<models::ChannelGroup>& groups,
                                    const ChannelScores& priority, const Budget& budget);

} // namespace gs::prune
