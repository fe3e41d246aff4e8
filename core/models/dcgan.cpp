// DCGAN as in pytorch/examples, generalised to any power-of-two size and per-layer widths.
#include "core/models/dcgan.h"
#include "core/models/feature_tap.h"

#include "core/models/cost.h"
#include "core/models/norm_layers.h"
#include "core/models/output_tanh.h"
#include "core/models/transposed_conv.h"

#include <torch/torch.h>

namespace gs::models {
namespace {

// Hidden layers for a size: the first makes 4x4, each further one and the output layer double it.
int64_t hidden_layers(int64_t size) {
  int64_t l = 0;
  while ((int64_t{4} << (l + 1)) < size) ++l;
  if (size < 16 || (int64_t{4} << (l + 1)) != size)
    throw ModelError("dcgan: size must be a power of two of at least 16, got " + std::to_string(size));
  return l + 1;
}

std::string layer(int64_t index) {
  return "main." + std::to_string(index);
}

struct Config {
  int64_t nz = 100, base = 64, nc = 3, size = 64;
  std::vector<int64_t> widths; // per hidden layer
  std::vector<std::string> names;
};

// Shared by generator and discriminator: widths keyed by group name, defaulting to base * 2^k.
Config parse(const nlohmann::json& j, const char* base_key, bool generator) {
  Config c;
  c.nz = j.value("nz", c.nz);
  c.base = j.value(base_key, c.base);
  c.nc = j.value("nc", c.nc);
  c.size = j.value("size", c.size);
  const int64_t l = hidden_layers(c.size);
  if (c.nz < 1 || c.base < 1 || c.nc < 1) throw ModelError("dcgan: nz, widths and nc must be positive");
  const nlohmann::json widths = j.value("widths", nlohmann::json::object());
  for (int64_t i = 0; i < l; ++i) {
    // Generator: widest first; discriminator: narrowest first.
    const int64_t k = generator ? l - 1 - i : i;
    const std::string name = layer(generator ? 3 * i : (i == 0 ? 0 : 3 * i - 1));
    c.names.push_back(name);
    c.widths.push_back(widths.value(name, c.base << k));
    if (c.widths.back() < 1) throw ModelError("dcgan: width of " + name + " must be positive");
  }
  for (const auto& [name, w] : widths.items())
    if (std::find(c.names.begin(), c.names.end(), name) == c.names.end())
      throw ModelError("dcgan: no layer group named '" + name + "'");
  return c;
}

nlohmann::json widths_json(const Config& c) {
  nlohmann::json w = nlohmann::json::object();
  for (size_t i = 0; i < c.names.size(); ++i) w[c.names[i]] = c.widths[i];
  return w;
}

// Upstream's weights_init: conv weights N(0, 0.02), BatchNorm scale N(1, 0.02) and shift 0.
void init_weights(torch::nn::Module& m) {
  torch::NoGradGuard no_grad;
  for (auto& item : m.named_parameters(true)) {
    const std::string& name = item.key();
    at::Tensor& p = item.value();
    const bool norm = p.dim() == 1;
    if (!norm)
      p.normal_(0, 0.02);
    else if (name.size() > 6 && name.compare(name.size() - 6, 6, "weight") == 0)
      p.normal_(1, 0.02);
    else
      p.zero_();
  }
}

class DcganGenerator : public Generator {
public:
  explicit DcganGenerator(Config c) : c_(std::move(c)) {
    main_ = root_->register_module("main", torch::nn::Sequential());
    const auto l = static_cast<int64_t>(c_.widths.size());
    for (int64_t i = 0; i < l; ++i) {
      const int64_t in = i == 0 ? c_.nz : c_.widths[i - 1];
      main_->push_back(torch::nn::ConvTranspose2d(torch::nn::ConvTranspose2dOptions(in, c_.widths[i], 4)
                                                      .stride(i == 0 ? 1 : 2)
                                                      .padding(i == 0 ? 0 : 1)
                                                      .bias(false)));
      main_->push_back(torch::nn::BatchNorm2d(c_.widths[i]));
      main_->push_back(torch::nn::ReLU(true));
    }
    main_->push_back(torch::nn::ConvTranspose2d(
        torch::nn::ConvTranspose2dOptions(c_.widths.back(), c_.nc, 4).stride(2).padding(1).bias(false)));
    main_->push_back(torch::nn::Tanh());
    init_weights(*root_);
  }

  Arch arch() const override { return Arch::DCGAN; }
  nlohmann::json options() const override {
    return {{"nz", c_.nz}, {"ngf", c_.base}, {"nc", c_.nc}, {"size", c_.size}, {"widths", widths_json(c_)}};
  }
  InputSpec input_spec() const override { return {InputSpec::Kind::Latent, {c_.nz}}; }
  torch::nn::Module& module() override { return *root_; }

