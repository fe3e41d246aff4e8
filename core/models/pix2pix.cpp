// U-Net as nested UnetSkipConnectionBlocks, each a ModuleList `model` with upstream's indices.
#include "core/models/pix2pix.h"
#include "core/models/feature_tap.h"

#include "core/models/cost.h"
#include "core/models/norm_layers.h"
#include "core/models/output_tanh.h"
#include "core/models/patchgan.h"
#include "core/models/strided_conv.h"
#include "core/models/transposed_conv.h"

#include <torch/torch.h>

namespace gs::models {
namespace {

namespace F = torch::nn::functional;

struct UnetConfig {
  int64_t input_nc = 3, output_nc = 3, num_downs = 8, ngf = 64, load_size = 256;
  NormKind norm = NormKind::Batch;
  bool dropout = false;
  std::vector<int64_t> down, up; // up[0] = output_nc
};

std::string down_name(int64_t k) {
  return "down." + std::to_string(k);
}
std::string up_name(int64_t k) {
  return "up." + std::to_string(k);
}

UnetConfig parse(const nlohmann::json& j) {
  UnetConfig c;
  c.input_nc = j.value("input_nc", c.input_nc);
  c.output_nc = j.value("output_nc", c.output_nc);
  c.num_downs = j.value("num_downs", c.num_downs);
  c.ngf = j.value("ngf", c.ngf);
  c.norm = norm_from_name(j.value("norm", std::string("batch")));
  c.dropout = j.value("use_dropout", false);
  if (c.num_downs < 5 || c.num_downs > 12) throw ModelError("pix2pix: num_downs must be 5..12");
  c.load_size = j.value("load_size", int64_t{1} << c.num_downs);
  nlohmann::json widths = j.value("widths", nlohmann::json::object());
  for (int64_t k = 0; k < c.num_downs; ++k) {
    c.down.push_back(widths.value(down_name(k), c.ngf * std::min<int64_t>(int64_t{1} << k, 8)));
    widths.erase(down_name(k));
  }
  c.up.push_back(c.output_nc);
  for (int64_t k = 1; k < c.num_downs; ++k) {
    c.up.push_back(widths.value(up_name(k), c.ngf * std::min<int64_t>(int64_t{1} << (k - 1), 8)));
    widths.erase(up_name(k));
  }
  if (!widths.empty()) throw ModelError("pix2pix: no channel group named '" + widths.begin().key() + "'");
  for (int64_t w : c.down)
    if (w < 1) throw ModelError("pix2pix: widths must be positive");
  for (int64_t w : c.up)
    if (w < 1) throw ModelError("pix2pix: widths must be positive");
  return c;
}

// Where block k's tensors live and which ModuleList index holds what.
struct BlockLayout {
  std::string path; // "model.model", "model.model.1.model", "model.model.1.model.3.model", ...
  int down = 1, down_norm = 2, up = 5, up_norm = 6;
};

std::vector<BlockLayout> layouts(int64_t num_downs) {
  std::vector<BlockLayout> out;
  for (int64_t k = 0; k < num_downs; ++k) {
    BlockLayout b;
    b.path = k == 0 ? "model.model" : out.back().path + (k == 1 ? ".1.model" : ".3.model");
    if (k == 0) {
      b = {b.path, 0, -1, 3, -1};
    } else if (k == num_downs - 1) {
      b = {b.path, 1, -1, 3, 4};
    }
    out.push_back(b);
  }
  return out;
}

struct UnetBlockImpl : torch::nn::Module {
  torch::nn::ModuleList model{nullptr};
  torch::nn::Conv2d down{nullptr};
  torch::nn::ConvTranspose2d up{nullptr};
  torch::nn::AnyModule down_norm, up_norm;
  std::shared_ptr<UnetBlockImpl> sub;
  bool outermost = false, innermost = false;
  std::string down_group, up_group; // the channel groups this block produces
  double dropout = 0;

