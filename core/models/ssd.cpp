// SSD generator and discriminator; see ssd.h for the layout.
#include "core/models/ssd.h"
#include "core/models/feature_tap.h"

#include "core/models/cost.h"
#include "core/models/norm_layers.h"
#include "core/models/output_tanh.h"
#include "core/models/transposed_conv.h"

#include <torch/torch.h>

namespace gs::models {
namespace {

namespace F = torch::nn::functional;

int64_t hidden_layers(int64_t size) {
  int64_t l = 1;
  while ((int64_t{4} << l) < size) ++l;
  if (size < 16 || (int64_t{4} << l) != size)
    throw ModelError("ssd: size must be a power of two of at least 16, got " + std::to_string(size));
  return l; // hidden layers: 4x4 first, then doubling; the output layer doubles once more
}

std::string conv_name(size_t i) {
  return "convs." + std::to_string(i);
}

struct GenConfig {
  int64_t z_dim = 100, ngf = 64, nc = 3, size = 64, const_width = 100;
  std::vector<int64_t> widths;
};

GenConfig parse_generator(const nlohmann::json& j) {
  GenConfig c;
  c.z_dim = j.value("z_dim", c.z_dim);
  c.ngf = j.value("ngf", c.ngf);
  c.nc = j.value("nc", c.nc);
  c.size = j.value("size", c.size);
  const int64_t l = hidden_layers(c.size);
  nlohmann::json widths = j.value("widths", nlohmann::json::object());
  c.const_width = widths.value("const", c.z_dim);
  widths.erase("const");
  for (int64_t i = 0; i < l; ++i) {
    c.widths.push_back(widths.value(conv_name(i), c.ngf << (l - 1 - i)));
    widths.erase(conv_name(i));
  }
  if (!widths.empty()) throw ModelError("ssd: no layer group named '" + widths.begin().key() + "'");
  for (int64_t w : c.widths)
    if (w < 1) throw ModelError("ssd: widths must be positive");
  if (c.z_dim < 1 || c.nc < 1 || c.const_width < 1) throw ModelError("ssd: z_dim, nc and widths must be positive");
  return c;
}

class SsdGenerator : public Generator {
public:
  explicit SsdGenerator(GenConfig c) : c_(std::move(c)) {
    auto& m = *root_;
    mapping_ = m.register_module("mapping", torch::nn::Linear(c_.z_dim, c_.z_dim));
    const_ = m.register_parameter("const", torch::randn({1, c_.const_width, 1, 1}));
    convs_ = m.register_module("convs", torch::nn::ModuleList());
    scales_ = m.register_module("style_scales", torch::nn::ModuleList());
    biases_ = m.register_module("style_biases", torch::nn::ModuleList());
    int64_t in = c_.const_width;
    for (size_t i = 0; i < c_.widths.size(); ++i) {
      convs_->push_back(torch::nn::ConvTranspose2d(
          torch::nn::ConvTranspose2dOptions(in, c_.widths[i], 4).stride(i == 0 ? 1 : 2).padding(i == 0 ? 0 : 1)));
      scales_->push_back(torch::nn::Linear(c_.z_dim, c_.widths[i]));
      biases_->push_back(torch::nn::Linear(c_.z_dim, c_.widths[i]));
      in = c_.widths[i];
    }
    convs_->push_back(torch::nn::ConvTranspose2d(torch::nn::ConvTranspose2dOptions(in, c_.nc, 4).stride(2).padding(1)));
  }

  Arch arch() const override { return Arch::SSD; }
  nlohmann::json options() const override {
    nlohmann::json widths{{"const", c_.const_width}};
    for (size_t i = 0; i < c_.widths.size(); ++i) widths[conv_name(i)] = c_.widths[i];
    return {{"z_dim", c_.z_dim}, {"ngf", c_.ngf}, {"nc", c_.nc}, {"size", c_.size}, {"widths", widths}};
  }
  InputSpec input_spec() const override { return {InputSpec::Kind::Latent, {c_.z_dim}}; }
  torch::nn::Module& module() override { return *root_; }

