// Content-aware (CAGAN) and diversity-aware (DCP-GAN) scoring: gradients of an output difference with respect to the
// weights that read each group's channels, reduced to one value per input channel.
#include "core/prune/gradient_scorers.h"

#include <torch/torch.h>

namespace gs::prune {
namespace {

using models::SlotRole;

// The consumer weights of every group; a group's per-channel gradient is the mean over them of mean |dL/dW| taken
// over every axis but the input-channel one (DCP-GAN averages a modulated weight [1, out, in, k, k] over 0, 1, 3, 4).
class ConsumerGradients {
public:
  explicit ConsumerGradients(models::Generator& g) : groups_(g.channel_groups()) {
    const TensorLookup tensors = named_tensors(g.module());
    for (const auto& group : groups_)
      for (const auto& slot : group.slots)
        if (slot.role == SlotRole::Consumer && !index_.count(slot.tensor)) {
          index_[slot.tensor] = params_.size();
          params_.push_back(tensors.at(slot.tensor));
        }
    for (auto& p : params_) {
      was_trainable_.push_back(p.requires_grad());
      p.requires_grad_(true);
    }
  }
  ~ConsumerGradients() {
    for (size_t i = 0; i < params_.size(); ++i) params_[i].requires_grad_(was_trainable_[i]);
  }
  ConsumerGradients(const ConsumerGradients&) = delete;
  ConsumerGradients& operator=(const ConsumerGradients&) = delete;

  // One [width] double vector per group (in channel_groups() order) for d(loss)/d(consumer weights).
  std::vector<at::Tensor> per_channel(const at::Tensor& loss, bool retain_graph) {
    const auto grads = torch::autograd::grad({loss}, params_, {}, retain_graph, false, true);
    std::vector<at::Tensor> out;
    for (const auto& group : groups_) {
      at::Tensor sum = torch::zeros({group.width}, torch::kDouble);
      int64_t n = 0;
      for (const auto& slot : group.slots) {
        if (slot.role != SlotRole::Consumer) continue;
        const at::Tensor& grad = grads[index_.at(slot.tensor)];
        if (grad.defined()) sum += channel_reduce(grad.abs(), slot, group.width, true);
        ++n;
      }
      out.push_back(n > 0 ? sum / static_cast<double>(n) : sum);
    }
    return out;
  }

