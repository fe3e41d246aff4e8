// Local-density pruning with collaborating generator and discriminator agents (after Ganjdanesh et al., AAAI 2024;
// only the abstract is public, so the choices below are ours and exposed as parameters — docs/methods.md lists them).
//
// Each step: the unpruned teacher's outputs for a batch are grouped into neighbourhoods (each "centre" sample with
// its k nearest others in the teacher discriminator's pooled penultimate features). The student is the teacher with
// relaxed channel masks: genG, a GRU over learnable per-group tokens, gives per-channel logits from which
// Gumbel-sigmoid masks are drawn. Within every neighbourhood a discriminator that sees (centre, sample) pairs (the
// model's discriminator plus a projection term <psi(centre features), sample features>) learns to tell the teacher's
// outputs for the neighbours' inputs from the student's; the student's agent learns to fool it and, beside that, to
// match the teacher's local density directly (Gaussian-kernel MMD per neighbourhood, bandwidth the median distance).
// genD masks the discriminator the same way; each agent also reads the other's current kept-width ratios per layer
// (peer feedback). Budget terms push both mask sets towards their MAC targets; pruning stops when both are met.
#pragma once
#include "core/prune/mac_model.h"
#include "core/prune/scorer.h"
#include "core/train/objectives.h"

namespace gs::prune {

struct AgentProgress {
  int64_t step = 0;
  int64_t g_macs = 0, d_macs = 0; // of the channels the hard masks keep (d_macs 0 when D is not pruned)
  double d_loss = 0;              // local adversarial loss of the discriminator, mean over the last interval
  double g_adv = 0, kernel = 0;   // the student's adversarial and kernel terms, same interval
  ChannelScores keep;             // generator channels' keep probabilities
};

struct AgentParams {
  Budget target;                   // generator budget (macs > 0 required)
  double d_share = -1;             // discriminator budget as a share of its MACs; < 0: the generator's share
  bool prune_discriminator = true; // false: genG alone against a full discriminator (the baseline)
  int64_t max_steps = 3000;        // at the last step, channels least likely kept go until the budgets hold
  int64_t min_steps = 200;  // the agents learn at least this long, even when the budgets are met earlier (choice)
  int64_t batch = 16;       // samples per step, centres and neighbours alike
  int64_t centres = 4;      // neighbourhoods per step (choice)
  int64_t neighbours = 4;   // k (choice)
  double temperature = 0.4; // Gumbel-sigmoid (choice)
  double lr = 2e-3;         // Adam on the agents (choice)
  double d_lr = 2e-4;       // Adam on the discriminator and its projection
  double adversarial = 1, kernel = 1;
  double budget = 2; // initial weight of each budget term; grows 10% every 10 steps spent over budget (choice)
  train::Adversarial loss = train::Adversarial::Logistic;
  uint64_t seed = 0;
  InputSource inputs;                                    // empty: seeded latents
  std::function<void(const AgentProgress&)> on_progress; // every 10 steps
  const std::atomic<bool>* abort = nullptr;
};

struct AgentResult {
  ChannelScores scores;              // generator channels' keep probabilities
  ChannelScores d_scores;            // discriminator channels' (empty when it was not pruned)
  models::KeptChannels kept, d_kept; // d_kept empty when the discriminator was not pruned
  int64_t steps = 0, g_macs = 0, g_outputs = 0, d_macs = 0, d_target = 0;
  bool reached = false; // the hard masks met both budgets; otherwise the least likely channels were cut to meet them
  bool cancelled = false;
};

// `teacher` and `teacher_d` (its discriminator, whose features define the neighbourhoods) stay unchanged; `d` (a copy
// of teacher_d) is trained in place as the local adversary, and slicing it to d_kept materialises the pruned
// discriminator. Throws std::invalid_argument for a target not below the generator's MACs, a batch too small for
// the neighbourhoods, or an image-to-image model without inputs.
AgentResult agent_prune(models::Generator& teacher, models::Discriminator& teacher_d, models::Discriminator& d,
                        const AgentParams& params);

} // namespace gs::prune
