// The interface every zoo architecture implements: forward, channel groups, rebuilding at new widths, costs.
#pragma once
#include <ATen/core/Tensor.h>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace torch::nn {
class Module;
}

namespace gs::models {

// Wrong architecture, missing/unexpected/mis-shaped tensors, impossible widths: always names what is wrong.
struct ModelError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

enum class Arch { DCGAN, SSD, StyleGAN2, Pix2Pix, CycleGAN };
const char* arch_name(Arch arch); // "dcgan", "ssd", "stylegan2", "pix2pix", "cyclegan"
std::optional<Arch> arch_from_name(std::string_view name);

// What a slot's tensor does with the group's channels: produces them (a conv's output filters, a learned constant),
// reads them (the next layer's input axis), scales them (a normalisation layer's gamma), or anything else (biases,
// running statistics, modulation rows). Scorers read weights and gradients by role.
enum class SlotRole { Other, Producer, Consumer, NormScale };

// One tensor axis that carries a group's channels. `offset` places them inside a wider axis, e.g. the second half of
// a U-Net decoder's concatenated input. Tensor names are state_dict names (parameters and buffers).
// `block`: entries per channel along the axis, for axes that flatten a channel with its kernel (spectral norm's
// weight_v holds in x k x k entries, channel-major).
struct ChannelSlot {
  std::string tensor;
  int64_t dim = 0;
  int64_t offset = 0;
  SlotRole role = SlotRole::Other;
  int64_t block = 1;
};

// Channels that must be removed together: a producer's outputs and every consumer of them.
struct ChannelGroup {
  std::string name; // the key its width is stored under in options()["widths"]
  int64_t width = 0;
  std::vector<ChannelSlot> slots;
  // A per-sample normalisation right after the producers (instance norm without affine, StyleGAN2's demodulation)
  // takes out each channel's scale: rescaling a channel's producing weights and bias changes the output only through
  // the norm's eps.
  bool scale_free = false;
};

// Group name -> kept channel indices (sorted, unique). A group that is absent keeps all its channels.
using KeptChannels = std::map<std::string, std::vector<int64_t>>;

// How a transposed convolution's multiply-accumulates are counted. Compression papers count it by its output
// (output pixels x in x out x k^2, like a convolution of the same shape): CycleGAN ResNet-9 at 256^2 is then 56.8G
// MACs and pix2pix U-Net-256 about 18.6G. Counting what it really does (input pixels x in x out x k^2) gives 49.6G
// and 6.0G.
enum class MacConvention { TransposedByOutput, TransposedByInput };

struct LayerCost {
  std::string layer;
  int64_t params = 0;
  int64_t macs = 0;
  int64_t outputs = 0; // values the layer writes per sample: its time grows with them as well as with its MACs
  int out_dim = 0;     // the axis of the layer's weight that holds its output channels
};

struct CostReport {
  std::vector<LayerCost> layers;
  int64_t params = 0; // every parameter of the generator, including those of layers that do no MACs
  int64_t macs = 0;
  int64_t outputs = 0;
};

// What a generator consumes per sample: a latent vector {dim} or an image {channels, height, width} in [-1, 1].
struct InputSpec {
  enum class Kind { Latent, Image } kind = Kind::Latent;
  std::vector<int64_t> shape;
};

struct GenerateOptions {
  double truncation = 1.0;      // < 1 pulls mapped latents towards their mean (models with a mapping network)
  bool randomize_noise = false; // StyleGAN2: fresh noise instead of the stored buffers
};

class Generator {
public:
  virtual ~Generator() = default;
  virtual Arch arch() const = 0;
  // Everything needed to rebuild the module, widths included under "widths" (group name -> width).
  virtual nlohmann::json options() const = 0;
  virtual InputSpec input_spec() const = 0;
  virtual torch::nn::Module& module() = 0;
  const torch::nn::Module& module() const { return const_cast<Generator*>(this)->module(); }
  // Images in [-1, 1], NCHW. Latents may come as [N, dim] or [N, dim, 1, 1]. Deterministic unless asked otherwise;
  // callers choose train/eval mode on module() (eval: running statistics, no dropout).
  virtual at::Tensor forward(const at::Tensor& input, const GenerateOptions& options = {}) = 0;
  // Unconditional models split forward() into map() and synthesize(): map() takes latents to the space the synthesis
  // network reads (StyleGAN2's W, SSD's mapped w; the latent itself, [N, dim], where there is no mapping), and
  // synthesize(map(z)) == forward(z) without truncation. Latent-space scorers move through that space.
  virtual at::Tensor map(const at::Tensor& latents) { return latents.flatten(1); }
  virtual at::Tensor synthesize(const at::Tensor& mapped, const GenerateOptions& options = {}) {
    return forward(mapped, options);
  }
  virtual std::vector<ChannelGroup> channel_groups() const = 0;
  // A freshly initialised module of the same architecture with some groups' widths changed.
  virtual std::unique_ptr<Generator> with_widths(const std::map<std::string, int64_t>& widths) const = 0;
  virtual CostReport cost(MacConvention convention = MacConvention::TransposedByOutput) const = 0;
  // TorchScript source of `def forward(self, x)` equal to forward() in eval mode, naming every state_dict tensor with
  // its dots turned into underscores; nullopt where the architecture has no export yet.
  virtual std::optional<std::string> torchscript_forward() const { return std::nullopt; }
};

// `options` with some groups' widths replaced: what each architecture's with_widths() rebuilds from.
inline nlohmann::json options_with_widths(nlohmann::json options, const std::map<std::string, int64_t>& widths) {
  for (const auto& [name, w] : widths) options["widths"][name] = w;
  return options;
}

class Discriminator {
public:
  virtual ~Discriminator() = default;
  virtual nlohmann::json options() const = 0;
  virtual torch::nn::Module& module() = 0;
  // Logits (any shape: one per image or a PatchGAN map). Conditional models take input and output concatenated
  // along channels. Equals head(features(images)).
  virtual at::Tensor forward(const at::Tensor& images) { return head(features(images)); }
  // The penultimate activations [N, C, H, W] (what the last layer reads) and the last layer on them.
  virtual at::Tensor features(const at::Tensor& images) = 0;
  virtual at::Tensor head(const at::Tensor& features) = 0;
  // Prunable channel groups, as for generators; empty where the architecture's discriminator cannot be narrowed
  // (then with_widths() throws and cost() is empty). cost() is for square inputs of `image_size` pixels.
  virtual std::vector<ChannelGroup> channel_groups() const { return {}; }
  virtual std::unique_ptr<Discriminator> with_widths(const std::map<std::string, int64_t>& widths) const;
  virtual CostReport cost(int64_t /*image_size*/) const { return {}; }
};

} // namespace gs::models