  at::Tensor map(const at::Tensor& z) override {
    at::Tensor w = F::normalize(z.reshape({z.size(0), c_.z_dim}), F::NormalizeFuncOptions().dim(1));
    for (int i = 0; i < 4; ++i) {
      w = mapping_->forward(w);
      if (i < 3) w = F::leaky_relu(w, F::LeakyReLUFuncOptions().negative_slope(0.2));
    }
    return w;
  }

  at::Tensor forward(const at::Tensor& input, const GenerateOptions& options) override {
    return synthesize(map(input), options);
  }

  at::Tensor synthesize(const at::Tensor& w, const GenerateOptions&) override {
    at::Tensor x = const_.expand({w.size(0), -1, -1, -1});
    const size_t hidden = c_.widths.size();
    for (size_t i = 0; i < hidden; ++i) {
      x = transposed_conv(*convs_[i]->as<torch::nn::ConvTranspose2d>(), x);
      x = F::instance_norm(x, F::InstanceNormFuncOptions().eps(1e-5));
      const at::Tensor scale = scales_[i]->as<torch::nn::Linear>()->forward(w).unsqueeze(2).unsqueeze(3);
      const at::Tensor bias = biases_[i]->as<torch::nn::Linear>()->forward(w).unsqueeze(2).unsqueeze(3);
      x = torch::relu(scale * x + bias);
      tap(conv_name(i), x);
    }
    return output_tanh(transposed_conv(*convs_[hidden]->as<torch::nn::ConvTranspose2d>(), x));
  }

  std::optional<std::string> torchscript_forward() const override {
    const std::string z = std::to_string(c_.z_dim);
    std::string src = "def forward(self, z):\n    w = z.reshape([z.size(0), " + z +
                      "])\n"
                      "    w = w / torch.clamp_min(torch.norm(w, 2, [1], True), 1e-12)\n";
    for (int i = 0; i < 4; ++i) {
      src += "    w = torch.linear(w, self.mapping_weight, self.mapping_bias)\n";
      if (i < 3) src += "    w = torch.leaky_relu(w, 0.2)\n";
    }
    src += "    x = self.const.expand([w.size(0), -1, -1, -1])\n";
    for (size_t i = 0; i <= c_.widths.size(); ++i) {
      const std::string n = std::to_string(i);
      src += "    x = torch.conv_transpose2d(x, self.convs_" + n + "_weight, self.convs_" + n + "_bias, " +
             (i == 0 ? "[1, 1], [0, 0]" : "[2, 2], [1, 1]") + ")\n";
      if (i == c_.widths.size()) break;
      src += "    x = torch.instance_norm(x, None, None, None, None, True, 0.1, 1e-5, False)\n"
             "    s = torch.linear(w, self.style_scales_" +
             n + "_weight, self.style_scales_" + n +
             "_bias)\n"
             "    b = torch.linear(w, self.style_biases_" +
             n + "_weight, self.style_biases_" + n +
             "_bias)\n"
             "    x = torch.relu(s.unsqueeze(2).unsqueeze(3) * x + b.unsqueeze(2).unsqueeze(3))\n";
    }
    return src + "    return torch.tanh(x)\n";
  }

  std::vector<ChannelGroup> channel_groups() const override {
    std::vector<ChannelGroup> groups{
        {"const", c_.const_width, {{"const", 1, 0, SlotRole::Producer}, {"convs.0.weight", 0, 0, SlotRole::Consumer}}}};
    for (size_t i = 0; i < c_.widths.size(); ++i) {
      const std::string n = std::to_string(i);
      groups.push_back({conv_name(i),
                        c_.widths[i],
                        {{conv_name(i) + ".weight", 1, 0, SlotRole::Producer},
                         {conv_name(i) + ".bias", 0},
                         {"style_scales." + n + ".weight", 0},
                         {"style_scales." + n + ".bias", 0},
                         {"style_biases." + n + ".weight", 0},
                         {"style_biases." + n + ".bias", 0},
                         {conv_name(i + 1) + ".weight", 0, 0, SlotRole::Consumer}},
                        true}); // AdaIN starts with an instance norm
    }
    return groups;
  }

