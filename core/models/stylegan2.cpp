// StyleGAN2 in LibTorch: modulated convolutions, FIR filtering with plain convolutions, upstream's parameter names.
#include "core/models/stylegan2.h"

#include "core/models/conv3x3_direct.h"
#include "core/models/cost.h"
#include "core/models/derived_weight.h"
#include "core/models/feature_tap.h"
#include "core/models/norm_layers.h"
#include "core/models/phase_blur.h"
#include "core/models/state_loading.h"
#include "core/models/stylegan2_kernels.h"
#include "core/models/tensor_checks.h"
#include "core/models/transposed_conv.h"
#include "core/models/transposed_direct.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <iomanip>
#include <sstream>

#include <algorithm>
#include <cmath>
#include <memory>
#include <mutex>
#include <optional>

namespace gs::models {
namespace {

namespace F = torch::nn::functional;

const double kSqrt2 = std::sqrt(2.0);

// Python's floor division: upstream's padding formulas rely on it for negative values.
int64_t floor_div(int64_t a, int64_t b) {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

at::Tensor make_kernel(const std::vector<double>& k, double gain) {
  auto v = torch::tensor(k, torch::kDouble);
  auto k2 = torch::outer(v, v);
  return (k2 / k2.sum() * gain).to(torch::kFloat);
}

// upfirdn2d with down = 1: zero-insertion up-sampling, padding (negative pads crop), then the FIR kernel applied to
// every channel separately. Like upstream the kernel is flipped (true convolution). Applied as a depthwise
// convolution: on the CPU 3-7x faster than upstream's single-channel convolution over n·c images.
// For inference on the CPU, fir_direct computes the same directly.
at::Tensor upfir2d(const at::Tensor& x, const at::Tensor& kernel, int64_t up, int64_t pad0, int64_t pad1) {
  if (fir_direct_applies(x, kernel, up, pad0, pad1)) return fir_direct(x, kernel, up, pad0, pad1);
  const int64_t n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
  at::Tensor out = x;
  if (up > 1)
    out = at::constant_pad_nd(x.reshape({n, c, h, 1, w, 1}), {0, up - 1, 0, 0, 0, up - 1}).view({n, c, h * up, w * up});
  out = at::constant_pad_nd(out, {pad0, pad1, pad0, pad1});
  const at::Tensor k = kernel.flip({0, 1}).to(out.dtype()).expand({c, 1, kernel.size(0), kernel.size(1)}).contiguous();
  return at::conv2d(out, k, {}, at::IntArrayRef{1, 1}, at::IntArrayRef{0, 0}, at::IntArrayRef{1, 1}, c);
}

// A layer used for its geometry only, built without drawing from the default random generator (its constructor
// initialises a weight it will not use), so that seeded initialisations stay as they were.
torch::nn::ConvTranspose2d geometry_only(const torch::nn::ConvTranspose2dOptions& options) {
  at::Generator generator = at::detail::getDefaultCPUGenerator();
  const at::Tensor state = generator.get_state();
  torch::nn::ConvTranspose2d layer(options);
  generator.set_state(state);
  return layer;
}

at::Tensor fused_lrelu(const at::Tensor& x, const at::Tensor& bias) {
  std::vector<int64_t> shape(x.dim(), 1);
  shape[1] = bias.size(0);
  return at::leaky_relu(x + bias.view(shape), 0.2) * kSqrt2;
}

struct PixelNormImpl : torch::nn::Module {
  at::Tensor forward(const at::Tensor& x) {
    if (pixel_norm_direct_applies(x)) return pixel_norm_direct(x);
    return x * at::rsqrt(x.pow(2).mean(1, true) + 1e-8);
  }
};
TORCH_MODULE(PixelNorm);

// A FIR kernel buffer; how it is applied (up-sampling factor, pads) belongs to the layer using it.
struct FirKernelImpl : torch::nn::Module {
  at::Tensor kernel;
  FirKernelImpl(const std::vector<double>& k, double gain) { kernel = register_buffer("kernel", make_kernel(k, gain)); }
};
TORCH_MODULE(FirKernel);

struct EqualLinearImpl : torch::nn::Module {
  at::Tensor weight, bias;
  double scale, lr_mul;
  bool activate;
  EqualLinearImpl(int64_t in, int64_t out, double bias_init, double lr_mul_, bool activate_)
      : scale(lr_mul_ / std::sqrt(static_cast<double>(in))), lr_mul(lr_mul_), activate(activate_) {
    weight = register_parameter("weight", torch::randn({out, in}).div_(lr_mul));
    bias = register_parameter("bias", torch::full({out}, bias_init));
  }
  // The scaled weight and bias are kept while the parameters are unchanged, for inference (derived_weight.h): two
  // operations fewer per layer, which for a pruned generator at small batches cost as much as the layer. On the CPU
  // without gradients the product is linear_direct's, with the scaled weight kept transposed.
  at::Tensor forward(const at::Tensor& x) {
    const at::Tensor b = derived_weight(bias, {0}, [&] { return bias * lr_mul; });
    if (!at::GradMode::is_enabled() && x.device().is_cpu()) {
      const at::Tensor t = derived_weight(weight, {1}, [&] { return (weight * scale).t().contiguous(); });
      if (linear_direct_applies(x, t, b)) return linear_direct(x, t, b, activate);
    }
    const at::Tensor w = derived_weight(weight, {0}, [&] { return weight * scale; });
    if (activate) return fused_lrelu(at::linear(x, w), b);
    return at::linear(x, w, b);
  }
};
TORCH_MODULE(EqualLinear);

struct ModulatedConvImpl : torch::nn::Module {
  at::Tensor weight;
  EqualLinear modulation{nullptr};
  FirKernel blur{nullptr};
  int64_t k, out_ch;
  double scale;
  bool demodulate, upsample;
  int64_t pad0 = 0, pad1 = 0;
  // The up-sampling convolution's geometry for transposed_conv's direct route, holding no weight of its own (not
  // registered: nothing to save or train). With output padding k % 2 its output is even-sized, as that route needs:
  // for an odd kernel the extra last row and column are zeros, which the blur then reads in place of one padding.
  torch::nn::ConvTranspose2d up_route{nullptr};
  std::shared_ptr<std::mutex> up_route_lock = std::make_shared<std::mutex>();

  ModulatedConvImpl(int64_t in, int64_t out, int64_t k_, int64_t style_dim, int64_t fan_in, bool demodulate_,
                    bool upsample_, const std::vector<double>& blur_kernel)
      : k(k_), out_ch(out), scale(1.0 / std::sqrt(static_cast<double>(fan_in * k_ * k_))), demodulate(demodulate_),
        upsample(upsample_) {
    if (upsample) {
      const int64_t p = (static_cast<int64_t>(blur_kernel.size()) - 2) - (k - 1);
      pad0 = floor_div(p + 1, 2) + 1;
      pad1 = floor_div(p, 2) + 1;
      blur = register_module("blur", FirKernel(blur_kernel, 4.0));
      up_route = geometry_only(torch::nn::ConvTranspose2dOptions(1, 1, k).stride(2).output_padding(k % 2).bias(false));
    }
    weight = register_parameter("weight", torch::randn({1, out, in, k, k}));
    modulation = register_module("modulation", EqualLinear(style_dim, in, 1.0, 1.0, false));
  }

  // StyledConv's noise, bias and activation (styled_activation), for undemodulated() to apply to each output plane as
  // a direct route writes it: then the activation takes no pass of its own.
  struct Activation {
    at::Tensor noise, noise_weight, bias;
  };
  // The output and the demodulation coefficients [b, out] (undefined without demodulation) it is still to be
  // multiplied by, unless `activated`: then `activation` has been applied, the demodulation included.
  struct Output {
    at::Tensor out, demod;
    bool activated = false;
  };

  // The output's size on each side for an input of `size`.
  int64_t output_size(int64_t size) const { return upsample ? 2 * size : size; }

  // Upstream's fused path modulates and demodulates a copy of every weight per sample and runs one grouped
  // convolution; on the CPU those weight-sized products grow with the batch (measured below). This is
  // the same function with the style applied to the activations (upstream's non-fused path): scale the input
  // channels, one convolution with the shared weight, scale the output channels by the demodulation coefficients
  // rsqrt(sum_i s_i^2 sum_k w_oik^2 + 1e-8). The blur after an up-sampling convolution is linear per channel, so the
  // output scaling may come after it, where StyledConv applies it together with noise, bias and activation. 64 px at
  // batch 4, one thread: forward 786 -> 655 ms, training step 3.0 -> 2.1 s.
  // For inference the weight-sized products (scaled weight, its transpose, the demodulation sums) are kept while the
  // weight is unchanged (derived_weight.h), the up-sampling convolution takes the direct transposed route where it
  // applies, 3 × 3 ones conv3x3_direct where it pays (modulating as it lays out its input), the demodulation
  // coefficients come from one pass (demodulation), ToRGB's 1 × 1 layer is pointwise(), and where the last step is a
  // direct route (conv3x3_direct, fir_direct), it applies StyledConv's activation to each output plane it writes.
  Output undemodulated(const at::Tensor& x, const at::Tensor& style, const Activation* activation = nullptr) {
    const int64_t b = x.size(0), in = x.size(1);
    const at::Tensor s = modulation->forward(style); // [b, in]
    const at::Tensor w = derived(Derived::Scaled);   // [out, in, k, k]
    const at::Tensor demod = demodulate ? demodulation_of(s) : at::Tensor();
    const std::vector<int64_t> sizes{b, out_ch, output_size(x.size(2)), output_size(x.size(3))};
    std::optional<StyledActivation> styled;
    if (activation &&
        styled_activation_applies(sizes, demod, activation->noise, activation->noise_weight, activation->bias))
      styled.emplace(sizes, demod, activation->noise, activation->noise_weight, activation->bias);
    // The activation as a finish, for the routes that take one (built where used: phase_blur takes `styled` itself).
    const auto finish = [&] { return styled ? styled->finish() : direct::PlaneFinish(); };
    const bool direct = inference(x) && !wants_grad(s);
    // A direct route's output, the activation applied as it was written where there is one.
    const auto finished = [&](at::Tensor out) { return Output{std::move(out), demod, styled.has_value()}; };
    if (direct && k == 3 && !upsample && conv3x3_direct_applies(x, w) && conv3x3_direct_pays(x, w))
      return finished(conv3x3_direct(x, w, {}, s, VectorWidth::Widest, finish()));
    if (upsample && direct) {
      if (std::optional<DirectSums> sums = up_direct(x, s)) {
        const int64_t blur_pad1 = pad1 - k % 2, taps = blur->kernel.size(0);
        const std::vector<int64_t> up = sums->sizes();
        if (up[2] + pad0 + blur_pad1 - taps + 1 == sizes[2] &&
            up[3] + pad0 + blur_pad1 - taps + 1 == sizes[3]) { // the finish's planes
          // The blur straight from the phases, else from planes they are interleaved into (modulated as the sums'
          // input was laid out).
          if (phase_blur_applies(up, blur->kernel, pad0, blur_pad1)) {
            const PhaseSource source = [&](int64_t item) { return sums->phase_planes(item); };
            return finished(
                phase_blur(source, up, x.options(), blur->kernel, pad0, blur_pad1, styled ? &*styled : nullptr));
          }
          if (fir_direct_applies(up, blur->kernel, 1, pad0, blur_pad1)) {
            const PlaneSource source = [&](int64_t item, float* dst, int64_t stride) {
              sums->write_plane(item, dst, stride);
            };
            return finished(fir_direct(source, up, x.options(), blur->kernel, pad0, blur_pad1, finish()));
          }
        }
        return {upfir2d(sums->output(), blur->kernel, 1, pad0, blur_pad1), demod};
      }
    }
    const at::Tensor xs = x * s.view({b, in, 1, 1});
    if (!upsample) return {at::conv2d(xs, w, {}, 1, k / 2), demod};
    return {upfir2d(at::conv_transpose2d(xs, w.transpose(0, 1), {}, 2, 0), blur->kernel, 1, pad0, pad1), demod};
  }

  // ToRGB's 1 × 1 layer with its bias and the up-sampled skip `base` (may be undefined) added as modulated_pointwise
  // writes the output; undefined where that does not apply.
  at::Tensor pointwise(const at::Tensor& x, const at::Tensor& style, const at::Tensor& bias, const at::Tensor& base) {
    if (k != 1 || upsample || demodulate || !inference(x)) return {};
    const at::Tensor s = modulation->forward(style);
    const at::Tensor w = derived(Derived::Scaled).view({out_ch, x.size(1)});
    if (!modulated_pointwise_applies(x, w, s, bias, base)) return {};
    return modulated_pointwise(x, w, s, bias, base);
  }

  at::Tensor forward(const at::Tensor& x, const at::Tensor& style) {
    const Output o = undemodulated(x, style);
    return o.demod.defined() ? o.out * o.demod.view({x.size(0), out_ch, 1, 1}) : o.out;
  }

private:
  // The up-sampling convolution of x modulated by s, by the direct route with up_route's geometry (output padding
  // k % 2), up to its sums; nothing where that route does not apply (other kernels, a CPU without its kernels; the
  // caller checks that no gradients are wanted). The lock keeps concurrent passes from swapping up_route's weight under
  // each other.
  std::optional<DirectSums> up_direct(const at::Tensor& x, const at::Tensor& s) {
    std::lock_guard<std::mutex> lock(*up_route_lock);
    up_route->weight = derived(Derived::Transposed);
    if (!route_applies(*up_route, x, TransposedRoute::Direct)) return {};
    return transposed_direct_sums(*up_route, {{x, nullptr, false, s}});
  }

  // Whether no gradients are wanted through this pass (the inference routes' condition), checked before building
  // anything only they use.
  bool inference(const at::Tensor& x) const {
    return !at::GradMode::is_enabled() || (!x.requires_grad() && !weight.requires_grad());
  }

  // rsqrt(Σ_i s_i² Σ_k w_oik² + 1e-8) [b, out] for the modulation s [b, in].
  at::Tensor demodulation_of(const at::Tensor& s) {
    const at::Tensor sums = derived(Derived::SquaredSums);
    if (demodulation_applies(s, sums)) return demodulation(s, sums);
    return at::rsqrt(at::mm(s.pow(2), sums.t()) + 1e-8);
  }

  enum class Derived { Scaled, Transposed, SquaredSums };
  at::Tensor derived(Derived what) {
    return derived_weight(weight, {static_cast<int64_t>(what)}, [&] {
      const at::Tensor w = weight.squeeze(0) * scale;
      if (what == Derived::Transposed) return w.transpose(0, 1).contiguous(); // [in, out, k, k]
      return what == Derived::Scaled ? w : w.pow(2).sum({2, 3});              // [out, in]
    });
  }
};
TORCH_MODULE(ModulatedConv);

struct NoiseInjectionImpl : torch::nn::Module {
  at::Tensor weight;
  NoiseInjectionImpl() { weight = register_parameter("weight", torch::zeros({1})); }
};
TORCH_MODULE(NoiseInjection);

struct BiasImpl : torch::nn::Module {
  at::Tensor bias;
  explicit BiasImpl(int64_t channels) { bias = register_parameter("bias", torch::zeros({channels})); }
};
TORCH_MODULE(Bias);

struct StyledConvImpl : torch::nn::Module {
  ModulatedConv conv{nullptr};
  NoiseInjection noise{nullptr};
  Bias activate{nullptr};
  StyledConvImpl(int64_t in, int64_t out, int64_t style_dim, int64_t fan_in, bool upsample,
                 const std::vector<double>& blur_kernel) {
    conv = register_module("conv", ModulatedConv(in, out, 3, style_dim, fan_in, true, upsample, blur_kernel));
    noise = register_module("noise", NoiseInjection());
    activate = register_module("activate", Bias(out));
  }
  // An undefined `noise_image` draws fresh noise.
  // For inference the demodulation, noise, bias and activation take one pass (styled_activation), or none where the
  // convolution's direct route applies them as it writes each output plane.
  at::Tensor forward(const at::Tensor& x, const at::Tensor& style, at::Tensor noise_image) {
    if (!noise_image.defined())
      noise_image = at::randn({x.size(0), 1, conv->output_size(x.size(2)), conv->output_size(x.size(3))}, x.options());
    const ModulatedConvImpl::Activation activation{noise_image, noise->weight, activate->bias};
    auto [out, demod, activated] = conv->undemodulated(x, style, &activation);
    if (activated) return out;
    if (styled_activation_applies(out, demod, noise_image, noise->weight, activate->bias))
      return styled_activation(out, demod, noise_image, noise->weight, activate->bias);
    if (demod.defined()) out = out * demod.view({out.size(0), out.size(1), 1, 1});
    return fused_lrelu(out + noise->weight * noise_image, activate->bias);
  }
};
TORCH_MODULE(StyledConv);

struct ToRGBImpl : torch::nn::Module {
  ModulatedConv conv{nullptr};
  FirKernel upsample{nullptr};
  at::Tensor bias;
  int64_t pad0 = 0, pad1 = 0;
  ToRGBImpl(int64_t in, int64_t style_dim, int64_t fan_in, bool up, const std::vector<double>& blur_kernel) {
    if (up) {
      const int64_t p = static_cast<int64_t>(blur_kernel.size()) - 2;
      pad0 = floor_div(p + 1, 2) + 1;
      pad1 = floor_div(p, 2);
      upsample = register_module("upsample", FirKernel(blur_kernel, 4.0));
    }
    conv = register_module("conv", ModulatedConv(in, 3, 1, style_dim, fan_in, false, false, blur_kernel));
    bias = register_parameter("bias", torch::zeros({1, 3, 1, 1}));
  }
  at::Tensor forward(const at::Tensor& x, const at::Tensor& style, const at::Tensor& skip) {
    const at::Tensor up = skip.defined() ? upfir2d(skip, upsample->kernel, 2, pad0, pad1) : at::Tensor();
    if (at::Tensor out = conv->pointwise(x, style, bias, up); out.defined()) return out;
    const at::Tensor out = conv->forward(x, style) + bias;
    return up.defined() ? out + up : out;
  }
};
TORCH_MODULE(ToRGB);

struct ConstantInputImpl : torch::nn::Module {
  at::Tensor input;
  explicit ConstantInputImpl(int64_t channels) {
    input = register_parameter("input", torch::randn({1, channels, 4, 4}));
  }
};
TORCH_MODULE(ConstantInput);

struct NoiseBuffersImpl : torch::nn::Module {
  std::vector<at::Tensor> noise;
  explicit NoiseBuffersImpl(int64_t num_layers) {
    for (int64_t i = 0; i < num_layers; ++i) {
      const int64_t res = int64_t{1} << ((i + 5) / 2);
      noise.push_back(register_buffer("noise_" + std::to_string(i), torch::randn({1, 1, res, res})));
    }
  }
};
TORCH_MODULE(NoiseBuffers);

int64_t default_width(int64_t resolution, int64_t channel_multiplier) {
  if (resolution <= 32) return 512;
  return std::max<int64_t>(1, 16384 * channel_multiplier / resolution);
}

std::vector<double> blur_kernel_of(const nlohmann::json& j) {
  std::vector<double> k = j.value("blur_kernel", std::vector<double>{1, 3, 3, 1});
  if (k.size() < 2) throw ModelError("stylegan2: blur_kernel needs at least two taps");
  return k;
}

int64_t size_of(const nlohmann::json& j, const char* what) {
  const int64_t size = j.value("size", int64_t{256});
  if (size < 8 || (size & (size - 1)) != 0)
    throw ModelError(std::string("stylegan2 ") + what + ": size must be a power of two from 8 up, not " +
                     std::to_string(size));
  return size;
}

// Overrides `widths` from j[key], rejecting keys that are not groups of this model.
void override_widths(std::map<std::string, int64_t>& widths, const nlohmann::json& j, const char* key,
                     const char* what) {
  if (!j.contains(key)) return;
  for (const auto& [name, v] : j.at(key).items()) {
    auto it = widths.find(name);
    if (it == widths.end())
      throw ModelError(std::string("stylegan2 ") + what + ": no channel group '" + name + "' at this size");
    const int64_t w = v.get<int64_t>();
    if (w < 1) throw ModelError(std::string("stylegan2 ") + what + ": width of '" + name + "' must be positive");
    it->second = w;
  }
}

struct GeneratorConfig {
  int64_t size = 256, style_dim = 512, n_mlp = 8, channel_multiplier = 2;
  std::vector<double> blur_kernel{1, 3, 3, 1};
  double lr_mlp = 0.01;
  std::map<std::string, int64_t> widths, fan_in;

  int64_t n_convs() const {
    int64_t log_size = 0;
    while ((int64_t{1} << log_size) < size) ++log_size;
    return 2 * (log_size - 2);
  }
  static std::string conv_name(int64_t i) { return "convs." + std::to_string(i); }
  // The group read by each modulated conv, which fixes its input width and fan-in.
  static std::string input_of_conv(int64_t i) { return i == 0 ? "conv1" : conv_name(i - 1); }

  static GeneratorConfig from_json(const nlohmann::json& j) {
    GeneratorConfig c;
    c.size = size_of(j, "generator");
    c.style_dim = j.value("style_dim", c.style_dim);
    c.n_mlp = j.value("n_mlp", c.n_mlp);
    c.channel_multiplier = j.value("channel_multiplier", c.channel_multiplier);
    c.blur_kernel = blur_kernel_of(j);
    c.lr_mlp = j.value("lr_mlp", c.lr_mlp);
    if (c.style_dim < 1 || c.n_mlp < 1) throw ModelError("stylegan2 generator: style_dim and n_mlp must be positive");
    c.widths["input"] = c.widths["conv1"] = default_width(4, c.channel_multiplier);
    for (int64_t i = 0; i < c.n_convs(); ++i)
      c.widths[conv_name(i)] = default_width(int64_t{8} << (i / 2), c.channel_multiplier);
    override_widths(c.widths, j, "widths", "generator");
    c.fan_in = c.widths;
    override_widths(c.fan_in, j, "fan_in", "generator");
    return c;
  }

  nlohmann::json to_json() const {
    return {{"size", size},
            {"style_dim", style_dim},
            {"n_mlp", n_mlp},
            {"channel_multiplier", channel_multiplier},
            {"blur_kernel", blur_kernel},
            {"lr_mlp", lr_mlp},
            {"widths", widths},
            {"fan_in", fan_in}};
  }
};

struct SynthesisImpl : torch::nn::Module {
  torch::nn::ModuleList style_list, convs_list, to_rgbs_list;
  PixelNorm pixel_norm;
  std::vector<EqualLinear> mapping;
  ConstantInput input{nullptr};
  StyledConv conv1{nullptr};
  ToRGB to_rgb1{nullptr};
  std::vector<StyledConv> convs;
  std::vector<ToRGB> to_rgbs;
  NoiseBuffers noises{nullptr};

  explicit SynthesisImpl(const GeneratorConfig& c) {
    style_list = register_module("style", torch::nn::ModuleList());
    style_list->push_back(pixel_norm);
    for (int64_t i = 0; i < c.n_mlp; ++i) {
      mapping.push_back(EqualLinear(c.style_dim, c.style_dim, 0.0, c.lr_mlp, true));
      style_list->push_back(mapping.back());
    }
    const auto& w = c.widths;
    const auto& f = c.fan_in;
    input = register_module("input", ConstantInput(w.at("input")));
    conv1 = register_module("conv1",
                            StyledConv(w.at("input"), w.at("conv1"), c.style_dim, f.at("input"), false, c.blur_kernel));
    to_rgb1 = register_module("to_rgb1", ToRGB(w.at("conv1"), c.style_dim, f.at("conv1"), false, c.blur_kernel));
    convs_list = register_module("convs", torch::nn::ModuleList());
    to_rgbs_list = register_module("to_rgbs", torch::nn::ModuleList());
    for (int64_t i = 0; i < c.n_convs(); ++i) {
      const std::string in = GeneratorConfig::input_of_conv(i), out = GeneratorConfig::conv_name(i);
      convs.push_back(StyledConv(w.at(in), w.at(out), c.style_dim, f.at(in), i % 2 == 0, c.blur_kernel));
      convs_list->push_back(convs.back());
      if (i % 2 == 1) {
        // Upstream builds its ToRGB layers without passing blur_kernel on, so their skip up-sampling always uses
        // [1, 3, 3, 1].
        to_rgbs.push_back(ToRGB(w.at(out), c.style_dim, f.at(out), true, std::vector<double>{1, 3, 3, 1}));
        to_rgbs_list->push_back(to_rgbs.back());
      }
    }
    noises = register_module("noises", NoiseBuffers(c.n_convs() + 1));
  }

  at::Tensor style_of(const at::Tensor& z) {
    at::Tensor x = pixel_norm->forward(z);
    for (auto& layer : mapping) x = layer->forward(x);
    return x;
  }

  at::Tensor synthesise(const at::Tensor& style, bool randomize_noise) {
    auto noise = [&](size_t i) { return randomize_noise ? at::Tensor() : noises->noise[i]; };
    // expand + contiguous: one copy, where repeat is a dozen operations.
    at::Tensor out = input->input.expand({style.size(0), -1, -1, -1}).contiguous();
    out = conv1->forward(out, style, noise(0));
    tap("conv1", out);
    at::Tensor skip = to_rgb1->forward(out, style, {});
    for (size_t j = 0; j < to_rgbs.size(); ++j) {
      out = convs[2 * j]->forward(out, style, noise(2 * j + 1));
      tap(GeneratorConfig::conv_name(static_cast<int64_t>(2 * j)), out);
      out = convs[2 * j + 1]->forward(out, style, noise(2 * j + 2));
      tap(GeneratorConfig::conv_name(static_cast<int64_t>(2 * j + 1)), out);
      skip = to_rgbs[j]->forward(out, style, skip);
    }
    return skip;
  }
};
TORCH_MODULE(Synthesis);

class StyleGAN2Generator final : public Generator {
public:
  explicit StyleGAN2Generator(GeneratorConfig config) : config_(std::move(config)), net_(config_) {}

  Arch arch() const override { return Arch::StyleGAN2; }
  nlohmann::json options() const override { return config_.to_json(); }
  InputSpec input_spec() const override { return {InputSpec::Kind::Latent, {config_.style_dim}}; }
  torch::nn::Module& module() override { return *net_; }

  at::Tensor map(const at::Tensor& input) override {
    const at::Tensor& ref = net_->input->input;
    at::Tensor z = input.dim() == 4 ? input.flatten(1) : input;
    if (z.dim() != 2 || z.size(1) != config_.style_dim)
      throw ModelError("stylegan2: latents must be [N, " + std::to_string(config_.style_dim) + "] or [N, " +
                       std::to_string(config_.style_dim) + ", 1, 1]");
    return net_->style_of(z.to(ref.device(), ref.scalar_type()));
  }

  at::Tensor synthesize(const at::Tensor& style, const GenerateOptions& options) override {
    return net_->synthesise(style, options.randomize_noise);
  }

  at::Tensor forward(const at::Tensor& input, const GenerateOptions& options) override {
    at::Tensor style = map(input);
    if (options.truncation < 1.0) {
      const at::Tensor mean = mean_style();
      style = mean + options.truncation * (style - mean);
    }
    return synthesize(style, options);
  }

  std::vector<ChannelGroup> channel_groups() const override {
    const auto& w = config_.widths;
    auto reader = [](const std::string& conv, std::vector<ChannelSlot>& slots) {
      slots.push_back({conv + ".conv.weight", 2, 0, SlotRole::Consumer});
      slots.push_back({conv + ".conv.modulation.weight", 0, 0});
      slots.push_back({conv + ".conv.modulation.bias", 0, 0});
    };
    std::vector<ChannelGroup> groups;
    ChannelGroup in{"input", w.at("input"), {{"input.input", 1, 0, SlotRole::Producer}}};
    reader("conv1", in.slots);
    groups.push_back(std::move(in));
    const int64_t n = config_.n_convs();
    for (int64_t i = -1; i < n; ++i) {
      const std::string name = i < 0 ? "conv1" : GeneratorConfig::conv_name(i);
      ChannelGroup g{name,
                     w.at(name),
                     {{name + ".conv.weight", 1, 0, SlotRole::Producer}, {name + ".activate.bias", 0, 0}},
                     true}; // demodulated
      if (i + 1 < n) reader(GeneratorConfig::conv_name(i + 1), g.slots);
      if (i < 0) reader("to_rgb1", g.slots);
      if (i >= 0 && i % 2 == 1) reader("to_rgbs." + std::to_string(i / 2), g.slots);
      groups.push_back(std::move(g));
    }
    return groups;
  }

  // Mapping, then synthesis with the stored noise buffers (truncation 1): forward() in eval mode. The helper methods
  // follow the C++ layers above line for line; scales and pads are read from the built modules.
  std::optional<std::string> torchscript_forward() const override {
    const Synthesis& n = net_;
    auto t = [](const std::string& name) { return torchscript_tensor(name); };
    auto num = [](double v) {
      std::ostringstream os;
      os << std::setprecision(17) << v;
      std::string out = os.str();
      if (out.find_first_of(".e") == std::string::npos) out += ".0";
      return out;
    };
    auto modconv = [&](const std::string& prefix, const ModulatedConvImpl& m, const std::string& x) {
      return "self.modconv(" + x + ", style, " + t(prefix + ".weight") + ", " + t(prefix + ".modulation.weight") +
             ", " + t(prefix + ".modulation.bias") + ", " + num(m.scale) + ", " + num(m.modulation->scale) + ", " +
             (m.demodulate ? "True" : "False") + ", " + (m.upsample ? "True" : "False") + ", " +
             (m.upsample ? t(prefix + ".blur.kernel") : t(prefix + ".weight")) + ", " + std::to_string(m.pad0) + ", " +
             std::to_string(m.pad1) + ")";
    };
    auto styled = [&](const std::string& prefix, const StyledConvImpl& c, int64_t noise) {
      return "    out = " + modconv(prefix + ".conv", *c.conv, "out") + "\n    out = self.lrelu(out + " +
             t(prefix + ".noise.weight") + " * " + t("noises.noise_" + std::to_string(noise)) + ", " +
             t(prefix + ".activate.bias") + ")\n";
    };
    auto rgb = [&](const std::string& prefix, const ToRGBImpl& r, bool skip) {
      std::string line = "    rgb = " + modconv(prefix + ".conv", *r.conv, "out") + " + " + t(prefix + ".bias") + "\n";
      if (skip)
        line += "    rgb = rgb + self.upfir2d(skip, " + t(prefix + ".upsample.kernel") + ", 2, " +
                std::to_string(r.pad0) + ", " + std::to_string(r.pad1) + ")\n";
      return line + "    skip = rgb\n";
    };
    std::string src =
        "def upfir2d(self, x, kernel, up: int, pad0: int, pad1: int):\n"
        "    n = x.size(0)\n    c = x.size(1)\n    h = x.size(2)\n    w = x.size(3)\n"
        "    out = x\n"
        "    if up > 1:\n"
        "        out = torch.constant_pad_nd(x.reshape([n, c, h, 1, w, 1]), [0, up - 1, 0, 0, 0, up - 1])\n"
        "        out = out.view([n, c, h * up, w * up])\n"
        "    out = torch.constant_pad_nd(out, [pad0, pad1, pad0, pad1])\n"
        "    k = kernel.flip([0, 1]).expand([c, 1, kernel.size(0), kernel.size(1)]).contiguous()\n"
        "    return torch.conv2d(out, k, None, [1, 1], [0, 0], [1, 1], c)\n\n"
        "def lrelu(self, x, bias):\n"
        "    shape = [1, bias.size(0)]\n"
        "    for _ in range(x.dim() - 2):\n        shape.append(1)\n"
        "    return torch.leaky_relu(x + bias.view(shape), 0.2) * 1.4142135623730951\n\n"
        "def modconv(self, x, style, weight, mod_w, mod_b, scale: float, mod_scale: float, demodulate: bool,\n"
        "            upsample: bool, blur, pad0: int, pad1: int):\n"
        "    b = x.size(0)\n    cin = x.size(1)\n    h = x.size(2)\n    w = x.size(3)\n"
        "    k = weight.size(3)\n    cout = weight.size(1)\n"
        "    wt = weight * scale * torch.linear(style, mod_w * mod_scale, mod_b).view([b, 1, cin, 1, 1])\n"
        "    if demodulate:\n"
        "        wt = wt * torch.rsqrt(wt.pow(2).sum([2, 3, 4]) + 1e-8).view([b, cout, 1, 1, 1])\n"
        "    xin = x.reshape([1, b * cin, h, w])\n"
        "    if upsample:\n"
        "        wt = wt.transpose(1, 2).reshape([b * cin, cout, k, k])\n"
        "        out = torch.conv_transpose2d(xin, wt, None, [2, 2], [0, 0], [0, 0], b)\n"
        "        out = out.view([b, cout, out.size(2), out.size(3)])\n"
        "        return self.upfir2d(out, blur, 1, pad0, pad1)\n"
        "    out = torch.conv2d(xin, wt.reshape([b * cout, cin, k, k]), None, [1, 1], [k // 2, k // 2], [1, 1], b)\n"
        "    return out.view([b, cout, out.size(2), out.size(3)])\n\n"
        "def forward(self, z):\n"
        "    x = z.reshape([z.size(0), " +
        std::to_string(config_.style_dim) +
        "])\n"
        "    x = x * torch.rsqrt(x.pow(2).mean(1, True) + 1e-8)\n";
    for (size_t i = 0; i < n->mapping.size(); ++i) {
      const auto& l = *n->mapping[i];
      const std::string name = "style." + std::to_string(i + 1);
      src += "    x = self.lrelu(torch.linear(x, " + t(name + ".weight") + " * " + num(l.scale) + "), " +
             t(name + ".bias") + " * " + num(l.lr_mul) + ")\n";
    }
    src += "    style = x\n    out = " + t("input.input") + ".repeat([z.size(0), 1, 1, 1])\n";
    src += styled("conv1", *n->conv1, 0) + rgb("to_rgb1", *n->to_rgb1, false);
    for (size_t j = 0; j < n->to_rgbs.size(); ++j) {
      src += styled(GeneratorConfig::conv_name(static_cast<int64_t>(2 * j)), *n->convs[2 * j],
                    static_cast<int64_t>(2 * j + 1));
      src += styled(GeneratorConfig::conv_name(static_cast<int64_t>(2 * j + 1)), *n->convs[2 * j + 1],
                    static_cast<int64_t>(2 * j + 2));
      src += rgb("to_rgbs." + std::to_string(j), *n->to_rgbs[j], true);
    }
    return src + "    return skip\n";
  }

  std::unique_ptr<Generator> with_widths(const std::map<std::string, int64_t>& widths) const override {
    GeneratorConfig c = config_;
    for (const auto& [name, width] : widths) {
      auto it = c.widths.find(name);
      if (it == c.widths.end()) throw ModelError("stylegan2: no channel group named '" + name + "'");
      if (width < 1) throw ModelError("stylegan2: width of '" + name + "' must be positive");
      it->second = width;
    }
    return std::make_unique<StyleGAN2Generator>(std::move(c));
  }

  // Per image. Modulated convolutions count as ordinary convolutions of their shape (the per-sample weight
  // modulation and demodulation are not counted); the up-sampling ones as transposed convolutions from res/2 to res;
  // style modulations and the mapping network as linear layers. FIR blurs are fixed filters and, like normalisation,
  // are not counted.
  CostReport cost(MacConvention convention) const override {
    const auto& c = config_;
    const auto& w = c.widths;
    std::vector<LayerCost> layers;
    for (int64_t i = 1; i <= c.n_mlp; ++i)
      layers.push_back(linear_cost("style." + std::to_string(i), c.style_dim, c.style_dim, true));
    auto modulation = [&](const std::string& name, int64_t in) {
      layers.push_back(linear_cost(name + ".conv.modulation", c.style_dim, in, true));
    };
    auto modulated = [](LayerCost l) {
      l.out_dim = 1; // weights are [1, out, in, k, k]
      return l;
    };
    modulation("conv1", w.at("input"));
    layers.push_back(modulated(conv2d_cost("conv1.conv", w.at("input"), w.at("conv1"), 3, 4, 4, true)));
    modulation("to_rgb1", w.at("conv1"));
    layers.push_back(modulated(conv2d_cost("to_rgb1.conv", w.at("conv1"), 3, 1, 4, 4, true)));
    for (int64_t i = 0; i < c.n_convs(); ++i) {
      const std::string name = GeneratorConfig::conv_name(i);
      const int64_t in = w.at(GeneratorConfig::input_of_conv(i)), out = w.at(name);
      const int64_t res = int64_t{8} << (i / 2);
      modulation(name, in);
      if (i % 2 == 0)
        layers.push_back(
            modulated(conv_transpose2d_cost(name + ".conv", in, out, 3, res / 2, res / 2, res, res, true, convention)));
      else
        layers.push_back(modulated(conv2d_cost(name + ".conv", in, out, 3, res, res, true)));
      if (i % 2 == 1) {
        const std::string rgb = "to_rgbs." + std::to_string(i / 2);
        modulation(rgb, out);
        layers.push_back(modulated(conv2d_cost(rgb + ".conv", out, 3, 1, res, res, true)));
      }
    }
    return make_cost_report(std::move(layers), *net_);
  }

private:
  // The truncation centre, recomputed only when a mapping parameter was replaced or modified in place.
  at::Tensor mean_style() {
    std::vector<std::pair<const void*, int64_t>> stamp;
    for (const auto& p : net_->style_list->parameters()) stamp.emplace_back(p.data_ptr(), p._version());
    if (!mean_.defined() || stamp != mean_stamp_ || mean_.device() != net_->input->input.device() ||
        mean_.scalar_type() != net_->input->input.scalar_type()) {
      torch::NoGradGuard no_grad;
      auto gen = at::make_generator<at::CPUGeneratorImpl>(0);
      const at::Tensor z = at::randn({4096, config_.style_dim}, gen);
      const at::Tensor& ref = net_->input->input;
      mean_ = net_->style_of(z.to(ref.device(), ref.scalar_type())).mean(0, true);
      mean_stamp_ = std::move(stamp);
    }
    return mean_;
  }

  GeneratorConfig config_;
  Synthesis net_;
  at::Tensor mean_;
  std::vector<std::pair<const void*, int64_t>> mean_stamp_;
};

// ---- Discriminator ----

struct EqualConv2dImpl : torch::nn::Module {
  at::Tensor weight, bias;
  double scale;
  int64_t stride, padding;
  // `fan_in` (0: `in`) fixes the equalised learning-rate scale, which a narrowed layer keeps from its full width.
  EqualConv2dImpl(int64_t in, int64_t out, int64_t k, int64_t stride_, int64_t padding_, bool with_bias,
                  int64_t fan_in = 0)
      : scale(1.0 / std::sqrt(static_cast<double>((fan_in > 0 ? fan_in : in) * k * k))), stride(stride_),
        padding(padding_) {
    weight = register_parameter("weight", torch::randn({out, in, k, k}));
    if (with_bias) bias = register_parameter("bias", torch::zeros({out}));
  }
  at::Tensor forward(const at::Tensor& x) { return at::conv2d(x, weight * scale, bias, stride, padding); }
};
TORCH_MODULE(EqualConv2d);

// Upstream's ConvLayer, an nn.Sequential: [Blur when down-sampling,] EqualConv2d[, FusedLeakyReLU].
struct ConvLayerImpl : torch::nn::Module {
  FirKernel blur{nullptr};
  EqualConv2d conv{nullptr};
  Bias activate{nullptr};
  bool activation;
  int64_t pad0 = 0, pad1 = 0;
  ConvLayerImpl(int64_t in, int64_t out, int64_t k, bool downsample, const std::vector<double>& blur_kernel,
                bool bias = true, bool activate_ = true, int64_t fan_in = 0)
      : activation(activate_) {
    int index = 0;
    if (downsample) {
      const int64_t p = (static_cast<int64_t>(blur_kernel.size()) - 2) + (k - 1);
      pad0 = floor_div(p + 1, 2);
      pad1 = floor_div(p, 2);
      blur = register_module(std::to_string(index++), FirKernel(blur_kernel, 1.0));
    }
    conv = register_module(std::to_string(index++), EqualConv2d(in, out, k, downsample ? 2 : 1, downsample ? 0 : k / 2,
                                                                bias && !activation, fan_in));
    if (activation && bias) activate = register_module(std::to_string(index), Bias(out));
  }
  at::Tensor forward(at::Tensor x) {
    if (blur) x = upfir2d(x, blur->kernel, 1, pad0, pad1);
    x = conv->forward(x);
    if (!activation) return x;
    return activate ? fused_lrelu(x, activate->bias) : at::leaky_relu(x, 0.2) * kSqrt2;
  }
};
TORCH_MODULE(ConvLayer);

struct ResBlockImpl : torch::nn::Module {
  ConvLayer conv1{nullptr}, conv2{nullptr}, skip{nullptr};
  ResBlockImpl(int64_t in, int64_t out, const std::vector<double>& blur_kernel, int64_t fan_in) {
    conv1 = register_module("conv1", ConvLayer(in, in, 3, false, blur_kernel, true, true, fan_in));
    conv2 = register_module("conv2", ConvLayer(in, out, 3, true, blur_kernel, true, true, fan_in));
    skip = register_module("skip", ConvLayer(in, out, 1, true, blur_kernel, false, false, fan_in));
  }
  at::Tensor forward(const at::Tensor& x) { return (conv2->forward(conv1->forward(x)) + skip->forward(x)) / kSqrt2; }
};
TORCH_MODULE(ResBlock);

struct DiscriminatorConfig {
  int64_t size = 256, channel_multiplier = 2;
  std::vector<double> blur_kernel{1, 3, 3, 1};
  std::map<std::string, int64_t> widths; // resolution -> channels
  std::map<std::string, int64_t> fan_in; // resolution -> the width the blocks reading it were trained at

  int64_t width(int64_t res) const { return widths.at(std::to_string(res)); }

  static DiscriminatorConfig from_json(const nlohmann::json& j) {
    DiscriminatorConfig c;
    c.size = size_of(j, "discriminator");
    c.channel_multiplier = j.value("channel_multiplier", c.channel_multiplier);
    c.blur_kernel = blur_kernel_of(j);
    for (int64_t res = 4; res <= c.size; res *= 2)
      c.widths[std::to_string(res)] = default_width(res, c.channel_multiplier);
    override_widths(c.widths, j, "widths", "discriminator");
    c.fan_in = c.widths;
    override_widths(c.fan_in, j, "fan_in", "discriminator");
    return c;
  }
  nlohmann::json to_json() const {
    return {{"size", size},
            {"channel_multiplier", channel_multiplier},
            {"blur_kernel", blur_kernel},
            {"widths", widths},
            {"fan_in", fan_in}};
  }
};

struct CriticImpl : torch::nn::Module {
  torch::nn::ModuleList convs_list, final_linear_list;
  ConvLayer from_rgb{nullptr}, final_conv{nullptr};
  std::vector<ResBlock> blocks;
  EqualLinear linear1{nullptr}, linear2{nullptr};

  explicit CriticImpl(const DiscriminatorConfig& c) {
    convs_list = register_module("convs", torch::nn::ModuleList());
    from_rgb = ConvLayer(3, c.width(c.size), 1, false, c.blur_kernel);
    convs_list->push_back(from_rgb);
    int64_t in = c.width(c.size);
    for (int64_t res = c.size; res > 4; res /= 2) {
      blocks.push_back(ResBlock(in, c.width(res / 2), c.blur_kernel, c.fan_in.at(std::to_string(res))));
      convs_list->push_back(blocks.back());
      in = c.width(res / 2);
    }
    final_conv = register_module("final_conv", ConvLayer(in + 1, c.width(4), 3, false, c.blur_kernel));
    final_linear_list = register_module("final_linear", torch::nn::ModuleList());
    linear1 = EqualLinear(c.width(4) * 16, c.width(4), 0.0, 1.0, true);
    linear2 = EqualLinear(c.width(4), 1, 0.0, 1.0, false);
    final_linear_list->push_back(linear1);
    final_linear_list->push_back(linear2);
  }

  // Minibatch standard deviation over groups of up to four images, as one extra feature map; the final convolution.
  at::Tensor features(const at::Tensor& images) {
    at::Tensor out = from_rgb->forward(images);
    for (auto& block : blocks) out = block->forward(out);
    const int64_t b = out.size(0), ch = out.size(1), h = out.size(2), w = out.size(3);
    const int64_t group = std::min<int64_t>(b, 4);
    if (b % group != 0)
      throw ModelError("stylegan2 discriminator: a batch of " + std::to_string(b) +
                       " does not split into groups of 4 for the minibatch standard deviation");
    at::Tensor s = out.view({group, -1, 1, ch, h, w});
    s = at::sqrt((s - s.mean(0, true)).pow(2).mean(0) + 1e-8);
    s = s.mean({2, 3, 4}, true).squeeze(2).repeat({group, 1, h, w});
    return final_conv->forward(at::cat({out, s}, 1));
  }
  at::Tensor head(const at::Tensor& features) { return linear2->forward(linear1->forward(features.flatten(1))); }
};
TORCH_MODULE(Critic);

class StyleGAN2Discriminator final : public Discriminator {
public:
  explicit StyleGAN2Discriminator(DiscriminatorConfig config) : config_(std::move(config)), net_(config_) {}
  nlohmann::json options() const override { return config_.to_json(); }
  torch::nn::Module& module() override { return *net_; }
  at::Tensor features(const at::Tensor& images) override {
    if (images.dim() != 4 || images.size(1) != 3 || images.size(2) != config_.size || images.size(3) != config_.size)
      throw ModelError("stylegan2 discriminator: expects [N, 3, " + std::to_string(config_.size) + ", " +
                       std::to_string(config_.size) + "] images");
    return net_->features(images);
  }
  at::Tensor head(const at::Tensor& features) override { return net_->head(features); }

  // One group per resolution above 4x4: the channels a block reads (from_rgb's or the previous block's conv2 and skip
  // outputs) tied with the same block's conv1 outputs, which have the same width in this layout. The 4x4 channels
  // stay: the minibatch standard deviation averages over them, so removing one is not the same as zeroing it.
  std::vector<ChannelGroup> channel_groups() const override {
    std::vector<ChannelGroup> groups;
    int64_t block = 1;
    for (int64_t res = config_.size; res > 4; res /= 2, ++block) {
      const std::string b = "convs." + std::to_string(block);
      ChannelGroup g{std::to_string(res), config_.width(res), {}};
      if (block == 1) {
        g.slots.push_back({"convs.0.0.weight", 0, 0, SlotRole::Producer});
        g.slots.push_back({"convs.0.1.bias", 0, 0});
      } else {
        const std::string prev = "convs." + std::to_string(block - 1);
        g.slots.push_back({prev + ".conv2.1.weight", 0, 0, SlotRole::Producer});
        g.slots.push_back({prev + ".conv2.2.bias", 0, 0});
        g.slots.push_back({prev + ".skip.1.weight", 0, 0, SlotRole::Producer});
      }
      g.slots.push_back({b + ".conv1.0.weight", 1, 0, SlotRole::Consumer});
      g.slots.push_back({b + ".skip.1.weight", 1, 0, SlotRole::Consumer});
      g.slots.push_back({b + ".conv1.0.weight", 0, 0, SlotRole::Producer});
      g.slots.push_back({b + ".conv1.1.bias", 0, 0});
      g.slots.push_back({b + ".conv2.1.weight", 1, 0, SlotRole::Consumer});
      groups.push_back(std::move(g));
    }
    return groups;
  }
  std::unique_ptr<Discriminator> with_widths(const std::map<std::string, int64_t>& widths) const override {
    return make_stylegan2_discriminator(options_with_widths(options(), widths));
  }
  // Its own resolution, whatever `image_size` says; the fixed blur filters are not counted.
  CostReport cost(int64_t) const override {
    std::vector<LayerCost> layers;
    const int64_t size = config_.size;
    layers.push_back(conv2d_cost("convs.0", 3, config_.width(size), 1, size, size, true));
    int64_t block = 1;
    for (int64_t res = size; res > 4; res /= 2, ++block) {
      const std::string b = "convs." + std::to_string(block);
      const int64_t in = config_.width(res), out = config_.width(res / 2);
      layers.push_back(conv2d_cost(b + ".conv1", in, in, 3, res, res, true));
      layers.push_back(conv2d_cost(b + ".conv2", in, out, 3, res / 2, res / 2, true));
      layers.push_back(conv2d_cost(b + ".skip", in, out, 1, res / 2, res / 2, false));
    }
    const int64_t w4 = config_.width(4);
    layers.push_back(conv2d_cost("final_conv", w4 + 1, w4, 3, 4, 4, true));
    layers.push_back(linear_cost("final_linear.0", w4 * 16, w4, true));
    layers.push_back(linear_cost("final_linear.1", w4, 1, false));
    return make_cost_report(std::move(layers), *net_);
  }

private:
  DiscriminatorConfig config_;
  Critic net_;
};

// ---- Recognising checkpoints ----

bool has(const TensorMap& t, const std::string& name) {
  return t.count(name) > 0;
}

std::optional<int64_t> int_field(const io::Value* root, const char* name) {
  const io::Value* args = root ? root->get("args") : nullptr;
  const io::Value* v = args ? args->field(name) : nullptr;
  if (!v && args) v = args->get(name); // args saved as a plain dict
  if (v && v->kind == io::Kind::Int) return v->integer;
  return std::nullopt;
}

nlohmann::json infer_generator(const TensorMap& g, const io::Value* root) {
  nlohmann::json j;
  j["style_dim"] = shape_of(g, "style.1.weight").at(1);
  int64_t n_mlp = 0;
  while (has(g, "style." + std::to_string(n_mlp + 1) + ".weight")) ++n_mlp;
  j["n_mlp"] = n_mlp;
  int64_t n_convs = 0;
  while (has(g, GeneratorConfig::conv_name(n_convs) + ".conv.weight")) ++n_convs;
  if (n_convs < 2 || n_convs % 2 != 0)
    throw ModelError("stylegan2: the generator has " + std::to_string(n_convs) +
                     " convs.N layers; a complete one has two per resolution from 8x8 up");
  const int64_t size = int64_t{4} << (n_convs / 2);
  j["size"] = size;
  nlohmann::json widths;
  widths["input"] = shape_of(g, "input.input").at(1);
  widths["conv1"] = shape_of(g, "conv1.conv.weight").at(1);
  for (int64_t i = 0; i < n_convs; ++i) {
    const std::string name = GeneratorConfig::conv_name(i);
    widths[name] = shape_of(g, name + ".conv.weight").at(1);
  }
  j["widths"] = widths;
  // Shapes fix the widths, not the multiplier upstream derived them from: take it from `args`, else from the 64x64
  // width when it is a multiple of 256.
  int64_t cm = 2;
  if (auto a = int_field(root, "channel_multiplier"))
    cm = *a;
  else if (size >= 64 && widths["convs.4"].get<int64_t>() % 256 == 0)
    cm = widths["convs.4"].get<int64_t>() / 256;
  j["channel_multiplier"] = cm;
  // The kernel's values come with the checkpoint's buffers; its length fixes the pads. Row sums of the separable 2-D
  // kernel are proportional to the 1-D taps.
  if (auto it = g.find("convs.0.conv.blur.kernel"); it != g.end() && it->second.dim() == 2) {
    const at::Tensor rows = it->second.to(torch::kDouble).sum(1);
    const double first = rows[0].item<double>();
    std::vector<double> taps;
    for (int64_t i = 0; i < rows.size(0); ++i)
      taps.push_back(first != 0 ? std::round(rows[i].item<double>() / first * 1e6) / 1e6 : 1.0);
    j["blur_kernel"] = taps;
  }
  return j;
}

nlohmann::json infer_discriminator(const TensorMap& d, const io::Value* root, const nlohmann::json& g_options) {
  nlohmann::json j;
  int64_t blocks = 0;
  while (has(d, "convs." + std::to_string(blocks + 1) + ".conv2.1.weight")) ++blocks;
  const int64_t size = int64_t{4} << blocks;
  j["size"] = size;
  j["channel_multiplier"] = int_field(root, "channel_multiplier").value_or(g_options.value("channel_multiplier", 2));
  if (g_options.contains("blur_kernel")) j["blur_kernel"] = g_options["blur_kernel"];
  nlohmann::json widths;
  widths[std::to_string(size)] = shape_of(d, "convs.0.0.weight").at(0);
  for (int64_t k = 1; k <= blocks; ++k)
    widths[std::to_string(size >> k)] = shape_of(d, "convs." + std::to_string(k) + ".conv2.1.weight").at(0);
  j["widths"] = widths;
  return j;
}

std::optional<Recognised> recognise(const TensorMap& tensors, const io::Value* root) {
  for (const std::string prefix : {"g_ema", "g", ""}) {
    const std::string p = prefix.empty() ? "" : prefix + ".";
    if (!has(tensors, p + "style.1.weight") || !has(tensors, p + "input.input") ||
        !has(tensors, p + "conv1.conv.weight"))
      continue;
    Recognised r;
    r.generator_prefix = prefix;
    r.generator_options = infer_generator(with_prefix_stripped(tensors, prefix), root);
    if (!prefix.empty() && has(tensors, "d.convs.0.0.weight") && has(tensors, "d.final_conv.0.weight")) {
      r.discriminator_prefix = "d";
      r.discriminator_options = infer_discriminator(with_prefix_stripped(tensors, "d"), root, r.generator_options);
    }
    return r;
  }
  return std::nullopt;
}

} // namespace

std::unique_ptr<Generator> make_stylegan2_generator(const nlohmann::json& options) {
  try {
    return std::make_unique<StyleGAN2Generator>(GeneratorConfig::from_json(options));
  } catch (const nlohmann::json::exception& e) {
    throw ModelError(std::string("stylegan2 generator: bad options: ") + e.what());
  }
}

std::unique_ptr<Discriminator> make_stylegan2_discriminator(const nlohmann::json& options) {
  try {
    return std::make_unique<StyleGAN2Discriminator>(DiscriminatorConfig::from_json(options));
  } catch (const nlohmann::json::exception& e) {
    throw ModelError(std::string("stylegan2 discriminator: bad options: ") + e.what());
  }
}

ArchEntry stylegan2_entry() {
  ArchEntry e;
  e.arch = Arch::StyleGAN2;
  e.generator_key = "g_ema";
  e.discriminator_key = "d";
  e.recognise = recognise;
  e.build_generator = make_stylegan2_generator;
  e.build_discriminator = make_stylegan2_discriminator;
  return e;
}

} // namespace gs::models
