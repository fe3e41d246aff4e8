// See agents.h for the method. Both networks keep their full widths while the agents search: a relaxed mask scales
// the channels of every weight that reads a group (its consumer slots), so a mask of 0 removes the channel exactly as
// slicing would. The masked weights are written into the modules each step and their gradients carried back to the
// masks (and the discriminator's own weights) by the chain rule, like the hypernetwork of hypernet.cpp.
#include "core/prune/agents.h"

#include "core/models/channel_ops.h"
#include "core/models/registry.h"
#include "core/prune/gating.h"
#include "core/prune/gradient_scorers.h"
#include "core/prune/mac_model.h"

#include <torch/torch.h>

#include <limits>

namespace gs::prune {
namespace {

using models::ChannelGroup;

// Consumer weights of a network with their relaxed masks: base values kept aside, masked values written in.
class MaskedWeights {
public:
  // `train_free`: the parameters no mask touches are trained too (the discriminator), or frozen (the generator).
  MaskedWeights(torch::nn::Module& m, const std::vector<ChannelGroup>& groups, bool train_free) {
    const TensorLookup tensors = named_tensors(m);
    for (auto& p : m.parameters()) p.requires_grad_(train_free);
    std::map<std::string, size_t> index;
    for (size_t k = 0; k < groups.size(); ++k)
      for (const auto& slot : groups[k].slots) {
        if (slot.role != models::SlotRole::Consumer) continue;
        auto [it, fresh] = index.emplace(slot.tensor, weights_.size());
        if (fresh) {
          weights_.push_back({tensors.at(slot.tensor), tensors.at(slot.tensor).detach().clone(), {}});
          weights_.back().param.requires_grad_(true);
        }
        weights_[it->second].gates.push_back({k, slot.dim, slot.offset});
      }
    for (auto& p : m.named_parameters())
      if (train_free && !index.count(p.key())) free_.push_back(p.value());
  }

  // Writes base x masks into the module; returns the masked weights as expressions of the bases and masks.
  std::vector<at::Tensor> write(const std::vector<at::Tensor>& masks) {
    std::vector<at::Tensor> out;
    torch::NoGradGuard outside;
    for (auto& w : weights_) {
      at::Tensor t;
      {
        at::AutoGradMode on(true);
        t = w.base;
        for (const Gate& g : w.gates) t = gate_along(t, masks[g.group], g.dim, g.offset);
      }
      w.param.copy_(t.detach());
      out.push_back(t);
    }
    return out;
  }
  // Gradients of `loss` into the bases, the masks and the free parameters (those in `extra` too).
  void backward(const at::Tensor& loss, const std::vector<at::Tensor>& masked, const std::vector<at::Tensor>& extra,
                const at::Tensor& also) {
    std::vector<at::Tensor> inputs;
    for (const auto& w : weights_) inputs.push_back(w.param);
    for (const auto& f : free_) inputs.push_back(f);
    for (const auto& e : extra) inputs.push_back(e);
    backward_through_written(loss, inputs, masked, also);
  }
  void make_bases_trainable() {
    for (auto& w : weights_) w.base.requires_grad_(true);
  }
  std::vector<at::Tensor> trainable() const {
    std::vector<at::Tensor> out = free_;
    for (const auto& w : weights_) out.push_back(w.base);
    return out;
  }
  void restore() {
    torch::NoGradGuard no_grad;
    for (auto& w : weights_) w.param.copy_(w.base);
  }

private:
  struct Gate {
    size_t group;
    int64_t dim, offset;
  };
  struct Weight {
    at::Tensor param, base;
    std::vector<Gate> gates;
  };
  std::vector<Weight> weights_;
  std::vector<at::Tensor> free_;
};

// An agent: learnable tokens, one per group, read in order by a GRU whose outputs give each group's channel logits.
// The peer's kept-width ratios are appended to every token.
struct AgentImpl : torch::nn::Module {
  at::Tensor tokens;
  torch::nn::GRU gru{nullptr};
  std::vector<torch::nn::Linear> heads;
  static constexpr int64_t kToken = 16, kHidden = 32;

