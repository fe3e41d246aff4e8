// Every weight that produces or reads a channel group's channels is generated as W = (A e) * prod_g z_g, with A e
// (a learned embedding e of size 8 projected per weight element) initialised to the teacher's weights and z_g one
// latent entry per channel, broadcast along the slot's axis. Zeroing z_g[c] therefore zeroes output channel c and
// the matching inputs of every consumer: the pruned network is exactly the network with those channels removed.
// The module itself runs unchanged: generated weights are written into its parameters each step and their gradients
// are carried back into the hypernetwork by the chain rule.
#include "core/prune/hypernet.h"

#include "core/models/channel_ops.h"
#include "core/prune/gating.h"
#include "core/prune/gradient_scorers.h"
#include "core/prune/mac_model.h"
#include "core/prune/weight_scale.h"
#include "core/train/objectives.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>

namespace gs::prune {
namespace {

using models::SlotRole;

struct Gate {
  size_t group;
  int64_t dim, offset;
};

struct Generated {
  std::string name;
  at::Tensor param; // the module's parameter the generated weight is written into
  at::Tensor a, e;  // A [numel, m], e [m]
  std::vector<Gate> gates;
};

class Hypernet {
public:
  Hypernet(models::Generator& g, const HypernetParams& p) : groups_(g.channel_groups()) {
    const TensorLookup tensors = named_tensors(g.module());
    std::map<std::string, std::vector<Gate>> gates;
    for (size_t k = 0; k < groups_.size(); ++k) {
      z_.push_back(torch::ones({groups_[k].width}).requires_grad_(true));
      momentum_.push_back(torch::zeros({groups_[k].width}));
      for (const auto& slot : groups_[k].slots)
        if (slot.role == SlotRole::Producer || slot.role == SlotRole::Consumer)
          gates[slot.tensor].push_back({k, slot.dim, slot.offset});
    }
    auto gen = at::make_generator<at::CPUGeneratorImpl>(p.seed + 5);
    for (auto& [name, list] : gates) {
      Generated w;
      w.name = name;
      w.param = tensors.at(name);
      at::Tensor e = at::randn({p.embedding}, gen);
      e = e / e.norm();
      // A e = W at the start: A = W ⊗ e with |e| = 1.
      w.a = (w.param.detach().flatten().unsqueeze(1) * e.unsqueeze(0)).clone().requires_grad_(true);
      w.e = e.clone().requires_grad_(true);
      w.gates = list;
      generated_.push_back(std::move(w));
    }
    for (auto& p_ : g.module().named_parameters())
      if (!gates.count(p_.key())) free_.push_back(p_.value());
  }

  // The weights with the current z, as autograd expressions of A, e and z. The gates are z itself, so every shrinking
  // of z changes the generator and the loss resists it, most for the channels it needs. (Gates normalised by their
  // group's RMS, tried, left the loss blind to the proximal step's shared decline: at the teacher's weights nothing
  // pushed back, every entry of z fell alike, within +-0.003 of each other when all reached zero on the DCGAN demo,
  // and the kept channels were noise's pick.) The weights this shrinks get the teacher's scale back after learning.
  std::vector<at::Tensor> weights() const {
    std::vector<at::Tensor> out;
    for (const auto& w : generated_) {
      at::Tensor t = w.a.mm(w.e.unsqueeze(1)).view(w.param.sizes());
      for (const Gate& gate : w.gates) t = gate_along(t, z_[gate.group], gate.dim, gate.offset);
      out.push_back(t);
    }
    return out;
  }

  void write(const std::vector<at::Tensor>& weights) {
    torch::NoGradGuard no_grad;
    for (size_t i = 0; i < generated_.size(); ++i) generated_[i].param.copy_(weights[i]);
  }

  // The hypernetwork's tensors but z (step_latents), each with the teacher weight whose scale its learning rate
  // follows (undefined: the unit-scale embeddings e).
  std::vector<std::pair<at::Tensor, at::Tensor>> trainable_scaled() const {
    std::vector<std::pair<at::Tensor, at::Tensor>> out;
    for (const auto& w : generated_) out.emplace_back(w.a, w.param), out.emplace_back(w.e, at::Tensor());
    return out;
  }
  const std::vector<at::Tensor>& free_params() const { return free_; }
  std::vector<at::Tensor> generated_params() const {
    std::vector<at::Tensor> out;
    for (const auto& w : generated_) out.push_back(w.param);
    return out;
  }