  at::Tensor forward(const at::Tensor& x) {
    if (outermost) {
      const at::Tensor d = strided_conv(*down, x);
      tap(down_group, d);
      // An instance norm's statistics need a layer's whole output: nothing is left to the next layer there.
      const bool instance_norm = sub->up_norm.ptr()->as<torch::nn::InstanceNorm2d>() != nullptr;
      if (!at::GradMode::is_enabled() && !is_training() && !tapping() && !instance_norm) {
        bool finished = false; // the tanh applied to each output plane as the direct route writes it
        const at::Tensor out = up_from_parts(d, nullptr, output_tanh_finish(), &finished);
        return finished ? out : output_tanh(out);
      }
      return output_tanh(transposed_conv(*up, torch::relu(sub->forward(d))));
    }
    const at::Tensor xa = F::leaky_relu(x, F::LeakyReLUFuncOptions().negative_slope(0.2));
    at::Tensor d = strided_conv(*down, xa);
    if (!innermost) d = down_norm.forward(d);
    tap(down_group, d);
    const at::Tensor s = innermost ? d : sub->forward(d);
    at::Tensor u = up_norm.forward(transposed_conv(*up, torch::relu(s)));
    tap(up_group, u);
    if (dropout > 0) u = F::dropout(u, F::DropoutFuncOptions().p(dropout).training(is_training()));
    return torch::cat({xa, u}, 1);
  }

private:
  // Generation and evaluation (eval mode, no gradients, nothing tapped, batch norm or none): each norm and activation
  // is left to the layer that reads it, which applies it while laying out its input where its route can
  // (strided_conv.h, transposed_direct.h), so that the encoder's norm and leaky ReLU and the decoder's concatenation,
  // norm and ReLU take no passes of their own there. This block's input is norm(x); it returns what forward()
  // concatenates, as parts: the skip (its input, read through a ReLU by the decoder: relu(leaky_relu(v)) = relu(v)) and
  // the up-sampling output before its norm.
  std::vector<InputPart> parts(const at::Tensor& x, torch::nn::BatchNorm2dImpl* norm) {
    const at::Tensor d = strided_conv_after_norm_leaky(*down, norm, x, 0.2);
    const at::Tensor up_out =
        innermost ? transposed_conv(*up, torch::relu(d)) : up_from_parts(d, batch_norm(down_norm));
    return {{x, norm, true}, {up_out, batch_norm(up_norm), true}};
  }

  // transposed_conv(*up, relu(sub->forward(norm(d)))) by the submodule's parts (and transposed_conv_of_parts' finish).
  at::Tensor up_from_parts(const at::Tensor& d, torch::nn::BatchNorm2dImpl* norm,
                           const direct::PlaneFinish& finish = {}, bool* finished = nullptr) {
    return transposed_conv_of_parts(*up, sub->parts(d, norm), finish, finished);
  }

  static torch::nn::BatchNorm2dImpl* batch_norm(const torch::nn::AnyModule& m) {
    return m.is_empty() ? nullptr : m.ptr()->as<torch::nn::BatchNorm2d>(); // Identity (no norm): null
  }
};

class UnetGenerator : public Generator {
public:
  explicit UnetGenerator(UnetConfig c) : c_(std::move(c)), layout_(layouts(c_.num_downs)) {
    std::shared_ptr<UnetBlockImpl> inner;
    const int64_t last = c_.num_downs - 1;
    for (int64_t k = last; k >= 0; --k) {
      auto b = std::make_shared<UnetBlockImpl>();
      b->outermost = k == 0;
      b->innermost = k == last;
      b->down_group = down_name(k);
      b->up_group = up_name(k);
      b->model = b->register_module("model", torch::nn::ModuleList());
      const int64_t in = k == 0 ? c_.input_nc : c_.down[k - 1];
      const int64_t up_in = k == last ? c_.down[k] : c_.down[k] + c_.up[k + 1];
      const bool bias = conv_bias(c_.norm);
      b->down = torch::nn::Conv2d(torch::nn::Conv2dOptions(in, c_.down[k], 4).stride(2).padding(1).bias(bias));
      b->up = torch::nn::ConvTranspose2d(
          torch::nn::ConvTranspose2dOptions(up_in, c_.up[k], 4).stride(2).padding(1).bias(k == 0 || bias));
      auto lrelu = [] { return torch::nn::LeakyReLU(torch::nn::LeakyReLUOptions().negative_slope(0.2)); };
      if (k == 0) { // downconv, submodule, uprelu, upconv, tanh
        b->model->push_back(b->down);
        b->model->push_back(inner);
        b->model->push_back(torch::nn::ReLU());
        b->model->push_back(b->up);
        b->model->push_back(torch::nn::Tanh());
      } else if (k == last) { // downrelu, downconv, uprelu, upconv, upnorm
        b->up_norm = make_norm(c_.norm, c_.up[k]);
        b->model->push_back(lrelu());
        b->model->push_back(b->down);
        b->model->push_back(torch::nn::ReLU());
        b->model->push_back(b->up);
        b->model->push_back(b->up_norm.ptr());
      } else { // downrelu, downconv, downnorm, submodule, uprelu, upconv, upnorm (, dropout)
        b->down_norm = make_norm(c_.norm, c_.down[k]);
        b->up_norm = make_norm(c_.norm, c_.up[k]);
        b->model->push_back(lrelu());
        b->model->push_back(b->down);
        b->model->push_back(b->down_norm.ptr());
        b->model->push_back(inner);
        b->model->push_back(torch::nn::ReLU());
        b->model->push_back(b->up);
        b->model->push_back(b->up_norm.ptr());
        // Upstream gives dropout to the extra innermost-width blocks only.
        if (c_.dropout && k >= 4) b->dropout = 0.5;
      }
      b->sub = inner;
      inner = b;
    }
    outer_ = root_->register_module("model", inner);
  }