  AgentImpl(const std::vector<ChannelGroup>& groups, int64_t peer, at::Generator& gen) {
    const int64_t n = static_cast<int64_t>(groups.size());
    tokens = register_parameter("tokens", at::randn({n, kToken}, gen) * 0.1);
    gru = register_module("gru", torch::nn::GRU(torch::nn::GRUOptions(kToken + peer, kHidden)));
    for (size_t i = 0; i < groups.size(); ++i)
      heads.push_back(register_module("head" + std::to_string(i), torch::nn::Linear(kHidden, groups[i].width)));
    torch::NoGradGuard no_grad;
    const double bound = 1.0 / std::sqrt(static_cast<double>(kHidden));
    for (auto& p : gru->parameters()) p.copy_((at::rand(p.sizes(), gen) * 2 - 1) * bound);
    for (auto& h : heads) {
      h->weight.copy_(at::randn(h->weight.sizes(), gen) * 0.01);
      h->bias.fill_(2.0); // every channel starts kept with probability 0.88
    }
  }
  std::vector<at::Tensor> logits(const at::Tensor& peer) {
    at::Tensor x = tokens;
    if (peer.numel() > 0) x = torch::cat({x, peer.unsqueeze(0).expand({x.size(0), peer.numel()})}, 1);
    const at::Tensor out = std::get<0>(gru->forward(x.unsqueeze(1))).squeeze(1);
    std::vector<at::Tensor> l;
    for (size_t i = 0; i < heads.size(); ++i) l.push_back(heads[i]->forward(out[static_cast<int64_t>(i)]));
    return l;
  }
};
TORCH_MODULE(Agent);

std::vector<at::Tensor> gumbel_sigmoid(const std::vector<at::Tensor>& logits, double temperature, at::Generator& gen) {
  std::vector<at::Tensor> out;
  for (const auto& l : logits) {
    const at::Tensor u = at::rand(l.sizes(), gen).clamp(1e-6, 1 - 1e-6);
    out.push_back(torch::sigmoid((l + u.log() - (-u).log1p()) / temperature));
  }
  return out;
}

// Kept-width share per group (expected, detached): what the peer reads.
at::Tensor ratios(const std::vector<at::Tensor>& logits) {
  std::vector<at::Tensor> r;
  for (const auto& l : logits) r.push_back(torch::sigmoid(l.detach()).mean());
  return r.empty() ? torch::zeros({0}) : torch::stack(r);
}

std::map<std::string, at::Tensor> expected_widths(const std::vector<ChannelGroup>& groups,
                                                  const std::vector<at::Tensor>& logits) {
  std::map<std::string, at::Tensor> w;
  for (size_t i = 0; i < groups.size(); ++i) w[groups[i].name] = torch::sigmoid(logits[i]).sum();
  return w;
}

// Channels with a positive logit, at least the strongest one per group.
models::KeptChannels hard_kept(const std::vector<ChannelGroup>& groups, const std::vector<at::Tensor>& logits) {
  models::KeptChannels kept;
  for (size_t i = 0; i < groups.size(); ++i) {
    const at::Tensor l = logits[i].detach();
    auto& list = kept[groups[i].name];
    for (int64_t c = 0; c < groups[i].width; ++c)
      if (l[c].item<double>() > 0) list.push_back(c);
    if (list.empty()) list.push_back(l.argmax().item<int64_t>());
  }
  return kept;
}

ChannelScores probabilities(const std::vector<ChannelGroup>& groups, const std::vector<at::Tensor>& logits) {
  ChannelScores s;
  for (size_t i = 0; i < groups.size(); ++i) s[groups[i].name] = to_vector(torch::sigmoid(logits[i].detach()));
  return s;
}

// Biased (V-statistic, never negative) squared MMD between two sets of flattened images with a Gaussian kernel whose
// bandwidth is the median distance between the teacher's samples.
at::Tensor kernel_mmd(const at::Tensor& teacher, const at::Tensor& student) {
  const at::Tensor t = teacher.flatten(1), s = student.flatten(1);
  const at::Tensor dtt = torch::cdist(t, t).pow(2);
  const int64_t n = t.size(0);
  const at::Tensor off = dtt.detach().masked_select(~torch::eye(n, torch::kBool));
  const double sigma2 = std::max(off.numel() ? off.median().item<double>() : 1.0, 1e-8);
  auto k = [&](const at::Tensor& d2) { return torch::exp(-d2 / (2 * sigma2)).mean(); };
  return k(dtt) + k(torch::cdist(s, s).pow(2)) - 2 * k(torch::cdist(s, t).pow(2));
}

double to_double(const at::Tensor& t) {
  return t.defined() ? t.item<double>() : 0.0;
}

} // namespace

AgentResult agent_prune(models::Generator& teacher, models::Discriminator& teacher_d, models::Discriminator& d,
                        const AgentParams& p) {
  const models::InputSpec spec = teacher.input_spec();
  if (!p.inputs && spec.kind == models::InputSpec::Kind::Image)
    throw std::invalid_argument(std::string(models::arch_name(teacher.arch())) +
                                " takes images: pruning needs input data");
  if (p.centres < 1 || p.neighbours < 1 || p.batch < p.centres || p.batch < p.neighbours + 1)
    throw std::invalid_argument(
        "local-density pruning needs a batch of at least max(centres, neighbours + 1) samples (batch " +
        std::to_string(p.batch) + ", centres " + std::to_string(p.centres) + ", neighbours " +
        std::to_string(p.neighbours) + ")");
  if (p.temperature <= 0) throw std::invalid_argument("the Gumbel-sigmoid temperature must be positive");
  std::unique_ptr<models::Generator> work = models::clone(teacher);
  const auto g_groups = work->channel_groups();
  const MacModel g_cost(work->cost(p.target.convention), g_groups, named_tensors(work->module()));
  if (p.target.macs <= 0 || p.target.macs >= g_cost.full())
    throw std::invalid_argument("the MAC target must be positive and below the model's " +
                                std::to_string(g_cost.full()));
  const Budget& g_budget = p.target;
  Budget d_budget;

  AgentResult r;
  auto d_input = [&](const at::Tensor& x, const at::Tensor& y) {
    return models::discriminator_input(teacher.arch(), x, y);
  };
  auto gen = at::make_generator<at::CPUGeneratorImpl>(p.seed + 23);
  auto latent_gen = at::make_generator<at::CPUGeneratorImpl>(p.seed);
  const InputSource inputs = p.inputs ? p.inputs : [&](int64_t, int64_t n) {
    return at::randn({n, spec.shape.at(0)}, latent_gen);
  };

  const std::vector<ChannelGroup> d_groups = p.prune_discriminator ? d.channel_groups() : std::vector<ChannelGroup>{};
  if (p.prune_discriminator && d_groups.empty())
    throw std::invalid_argument("this discriminator cannot be narrowed: set prune_discriminator to false");
  const bool prune_d = !d_groups.empty();

  work->module().eval();
  teacher.module().eval();
  teacher_d.module().eval();
  d.module().train();
  MaskedWeights g_masked(work->module(), g_groups, false), d_masked(d.module(), d_groups, true);
  d_masked.make_bases_trainable();

  Agent gen_g(g_groups, prune_d ? static_cast<int64_t>(d_groups.size()) : 0, gen);
  Agent gen_d{nullptr};
  if (prune_d) gen_d = Agent(d_groups, static_cast<int64_t>(g_groups.size()), gen);
  // A batch of as many samples as there are pairs: discriminators that take fixed batch multiples (StyleGAN2's
  // minibatch deviation) refuse a bad centres x neighbours here, before any learning.
  const int64_t feature_width = [&] {
    torch::NoGradGuard no_grad;
    const at::Tensor x = inputs(0, p.centres * p.neighbours);
    return d.features(d_input(x, teacher.forward(x))).size(1);
  }();
  torch::nn::Linear psi(torch::nn::LinearOptions(feature_width, feature_width).bias(false));
  {
    torch::NoGradGuard no_grad;
    psi->weight.zero_(); // starts as the plain discriminator
  }
  std::vector<at::Tensor> d_train = d_masked.trainable();
  d_train.push_back(psi->weight);
  torch::optim::Adam d_opt(d_train, torch::optim::AdamOptions(p.d_lr).betas({0.5, 0.999}));
  torch::optim::Adam g_agent_opt(gen_g->parameters(), torch::optim::AdamOptions(p.lr));
  std::unique_ptr<torch::optim::Adam> d_agent_opt;
  if (prune_d) d_agent_opt = std::make_unique<torch::optim::Adam>(gen_d->parameters(), torch::optim::AdamOptions(p.lr));

  MacModel d_cost;
  double d_share = p.d_share;
  std::vector<at::Tensor> d_logits;
  std::vector<at::Tensor> g_logits =
      gen_g->logits(prune_d ? torch::ones({static_cast<int64_t>(d_groups.size())}) : torch::zeros({0}));
  // Pair logits: the discriminator on the sample plus the projection of the centre's pooled features onto the
  // sample's.
  auto pair_logits = [&](const at::Tensor& centre_pooled, const at::Tensor& sample) {
    const at::Tensor f = d.features(sample);
    return d.head(f).reshape({f.size(0), -1}).mean(1) + (psi->forward(centre_pooled) * f.mean({2, 3})).sum(1);
  };

  // Budget weights grow 10% at every check that finds the hard masks over budget, so the budget always wins in the
  // end (like coronet's growing proximal step) while the quality terms decide which channels go. The terms see
  // expected widths, which can sit within budget while the hard masks (probability > 1/2) do not; each such check
  // also aims the terms 1% lower, so they keep pulling until the hard masks follow.
  double g_pressure = p.budget, d_pressure = p.budget;
  double g_aim = 1, d_aim = 1;
  auto scaled = [](const Budget& b, double aim) {
    return Budget{static_cast<int64_t>(static_cast<double>(b.macs) * aim),
                  static_cast<int64_t>(static_cast<double>(b.outputs) * aim), b.convention};
  };
  double sum_d = 0, sum_adv = 0, sum_kernel = 0;
  int64_t since = 0;
  ChannelScores last_g_keep, last_d_keep;
  std::map<std::string, int64_t> g_widths; // of r.kept
  auto count_g = [&] {
    g_widths = models::widths_after(g_groups, r.kept);
    r.g_macs = g_cost.macs(g_widths);
    r.g_outputs = g_cost.outputs(g_widths);
  };
  // The hard masks of these logits (D's empty when it is not pruned or not drawn yet), their MACs and probabilities.
  auto read_masks = [&](const std::vector<at::Tensor>& gl, const std::vector<at::Tensor>& dl) {
    r.kept = hard_kept(g_groups, gl);
    count_g();
    last_g_keep = probabilities(g_groups, gl);
    if (!prune_d || dl.empty()) return;
    r.d_kept = hard_kept(d_groups, dl);
    r.d_macs = d_cost.macs(models::widths_after(d_groups, r.d_kept));
    last_d_keep = probabilities(d_groups, dl);
  };
  for (int64_t step = 0; step < p.max_steps; ++step) {
    if (p.abort && p.abort->load()) {
      r.cancelled = true;
      break;
    }
    const at::Tensor x = inputs(step, p.batch);
    at::Tensor t, neighbourhoods;
    {
      torch::NoGradGuard no_grad;
      t = teacher.forward(x);
      const at::Tensor f = teacher_d.features(d_input(x, t)).mean({2, 3});
      at::Tensor dist = torch::cdist(f, f);
      dist.fill_diagonal_(std::numeric_limits<double>::infinity());
      neighbourhoods = std::get<1>(dist.slice(0, 0, p.centres).topk(p.neighbours, 1, false)); // [centres, k]
    }
    if (step == 0 && prune_d) {
      const models::CostReport dc = d.cost(t.size(2));
      d_cost = MacModel(dc, d_groups, named_tensors(d.module()));
      if (d_share < 0) d_share = static_cast<double>(p.target.macs) / static_cast<double>(g_cost.full());
      r.d_target = static_cast<int64_t>(d_share * static_cast<double>(d_cost.full()));
      d_budget.macs = r.d_target;
    }
    d_logits = prune_d ? gen_d->logits(ratios(g_logits)) : std::vector<at::Tensor>{};
    g_logits = gen_g->logits(prune_d ? ratios(d_logits) : torch::zeros({0}));
    const auto g_masks = gumbel_sigmoid(g_logits, p.temperature, gen);
    const auto d_masks = gumbel_sigmoid(d_logits, p.temperature, gen);

    const auto g_weights = g_masked.write(g_masks);
    const at::Tensor s = work->forward(x);
    const at::Tensor idx = neighbourhoods.flatten();
    const at::Tensor xs = x.index_select(0, idx);

    // The discriminator, its projection and genD: tell the teacher's neighbours from the student's.
    const auto d_weights = d_masked.write(d_masks);
    const at::Tensor centre = [&] {
      torch::NoGradGuard no_grad;
      const at::Tensor c = d.features(d_input(x.slice(0, 0, p.centres), t.slice(0, 0, p.centres))).mean({2, 3});
      return c.repeat_interleave(p.neighbours, 0);
    }();
    const at::Tensor d_loss =
        train::discriminator_loss(p.loss, pair_logits(centre, d_input(xs, t.index_select(0, idx))),
                                  pair_logits(centre, d_input(xs, s.detach().index_select(0, idx))));
    at::Tensor d_over;
    if (prune_d) d_over = d_pressure * d_cost.excess(expected_widths(d_groups, d_logits), scaled(d_budget, d_aim));
    d_opt.zero_grad();
    if (d_agent_opt) d_agent_opt->zero_grad();
    d_masked.backward(d_loss, d_weights, {psi->weight}, d_over);
    d_opt.step();
    if (d_agent_opt) d_agent_opt->step();

    // genG: fool the updated discriminator and match the teacher's local densities, within the budget.
    std::vector<at::Tensor> fixed_d_masks;
    for (const auto& m : d_masks) fixed_d_masks.push_back(m.detach());
    d_masked.write(fixed_d_masks);
    const at::Tensor adv = train::generator_loss(p.loss, pair_logits(centre, d_input(xs, s.index_select(0, idx))));
    at::Tensor kernel = torch::zeros({});
    for (int64_t c = 0; c < p.centres; ++c) {
      const at::Tensor members = torch::cat({torch::tensor({c}, torch::kLong), neighbourhoods[c]});
      kernel = kernel + kernel_mmd(t.index_select(0, members), s.index_select(0, members));
    }
    kernel = kernel / static_cast<double>(p.centres);
    const at::Tensor g_over = g_pressure * g_cost.excess(expected_widths(g_groups, g_logits), scaled(g_budget, g_aim));
    g_agent_opt.zero_grad();
    g_masked.backward(p.adversarial * adv + p.kernel * kernel, g_weights, {}, g_over);
    g_agent_opt.step();

    sum_d += to_double(d_loss);
    sum_adv += to_double(adv);
    sum_kernel += to_double(kernel);
    ++since;
    r.steps = step + 1;
    if (step % 10 == 9 || step + 1 == p.max_steps) {
      torch::NoGradGuard no_grad;
      const auto gl = gen_g->logits(prune_d ? ratios(gen_d->logits(ratios(g_logits))) : torch::zeros({0}));
      read_masks(gl, prune_d ? gen_d->logits(ratios(gl)) : std::vector<at::Tensor>{});
      AgentProgress pr;
      pr.step = r.steps;
      pr.g_macs = r.g_macs;
      pr.d_macs = r.d_macs;
      pr.d_loss = sum_d / since;
      pr.g_adv = sum_adv / since;
      pr.kernel = sum_kernel / since;
      pr.keep = last_g_keep;
      sum_d = sum_adv = sum_kernel = 0;
      since = 0;
      if (p.on_progress) p.on_progress(pr);
      const bool g_fits = g_cost.fits(g_widths, g_budget);
      if (!g_fits) {
        g_pressure *= 1.1;
        g_aim = std::max(0.5, g_aim - 0.01);
      }
      if (prune_d && r.d_macs > r.d_target) {
        d_pressure *= 1.1;
        d_aim = std::max(0.5, d_aim - 0.01);
      }
      if (r.steps >= p.min_steps && g_fits && (!prune_d || r.d_macs <= r.d_target)) {
        r.reached = true;
        break;
      }
    }
  }
  d_masked.restore();
  if (last_g_keep.empty()) { // stopped before the first check
    torch::NoGradGuard no_grad;
    read_masks(g_logits, d_logits);
  }
  r.scores = last_g_keep;
  r.d_scores = last_d_keep;
  if (!r.cancelled && !r.reached) {
    r.kept = trim_to_budget(g_cost, g_groups, r.scores, g_budget);
    if (prune_d) r.d_kept = trim_to_budget(d_cost, d_groups, r.d_scores, d_budget);
  }
  if (!r.cancelled) {
    r.kept = fill_budget(g_cost, g_groups, r.kept, r.scores, g_budget);
    count_g();
    if (prune_d) {
      r.d_kept = fill_budget(d_cost, d_groups, r.d_kept, r.d_scores, d_budget);
      r.d_macs = d_cost.macs(models::widths_after(d_groups, r.d_kept));
    }
  }
  return r;
}

} // namespace gs::prune