  // Adam's update with one second moment for all latents instead of one per entry: Adam moves every entry by about lr
  // whatever the size of its gradient, so each channel resisted the proximal step alike however much the loss needed
  // it; with a shared scale an entry moves in proportion to its gradient and the pressure removes the least needed
  // channels first.
  void step_latents(double lr) {
    torch::NoGradGuard no_grad;
    constexpr double beta1 = 0.9, beta2 = 0.999;
    double square_sum = 0;
    int64_t count = 0;
    for (size_t k = 0; k < z_.size(); ++k) {
      at::Tensor& grad = z_[k].mutable_grad();
      if (!grad.defined()) grad = torch::zeros_like(z_[k]);
      momentum_[k].mul_(beta1).add_(grad, 1 - beta1);
      square_sum += grad.pow(2).sum().item<double>();
      count += grad.numel();
    }
    ++latent_steps_;
    second_moment_ = beta2 * second_moment_ + (1 - beta2) * square_sum / static_cast<double>(count);
    const auto t = static_cast<double>(latent_steps_);
    const double scale = std::sqrt(second_moment_ / (1 - std::pow(beta2, t))) + 1e-12;
    for (size_t k = 0; k < z_.size(); ++k) {
      z_[k].sub_(momentum_[k], lr / (1 - std::pow(beta1, t)) / scale);
      z_[k].mutable_grad().zero_();
    }
  }

  void proximal(double step) {
    torch::NoGradGuard no_grad;
    for (auto& z : z_) z.copy_(z.sign() * (z.abs() - step).clamp_min(0));
  }

  models::KeptChannels kept(double threshold) const {
    models::KeptChannels out;
    for (size_t k = 0; k < groups_.size(); ++k) {
      const at::Tensor mag = z_[k].detach().abs();
      auto& list = out[groups_[k].name];
      for (int64_t c = 0; c < groups_[k].width; ++c)
        if (mag[c].item<double>() >= threshold) list.push_back(c);
      if (list.empty()) list.push_back(mag.argmax().item<int64_t>());
    }
    return out;
  }

  // Sets z of kept channels that the proximal step has zeroed back to `before` (their last value above zero).
  void restore(const ChannelScores& before, const models::KeptChannels& kept) {
    torch::NoGradGuard no_grad;
    for (size_t k = 0; k < groups_.size(); ++k)
      for (int64_t c : kept.at(groups_[k].name))
        if (z_[k][c].item<double>() == 0) z_[k][c] = before.at(groups_[k].name)[c];
  }