  std::unique_ptr<Generator> with_widths(const std::map<std::string, int64_t>& widths) const override {
    return make_ssd_generator(options_with_widths(options(), widths));
  }

  CostReport cost(MacConvention convention) const override {
    std::vector<LayerCost> layers;
    LayerCost mapping = linear_cost("mapping (one Linear, 4 passes)", c_.z_dim, c_.z_dim, true);
    mapping.macs *= 4;
    mapping.outputs *= 4;
    layers.push_back(mapping);
    int64_t in = c_.const_width, h = 1;
    for (size_t i = 0; i < c_.widths.size(); ++i) {
      const int64_t out_h = i == 0 ? 4 : 2 * h;
      layers.push_back(conv_transpose2d_cost(conv_name(i), in, c_.widths[i], 4, h, h, out_h, out_h, true, convention));
      layers.push_back(linear_cost("style_scales." + std::to_string(i), c_.z_dim, c_.widths[i], true));
      layers.push_back(linear_cost("style_biases." + std::to_string(i), c_.z_dim, c_.widths[i], true));
      in = c_.widths[i];
      h = out_h;
    }
    layers.push_back(
        conv_transpose2d_cost(conv_name(c_.widths.size()), in, c_.nc, 4, h, h, 2 * h, 2 * h, true, convention));
    return make_cost_report(std::move(layers), *root_);
  }

private:
  GenConfig c_;
  std::shared_ptr<torch::nn::Module> root_ = std::make_shared<torch::nn::Module>();
  torch::nn::Linear mapping_{nullptr};
  at::Tensor const_;
  torch::nn::ModuleList convs_{nullptr}, scales_{nullptr}, biases_{nullptr};
};

// A convolution with torch.nn.utils.spectral_norm's parameterisation and buffer names.
struct SnConv2dImpl : torch::nn::Module {
  SnConv2dImpl(int64_t in, int64_t out) {
    weight_orig = register_parameter("weight_orig", torch::empty({out, in, 4, 4}));
    bias = register_parameter("bias", torch::zeros({out}));
    torch::nn::init::kaiming_uniform_(weight_orig, std::sqrt(5.0));
    weight_u = register_buffer("weight_u", F::normalize(torch::randn({out}), F::NormalizeFuncOptions().dim(0)));
    weight_v = register_buffer("weight_v", F::normalize(torch::randn({in * 16}), F::NormalizeFuncOptions().dim(0)));
  }
  at::Tensor forward(const at::Tensor& x) {
    const at::Tensor w = weight_orig.flatten(1);
    at::Tensor u = weight_u, v = weight_v;
    if (is_training()) {
      torch::NoGradGuard no_grad;
      v = F::normalize(torch::mv(w.t(), u), F::NormalizeFuncOptions().dim(0).eps(1e-12));
      u = F::normalize(torch::mv(w, v), F::NormalizeFuncOptions().dim(0).eps(1e-12));
      weight_u.copy_(u);
      weight_v.copy_(v);
      u = u.clone();
      v = v.clone();
    }
    const at::Tensor sigma = torch::dot(u, torch::mv(w, v));
    return F::conv2d(x, weight_orig / sigma, F::Conv2dFuncOptions().bias(bias).stride(2).padding(1));
  }
  at::Tensor weight_orig, bias, weight_u, weight_v;
};
TORCH_MODULE(SnConv2d);

struct DiscConfig {
  int64_t nc = 3, ndf = 64, size = 64;
  std::vector<int64_t> widths; // main.0, then sn_convs.0, sn_convs.1, ...
};

std::string disc_group(size_t i) {
  return i == 0 ? "main.0" : "sn_convs." + std::to_string(i - 1);
}

DiscConfig parse_discriminator(const nlohmann::json& j) {
  DiscConfig c;
  c.nc = j.value("nc", c.nc);
  c.ndf = j.value("ndf", c.ndf);
  c.size = j.value("size", c.size);
  const int64_t l = hidden_layers(c.size);
  nlohmann::json widths = j.value("widths", nlohmann::json::object());
  for (int64_t i = 0; i < l; ++i) {
    c.widths.push_back(widths.value(disc_group(i), c.ndf << i));
    widths.erase(disc_group(i));
  }
  if (!widths.empty()) throw ModelError("ssd: no discriminator layer group named '" + widths.begin().key() + "'");
  for (int64_t w : c.widths)
    if (w < 1) throw ModelError("ssd: discriminator widths must be positive");
  return c;
}

class SsdDiscriminator : public Discriminator {
public:
  explicit SsdDiscriminator(DiscConfig c) : c_(std::move(c)) {
    auto& m = *root_;
    main_ = m.register_module("main", torch::nn::Sequential(torch::nn::Conv2d(
                                          torch::nn::Conv2dOptions(c_.nc, c_.widths[0], 4).stride(2).padding(1))));
    sn_ = m.register_module("sn_convs", torch::nn::ModuleList());
    bns_ = m.register_module("bns", torch::nn::ModuleList());
    for (size_t i = 1; i < c_.widths.size(); ++i) {
      sn_->push_back(SnConv2d(c_.widths[i - 1], c_.widths[i]));
      bns_->push_back(torch::nn::BatchNorm2d(c_.widths[i]));
    }
    final_ = m.register_module("final", torch::nn::Conv2d(torch::nn::Conv2dOptions(c_.widths.back(), 1, 4)));
  }
  nlohmann::json options() const override {
    nlohmann::json widths;
    for (size_t i = 0; i < c_.widths.size(); ++i) widths[disc_group(i)] = c_.widths[i];
    return {{"nc", c_.nc}, {"ndf", c_.ndf}, {"size", c_.size}, {"widths", widths}};
  }
  torch::nn::Module& module() override { return *root_; }
  at::Tensor features(const at::Tensor& images) override {
    auto lrelu = [](const at::Tensor& x) { return F::leaky_relu(x, F::LeakyReLUFuncOptions().negative_slope(0.2)); };
    at::Tensor x = lrelu(main_->forward(images));
    for (size_t i = 0; i < sn_->size(); ++i)
      x = lrelu(bns_[i]->as<torch::nn::BatchNorm2d>()->forward(sn_[i]->as<SnConv2d>()->forward(x)));
    return x;
  }
  at::Tensor head(const at::Tensor& features) override { return final_->forward(features).flatten(); }
  // Each hidden convolution's outputs (filters, bias, spectral norm's u, the batch norm after it) with the next
  // layer's inputs: its weight_orig columns and the matching 4x4 blocks of its weight_v. Removing channels leaves
  // u^T W v, the spectral norm's sigma, what it is with them masked to zero, so slicing equals masking.
  std::vector<ChannelGroup> channel_groups() const override {
    std::vector<ChannelGroup> groups;
    const size_t l = c_.widths.size();
    for (size_t i = 0; i < l; ++i) {
      ChannelGroup g;
      g.name = disc_group(i);
      g.width = c_.widths[i];
      g.slots.push_back({g.name + (i == 0 ? ".weight" : ".weight_orig"), 0, 0, SlotRole::Producer});
      g.slots.push_back({g.name + ".bias", 0});
      if (i > 0) {
        g.slots.push_back({g.name + ".weight_u", 0});
        add_norm_slots(g, NormKind::Batch, "bns." + std::to_string(i - 1));
      }
      if (i + 1 < l) {
        g.slots.push_back({disc_group(i + 1) + ".weight_orig", 1, 0, SlotRole::Consumer});
        g.slots.push_back({disc_group(i + 1) + ".weight_v", 0, 0, SlotRole::Other, 16});
      } else {
        g.slots.push_back({"final.weight", 1, 0, SlotRole::Consumer});
      }
      groups.push_back(std::move(g));
    }
    return groups;
  }
  std::unique_ptr<Discriminator> with_widths(const std::map<std::string, int64_t>& widths) const override {
    return make_ssd_discriminator(options_with_widths(options(), widths));
  }
  CostReport cost(int64_t size) const override {
    std::vector<std::string> names;
    for (size_t i = 0; i < c_.widths.size(); ++i) names.push_back(disc_group(i));
    return make_cost_report(strided_discriminator_cost(names, c_.nc, c_.widths, size, true, "final"), *root_);
  }

private:
  DiscConfig c_;
  std::shared_ptr<torch::nn::Module> root_ = std::make_shared<torch::nn::Module>();
  torch::nn::Sequential main_{nullptr};
  torch::nn::ModuleList sn_{nullptr}, bns_{nullptr};
  torch::nn::Conv2d final_{nullptr};
};

std::optional<nlohmann::json> recognise_generator(const TensorMap& t) {
  for (const char* key : {"mapping.weight", "const", "convs.0.weight", "style_scales.0.weight"})
    if (!t.count(key)) return std::nullopt;
  size_t hidden = 0;
  while (t.count("style_scales." + std::to_string(hidden) + ".weight")) ++hidden;
  const std::string last = conv_name(hidden) + ".weight";
  if (!t.count(last) || t.at(last).dim() != 4) return std::nullopt;
  nlohmann::json widths{{"const", t.at("const").size(1)}};
  for (size_t i = 0; i < hidden; ++i) widths[conv_name(i)] = t.at(conv_name(i) + ".weight").size(1);
  return nlohmann::json{{"z_dim", t.at("mapping.weight").size(0)},
                        {"ngf", t.at(conv_name(hidden - 1) + ".weight").size(1)},
                        {"nc", t.at(last).size(1)},
                        {"size", int64_t{4} << hidden},
                        {"widths", widths}};
}

std::optional<nlohmann::json> recognise_discriminator(const TensorMap& d, const nlohmann::json& g) {
  if (!d.count("main.0.weight") || !d.count("final.weight")) return std::nullopt;
  const auto first = d.at("main.0.weight").sizes();
  nlohmann::json widths{{"main.0", first[0]}};
  for (size_t i = 1; d.count(disc_group(i) + ".weight_orig"); ++i)
    widths[disc_group(i)] = d.at(disc_group(i) + ".weight_orig").size(0);
  return nlohmann::json{{"nc", first[1]}, {"ndf", first[0]}, {"size", g["size"]}, {"widths", widths}};
}

std::optional<Recognised> recognise(const TensorMap& tensors, const io::Value*) {
  return recognise_state_dicts(tensors, recognise_generator, recognise_discriminator);
}

} // namespace

std::unique_ptr<Generator> make_ssd_generator(const nlohmann::json& options) {
  return std::make_unique<SsdGenerator>(parse_generator(options));
}

std::unique_ptr<Discriminator> make_ssd_discriminator(const nlohmann::json& options) {
  return std::make_unique<SsdDiscriminator>(parse_discriminator(options));
}

ArchEntry ssd_entry() {
  ArchEntry e;
  e.arch = Arch::SSD;
  e.generator_key = "netG";
  e.discriminator_key = "netD";
  e.recognise = recognise;
  e.build_generator = make_ssd_generator;
  e.build_discriminator = make_ssd_discriminator;
  return e;
}

} // namespace gs::models