  Arch arch() const override { return Arch::Pix2Pix; }
  nlohmann::json options() const override {
    nlohmann::json widths = nlohmann::json::object();
    for (int64_t k = 0; k < c_.num_downs; ++k) widths[down_name(k)] = c_.down[k];
    for (int64_t k = 1; k < c_.num_downs; ++k) widths[up_name(k)] = c_.up[k];
    return {{"input_nc", c_.input_nc},    {"output_nc", c_.output_nc}, {"num_downs", c_.num_downs}, {"ngf", c_.ngf},
            {"norm", norm_name(c_.norm)}, {"use_dropout", c_.dropout}, {"load_size", c_.load_size}, {"widths", widths}};
  }
  InputSpec input_spec() const override { return {InputSpec::Kind::Image, {c_.input_nc, c_.load_size, c_.load_size}}; }
  torch::nn::Module& module() override { return *root_; }
  at::Tensor forward(const at::Tensor& input, const GenerateOptions&) override { return outer_->forward(input); }

  // The U-Net unrolled: down the encoder keeping each level's activated input for the skip, then back up.
  std::optional<std::string> torchscript_forward() const override {
    const bool bias = conv_bias(c_.norm);
    const int64_t last = c_.num_downs - 1;
    auto t = [&](int64_t k, int index, const char* leaf) {
      return torchscript_tensor(layout_[k].path + "." + std::to_string(index) + leaf);
    };
    auto conv = [&](const char* op, const std::string& x, int64_t k, int index, bool has_bias) {
      return std::string("torch.") + op + "(" + x + ", " + t(k, index, ".weight") + ", " +
             (has_bias ? t(k, index, ".bias") : "None") + ", [2, 2], [1, 1])";
    };
    std::string src = "def forward(self, x):\n    h = " + conv("conv2d", "x", 0, layout_[0].down, bias) + "\n";
    for (int64_t k = 1; k <= last; ++k) {
      const std::string n = std::to_string(k);
      src += "    a" + n + " = torch.leaky_relu(h, 0.2)\n    h = " + conv("conv2d", "a" + n, k, layout_[k].down, bias) +
             "\n";
      if (k < last)
        src +=
            "    h = " + torchscript_norm(c_.norm, layout_[k].path + "." + std::to_string(layout_[k].down_norm), "h") +
            "\n";
    }
    for (int64_t k = last; k >= 1; --k) {
      const std::string n = std::to_string(k);
      src += "    h = " + conv("conv_transpose2d", "torch.relu(h)", k, layout_[k].up, bias) +
             "\n    h = " + torchscript_norm(c_.norm, layout_[k].path + "." + std::to_string(layout_[k].up_norm), "h") +
             "\n    h = torch.cat([a" + n + ", h], 1)\n";
    }
    return src + "    return torch.tanh(" + conv("conv_transpose2d", "torch.relu(h)", 0, layout_[0].up, true) + ")\n";
  }

  std::vector<ChannelGroup> channel_groups() const override {
    std::vector<ChannelGroup> groups;
    const bool bias = conv_bias(c_.norm);
    const int64_t last = c_.num_downs - 1;
    auto t = [&](int64_t k, int index, const char* leaf) {
      return layout_[k].path + "." + std::to_string(index) + leaf;
    };
    for (int64_t k = 0; k < c_.num_downs; ++k) {
      ChannelGroup g{down_name(k), c_.down[k], {{t(k, layout_[k].down, ".weight"), 0, 0, SlotRole::Producer}}};
      if (bias) g.slots.push_back({t(k, layout_[k].down, ".bias"), 0});
      if (layout_[k].down_norm >= 0) add_norm_slots(g, c_.norm, t(k, layout_[k].down_norm, ""));
      if (k < last) g.slots.push_back({t(k + 1, layout_[k + 1].down, ".weight"), 1, 0, SlotRole::Consumer});
      g.slots.push_back(
          {t(k, layout_[k].up, ".weight"), 0, 0, SlotRole::Consumer}); // the skip: first part of the up conv's input
      groups.push_back(g);
    }
    for (int64_t k = 1; k < c_.num_downs; ++k) {
      ChannelGroup g{up_name(k), c_.up[k], {{t(k, layout_[k].up, ".weight"), 1, 0, SlotRole::Producer}}};
      if (bias) g.slots.push_back({t(k, layout_[k].up, ".bias"), 0});
      add_norm_slots(g, c_.norm, t(k, layout_[k].up_norm, ""));
      g.slots.push_back(
          {t(k - 1, layout_[k - 1].up, ".weight"), 0, c_.down[k - 1], SlotRole::Consumer}); // after the skip
      groups.push_back(g);
    }
    return groups;
  }

