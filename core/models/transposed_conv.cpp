#include "core/models/transposed_conv.h"
#include "core/models/derived_weight.h"
#include "core/models/direct_kernel.h"
#include "core/models/norm_layers.h"
#include "core/models/row_product.h"
#include "core/models/transposed_direct.h"
#include "core/models/transposed_phases.h"

#include <torch/torch.h>

#include <algorithm>

namespace gs::models {
namespace {

// One input pixel and no output padding: output (i, j) is the pixel's channels times tap (i + p, j + p), so the layer
// is a plain matrix product with the kernel's central (k − 2p) × (k − 2p) taps (with p = 0 the whole window).
bool one_pixel(const torch::nn::ConvTranspose2dImpl& m, const at::Tensor& x) {
  const auto& op = *m.options.output_padding();
  const auto& p = *c10::get<torch::ExpandingArray<2>>(m.options.padding());
  return x.size(2) == 1 && x.size(3) == 1 && op[0] == 0 && op[1] == 0 && 2 * p[0] < m.weight.size(2) &&
         2 * p[1] < m.weight.size(3);
}

at::Tensor by_matrix_product(torch::nn::ConvTranspose2dImpl& m, const at::Tensor& x) {
  const auto& o = m.options;
  const int64_t n = x.size(0), in = x.size(1), h = x.size(2), w = x.size(3);
  const int64_t out = m.weight.size(1), kh = m.weight.size(2), kw = m.weight.size(3);
  const auto& s = *o.stride();
  const auto& p = *c10::get<torch::ExpandingArray<2>>(o.padding());
  at::Tensor y;
  if (one_pixel(m, x)) {
    y = row_product(x.reshape({n, in}), central_taps(m.weight, p[0], p[1]))
            .reshape({n, out, kh - 2 * p[0], kw - 2 * p[1]});
  } else {
    // Every input pixel spreads its in × (out·kh·kw) product over its output window: columns, then col2im.
    const at::Tensor cols = at::matmul(m.weight.reshape({in, out * kh * kw}).t(), x.reshape({n, in, h * w}));
    y = at::col2im(cols, {transposed_output_size(m, x, 0), transposed_output_size(m, x, 1)}, {kh, kw}, {1, 1},
                   {p[0], p[1]}, {s[0], s[1]});
  }
  if (m.bias.defined()) y = y + m.bias.reshape({1, out, 1, 1});
  return y;
}

at::Tensor by_route(torch::nn::ConvTranspose2dImpl& m, const at::Tensor& x, TransposedRoute route) {
  switch (route) {
  case TransposedRoute::MatrixProduct:
    return by_matrix_product(m, x);
  case TransposedRoute::Phases:
    return transposed_by_phases(m, x);
  case TransposedRoute::Direct:
    return transposed_direct(m, x);
  case TransposedRoute::Library:
    break;
  }
  return m.forward(x);
}

} // namespace

TransposedRoute transposed_route(const torch::nn::ConvTranspose2dImpl& m, const at::Tensor& x) {
  if (!route_applies(m, x, TransposedRoute::MatrixProduct)) return TransposedRoute::Library;
  const int64_t pixels = x.size(2) * x.size(3), work = x.size(0) * pixels;
  if (one_pixel(m, x)) return TransposedRoute::MatrixProduct;
  const bool grad = at::GradMode::is_enabled() && (x.requires_grad() || m.weight.requires_grad());
  const bool wide = x.size(1) >= 256;
  if (wide && work <= 16) return TransposedRoute::MatrixProduct;
  // oneDNN pads the phase route's channels (input, and 4 phases × output) out to 16-lane blocks.
  const bool padded = x.size(1) % 16 != 0 || m.weight.size(1) % 4 != 0;
  const bool narrow = x.size(1) <= 40 || m.weight.size(1) <= 8 || padded;
  // With 8-float vectors (AVX2 only) a block sums 4 output channels per input load where AVX-512 sums 8: from more
  // than 64 channels at batch 1 oneDNN was faster there (0.34–0.96 of its speed on an AVX2-only Zen 3).
  const bool single = x.size(0) == 1 && (direct::lanes() == 16 || x.size(1) <= 64);
  if (!grad && !(wide && pixels <= 16) && (narrow || single || pixels == 1) && direct_applies(m, x))
    return TransposedRoute::Direct;
  // Planes narrower than a vector, summed with the samples innermost: 1.6–2.3x the phase route on 4 × 4 inputs of
  // 64–512 channels at batch 16, 1.2x the matrix product on 512 → 256 (bench_transposed, AVX2-only Zen 3).
  if (!grad && direct_interleaves(m, x)) return TransposedRoute::Direct;
  // Training: oneDNN's backward of the shared convolution is slow for many input channels on few pixels.
  if (m.weight.size(1) >= (grad ? 3 : 8) && (!grad || (work >= 256 && work >= 2 * x.size(1))) && phases_fit(m, x))
    return TransposedRoute::Phases;
  return (wide && pixels <= 16) || pixels <= 4 ? TransposedRoute::MatrixProduct : TransposedRoute::Library;
}

at::Tensor transposed_conv_after_norm_relu(torch::nn::ConvTranspose2dImpl& m, torch::nn::BatchNorm2dImpl& norm,
                                           const at::Tensor& x, const direct::PlaneFinish& finish, bool* finished) {
  return transposed_conv_of_parts(m, {{x, &norm, true}}, finish, finished);
}

namespace {

// Whether transposed_conv_of_parts takes the direct route (the parts' x may be stand-ins of their shape).
bool direct_for_parts(const torch::nn::ConvTranspose2dImpl& m, const std::vector<InputPart>& parts) {
  const bool affine =
      std::all_of(parts.begin(), parts.end(), [](const InputPart& p) { return applies_as_affine(p.norm); });
  return !at::GradMode::is_enabled() && affine &&
         transposed_route(m, concatenated_shape(parts)) == TransposedRoute::Direct;
}

} // namespace

at::Tensor transposed_conv_of_parts(torch::nn::ConvTranspose2dImpl& m, const std::vector<InputPart>& parts,
                                    const direct::PlaneFinish& finish, bool* finished) {
  if (direct_for_parts(m, parts)) {
    if (finished) *finished = static_cast<bool>(finish);
    return transposed_direct(m, parts, VectorWidth::Widest, finish);
  }
  if (finished) *finished = false;
  std::vector<at::Tensor> read;
  for (const InputPart& part : parts) {
    const at::Tensor scaled =
        part.scale.defined() ? part.x * part.scale.view({part.x.size(0), part.x.size(1), 1, 1}) : part.x;
    const at::Tensor x = part.norm ? part.norm->forward(scaled) : scaled;
    read.push_back(part.relu || part.norm ? at::relu(x) : x);
  }
  return transposed_conv(m, read.size() == 1 ? read[0] : at::cat(read, 1));
}

namespace {

// Whether transposed_conv_after_norm_relu takes the direct route for layer l on an input shaped like x.
bool direct_after_norm(const NormConv& l, const at::Tensor& x) {
  return direct_for_parts(*l.conv, {{x, l.norm, true}});
}

} // namespace

at::Tensor transposed_conv_run(const std::vector<NormConv>& layers, const at::Tensor& x,
                               const direct::PlaneFinish& finish, bool* finished) {
  at::Tensor y = x;
  std::unique_ptr<DirectRun> run;
  for (size_t i = 0; i < layers.size(); ++i) {
    const bool last = i + 1 == layers.size();
    if (run) {
      if (direct_after_norm(layers[i], run->shape())) {
        run->next(*layers[i].conv, *layers[i].norm);
        continue;
      }
      y = run->output();
      run.reset();
    }
    if (!last && direct_after_norm(layers[i], y))
      run = std::make_unique<DirectRun>(*layers[i].conv, std::vector<InputPart>{{y, layers[i].norm, true}});
    else
      y = transposed_conv_after_norm_relu(*layers[i].conv, *layers[i].norm, y, last ? finish : direct::PlaneFinish(),
                                          last ? finished : nullptr);
  }
  if (!run) return y;
  if (finished) *finished = static_cast<bool>(finish);
  return run->output(finish);
}

bool route_applies(const torch::nn::ConvTranspose2dImpl& m, const at::Tensor& x, TransposedRoute route) {
  const auto& o = m.options;
  const auto& d = *o.dilation();
  const bool plain = x.dim() == 4 && x.device().is_cpu() && x.scalar_type() == at::kFloat && o.groups() == 1 &&
                     d[0] == 1 && d[1] == 1 && c10::holds_alternative<torch::enumtype::kZeros>(o.padding_mode()) &&
                     c10::holds_alternative<torch::ExpandingArray<2>>(o.padding());
  if (route == TransposedRoute::Library) return true;
  if (!plain) return false;
  if (route == TransposedRoute::Direct) return direct_applies(m, x);
  return route == TransposedRoute::MatrixProduct || phases_fit(m, x);
}

at::Tensor transposed_conv(torch::nn::ConvTranspose2dImpl& m, const at::Tensor& x, TransposedRoute route) {
  if (!route_applies(m, x, route)) throw std::invalid_argument("transposed_conv: route does not apply to this layer");
  return by_route(m, x, route);
}

at::Tensor transposed_conv(torch::nn::ConvTranspose2dImpl& m, const at::Tensor& x) {
  return by_route(m, x, transposed_route(m, x)); // the route it picks applies: no second check on every pass
}

} // namespace gs::models
