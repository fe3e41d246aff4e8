#include "core/train/objectives.h"

#include <torch/torch.h>

namespace gs::train {

std::optional<Adversarial> adversarial_from_name(const std::string& name) {
  if (name == "logistic" || name == "bce") return Adversarial::Logistic;
  if (name == "hinge") return Adversarial::Hinge;
  if (name == "lsgan") return Adversarial::LSGAN;
  return std::nullopt;
}

const char* adversarial_name(Adversarial a) {
  switch (a) {
  case Adversarial::Logistic:
    return "logistic";
  case Adversarial::Hinge:
    return "hinge";
  case Adversarial::LSGAN:
    return "lsgan";
  }
  return "?";
}

at::Tensor discriminator_loss(Adversarial a, const at::Tensor& real, const at::Tensor& fake) {
  switch (a) {
  case Adversarial::Logistic:
    return torch::softplus(-real).mean() + torch::softplus(fake).mean();
  case Adversarial::Hinge:
    return torch::relu(1 - real).mean() + torch::relu(1 + fake).mean();
  case Adversarial::LSGAN:
    return 0.5 * ((real - 1).pow(2).mean() + fake.pow(2).mean());
  }
  throw std::logic_error("unknown adversarial loss");
}

at::Tensor generator_loss(Adversarial a, const at::Tensor& fake) {
  switch (a) {
  case Adversarial::Logistic:
    return torch::softplus(-fake).mean();
  case Adversarial::Hinge:
    return -fake.mean();
  case Adversarial::LSGAN:
    return 0.5 * (fake - 1).pow(2).mean();
  }
  throw std::logic_error("unknown adversarial loss");
}

at::Tensor pixel_distillation(const at::Tensor& student, const at::Tensor& teacher) {
  return (student - teacher).abs().mean();
}

at::Tensor feature_distillation(const std::map<std::string, at::Tensor>& student,
                                const std::map<std::string, at::Tensor>& teacher,
                                const std::map<std::string, at::Tensor>& kept) {
  at::Tensor total;
  int64_t groups = 0;
  for (const auto& [group, s] : student) {
    const auto t = teacher.find(group);
    if (t == teacher.end()) continue;
    const auto k = kept.find(group);
    const at::Tensor target = k == kept.end() ? t->second : t->second.index_select(1, k->second);
    if (target.sizes() != s.sizes())
      throw std::invalid_argument("feature distillation: group " + group + " has " + std::to_string(s.size(1)) +
                                  " student channels for " + std::to_string(target.size(1)) + " teacher channels");
    const at::Tensor l = (s - target).abs().mean();
    total = total.defined() ? total + l : l;
    ++groups;
  }
  if (!groups) throw std::invalid_argument("feature distillation: the generators report no common channel group");
  return total / static_cast<double>(groups);
}

at::Tensor relation_distillation(const at::Tensor& student, const at::Tensor& teacher, int scales) {
  if (student.size(0) < 2) throw std::invalid_argument("relation distillation needs a batch of at least 2");
  namespace F = torch::nn::functional;
  at::Tensor s = student, t = teacher, total = torch::zeros({}, student.options());
  for (int k = 0; k < scales; ++k) {
    if (k > 0) {
      if (s.size(2) < 2 || s.size(3) < 2) break;
      s = F::avg_pool2d(s, F::AvgPool2dFuncOptions(2));
      t = F::avg_pool2d(t, F::AvgPool2dFuncOptions(2));
    }
    const at::Tensor sn = F::normalize(s.flatten(1), F::NormalizeFuncOptions().dim(1));
    const at::Tensor tn = F::normalize(t.flatten(1), F::NormalizeFuncOptions().dim(1));
    const at::Tensor log_ps = torch::log_softmax(sn.mm(sn.t()), 1);
    const at::Tensor log_pt = torch::log_softmax(tn.mm(tn.t()), 1);
    total = total + (log_pt.exp() * (log_pt - log_ps)).sum(1).mean();
  }
  return total;
}

at::Tensor r1_penalty(const at::Tensor& real_logits, const at::Tensor& real_images) {
  const at::Tensor grad = torch::autograd::grad({real_logits.sum()}, {real_images}, {}, true, true)[0];
  return grad.pow(2).flatten(1).sum(1).mean();
}

} // namespace gs::train