  ChannelScores scores() const {
    ChannelScores out;
    for (size_t k = 0; k < groups_.size(); ++k) out[groups_[k].name] = to_vector(z_[k].detach().abs());
    return out;
  }

private:
  std::vector<models::ChannelGroup> groups_;
  std::vector<at::Tensor> z_, momentum_;
  double second_moment_ = 0;
  int64_t latent_steps_ = 0;
  std::vector<Generated> generated_;
  std::vector<at::Tensor> free_;
};

// The learned gates rescale every channel, so the teacher's batch-norm running statistics no longer describe the
// activations: re-estimate them (cumulative average over a few batches, weights untouched).
void recalibrate_batch_norm(models::Generator& g, const InputSource& inputs, int64_t batch) {
  std::vector<torch::nn::BatchNorm2dImpl*> norms;
  for (const auto& m : g.module().modules())
    if (auto* bn = m->as<torch::nn::BatchNorm2dImpl>()) norms.push_back(bn);
  if (norms.empty()) return;
  torch::NoGradGuard no_grad;
  for (auto* bn : norms) {
    bn->reset_running_stats();
    bn->options.momentum(c10::nullopt);
  }
  g.module().train();
  for (int64_t i = 0; i < 20; ++i) g.forward(inputs(i, std::max<int64_t>(batch, 16)));
  for (auto* bn : norms) bn->options.momentum(0.1);
  g.module().eval();
}

} // namespace

int64_t expected_steps(const HypernetParams& p) {
  // Sum over t < T of sparsity * lr * growth^t = 1.
  const double shrink = std::max(p.sparsity * p.lr, 1e-12); // no pressure: never, in effect
  double steps = 1 / shrink;
  if (p.sparsity_growth > 1) steps = std::log1p((p.sparsity_growth - 1) / shrink) / std::log(p.sparsity_growth);
  return std::clamp<int64_t>(static_cast<int64_t>(std::ceil(1.4 * steps)), 1, p.max_steps);
}

HypernetResult hypernet_prune(models::Generator& g, models::Generator& teacher, const HypernetParams& p) {
  const auto channel_groups = g.channel_groups();
  const MacModel cost(g.cost(p.target.convention), channel_groups, named_tensors(g.module()));
  const int64_t full = cost.full();
  if (p.target.macs <= 0 || p.target.macs >= full)
    throw std::invalid_argument("the MAC target must be positive and below the model's " + std::to_string(full));
  const Budget& budget = p.target;
  if (p.batch < 2 && p.relation > 0) throw std::invalid_argument("relation distillation needs a batch of 2 or more");
  const models::InputSpec spec = g.input_spec();
  if (!p.inputs && spec.kind == models::InputSpec::Kind::Image)
    throw std::invalid_argument(std::string(models::arch_name(g.arch())) + " takes images: pruning needs input data");
  auto latent_gen = at::make_generator<at::CPUGeneratorImpl>(p.seed);
  const InputSource inputs = p.inputs ? p.inputs : [&](int64_t, int64_t n) {
    return at::randn({n, spec.shape.at(0)}, latent_gen);
  };

  Hypernet net(g, p);
  // Adam moves every element by about lr per step whatever its gradient, so each tensor's rate is scaled to its own
  // magnitude: weights of 0.02 with the latents' rate of 1e-3 would drift by their whole size in a few dozen steps
  // and wreck the generator (as on the pix2pix demo) before the sparsity pressure has done anything.
  std::vector<torch::optim::OptimizerParamGroup> groups;
  auto add = [&](const at::Tensor& t, double scale) {
    auto o = std::make_unique<torch::optim::AdamOptions>(p.lr * scale);
    groups.emplace_back(std::vector<at::Tensor>{t}, std::move(o));
  };
  auto magnitude = [](const at::Tensor& t) {
    const double rms = t.detach().pow(2).mean().sqrt().item<double>();
    return std::max(rms, 1e-2); // zero-initialised biases still move
  };
  for (const auto& [tensor, weight] : net.trainable_scaled()) add(tensor, weight.defined() ? magnitude(weight) : 1.0);
  for (const auto& f : net.free_params()) add(f, magnitude(f));
  torch::optim::Adam opt(groups, torch::optim::AdamOptions(p.lr));
  // Running statistics stay the teacher's: the loss compares like with like while channels disappear.
  const bool was_training = g.module().is_training();
  g.module().eval();
  teacher.module().eval();
  const std::vector<at::Tensor> module_params = [&] {
    std::vector<at::Tensor> v = net.generated_params();
    for (const auto& f : net.free_params()) v.push_back(f);
    return v;
  }();

  HypernetResult r;
  ChannelScores before = net.scores(); // |z| at the previous budget check
  double lambda = p.sparsity;
  for (int64_t step = 0; step < p.max_steps; ++step) {
    if (p.abort && p.abort->load()) {
      r.cancelled = true;
      break;
    }
    const std::vector<at::Tensor> w = net.weights();
    net.write(w);
    const at::Tensor x = inputs(step, p.batch);
    at::Tensor target;
    {
      torch::NoGradGuard no_grad;
      target = teacher.forward(x);
    }
    const at::Tensor out = g.forward(x);
    at::Tensor loss = p.pixel * train::pixel_distillation(out, target);
    if (p.relation > 0) loss = loss + p.relation * train::relation_distillation(out, target);
    // Chain rule into A, e and z: d loss / d(hyper) = sum over weights of (d loss / d W) * (d W / d hyper).
    opt.zero_grad();
    backward_through_written(loss, module_params, w);
    opt.step();
    net.step_latents(p.lr);
    net.proximal(lambda * p.lr);
    lambda *= p.sparsity_growth;
    r.steps = step + 1;
    if (step % 10 == 9 || step + 1 == p.max_steps) {
      r.kept = net.kept(p.threshold);
      const auto widths = models::widths_after(channel_groups, r.kept);
      r.macs = cost.macs(widths);
      if (p.on_progress) p.on_progress(r.steps, r.macs, loss.item<double>(), net.scores());
      if (cost.fits(widths, budget)) {
        r.reached = true;
        break;
      }
      before = net.scores();
    }
  }
  r.kept = net.kept(p.threshold);
  if (r.reached) {
    r.kept = fill_budget(cost, channel_groups, r.kept, before, budget);
    net.restore(before, r.kept);
  }
  net.write(net.weights());
  if (!r.cancelled) recalibrate_batch_norm(g, inputs, p.batch);
  // A weight carries the gate of its outputs and of its inputs, and a kept channel's gate can sit far from its
  // group's RMS, so generated weights can come out many times off the teacher's scale (measured: 2-5x larger on the
  // StyleGAN2 demo; 10-100x smaller on DCGAN before the gates were normalised). Behind a batch norm that scale changes
  // nothing in the forward pass, but fine-tuning's Adam moves each weight by about its learning rate whatever its
  // size, which overwrites weights far too small within a few steps; give them the teacher's scale back.
  match_weight_scale(g, teacher);
  const auto widths = models::widths_after(channel_groups, r.kept);
  r.macs = cost.macs(widths);
  r.outputs = cost.outputs(widths);
  r.scores = net.scores();
  g.module().train(was_training);
  return r;
}

} // namespace gs::prune
