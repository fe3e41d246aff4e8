// ResnetGenerator: reflect-pad 7x7 stem, two stride-2 downs, residual blocks on a tied trunk, two transposed ups.
#include "core/models/cyclegan.h"
#include "core/models/feature_tap.h"

#include "core/models/cost.h"
#include "core/models/norm_layers.h"
#include "core/models/output_tanh.h"
#include "core/models/patchgan.h"
#include "core/models/transposed_conv.h"

#include <torch/torch.h>

namespace gs::models {
namespace {

namespace F = torch::nn::functional;

struct ResnetConfig {
  int64_t input_nc = 3, output_nc = 3, ngf = 64, n_blocks = 9, load_size = 256;
  NormKind norm = NormKind::Instance;
  bool dropout = false;
  int64_t stem = 0, down0 = 0, trunk = 0, up0 = 0, up1 = 0;
  std::vector<int64_t> blocks;
};

std::string block_name(int64_t b) {
  return "blocks." + std::to_string(b);
}
std::string m(int64_t index, const char* leaf = "") {
  return "model." + std::to_string(index) + leaf;
}

ResnetConfig parse(const nlohmann::json& j) {
  ResnetConfig c;
  c.input_nc = j.value("input_nc", c.input_nc);
  c.output_nc = j.value("output_nc", c.output_nc);
  c.ngf = j.value("ngf", c.ngf);
  c.n_blocks = j.value("n_blocks", c.n_blocks);
  c.load_size = j.value("load_size", c.load_size);
  c.norm = norm_from_name(j.value("norm", std::string("instance")));
  c.dropout = j.value("use_dropout", false);
  if (c.n_blocks < 0 || c.ngf < 1) throw ModelError("cyclegan: bad options " + j.dump());
  nlohmann::json w = j.value("widths", nlohmann::json::object());
  auto take = [&](const std::string& name, int64_t fallback) {
    const int64_t v = w.value(name, fallback);
    w.erase(name);
    if (v < 1) throw ModelError("cyclegan: width of " + name + " must be positive");
    return v;
  };
  c.stem = take("stem", c.ngf);
  c.down0 = take("down.0", 2 * c.ngf);
  c.trunk = take("trunk", 4 * c.ngf);
  for (int64_t b = 0; b < c.n_blocks; ++b) c.blocks.push_back(take(block_name(b), 4 * c.ngf));
  c.up0 = take("up.0", 2 * c.ngf);
  c.up1 = take("up.1", c.ngf);
  if (!w.empty()) throw ModelError("cyclegan: no channel group named '" + w.begin().key() + "'");
  return c;
}

struct ResnetBlockImpl : torch::nn::Module {
  ResnetBlockImpl(int64_t dim, int64_t inner, NormKind norm, bool dropout) : second(dropout ? 6 : 5) {
    conv_block = register_module("conv_block", torch::nn::ModuleList());
    const bool bias = conv_bias(norm);
    conv1 = torch::nn::Conv2d(torch::nn::Conv2dOptions(dim, inner, 3).bias(bias));
    conv2 = torch::nn::Conv2d(torch::nn::Conv2dOptions(inner, dim, 3).bias(bias));
    norm1 = make_norm(norm, inner);
    norm2 = make_norm(norm, dim);
    conv_block->push_back(torch::nn::ReflectionPad2d(1));
    conv_block->push_back(conv1);
    conv_block->push_back(norm1.ptr());
    conv_block->push_back(torch::nn::ReLU());
    if (dropout) conv_block->push_back(torch::nn::Dropout(0.5));
    conv_block->push_back(torch::nn::ReflectionPad2d(1));
    conv_block->push_back(conv2);
    conv_block->push_back(norm2.ptr());
    this->dropout = dropout;
  }
  at::Tensor forward(const at::Tensor& x) {
    auto pad = [](const at::Tensor& t) { return F::pad(t, F::PadFuncOptions({1, 1, 1, 1}).mode(torch::kReflect)); };
    at::Tensor h = torch::relu(norm1.forward(conv1->forward(pad(x))));
    tap(tap_name, h);
    if (dropout) h = F::dropout(h, F::DropoutFuncOptions().p(0.5).training(is_training()));
    return x + norm2.forward(conv2->forward(pad(h)));
  }
  std::string tap_name; // the block's inner channel group
  int second;           // index of the second conv inside conv_block (after the optional dropout)
  bool dropout = false;
  torch::nn::ModuleList conv_block{nullptr};
  torch::nn::Conv2d conv1{nullptr}, conv2{nullptr};
  torch::nn::AnyModule norm1, norm2;
};
TORCH_MODULE(ResnetBlock);

class ResnetGenerator : public Generator {
public:
  explicit ResnetGenerator(ResnetConfig c) : c_(std::move(c)) {
    list_ = root_->register_module("model", torch::nn::ModuleList());
    const bool bias = conv_bias(c_.norm);
    auto conv = [&](int64_t in, int64_t out, int64_t k, int64_t stride, int64_t pad, bool b) {
      auto layer = torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, k).stride(stride).padding(pad).bias(b));
      list_->push_back(layer);
      return layer;
    };
    auto up = [&](int64_t in, int64_t out) {
      auto layer = torch::nn::ConvTranspose2d(
          torch::nn::ConvTranspose2dOptions(in, out, 3).stride(2).padding(1).output_padding(1).bias(bias));
      list_->push_back(layer);
      return layer;
    };
    auto norm = [&](int64_t channels) {
      torch::nn::AnyModule n = make_norm(c_.norm, channels);
      list_->push_back(n.ptr());
      list_->push_back(torch::nn::ReLU());
      return n;
    };
    list_->push_back(torch::nn::ReflectionPad2d(3));
    stem_ = conv(c_.input_nc, c_.stem, 7, 1, 0, bias);
    norms_.push_back(norm(c_.stem));
    down0_ = conv(c_.stem, c_.down0, 3, 2, 1, bias);
    norms_.push_back(norm(c_.down0));
    down1_ = conv(c_.down0, c_.trunk, 3, 2, 1, bias);
    norms_.push_back(norm(c_.trunk));
    for (int64_t b = 0; b < c_.n_blocks; ++b) {
      blocks_.push_back(ResnetBlock(c_.trunk, c_.blocks[b], c_.norm, c_.dropout));
      blocks_.back()->tap_name = block_name(b);
      list_->push_back(blocks_.back());
    }
    up0_ = up(c_.trunk, c_.up0);
    norms_.push_back(norm(c_.up0));
    up1_ = up(c_.up0, c_.up1);
    norms_.push_back(norm(c_.up1));
    list_->push_back(torch::nn::ReflectionPad2d(3));
    out_ = conv(c_.up1, c_.output_nc, 7, 1, 0, true);
    list_->push_back(torch::nn::Tanh());
  }

