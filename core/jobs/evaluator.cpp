#include "core/jobs/evaluator.h"

#include "core/io/npy.h"
#include "core/metrics/fid.h"
#include "core/metrics/kid.h"
#include "core/metrics/prdc.h"
#include "core/resources.h"

#include <torch/torch.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <sstream>

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

// A file name for the cached real features of this data, extractor file, sample count and seed.
std::string cache_file(const EvalSettings& s, const std::string& extractor_path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const auto size = fs::file_size(extractor_path, ec);
  const auto mtime = fs::last_write_time(extractor_path, ec).time_since_epoch().count();
  std::ostringstream key;
  key << s.data_key << '|' << fs::absolute(extractor_path).string() << '|' << size << '|' << mtime << '|' << s.n << '|'
      << s.seed;
  std::ostringstream name;
  name << std::hex << std::hash<std::string>{}(key.str()) << ".npy";
  return (fs::path(s.cache_dir) / name.str()).string();
}

} // namespace

std::string default_feature_cache_dir() {
  const char* xdg = std::getenv("XDG_CACHE_HOME");
  const char* home = std::getenv("HOME");
  const std::string base = xdg && *xdg ? xdg : std::string(home ? home : ".") + "/.cache";
  return base + "/ganstudio/real-features";
}

std::optional<std::string> builtin_extractor_path() {
  return find_resource("extractors/builtin-fashion-mnist.pt");
}

at::Tensor sample_images(const data::Dataset& d, int64_t n, uint64_t seed) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  const at::Tensor order = torch::randperm(d.size(), gen);
  std::vector<at::Tensor> images;
  for (int64_t i = 0; i < d.size() && static_cast<int64_t>(images.size()) < n; ++i) {
    try {
      images.push_back(d.get(order[i].item<int64_t>()).image);
    } catch (const data::BadSample&) {
    }
  }
  if (images.empty()) throw std::runtime_error(d.describe() + ": no readable image");
  return torch::stack(images);
}

Evaluator::Evaluator(const EvalSettings& settings, models::Generator& teacher, const at::Tensor& real_or_inputs)
    : settings_(settings), extractor_(open_extractor(settings.extractor)),
      image_to_image_(teacher.input_spec().kind == models::InputSpec::Kind::Image) {
  for (auto& m : settings_.metrics) {
    if (m == "fid") m = "fd";
    if (m != "fd" && m != "kid" && m != "pr" && m != "dc")
      throw std::invalid_argument("unknown metric '" + m + "' (fid, kid, pr, dc)");
  }
  if (settings.n < 6) throw std::invalid_argument("evaluation needs at least 6 samples (density uses k = 5)");
  torch::NoGradGuard no_grad;
  if (image_to_image_) {
    inputs_ = real_or_inputs.slice(0, 0, settings.n);
    real_features_ = generate_features(teacher);
  } else {
    auto gen = at::make_generator<at::CPUGeneratorImpl>(settings.seed + 7);
    inputs_ = at::randn({settings.n, teacher.input_spec().shape.at(0)}, gen);
    const at::Tensor pick = torch::randperm(real_or_inputs.size(0), gen).slice(0, 0, settings.n);
    const bool cached = !settings.cache_dir.empty() && !settings.data_key.empty();
    const std::string file = cached ? cache_file(settings, extractor_.info().path) : std::string();
    if (cached && std::filesystem::exists(file)) {
      try {
        real_features_ = io::read_npy(file);
        from_cache_ = real_features_.dim() == 2 && real_features_.size(0) == pick.size(0);
      } catch (const std::exception&) {
        from_cache_ = false; // a damaged cache file is recomputed and replaced
      }
    }
    if (!from_cache_) {
      real_features_ = features_of(real_or_inputs.index_select(0, pick));
      if (cached) {
        std::error_code ec;
        std::filesystem::create_directories(settings.cache_dir, ec);
        if (!ec) io::write_npy(file, real_features_);
      }
    }
  }
  if (real_features_.size(0) < 6) throw std::invalid_argument("evaluation needs at least 6 real samples");
}

bool Evaluator::wants(const char* metric) const {
  return std::find(settings_.metrics.begin(), settings_.metrics.end(), metric) != settings_.metrics.end();
}

at::Tensor Evaluator::features_of(const at::Tensor& images) const {
  std::vector<at::Tensor> parts;
  for (int64_t i = 0; i < images.size(0); i += kBatch) {
    parts.push_back(extractor_.features(images.slice(0, i, i + kBatch)));
    if (settings_.on_progress) settings_.on_progress(std::min(i + kBatch, images.size(0)), images.size(0));
  }
  return torch::cat(parts);
}

at::Tensor Evaluator::generate_features(models::Generator& g) const {
  torch::NoGradGuard no_grad;
  const auto params = g.module().parameters();
  const at::Device device = params.empty() ? at::Device(at::kCPU) : params.front().device();
  std::vector<at::Tensor> images;
  for (int64_t i = 0; i < inputs_.size(0); i += kBatch)
    images.push_back(to_uint8(g.forward(inputs_.slice(0, i, i + kBatch).to(device)).cpu()));
  return features_of(torch::cat(images));
}

nlohmann::json Evaluator::evaluate(models::Generator& g) const {
  const at::Tensor fake = generate_features(g);
  const int64_t n = std::min(fake.size(0), real_features_.size(0));
  const auto& info = extractor_.info();
  const std::string at = "@" + std::to_string(n);
  nlohmann::json out{{"n", n}, {"extractor", info.path}, {"labels", nlohmann::json::object()}};
  auto& labels = out["labels"];
  if (wants("fd")) {
    metrics::FeatureStats a, b;
    a.add(real_features_.to(torch::kDouble));
    b.add(fake.to(torch::kDouble));
    out["fd"] = metrics::frechet_distance(a, b);
    labels["fd"] = info.fd_label + at;
  }
  if (wants("kid")) {
    metrics::KidOptions k;
    k.seed = settings_.seed;
    const auto r = metrics::kernel_inception_distance(real_features_, fake, k);
    out["kid"] = r.mean;
    out["kid_std"] = r.std;
    labels["kid"] = "KID" + info.suffix + at;
  }
  if (wants("pr") || wants("dc")) {
    // One pass: precision / recall with k = 3, density / coverage with k = 5.
    metrics::PrdcOptions pr;
    pr.k = 3;
    pr.k_density = 5;
    const auto r = metrics::precision_recall_density_coverage(real_features_, fake, pr);
    const std::vector<std::pair<const char*, double>> values{
        {"precision", r.precision}, {"recall", r.recall}, {"density", r.density}, {"coverage", r.coverage}};
    for (size_t i = 0; i < values.size(); ++i) {
      if (!wants(i < 2 ? "pr" : "dc")) continue;
      out[values[i].first] = values[i].second;
      labels[values[i].first] = values[i].first + info.suffix + at;
    }
  }
  return out;
}

} // namespace gs::jobs
