#include "core/jobs/evaluator.h"

#include "core/metrics/fid.h"
#include "core/metrics/prdc.h"
#include "core/resources.h"

#include <torch/torch.h>

namespace gs::jobs {
namespace {

constexpr int64_t kBatch = 64;

at::Tensor to_uint8(const at::Tensor& images) {
  return ((images.clamp(-1, 1) + 1) * 127.5).round().to(torch::kUInt8);
}

metrics::FeatureExtractor open_extractor(const std::string& path) {
  if (!path.empty()) return metrics::FeatureExtractor::load(path);
  const auto builtin = builtin_extractor_path();
  if (!builtin)
    throw std::runtime_error("the built-in feature extractor (extractors/builtin-fashion-mnist.pt) is not installed; "
                             "give a feature extractor file or turn evaluation off");
  return metrics::FeatureExtractor::load(*builtin, true);
}

} // namespace

std::optional<std::string> builtin_extractor_path() {
  return find_resource("extractors/builtin-fashion-mnist.pt");
}

Evaluator::Evaluator(const EvalSettings& settings, models::Generator& teacher, const at::Tensor& real_or_inputs)
    : settings_(settings), extractor_(open_extractor(settings.extractor)),
      image_to_image_(teacher.input_spec().kind == models::InputSpec::Kind::Image) {
  if (settings.n < 2) throw std::invalid_argument("evaluation needs at least 2 samples");
  torch::NoGradGuard no_grad;
  if (image_to_image_) {
    inputs_ = real_or_inputs.slice(0, 0, settings.n);
    real_features_ = generate_features(teacher);
  } else {
    auto gen = at::make_generator<at::CPUGeneratorImpl>(settings.seed + 7);
    inputs_ = at::randn({settings.n, teacher.input_spec().shape.at(0)}, gen);
    const at::Tensor pick = torch::randperm(real_or_inputs.size(0), gen).slice(0, 0, settings.n);
    const at::Tensor real = real_or_inputs.index_select(0, pick);
    std::vector<at::Tensor> parts;
    for (int64_t i = 0; i < real.size(0); i += kBatch)
      parts.push_back(extractor_.features(real.slice(0, i, i + kBatch)));
    real_features_ = torch::cat(parts);
  }
  if (real_features_.size(0) < 6) throw std::invalid_argument("evaluation needs at least 6 real samples");
}

at::Tensor Evaluator::generate_features(models::Generator& g) const {
  torch::NoGradGuard no_grad;
  const auto params = g.module().parameters();
  const at::Device device = params.empty() ? at::Device(at::kCPU) : params.front().device();
  std::vector<at::Tensor> parts;
  for (int64_t i = 0; i < inputs_.size(0); i += kBatch)
    parts.push_back(extractor_.features(to_uint8(g.forward(inputs_.slice(0, i, i + kBatch).to(device)).cpu())));
  return torch::cat(parts);
}

nlohmann::json Evaluator::evaluate(models::Generator& g) const {
  const at::Tensor fake = generate_features(g);
  const int64_t n = std::min(fake.size(0), real_features_.size(0));
  metrics::FeatureStats a, b;
  a.add(real_features_.to(torch::kDouble));
  b.add(fake.to(torch::kDouble));
  const auto& info = extractor_.info();
  const std::string at = "@" + std::to_string(n);
  metrics::PrdcOptions pr;
  pr.k = 3;
  const auto p = metrics::precision_recall_density_coverage(real_features_, fake, pr);
  pr.k = 5;
  const auto d = metrics::precision_recall_density_coverage(real_features_, fake, pr);
  return {{"fd", metrics::frechet_distance(a, b)},
          {"precision", p.precision},
          {"recall", p.recall},
          {"density", d.density},
          {"coverage", d.coverage},
          {"n", n},
          {"extractor", info.path},
          {"labels",
           {{"fd", info.fd_label + at},
            {"precision", "precision" + info.suffix + at},
            {"recall", "recall" + info.suffix + at},
            {"density", "density" + info.suffix + at},
            {"coverage", "coverage" + info.suffix + at}}}};
}

} // namespace gs::jobs