  at::Tensor forward(const at::Tensor& input, const GenerateOptions&) override {
    at::Tensor x = input.reshape({input.size(0), c_.nz, 1, 1});
    if (tapping()) {
      // Conv, norm, ReLU per hidden layer: group main.<conv index> is complete after its ReLU.
      for (size_t i = 0; i < main_->size(); ++i) {
        auto& layer = main_->begin()[static_cast<std::ptrdiff_t>(i)];
        auto* conv = layer.ptr()->as<torch::nn::ConvTranspose2d>();
        x = conv ? transposed_conv(*conv, x) : layer.ptr()->as<torch::nn::Tanh>() ? output_tanh(x) : layer.forward(x);
        if (i % 3 == 2 && i / 3 < c_.widths.size()) tap("main." + std::to_string(i - 2), x);
      }
      return x;
    }
    // Untapped, each convolution after the first takes the norm and ReLU before it in with its input (laid out
    // straight from the sums before where both take the direct route), and the output layer's direct route the tanh
    // after it, applied to each plane as it is written.
    x = transposed_conv(*main_[0]->as<torch::nn::ConvTranspose2d>(), x);
    std::vector<NormConv> hidden;
    for (size_t i = 1; i + 2 < main_->size(); i += 3)
      hidden.push_back({main_[i]->as<torch::nn::BatchNorm2d>(), main_[i + 2]->as<torch::nn::ConvTranspose2d>()});
    bool finished = false;
    x = transposed_conv_run(hidden, x, output_tanh_finish(), &finished);
    return finished ? x : output_tanh(x);
  }

  std::optional<std::string> torchscript_forward() const override {
    std::string src = "def forward(self, z):\n    x = z.reshape([z.size(0), " + std::to_string(c_.nz) + ", 1, 1])\n";
    for (size_t i = 0; i <= c_.widths.size(); ++i) {
      const auto conv = "self.main_" + std::to_string(3 * i), bn = "self.main_" + std::to_string(3 * i + 1);
      src += "    x = torch.conv_transpose2d(x, " + conv + "_weight, None, " +
             (i == 0 ? "[1, 1], [0, 0]" : "[2, 2], [1, 1]") + ")\n";
      if (i == c_.widths.size()) break;
      src += "    x = torch.relu(torch.batch_norm(x, " + bn + "_weight, " + bn + "_bias, " + bn + "_running_mean, " +
             bn + "_running_var, False, 0.1, 1e-5, False))\n";
    }
    return src + "    return torch.tanh(x)\n";
  }

  std::vector<ChannelGroup> channel_groups() const override {
    std::vector<ChannelGroup> groups;
    for (size_t i = 0; i < c_.widths.size(); ++i) {
      const auto conv = static_cast<int64_t>(3 * i);
      const std::string bn = layer(conv + 1), next = layer(conv + 3);
      groups.push_back({layer(conv),
                        c_.widths[i],
                        {{layer(conv) + ".weight", 1, 0, SlotRole::Producer},
                         {bn + ".weight", 0, 0, SlotRole::NormScale},
                         {bn + ".bias", 0},
                         {bn + ".running_mean", 0},
                         {bn + ".running_var", 0},
                         {next + ".weight", 0, 0, SlotRole::Consumer}}});
    }
    return groups;
  }

  std::unique_ptr<Generator> with_widths(const std::map<std::string, int64_t>& widths) const override {
    return make_dcgan_generator(options_with_widths(options(), widths));
  }