  Arch arch() const override { return Arch::CycleGAN; }
  nlohmann::json options() const override {
    nlohmann::json w{{"stem", c_.stem}, {"down.0", c_.down0}, {"trunk", c_.trunk}, {"up.0", c_.up0}, {"up.1", c_.up1}};
    for (int64_t b = 0; b < c_.n_blocks; ++b) w[block_name(b)] = c_.blocks[b];
    return {{"input_nc", c_.input_nc},
            {"output_nc", c_.output_nc},
            {"ngf", c_.ngf},
            {"n_blocks", c_.n_blocks},
            {"norm", norm_name(c_.norm)},
            {"use_dropout", c_.dropout},
            {"load_size", c_.load_size},
            {"widths", w}};
  }
  InputSpec input_spec() const override { return {InputSpec::Kind::Image, {c_.input_nc, c_.load_size, c_.load_size}}; }
  torch::nn::Module& module() override { return *root_; }

  at::Tensor forward(const at::Tensor& input, const GenerateOptions&) override {
    auto pad3 = [](const at::Tensor& t) { return F::pad(t, F::PadFuncOptions({3, 3, 3, 3}).mode(torch::kReflect)); };
    at::Tensor x = torch::relu(norms_[0].forward(stem_->forward(pad3(input))));
    tap("stem", x);
    x = torch::relu(norms_[1].forward(down0_->forward(x)));
    tap("down.0", x);
    x = torch::relu(norms_[2].forward(down1_->forward(x)));
    for (auto& b : blocks_) x = b->forward(x);
    tap("trunk", x);
    x = torch::relu(norms_[3].forward(transposed_conv(*up0_, x)));
    tap("up.0", x);
    x = torch::relu(norms_[4].forward(transposed_conv(*up1_, x)));
    tap("up.1", x);
    return output_tanh(out_->forward(pad3(x)));
  }

