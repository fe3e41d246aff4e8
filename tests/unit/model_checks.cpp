// Shared model checks; see model_checks.h.
#include "model_checks.h"

#include "core/models/channel_ops.h"
#include "core/models/feature_tap.h"
#include "core/models/registry.h"
#include "core/models/state_loading.h"
#include "core/models/torchscript_export.h"

#include <torch/script.h>
#include <torch/torch.h>

#include <random>
#include <sstream>

namespace gs::test {

at::Tensor sample_inputs(const models::Generator& g, int64_t n, uint64_t seed) {
  auto spec = g.input_spec();
  std::vector<int64_t> shape{n};
  shape.insert(shape.end(), spec.shape.begin(), spec.shape.end());
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  if (spec.kind == models::InputSpec::Kind::Latent) return at::randn(shape, gen);
  return at::rand(shape, gen) * 2 - 1;
}

double relative_max_diff(const at::Tensor& a, const at::Tensor& b) {
  const double scale = b.abs().max().item<double>();
  const double diff = (a - b).abs().max().item<double>();
  return scale > 0 ? diff / scale : diff;
}

std::string slice_equals_mask(models::Generator& g, int trials, uint64_t seed, double tolerance) {
  torch::NoGradGuard no_grad;
  g.module().eval();
  std::mt19937_64 rng(seed);
  const auto groups = g.channel_groups();
  if (groups.empty()) return "the generator lists no channel groups";
  for (int trial = 0; trial < trials; ++trial) {
    models::KeptChannels kept;
    for (const auto& group : groups) {
      std::vector<int64_t> all(group.width);
      for (int64_t c = 0; c < group.width; ++c) all[c] = c;
      std::shuffle(all.begin(), all.end(), rng);
      const int64_t keep = 1 + static_cast<int64_t>(rng() % group.width);
      all.resize(keep);
      std::sort(all.begin(), all.end());
      kept[group.name] = all;
    }
    const at::Tensor x = sample_inputs(g, 2, seed + trial);
    auto small = models::slice(g, kept);
    small->module().eval();
    models::FeatureTap sliced_tap;
    const at::Tensor sliced = small->forward(x);
    auto masked_model = models::clone(g);
    masked_model->module().eval();
    models::mask(*masked_model, kept);
    models::FeatureTap masked_tap;
    const at::Tensor masked = masked_model->forward(x);
    // Every group computed inside the network reports its activations, and the sliced one's equal the masked one's
    // at the kept channels (what feature distillation relies on). Learned constant inputs are parameters, not taps.
    for (const auto& group : groups) {
      const auto s = sliced_tap.features().find(group.name), m = masked_tap.features().find(group.name);
      if (s == sliced_tap.features().end() || m == masked_tap.features().end()) {
        if (group.name == "const" || group.name == "input") continue;
        return "group " + group.name + " reports no activations";
      }
      const at::Tensor index = torch::tensor(kept[group.name], torch::kLong);
      const at::Tensor expected = m->second.index_select(1, index);
      if (expected.sizes() != s->second.sizes()) return "group " + group.name + ": activation shapes differ";
      if (!(relative_max_diff(s->second, expected) <= tolerance + 1e-6))
        return "group " + group.name + ": sliced activations differ from the masked ones at the kept channels by " +
               std::to_string(relative_max_diff(s->second, expected)) + " (relative)";
    }
    if (sliced.sizes() != masked.sizes()) return "trial " + std::to_string(trial) + ": output shapes differ";
    const double d = relative_max_diff(sliced, masked);
    if (!(d <= tolerance)) {
      std::ostringstream os;
      os << "trial " << trial << ": sliced and masked outputs differ by " << d << " (relative)";
      return os.str();
    }
  }
  return {};
}

std::string save_load_round_trip(models::Generator& g, const std::string& dir) {
  torch::NoGradGuard no_grad;
  models::Model m;
  m.arch = g.arch();
  m.generator = models::clone(g);
  const std::string path = dir + "/round_trip.pt";
  models::save_model(path, m);
  models::Model back = models::load_model(path);
  if (back.arch != g.arch()) return "loaded back as a different architecture";
  g.module().eval();
  const at::Tensor x = sample_inputs(g, 2, 7);
  const double d = relative_max_diff(back.generator->forward(x), g.forward(x));
  if (d > 1e-6) return "outputs differ after saving and loading: " + std::to_string(d);
  return {};
}

std::string load_error_after_edit(const std::string& path, const std::string& prefix,
                                  const std::function<void(std::vector<io::NamedTensor>&)>& edit) {
  io::Checkpoint ckpt = io::load_checkpoint(path);
  const std::string p = prefix.empty() ? "" : prefix + ".";
  std::vector<io::NamedTensor> tensors;
  for (auto& nt : io::flatten_tensors(ckpt.doc.root))
    if (nt.name.rfind(p, 0) == 0) tensors.push_back({nt.name.substr(p.size()), nt.tensor});
  edit(tensors);
  io::ValueArena arena;
  try {
    models::load_model(io::make_state_dict(arena, tensors), "edited");
  } catch (const models::ModelError& e) {
    return e.what();
  }
  return {};
}

std::string torchscript_matches(models::Generator& g, const std::string& path, double tolerance) {
  models::KeptChannels kept;
  for (const auto& group : g.channel_groups())
    for (int64_t c = 0; c < group.width; c += 2) kept[group.name].push_back(c);
  auto small = models::slice(g, kept);
  for (models::Generator* m : {&g, small.get()}) {
    m->module().eval();
    models::export_torchscript(*m, path);
    torch::jit::Module ts = torch::jit::load(path);
    torch::NoGradGuard no_grad;
    const at::Tensor x = sample_inputs(*m, 3, 3);
    const double d = relative_max_diff(ts.forward({x}).toTensor(), m->forward(x));
    if (!(d <= tolerance))
      return std::string(m == &g ? "full" : "sliced") + " generator: TorchScript differs by " + std::to_string(d);
  }
  return {};
}

} // namespace gs::test