  CostReport cost(MacConvention convention) const override {
    std::vector<LayerCost> layers;
    int64_t in = c_.nz, h = 1;
    for (size_t i = 0; i < c_.widths.size(); ++i) {
      const int64_t out_h = i == 0 ? 4 : 2 * h;
      layers.push_back(conv_transpose2d_cost(layer(3 * static_cast<int64_t>(i)), in, c_.widths[i], 4, h, h, out_h,
                                             out_h, false, convention));
      in = c_.widths[i];
      h = out_h;
    }
    layers.push_back(conv_transpose2d_cost(layer(3 * static_cast<int64_t>(c_.widths.size())), in, c_.nc, 4, h, h, 2 * h,
                                           2 * h, false, convention));
    return make_cost_report(std::move(layers), *root_);
  }

private:
  Config c_;
  std::shared_ptr<torch::nn::Module> root_ = std::make_shared<torch::nn::Module>();
  torch::nn::Sequential main_{nullptr};
};

class DcganDiscriminator : public Discriminator {
public:
  explicit DcganDiscriminator(Config c) : c_(std::move(c)) {
    main_ = root_->register_module("main", torch::nn::Sequential());
    int64_t in = c_.nc;
    for (size_t i = 0; i < c_.widths.size(); ++i) {
      main_->push_back(
          torch::nn::Conv2d(torch::nn::Conv2dOptions(in, c_.widths[i], 4).stride(2).padding(1).bias(false)));
      if (i > 0) main_->push_back(torch::nn::BatchNorm2d(c_.widths[i]));
      main_->push_back(torch::nn::LeakyReLU(torch::nn::LeakyReLUOptions().negative_slope(0.2).inplace(true)));
      in = c_.widths[i];
    }
    main_->push_back(torch::nn::Conv2d(torch::nn::Conv2dOptions(in, 1, 4).bias(false)));
    init_weights(*root_);
  }
  nlohmann::json options() const override {
    return {{"ndf", c_.base}, {"nc", c_.nc}, {"size", c_.size}, {"widths", widths_json(c_)}};
  }
  torch::nn::Module& module() override { return *root_; }
  at::Tensor features(const at::Tensor& images) override {
    at::Tensor x = images;
    for (auto it = main_->begin(); it + 1 != main_->end(); ++it) x = it->forward(x);
    return x;
  }
  at::Tensor head(const at::Tensor& features) override { return (main_->end() - 1)->forward(features).flatten(); }
  // Each hidden convolution's outputs, its batch norm (all but the first have one) and the next convolution's inputs.
  std::vector<ChannelGroup> channel_groups() const override {
    std::vector<ChannelGroup> groups;
    const size_t l = c_.widths.size();
    for (size_t i = 0; i < l; ++i) {
      ChannelGroup g;
      g.name = c_.names[i];
      g.width = c_.widths[i];
      g.slots.push_back({g.name + ".weight", 0, 0, SlotRole::Producer});
      if (i > 0) add_norm_slots(g, NormKind::Batch, layer(3 * static_cast<int64_t>(i)));
      g.slots.push_back({(i + 1 < l ? c_.names[i + 1] : layer(3 * static_cast<int64_t>(l) - 1)) + ".weight", 1, 0,
                         SlotRole::Consumer});
      groups.push_back(std::move(g));
    }
    return groups;
  }
  std::unique_ptr<Discriminator> with_widths(const std::map<std::string, int64_t>& widths) const override {
    return make_dcgan_discriminator(options_with_widths(options(), widths));
  }
  CostReport cost(int64_t size) const override {
    return make_cost_report(strided_discriminator_cost(c_.names, c_.nc, c_.widths, size, false,
                                                       layer(3 * static_cast<int64_t>(c_.widths.size()) - 1)),
                            *root_);
  }

private:
  Config c_;
  std::shared_ptr<torch::nn::Module> root_ = std::make_shared<torch::nn::Module>();
  torch::nn::Sequential main_{nullptr};
};

bool is_4d(const TensorMap& t, const std::string& key) {
  auto it = t.find(key);
  return it != t.end() && it->second.dim() == 4;
}

std::optional<nlohmann::json> recognise_generator(const TensorMap& tensors) {
  if (!is_4d(tensors, "main.0.weight") || !tensors.count("main.1.running_mean")) return std::nullopt;
  for (const auto& [name, t] : tensors)
    if (name.rfind("main.", 0) != 0) return std::nullopt;
  int64_t l = 0;
  while (is_4d(tensors, layer(3 * l) + ".weight") && tensors.count(layer(3 * l + 1) + ".running_mean")) ++l;
  const std::string last = layer(3 * l) + ".weight";
  if (!is_4d(tensors, last)) return std::nullopt;
  nlohmann::json widths = nlohmann::json::object();
  for (int64_t i = 0; i < l; ++i) widths[layer(3 * i)] = tensors.at(layer(3 * i) + ".weight").size(1);
  return nlohmann::json{{"nz", tensors.at("main.0.weight").size(0)},
                        {"ngf", widths[layer(3 * (l - 1))]},
                        {"nc", tensors.at(last).size(1)},
                        {"size", int64_t{4} << l},
                        {"widths", widths}};
}

// The discriminator's widths are its convolutions' output channels, keyed by module index.
std::optional<nlohmann::json> recognise_discriminator(const TensorMap& d, const nlohmann::json& g) {
  if (!is_4d(d, "main.0.weight")) return std::nullopt;
  nlohmann::json widths = nlohmann::json::object();
  for (const auto& [name, t] : d)
    if (t.dim() == 4 && name.size() > 7 && name.compare(name.size() - 7, 7, ".weight") == 0 && t.size(0) > 1)
      widths[name.substr(0, name.size() - 7)] = t.size(0);
  return nlohmann::json{{"nc", d.at("main.0.weight").size(1)},
                        {"ndf", d.at("main.0.weight").size(0)},
                        {"size", g["size"]},
                        {"widths", widths}};
}

std::optional<Recognised> recognise(const TensorMap& tensors, const io::Value*) {
  return recognise_state_dicts(tensors, recognise_generator, recognise_discriminator);
}

} // namespace

std::unique_ptr<Generator> make_dcgan_generator(const nlohmann::json& options) {
  return std::make_unique<DcganGenerator>(parse(options, "ngf", true));
}

std::unique_ptr<Discriminator> make_dcgan_discriminator(const nlohmann::json& options) {
  return std::make_unique<DcganDiscriminator>(parse(options, "ndf", false));
}

ArchEntry dcgan_entry() {
  ArchEntry e;
  e.arch = Arch::DCGAN;
  e.generator_key = "netG";
  e.discriminator_key = "netD";
  e.recognise = recognise;
  e.build_generator = make_dcgan_generator;
  e.build_discriminator = make_dcgan_discriminator;
  return e;
}

} // namespace gs::models