  std::optional<std::string> torchscript_forward() const override {
    const bool bias = conv_bias(c_.norm);
    const int64_t up0 = 10 + c_.n_blocks;
    auto conv = [&](const std::string& op, const std::string& x, const std::string& name, bool has_bias,
                    const std::string& rest) {
      return "torch." + op + "(" + x + ", " + torchscript_tensor(name + ".weight") + ", " +
             (has_bias ? torchscript_tensor(name + ".bias") : "None") + ", " + rest + ")";
    };
    auto norm_relu = [&](const std::string& x, const std::string& norm) {
      return "torch.relu(" + torchscript_norm(c_.norm, norm, x) + ")";
    };
    auto pad = [](const std::string& x, int p) {
      const std::string n = std::to_string(p);
      return "torch.reflection_pad2d(" + x + ", [" + n + ", " + n + ", " + n + ", " + n + "])";
    };
    const std::string s1 = "[1, 1], [0, 0]", s2 = "[2, 2], [1, 1]", t2 = "[2, 2], [1, 1], [1, 1]";
    std::string src = "def forward(self, x):\n";
    src += "    x = " + norm_relu(conv("conv2d", pad("x", 3), m(1), bias, s1), m(2)) + "\n";
    src += "    x = " + norm_relu(conv("conv2d", "x", m(4), bias, s2), m(5)) + "\n";
    src += "    x = " + norm_relu(conv("conv2d", "x", m(7), bias, s2), m(8)) + "\n";
    for (int64_t b = 0; b < c_.n_blocks; ++b) {
      const std::string block = m(10 + b) + ".conv_block.";
      const int second = blocks_[b]->second;
      src += "    h = " + norm_relu(conv("conv2d", pad("x", 1), block + "1", bias, s1), block + "2") + "\n";
      src += "    x = x + " +
             torchscript_norm(c_.norm, block + std::to_string(second + 1),
                              conv("conv2d", pad("h", 1), block + std::to_string(second), bias, s1)) +
             "\n";
    }
    src += "    x = " + norm_relu(conv("conv_transpose2d", "x", m(up0), bias, t2), m(up0 + 1)) + "\n";
    src += "    x = " + norm_relu(conv("conv_transpose2d", "x", m(up0 + 3), bias, t2), m(up0 + 4)) + "\n";
    return src + "    return torch.tanh(" + conv("conv2d", pad("x", 3), m(up0 + 7), true, s1) + ")\n";
  }

  std::vector<ChannelGroup> channel_groups() const override {
    const bool bias = conv_bias(c_.norm);
    const int64_t up0 = 10 + c_.n_blocks, up1 = up0 + 3, out = up0 + 7;
    // A producing conv at `index` (outputs on `dim`) with its norm at index + 1.
    auto produced = [&](ChannelGroup& g, const std::string& conv, int dim, const std::string& norm) {
      g.slots.push_back({conv + ".weight", dim, 0, SlotRole::Producer});
      if (bias) g.slots.push_back({conv + ".bias", 0});
      add_norm_slots(g, c_.norm, norm);
    };
    std::vector<ChannelGroup> groups;
    ChannelGroup stem{"stem", c_.stem, {}};
    produced(stem, m(1), 0, m(2));
    stem.slots.push_back({m(4, ".weight"), 1, 0, SlotRole::Consumer});
    groups.push_back(stem);
    ChannelGroup down{"down.0", c_.down0, {}};
    produced(down, m(4), 0, m(5));
    down.slots.push_back({m(7, ".weight"), 1, 0, SlotRole::Consumer});
    groups.push_back(down);
    ChannelGroup trunk{"trunk", c_.trunk, {}};
    produced(trunk, m(7), 0, m(8));
    for (int64_t b = 0; b < c_.n_blocks; ++b) {
      const std::string block = m(10 + b) + ".conv_block.";
      const int second = blocks_[b]->second;
      trunk.slots.push_back({block + "1.weight", 1, 0, SlotRole::Consumer});
      produced(trunk, block + std::to_string(second), 0, block + std::to_string(second + 1));
      ChannelGroup inner{block_name(b), c_.blocks[b], {}};
      produced(inner, block + "1", 0, block + "2");
      inner.slots.push_back({block + std::to_string(second) + ".weight", 1, 0, SlotRole::Consumer});
      groups.push_back(inner);
    }
    trunk.slots.push_back({m(up0, ".weight"), 0, 0, SlotRole::Consumer});
    groups.insert(groups.begin() + 2, trunk);
    ChannelGroup u0{"up.0", c_.up0, {}};
    produced(u0, m(up0), 1, m(up0 + 1));
    u0.slots.push_back({m(up1, ".weight"), 0, 0, SlotRole::Consumer});
    groups.push_back(u0);
    ChannelGroup u1{"up.1", c_.up1, {}};
    produced(u1, m(up1), 1, m(up1 + 1));
    u1.slots.push_back({m(out, ".weight"), 1, 0, SlotRole::Consumer});
    groups.push_back(u1);
    return groups;
  }

  std::unique_ptr<Generator> with_widths(const std::map<std::string, int64_t>& widths) const override {
    return make_resnet_generator(options_with_widths(options(), widths));
  }