  std::unique_ptr<Generator> with_widths(const std::map<std::string, int64_t>& widths) const override {
    return make_unet_generator(options_with_widths(options(), widths));
  }

  CostReport cost(MacConvention convention) const override {
    std::vector<LayerCost> layers;
    const bool bias = conv_bias(c_.norm);
    const int64_t last = c_.num_downs - 1;
    int64_t h = c_.load_size;
    for (int64_t k = 0; k < c_.num_downs; ++k, h /= 2) {
      const int64_t in = k == 0 ? c_.input_nc : c_.down[k - 1];
      layers.push_back(conv2d_cost(down_name(k) + " (" + layout_[k].path + "." + std::to_string(layout_[k].down) + ")",
                                   in, c_.down[k], 4, h / 2, h / 2, bias));
    }
    for (int64_t k = last; k >= 0; --k) {
      const int64_t in = k == last ? c_.down[k] : c_.down[k] + c_.up[k + 1];
      const int64_t out_h = c_.load_size >> k;
      layers.push_back(conv_transpose2d_cost((k == 0 ? std::string("output") : up_name(k)) + " (" + layout_[k].path +
                                                 "." + std::to_string(layout_[k].up) + ")",
                                             in, c_.up[k], 4, out_h / 2, out_h / 2, out_h, out_h, k == 0 || bias,
                                             convention));
    }
    return make_cost_report(std::move(layers), *root_);
  }

private:
  UnetConfig c_;
  std::vector<BlockLayout> layout_;
  std::shared_ptr<torch::nn::Module> root_ = std::make_shared<torch::nn::Module>();
  std::shared_ptr<UnetBlockImpl> outer_;
};

std::optional<nlohmann::json> recognise_unet(const TensorMap& t) {
  auto first = t.find("model.model.0.weight");
  if (first == t.end() || first->second.dim() != 4) return std::nullopt;
  int64_t depth = 1;
  while (t.count(layouts(depth + 1).back().path + ".1.weight")) ++depth;
  if (depth < 5) return std::nullopt;
  const auto layout = layouts(depth);
  nlohmann::json widths = nlohmann::json::object();
  for (int64_t k = 0; k < depth; ++k) {
    const std::string down = layout[k].path + "." + std::to_string(layout[k].down) + ".weight";
    const std::string up = layout[k].path + "." + std::to_string(layout[k].up) + ".weight";
    if (!t.count(down) || !t.count(up)) return std::nullopt;
    widths[down_name(k)] = t.at(down).size(0);
    if (k > 0) widths[up_name(k)] = t.at(up).size(1);
  }
  const std::string mid = layout[1].path;
  return nlohmann::json{{"input_nc", first->second.size(1)},
                        {"output_nc", t.at("model.model.3.weight").size(1)},
                        {"num_downs", depth},
                        {"ngf", first->second.size(0)},
                        {"norm", norm_name(detect_norm(t, mid + ".1", mid + ".2"))},
                        {"widths", widths}};
}

std::optional<Recognised> recognise(const TensorMap& tensors, const io::Value*) {
  return recognise_state_dicts(tensors, recognise_unet,
                               [](const TensorMap& d, const nlohmann::json&) { return recognise_patchgan(d); });
}

} // namespace

std::unique_ptr<Generator> make_unet_generator(const nlohmann::json& options) {
  return std::make_unique<UnetGenerator>(parse(options));
}

ArchEntry pix2pix_entry() {
  ArchEntry e;
  e.arch = Arch::Pix2Pix;
  e.generator_key = "netG";
  e.discriminator_key = "netD";
  e.recognise = recognise;
  e.build_generator = make_unet_generator;
  e.build_discriminator = make_patchgan;
  e.patch_state = drop_instance_norm_statistics;
  return e;
}

} // namespace gs::models
