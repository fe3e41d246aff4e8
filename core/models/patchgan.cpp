// NLayerDiscriminator: stride-2 4x4 convs doubling up to 8*ndf, one stride-1 conv, then a 1-channel patch map.
#include "core/models/patchgan.h"

#include "core/models/norm_layers.h"

#include <torch/torch.h>

namespace gs::models {
namespace {

class PatchGan : public Discriminator {
public:
  explicit PatchGan(const nlohmann::json& j)
      : input_nc_(j.value("input_nc", int64_t{3})), ndf_(j.value("ndf", int64_t{64})),
        n_layers_(j.value("n_layers", int64_t{3})), norm_(norm_from_name(j.value("norm", std::string("batch")))) {
    if (n_layers_ < 1 || ndf_ < 1 || input_nc_ < 1) throw ModelError("patchgan: bad options " + j.dump());
    list_ = root_->register_module("model", torch::nn::ModuleList());
    auto conv = [&](int64_t in, int64_t out, int64_t stride, bool bias) {
      auto c = torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, 4).stride(stride).padding(1).bias(bias));
      list_->push_back(c);
      convs_.push_back(c);
    };
    auto lrelu = [&] { list_->push_back(torch::nn::LeakyReLU(torch::nn::LeakyReLUOptions().negative_slope(0.2))); };
    conv(input_nc_, ndf_, 2, true);
    lrelu();
    int64_t mult = 1;
    for (int64_t n = 1; n <= n_layers_; ++n) {
      const int64_t prev = mult;
      mult = std::min<int64_t>(int64_t{1} << n, 8);
      conv(ndf_ * prev, ndf_ * mult, n < n_layers_ ? 2 : 1, conv_bias(norm_));
      torch::nn::AnyModule norm = make_norm(norm_, ndf_ * mult);
      list_->push_back(norm.ptr());
      norms_.push_back(norm);
      lrelu();
    }
    conv(ndf_ * mult, 1, 1, true);
  }
  nlohmann::json options() const override {
    return {{"input_nc", input_nc_}, {"ndf", ndf_}, {"n_layers", n_layers_}, {"norm", norm_name(norm_)}};
  }
  torch::nn::Module& module() override { return *root_; }
  at::Tensor forward(const at::Tensor& images) override {
    namespace F = torch::nn::functional;
    auto lrelu = [](const at::Tensor& x) { return F::leaky_relu(x, F::LeakyReLUFuncOptions().negative_slope(0.2)); };
    at::Tensor x = lrelu(convs_[0]->forward(images));
    for (size_t i = 0; i < norms_.size(); ++i) x = lrelu(norms_[i].forward(convs_[i + 1]->forward(x)));
    return convs_.back()->forward(x);
  }

private:
  int64_t input_nc_, ndf_, n_layers_;
  NormKind norm_;
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
  while (t.count("model." + std::to_string(2 + 3 * (convs - 1)) + ".weight")) ++convs;
  const int64_t n_layers = convs - 2;
  if (n_layers < 1) return std::nullopt;
  return nlohmann::json{{"input_nc", first->second.size(1)},
                        {"ndf", first->second.size(0)},
                        {"n_layers", n_layers},
                        {"norm", norm_name(detect_norm(t, "model.2", "model.3"))}};
}

} // namespace gs::models
