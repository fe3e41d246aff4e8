#include "core/metrics/feature_extractor.h"

#include "core/log.h"

#include <torch/script.h>
#include <torch/torch.h>

#include <stdexcept>

namespace gs::metrics {

struct FeatureExtractor::Impl {
  mutable torch::jit::Module module;
  bool wants_return_features = false; // the standard file returns logits unless asked for features
};

FeatureExtractor::FeatureExtractor() : impl_(std::make_unique<Impl>()) {}
FeatureExtractor::FeatureExtractor(FeatureExtractor&&) noexcept = default;
FeatureExtractor& FeatureExtractor::operator=(FeatureExtractor&&) noexcept = default;
FeatureExtractor::~FeatureExtractor() = default;

std::string ExtractorInfo::describe() const {
  const char* kind_name = kind == ExtractorKind::StandardInception ? "standard Inception-v3"
                          : kind == ExtractorKind::Builtin         ? "built-in"
                                                                   : "custom TorchScript";
  return std::string(kind_name) + " feature extractor, " + std::to_string(dims) + "-d (" + path + "); metrics " +
         "labelled " + fd_label + (suffix.empty() ? "" : ", P/R" + suffix);
}

FeatureExtractor FeatureExtractor::load(const std::string& path, bool builtin) {
  FeatureExtractor fx;
  try {
    fx.impl_->module = torch::jit::load(path, torch::kCPU);
  } catch (const c10::Error& e) {
    throw std::runtime_error(path + ": not a loadable TorchScript feature extractor (" +
                             std::string(e.what_without_backtrace()).substr(0, 200) + ")");
  }
  fx.impl_->module.eval();
  const auto& schema = fx.impl_->module.get_method("forward").function().getSchema();
  for (const auto& arg : schema.arguments())
    if (arg.name() == "return_features") fx.impl_->wants_return_features = true;

  // Probe with two blank 64x64 images to learn the output size.
  at::Tensor out;
  try {
    out = fx.features(torch::zeros({2, 3, 64, 64}, torch::kUInt8));
  } catch (const std::exception& e) {
    throw std::runtime_error(
        path + ": feature extractor failed on a [2,3,64,64] uint8 probe: " + std::string(e.what()).substr(0, 300));
  }
  if (out.dim() != 2 || out.size(0) != 2)
    throw std::runtime_error(path + ": feature extractor returned shape " + c10::str(out.sizes()) +
                             " for 2 images; expected [2, D]");
  ExtractorInfo& info = fx.info_;
  info.path = path;
  info.dims = out.size(1);
  if (builtin) {
    info.kind = ExtractorKind::Builtin;
    info.suffix = "-builtin";
  } else if (fx.impl_->wants_return_features && info.dims == 2048) {
    info.kind = ExtractorKind::StandardInception;
  } else {
    info.kind = ExtractorKind::Custom;
    info.suffix = "-custom";
  }
  info.fd_label = info.kind == ExtractorKind::StandardInception ? "FID" : "FD" + info.suffix;
  log::get("metrics")->info("{}", info.describe());
  return fx;
}

at::Tensor FeatureExtractor::features(const at::Tensor& images) const {
  if (images.dim() != 4 || (images.size(1) != 1 && images.size(1) != 3))
    throw std::invalid_argument("feature extractor input must be [N, 1 or 3, H, W], got " + c10::str(images.sizes()));
  if (images.scalar_type() != torch::kUInt8)
    throw std::invalid_argument("feature extractor input must be uint8 (0..255)");
  at::Tensor x = images.size(1) == 1 ? images.expand({-1, 3, -1, -1}).contiguous() : images.contiguous();
  torch::NoGradGuard no_grad;
  std::vector<c10::IValue> args{x};
  std::unordered_map<std::string, c10::IValue> kwargs;
  if (impl_->wants_return_features) kwargs["return_features"] = true;
  c10::IValue result = impl_->module.get_method("forward")(std::move(args), kwargs);
  if (!result.isTensor()) throw std::runtime_error("feature extractor did not return a tensor");
  return result.toTensor().to(torch::kCPU, torch::kFloat).reshape({images.size(0), -1}).contiguous();
}

} // namespace gs::metrics
