// The scorer registry, the weight-only scorers (random, L1, normalisation scale) and channel reductions.
#include "core/prune/scorer.h"

#include "core/prune/gradient_scorers.h"

#include <torch/torch.h>

#include <sstream>

namespace gs::prune {
namespace {

using models::ChannelGroup;
using models::SlotRole;

bool has_role(const ChannelGroup& g, SlotRole role) {
  for (const auto& slot : g.slots)
    if (slot.role == role) return true;
  return false;
}

// Sum over the slots of `role` of each channel's L1 norm (|x| summed over every other axis).
at::Tensor role_norms(const ChannelGroup& g, SlotRole role, const TensorLookup& tensors) {
  at::Tensor total = torch::zeros({g.width}, torch::kDouble);
  for (const auto& slot : g.slots)
    if (slot.role == role) total += channel_reduce(tensors.at(slot.tensor).detach().abs(), slot, g.width, false);
  return total;
}

ScoreResult weight_scores(const std::string& method, models::Generator& g, const ScoreParams& params) {
  ScoreResult result;
  const TensorLookup tensors = named_tensors(g.module());
  auto gen = at::make_generator<at::CPUGeneratorImpl>(params.seed);
  for (const auto& group : g.channel_groups()) {
    at::Tensor s;
    if (method == "random") {
      s = at::rand({group.width}, gen, torch::kDouble);
    } else if (method == "norm" && has_role(group, SlotRole::NormScale)) {
      s = role_norms(group, SlotRole::NormScale, tensors);
    } else {
      if (method == "norm") result.notes.push_back(group.name + " has no normalisation scale: scored by L1 instead");
      s = role_norms(group, SlotRole::Producer, tensors);
    }
    result.scores[group.name] = to_vector(s);
  }
  result.batches = 1;
  if (params.on_partial) params.on_partial(1, 1, result.scores);
  return result;
}

} // namespace

const std::vector<ScorerInfo>& scorers() {
  static const std::vector<ScorerInfo> list{
      {"random", "Random", "Scores channels uniformly at random: the baseline every method must beat."},
      {"l1", "L1 filter norm", "Keeps the channels whose producing filters have the largest L1 norm."},
      {"norm", "Normalisation scale (GAN-Slimming)",
       "Keeps the channels whose batch-norm scale |gamma| is largest; groups without a norm fall back to L1."},
      {"content", "Content-aware (CAGAN)",
       "Keeps the channels whose weights react most when salt-and-pepper noise hits a region of interest of the "
       "output."},
      {"diversity", "Diversity-aware (DCP-GAN)",
       "Keeps the channels whose gradients vary most across latent directions: those that keep samples diverse."},
  };
  return list;
}

const std::vector<ScorerInfo>& learned_methods() {
  static const std::vector<ScorerInfo> list{
      {"coronet", "Differentiable (CoroNetGAN)",
       "Learns per-channel latent vectors that gate every weight through a hypernetwork, pushing them to zero until "
       "the MAC budget of the sparsity is met; needs no scores."},
      {"density", "Local density + G/D agents (AAAI'24)",
       "Two agents learn which generator and discriminator channels to keep, so that the pruned generator keeps the "
       "teacher's local density around each sample, until the MAC budget of the sparsity is met; needs the model's "
       "discriminator."},
  };
  return list;
}

bool is_learned_method(const std::string& name) {
  for (const auto& m : learned_methods())
    if (m.name == name) return true;
  return false;
}

std::string not_applicable(const std::string& method, models::Generator& g, bool has_discriminator) {
  bool known = is_learned_method(method);
  for (const auto& s : scorers()) known = known || s.name == method;
  if (!known) {
    std::ostringstream names;
    for (const auto& s : scorers()) names << (names.tellp() > 0 ? ", " : "") << s.name;
    for (const auto& s : learned_methods()) names << ", " << s.name;
    throw std::invalid_argument("unknown scoring method '" + method + "' (known: " + names.str() + ")");
  }
  const char* arch = models::arch_name(g.arch());
  if (method == "density" && !has_discriminator)
    return "density prunes against the model's discriminator, and this checkpoint holds none";
  if (method == "diversity" && g.input_spec().kind != models::InputSpec::Kind::Latent)
    return std::string("diversity moves through latent space; ") + arch + " takes images";
  if (method == "norm") {
    bool any = false;
    for (const auto& group : g.channel_groups()) any = any || has_role(group, SlotRole::NormScale);
    if (!any) return std::string(arch) + " has no normalisation scales to rank (no batch norm with a learned gamma)";
  }
  return {};
}

ScoreResult score(const std::string& method, models::Generator& g, const ScoreParams& params) {
  if (const std::string why = not_applicable(method, g); !why.empty()) throw std::invalid_argument(why);
  if (is_learned_method(method))
    throw std::invalid_argument(method + " learns its channels while training: run it with compress");
  if (params.batches < 0 || params.batch_size < 0) throw std::invalid_argument("batches and batch size must be >= 0");
  if (method == "random" || method == "l1" || method == "norm") return weight_scores(method, g, params);
  return gradient_scores(method, g, params);
}

TensorLookup named_tensors(torch::nn::Module& module) {
  TensorLookup out;
  for (const auto& p : module.named_parameters()) out.emplace(p.key(), p.value());
  for (const auto& b : module.named_buffers()) out.emplace(b.key(), b.value());
  return out;
}

at::Tensor channel_reduce(const at::Tensor& t, const models::ChannelSlot& slot, int64_t width, bool mean) {
  const at::Tensor part = t.narrow(slot.dim, slot.offset, width).transpose(0, slot.dim).reshape({width, -1});
  return (mean ? part.mean(1) : part.sum(1)).to(torch::kCPU, torch::kDouble);
}

std::vector<double> to_vector(const at::Tensor& t) {
  const at::Tensor c = t.to(torch::kCPU, torch::kDouble).contiguous();
  return {c.data_ptr<double>(), c.data_ptr<double>() + c.numel()};
}

} // namespace gs::prune
