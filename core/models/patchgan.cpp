// NLayerDiscriminator: stride-2 4x4 convs doubling up to 8*ndf, one stride-1 conv, then a 1-channel patch map.
#include "core/models/patchgan.h"

#include "core/models/cost.h"
#include "core/models/norm_layers.h"

#include <torch/torch.h>

namespace gs::models {
namespace {

// Module index of hidden convolution `i` (0 .. n_layers) and of the final one (i = n_layers + 1) in `model`.
std::string conv_name(int64_t i) {
  return "model." + std::to_string(i == 0 ? 0 : 2 + 3 * (i - 1));
}

class PatchGan : public Discriminator {
public:
  explicit PatchGan(const nlohmann::json& j)
      : input_nc_(j.value("input_nc", int64_t{3})), ndf_(j.value("ndf", int64_t{64})),
        n_layers_(j.value("n_layers", int64_t{3})), norm_(norm_from_name(j.value("norm", std::string("batch")))) {
    if (n_layers_ < 1 || ndf_ < 1 || input_nc_ < 1) throw ModelError("patchgan: bad options " + j.dump());
    const nlohmann::json given = j.value("widths", nlohmann::json::object());
    for (int64_t i = 0; i <= n_layers_; ++i) {
      const int64_t w = given.value(conv_name(i), ndf_ * std::min<int64_t>(int64_t{1} << i, 8));
      if (w < 1) throw ModelError("patchgan: width of " + conv_name(i) + " must be positive");
      widths_.push_back(w);
    }
    for (const auto& [name, w] : given.items())
      if (index_of(name) < 0) throw ModelError("patchgan: no layer group named '" + name + "'");
    list_ = root_->register_module("model", torch::nn::ModuleList());
    auto conv = [&](int64_t in, int64_t out, int64_t stride, bool bias) {
      auto c = torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, 4).stride(stride).padding(1).bias(bias));
      list_->push_back(c);
      convs_.push_back(c);
    };
    auto lrelu = [&] { list_->push_back(torch::nn::LeakyReLU(torch::nn::LeakyReLUOptions().negative_slope(0.2))); };
    conv(input_nc_, widths_[0], 2, true);
    lrelu();
    for (int64_t n = 1; n <= n_layers_; ++n) {
      conv(widths_[n - 1], widths_[n], n < n_layers_ ? 2 : 1, conv_bias(norm_));
      torch::nn::AnyModule norm = make_norm(norm_, widths_[n]);
      list_->push_back(norm.ptr());
      norms_.push_back(norm);
      lrelu();
    }
    conv(widths_.back(), 1, 1, true);
  }
  nlohmann::json options() const override {
    nlohmann::json widths = nlohmann::json::object();
    for (int64_t i = 0; i <= n_layers_; ++i) widths[conv_name(i)] = widths_[i];
    return {{"input_nc", input_nc_},
            {"ndf", ndf_},
            {"n_layers", n_layers_},
            {"norm", norm_name(norm_)},
            {"widths", widths}};
  }
  torch::nn::Module& module() override { return *root_; }
  at::Tensor features(const at::Tensor& images) override {
    namespace F = torch::nn::functional;
    auto lrelu = [](const at::Tensor& x) { return F::leaky_relu(x, F::LeakyReLUFuncOptions().negative_slope(0.2)); };
    at::Tensor x = lrelu(convs_[0]->forward(images));
    for (size_t i = 0; i < norms_.size(); ++i) x = lrelu(norms_[i].forward(convs_[i + 1]->forward(x)));
    return x;
  }
  at::Tensor head(const at::Tensor& features) override { return convs_.back()->forward(features); }

  // Each hidden convolution's outputs: its filters (and bias), the norm after it, the next convolution's inputs.
  std::vector<ChannelGroup> channel_groups() const override {
    std::vector<ChannelGroup> groups;
    for (int64_t i = 0; i <= n_layers_; ++i) {
      ChannelGroup g;
      g.name = conv_name(i);
      g.width = widths_[i];
      g.slots.push_back({g.name + ".weight", 0, 0, SlotRole::Producer});
      if (i == 0 || conv_bias(norm_)) g.slots.push_back({g.name + ".bias", 0, 0, SlotRole::Other});
      if (i > 0) add_norm_slots(g, norm_, "model." + std::to_string(3 + 3 * (i - 1)));
      g.slots.push_back({conv_name(i + 1) + ".weight", 1, 0, SlotRole::Consumer});
      groups.push_back(std::move(g));
    }
    return groups;
  }
  std::unique_ptr<Discriminator> with_widths(const std::map<std::string, int64_t>& widths) const override {
    return std::make_unique<PatchGan>(options_with_widths(options(), widths));
  }
  // k4 p1 convolutions: stride 2 halves the side, stride 1 takes one pixel off.
  CostReport cost(int64_t size) const override {
    std::vector<LayerCost> layers;
    int64_t in = input_nc_, side = size;
    for (int64_t i = 0; i <= n_layers_ + 1; ++i) {
      const bool last = i == n_layers_ + 1;
      side = i < n_layers_ ? side / 2 : side - 1;
      const int64_t out = last ? 1 : widths_[i];
      layers.push_back(conv2d_cost(conv_name(i), in, out, 4, side, side, i == 0 || last || conv_bias(norm_)));
      in = out;
    }
    return make_cost_report(std::move(layers), *root_);
  }

private:
  int64_t index_of(const std::string& name) const {
    for (int64_t i = 0; i <= n_layers_; ++i)
      if (conv_name(i) == name) return i;
    return -1;
  }

  int64_t input_nc_, ndf_, n_layers_;
  NormKind norm_;
  std::vector<int64_t> widths_;
  std::shared_ptr<torch::nn::Module> root_ = std::make_shared<torch::nn::Module>();
  torch::nn::ModuleList list_{nullptr};
  std::vector<torch::nn::Conv2d> convs_;
  std::vector<torch::nn::AnyModule> norms_;
};

} // namespace

std::unique_ptr<Discriminator> make_patchgan(const nlohmann::json& options) {
  return std::make_unique<PatchGan>(options);
}

std::optional<nlohmann::json> recognise_patchgan(const TensorMap& t) {
  auto first = t.find("model.0.weight");
  if (first == t.end() || first->second.dim() != 4 || first->second.size(2) != 4) return std::nullopt;
  int64_t convs = 1;
  while (t.count(conv_name(convs) + ".weight")) ++convs;
  const int64_t n_layers = convs - 2;
  if (n_layers < 1) return std::nullopt;
  nlohmann::json widths = nlohmann::json::object();
  for (int64_t i = 0; i <= n_layers; ++i) widths[conv_name(i)] = t.at(conv_name(i) + ".weight").size(0);
  return nlohmann::json{{"input_nc", first->second.size(1)},
                        {"ndf", first->second.size(0)},
                        {"n_layers", n_layers},
                        {"norm", norm_name(detect_norm(t, "model.2", "model.3"))},
                        {"widths", widths}};
}

} // namespace gs::models