  const std::vector<models::ChannelGroup>& groups() const { return groups_; }

private:
  std::vector<models::ChannelGroup> groups_;
  std::map<std::string, size_t> index_;
  std::vector<at::Tensor> params_;
  std::vector<bool> was_trainable_;
};

// Restores train/eval mode whatever happens; scoring runs in eval mode (running statistics, deterministic).
struct EvalMode {
  explicit EvalMode(torch::nn::Module& m) : module(m), was_training(m.is_training()) { m.eval(); }
  ~EvalMode() { module.train(was_training); }
  torch::nn::Module& module;
  bool was_training;
};

at::Device device_of(torch::nn::Module& m) {
  const auto params = m.parameters();
  return params.empty() ? at::Device(at::kCPU) : params.front().device();
}

// Batch b's numbers depend on b alone, so processes that split the batches between them draw what one would.
at::Generator batch_generator(uint64_t seed, int64_t b) {
  return at::make_generator<at::CPUGeneratorImpl>(seed * 0x9e3779b97f4a7c15ULL + static_cast<uint64_t>(b));
}

InputSource seeded_latents(const models::InputSpec& spec, uint64_t seed) {
  const int64_t dim = spec.shape.at(0);
  return [seed, dim](int64_t b, int64_t size) { return at::randn({size, dim}, batch_generator(seed, b)); };
}

// Pixels inside the region (weighted by it) flipped to -1 or +1 with probability `density`; the rest untouched.
at::Tensor salt_and_pepper(const at::Tensor& images, const at::Tensor& region, double density, at::Generator& gen) {
  const auto n = images.size(0), h = images.size(2), w = images.size(3);
  const at::Tensor u = at::rand({n, 1, h, w}, gen).to(images.device());
  const at::Tensor salt = at::rand({n, 1, h, w}, gen).to(images.device()) < 0.5;
  const at::Tensor flip = u < region.to(images.device()) * density;
  return torch::where(flip, torch::where(salt, torch::ones_like(images), -torch::ones_like(images)), images);
}

// The user's region at the output resolution, or the centre 50% box.
at::Tensor region_at(const at::Tensor& region, int64_t h, int64_t w) {
  if (!region.defined()) {
    at::Tensor box = torch::zeros({h, w});
    box.slice(0, h / 4, h - h / 4).slice(1, w / 4, w - w / 4).fill_(1.0);
    return box;
  }
  if (region.dim() != 2) throw std::invalid_argument("the region of interest must be a 2-D mask [H, W]");
  at::Tensor r = region.to(torch::kFloat).clamp(0, 1).unsqueeze(0).unsqueeze(0);
  namespace F = torch::nn::functional;
  r = F::interpolate(r, F::InterpolateFuncOptions().size(std::vector<int64_t>{h, w}).mode(torch::kNearest));
  if (r.sum().item<double>() <= 0) throw std::invalid_argument("the region of interest is empty");
  return r[0][0];
}

// DCP-GAN step 1: directions drawn from the PCA of mapped latents, with probability proportional to each component's
// explained-variance ratio. Returns [directions, dim]: unit vectors times the mapped latents' typical per-coordinate
// standard deviation, so that alpha means the same step in every latent space (z ~ N(0, I) gives plain unit vectors;
// SSD's mapped space is a hundred times narrower, where an unscaled step of 5 saturates every output).
at::Tensor pca_directions(models::Generator& g, const ScoreParams& params, at::Device device) {
  if (params.pca_samples < 2) throw std::invalid_argument("diversity: --pca-samples must be at least 2");
  const models::InputSpec spec = g.input_spec();
  auto gen = at::make_generator<at::CPUGeneratorImpl>(params.seed ^ 0x9e3779b97f4a7c15ULL);
  std::vector<at::Tensor> mapped;
  torch::NoGradGuard no_grad;
  for (int64_t i = 0; i < params.pca_samples; i += 1000) {
    const int64_t n = std::min<int64_t>(1000, params.pca_samples - i);
    mapped.push_back(g.map(at::randn({n, spec.shape.at(0)}, gen).to(device)).to(torch::kCPU, torch::kDouble));
  }
  const at::Tensor w = torch::cat(mapped);
  const at::Tensor centred = w - w.mean(0, true);
  const at::Tensor cov = centred.t().mm(centred) / static_cast<double>(w.size(0) - 1);
  auto [values, vectors] = at::linalg_eigh(cov);
  const at::Tensor ratio = values.clamp_min(0) / values.clamp_min(0).sum().clamp_min(1e-300);
  // Without replacement: drawing one dominant component ten times would make every direction the same and every
  // variance zero. A latent space narrower than `directions` gives all its components.
  const int64_t n = std::min(params.directions, ratio.size(0));
  const at::Tensor picks = at::multinomial((ratio + 1e-8).to(torch::kFloat), n, false, gen);
  const double spread = std::sqrt(values.clamp_min(0).mean().item<double>());
  return (vectors.index_select(1, picks).t() * spread).to(torch::kFloat).contiguous();
}

class Accumulator {
public:
  explicit Accumulator(const std::vector<models::ChannelGroup>& groups) : groups_(groups) {
    for (const auto& g : groups) totals_.push_back(torch::zeros({g.width}, torch::kDouble));
  }
  void add(const std::vector<at::Tensor>& v) {
    for (size_t i = 0; i < v.size(); ++i) totals_[i] += v[i];
  }
  void sum_across(const std::function<void(at::Tensor&)>& sum) {
    at::Tensor all = torch::cat(totals_);
    sum(all);
    int64_t at = 0;
    for (auto& t : totals_) {
      t.copy_(all.slice(0, at, at + t.numel()));
      at += t.numel();
    }
  }
  ChannelScores scores() const {
    ChannelScores out;
    for (size_t i = 0; i < groups_.size(); ++i) out[groups_[i].name] = to_vector(totals_[i]);
    return out;
  }

private:
  const std::vector<models::ChannelGroup>& groups_;
  std::vector<at::Tensor> totals_;
};

} // namespace

at::Tensor box_region(const std::vector<double>& v) {
  if (v.size() != 4 || !(v[0] >= 0 && v[1] >= 0 && v[2] <= 1 && v[3] <= 1 && v[0] < v[2] && v[1] < v[3]))
    throw std::invalid_argument("a region of interest is X0,Y0,X1,Y1 with 0 <= X0 < X1 <= 1 and 0 <= Y0 < Y1 <= 1");
  constexpr int64_t n = 256;
  at::Tensor mask = torch::zeros({n, n});
  auto at = [&](double f) { return static_cast<int64_t>(f * n + 0.5); };
  mask.slice(0, at(v[1]), at(v[3])).slice(1, at(v[0]), at(v[2])).fill_(1.0);
  return mask;
}

ScoreResult gradient_scores(const std::string& method, models::Generator& g, const ScoreParams& params) {
  const bool diversity = method == "diversity";
  const int64_t batches = params.batches > 0 ? params.batches : (diversity ? 1000 : 50);
  const int64_t batch_size = params.batch_size > 0 ? params.batch_size : (diversity ? 5 : 8);
  if (diversity && params.directions < 2) throw std::invalid_argument("diversity: needs at least 2 directions");
  if (!diversity && (params.noise_density <= 0 || params.noise_density > 1))
    throw std::invalid_argument("content: noise density must be in (0, 1]");
  const models::InputSpec spec = g.input_spec();
  if (!params.inputs && spec.kind == models::InputSpec::Kind::Image)
    throw std::invalid_argument(std::string(models::arch_name(g.arch())) + " takes images: scoring needs input data");
  const InputSource inputs = params.inputs ? params.inputs : seeded_latents(spec, params.seed);

  EvalMode eval(g.module());
  const at::Device device = device_of(g.module());
  ConsumerGradients grads(g);
  Accumulator total(grads.groups());
  const at::Tensor directions = diversity ? pca_directions(g, params, device).to(device) : at::Tensor();
  at::Tensor region;
  if (params.shards < 1 || params.shard < 0 || params.shard >= params.shards)
    throw std::invalid_argument("a scoring share outside the shares");

  ScoreResult result;
  for (int64_t b = params.shard; b < batches; b += params.shards) {
    if (params.abort && params.abort->load()) {
      result.cancelled = true;
      break;
    }
    const at::Tensor x = inputs(b, batch_size).to(device, torch::kFloat);
    if (diversity) {
      // DCP-GAN steps 2-3: per direction, L_d = sum |G(w + alpha d) - G(w)|; the score is the variance of the
      // per-channel gradient magnitudes across directions. Stored noise buffers keep noise fixed between passes.
      const at::Tensor w = g.map(x).detach();
      const at::Tensor base = g.synthesize(w);
      std::vector<std::vector<at::Tensor>> per_direction;
      for (int64_t d = 0; d < directions.size(0); ++d) {
        const at::Tensor moved = g.synthesize(w + params.alpha * directions[d].unsqueeze(0));
        per_direction.push_back(grads.per_channel((moved - base).abs().sum(), true));
      }
      std::vector<at::Tensor> variance;
      for (size_t k = 0; k < grads.groups().size(); ++k) {
        std::vector<at::Tensor> column;
        for (const auto& v : per_direction) column.push_back(v[k]);
        variance.push_back(torch::stack(column).var(0, false));
      }
      total.add(variance);
    } else {
      // CAGAN: the output with salt-and-pepper noise inside the region is a fixed target; sum |G(x) - target|.
      const at::Tensor out = g.forward(x);
      if (!region.defined()) region = region_at(params.region, out.size(2), out.size(3));
      at::Generator noise_gen = batch_generator(params.seed + 1, b);
      const at::Tensor target = salt_and_pepper(out.detach(), region, params.noise_density, noise_gen);
      total.add(grads.per_channel((out - target).abs().sum(), false));
    }
    result.batches = b + 1;
    if (params.on_partial) params.on_partial(b + 1, batches, total.scores());
  }
  if (params.sum_across) total.sum_across(params.sum_across);
  result.scores = total.scores();
  return result;
}

} // namespace gs::prune