  CostReport cost(MacConvention convention) const override {
    const bool bias = conv_bias(c_.norm);
    const int64_t h = c_.load_size, h2 = h / 2, h4 = h / 4;
    std::vector<LayerCost> layers{conv2d_cost("stem (model.1)", c_.input_nc, c_.stem, 7, h, h, bias),
                                  conv2d_cost("down.0 (model.4)", c_.stem, c_.down0, 3, h2, h2, bias),
                                  conv2d_cost("trunk (model.7)", c_.down0, c_.trunk, 3, h4, h4, bias)};
    for (int64_t b = 0; b < c_.n_blocks; ++b) {
      layers.push_back(conv2d_cost(m(10 + b) + ".conv_block.1", c_.trunk, c_.blocks[b], 3, h4, h4, bias));
      layers.push_back(conv2d_cost(m(10 + b) + ".conv_block." + std::to_string(blocks_[b]->second), c_.blocks[b],
                                   c_.trunk, 3, h4, h4, bias));
    }
    const int64_t up0 = 10 + c_.n_blocks;
    layers.push_back(
        conv_transpose2d_cost("up.0 (" + m(up0) + ")", c_.trunk, c_.up0, 3, h4, h4, h2, h2, bias, convention));
    layers.push_back(
        conv_transpose2d_cost("up.1 (" + m(up0 + 3) + ")", c_.up0, c_.up1, 3, h2, h2, h, h, bias, convention));
    layers.push_back(conv2d_cost("output (" + m(up0 + 7) + ")", c_.up1, c_.output_nc, 7, h, h, true));
    return make_cost_report(std::move(layers), *root_);
  }

private:
  ResnetConfig c_;
  std::shared_ptr<torch::nn::Module> root_ = std::make_shared<torch::nn::Module>();
  torch::nn::ModuleList list_{nullptr};
  torch::nn::Conv2d stem_{nullptr}, down0_{nullptr}, down1_{nullptr}, out_{nullptr};
  torch::nn::ConvTranspose2d up0_{nullptr}, up1_{nullptr};
  std::vector<torch::nn::AnyModule> norms_;
  std::vector<ResnetBlock> blocks_;
};

std::optional<nlohmann::json> recognise_resnet(const TensorMap& t) {
  auto stem = t.find("model.1.weight");
  if (stem == t.end() || stem->second.dim() != 4 || stem->second.size(2) != 7) return std::nullopt;
  int64_t n_blocks = 0;
  while (t.count(m(10 + n_blocks, ".conv_block.1.weight"))) ++n_blocks;
  const bool dropout = n_blocks > 0 && t.count(m(10, ".conv_block.6.weight"));
  const int second = dropout ? 6 : 5;
  const int64_t up0 = 10 + n_blocks, up1 = up0 + 3, out = up0 + 7;
  for (const std::string& key :
       {m(4, ".weight"), m(7, ".weight"), m(up0, ".weight"), m(up1, ".weight"), m(out, ".weight")})
    if (!t.count(key)) return std::nullopt;
  nlohmann::json w{{"stem", stem->second.size(0)},
                   {"down.0", t.at(m(4, ".weight")).size(0)},
                   {"trunk", t.at(m(7, ".weight")).size(0)},
                   {"up.0", t.at(m(up0, ".weight")).size(1)},
                   {"up.1", t.at(m(up1, ".weight")).size(1)}};
  for (int64_t b = 0; b < n_blocks; ++b) {
    if (!t.count(m(10 + b, ".conv_block.") + std::to_string(second) + ".weight")) return std::nullopt;
    w[block_name(b)] = t.at(m(10 + b, ".conv_block.1.weight")).size(0);
  }
  return nlohmann::json{{"input_nc", stem->second.size(1)},
                        {"output_nc", t.at(m(out, ".weight")).size(0)},
                        {"ngf", stem->second.size(0)},
                        {"n_blocks", n_blocks},
                        {"norm", norm_name(detect_norm(t, "model.1", "model.2"))},
                        {"use_dropout", dropout},
                        {"widths", w}};
}

std::optional<Recognised> recognise(const TensorMap& tensors, const io::Value*) {
  return recognise_state_dicts(tensors, recognise_resnet,
                               [](const TensorMap& d, const nlohmann::json&) { return recognise_patchgan(d); });
}

} // namespace

std::unique_ptr<Generator> make_resnet_generator(const nlohmann::json& options) {
  return std::make_unique<ResnetGenerator>(parse(options));
}

ArchEntry cyclegan_entry() {
  ArchEntry e;
  e.arch = Arch::CycleGAN;
  e.generator_key = "netG";
  e.discriminator_key = "netD";
  e.recognise = recognise;
  e.build_generator = make_resnet_generator;
  e.build_discriminator = make_patchgan;
  e.patch_state = drop_instance_norm_statistics;
  return e;
}

} // namespace gs::models
