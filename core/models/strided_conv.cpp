#include "core/models/strided_conv.h"
#include "core/models/derived_weight.h"
#include "core/models/norm_layers.h"
#include "core/models/row_product.h"
#include "core/models/tensor_checks.h"

#include <torch/torch.h>

#include <algorithm>
#include <cstring>

namespace gs::models {
namespace {

using direct::V8;

// Plane (c, p, q) holds x[c, 2u + p − 1, 2v + q − 1] at n·sample + u·cols + v (zero outside the input), u ≤ H/2,
// v ≤ W/2: output (i, j) reads it at taps (a, b) ∈ {0, 1}², kernel entry (2a + p, 2b + q).
//
// Outputs narrower than a vector have the samples go innermost instead ("interleaved"), where a row of all samples'
// outputs fills whole vectors: the value of sample s at (u·(W/2 + 1) + v)·n + s, output (i, j) of sample s at
// (i·(W/2 + 1) + j)·n + s. The kernel then sums no position of the gap column or row, where one sample after another
// it sums (H/2 + 1)(W/2 + 1) positions for (H/2)(W/2) outputs (2.25× at 2 × 2, 1.56× at 4 × 4, 1.27× at 8 × 8), and
// a 16-lane vector of 8 × 8 outputs holds parts of two rows.
struct Layout {
  direct::Shape k;
  int64_t n = 0, channels = 0, h = 0, w = 0, rows = 0, sample = 0;
  bool interleaved = false;
  int64_t disp[direct::kTaps] = {};
};

Layout interleaved_layout(const Layout& plain, int64_t lanes) {
  Layout l = plain;
  const int64_t cols = l.w / 2 + 1, n = l.n;
  l.interleaved = true;
  l.k.cols = cols * n;
  l.k.positions = (l.h / 2 * l.k.cols + lanes - 1) / lanes * lanes;
  l.k.plane = l.rows * l.k.cols + lanes; // a vector beyond the last row, read by no output kept
  l.k.y_stride = l.k.positions;
  l.k.width = l.w / 2 * n, l.k.height = l.k.period = l.h / 2; // every row's gap column skipped
  const int64_t disp[direct::kTaps] = {0, n, l.k.cols, l.k.cols + n};
  std::copy(disp, disp + direct::kTaps, l.disp);
  return l;
}

Layout layout(const at::Tensor& x, int64_t out, int64_t lanes) {
  Layout l;
  l.n = x.size(0), l.channels = x.size(1), l.h = x.size(2), l.w = x.size(3);
  l.rows = l.h / 2 + 1;
  l.k.cols = l.w / 2 + 1;
  l.sample = l.rows * l.k.cols;
  l.k.in = 4 * l.channels;
  l.k.out = out;
  if (direct::interleaves(l.n, l.w / 2, lanes)) return interleaved_layout(l, lanes);
  l.k.positions = (l.n * l.sample + lanes - 1) / lanes * lanes;
  l.k.plane = l.k.positions + l.k.cols + 1 + lanes; // the last window's second row and a vector beyond
  l.k.y_stride = l.k.positions;
  if (l.w / 2 % lanes == 0) // rows of whole vectors: the kernel skips each row's gap column and each sample's gap row
    l.k.width = l.w / 2, l.k.height = l.h / 2, l.k.period = l.rows;
  const int64_t disp[direct::kTaps] = {0, 1, l.k.cols, l.k.cols + 1};
  std::copy(disp, disp + direct::kTaps, l.disp);
  return l;
}

// One input row's even columns into plane q = 1 (v = j / 2) and odd ones into plane q = 0 (v = (j + 1) / 2), the
// columns no input reaches zero.
inline __attribute__((always_inline)) void split_row(const float* src, int64_t w, const direct::ReadAs& r,
                                                     float* odd_plane, float* even_plane) {
  odd_plane[0] = 0.0f;
  int64_t v = 0;
  for (; 2 * v + 16 <= w; v += 8) {
    V8 a, b;
    direct::load(a, src + 2 * v);
    direct::load(b, src + 2 * v + 8);
    direct::read(a, r);
    direct::read(b, r);
    direct::store(even_plane + v, V8(__builtin_shufflevector(a, b, 0, 2, 4, 6, 8, 10, 12, 14)));
    direct::store(odd_plane + v + 1, V8(__builtin_shufflevector(a, b, 1, 3, 5, 7, 9, 11, 13, 15)));
  }
  for (; 2 * v < w; ++v) {
    even_plane[v] = direct::read(src[2 * v], r);
    odd_plane[v + 1] = direct::read(src[2 * v + 1], r);
  }
  even_plane[w / 2] = 0.0f;
}

// Channel c's four planes.
GANSTUDIO_VECTOR_CLONES void pack_channel(const float* x, const Layout& l, int64_t c, const direct::ReadAs& r,
                                          float* planes) {
  float* plane[2][2];
  for (int p = 0; p < 2; ++p)
    for (int q = 0; q < 2; ++q) plane[p][q] = planes + (c * 4 + p * 2 + q) * l.k.plane;
  for (int64_t s = 0; s < l.n; ++s) {
    const float* src = x + (s * l.channels + c) * l.h * l.w;
    for (int p = 0; p < 2; ++p) {
      const int64_t at = s * l.sample + (p == 0 ? 0 : l.rows - 1) * l.k.cols; // the row no input row reaches
      for (float* q : plane[p]) std::fill(q + at, q + at + l.k.cols, 0.0f);
    }
    for (int64_t i = 0; i < l.h; ++i) {
      // Input row i is row u = (i + 1) / 2 of the planes with p = (i + 1) % 2.
      const int p = static_cast<int>((i + 1) % 2);
      const int64_t at = s * l.sample + (i + 1) / 2 * l.k.cols;
      split_row(src + i * l.w, l.w, r, plane[p][0] + at, plane[p][1] + at);
    }
  }
  for (int pq = 0; pq < 4; ++pq) {
    float* tail = planes + (c * 4 + pq) * l.k.plane + l.n * l.sample;
    std::fill(tail, planes + (c * 4 + pq + 1) * l.k.plane, 0.0f);
  }
}

// The same interleaved: channel c's four planes zero, then input pixel (i, j) of sample s into plane
// ((i + 1) % 2, (j + 1) % 2) at (u·cols + v)·n + s, u = (i + 1) / 2, v = (j + 1) / 2 (cols in positions of one
// sample); 8 samples at a time transposed in registers (samples_innermost), the rest one by one.
GANSTUDIO_VECTOR_CLONES void pack_interleaved(const float* x, const Layout& l, int64_t c, const direct::ReadAs& r,
                                              float* planes) {
  float* first = planes + c * 4 * l.k.plane;
  std::fill(first, first + 4 * l.k.plane, 0.0f);
  const int64_t pixels = l.h * l.w, stride = l.channels * pixels, cols = l.w / 2 + 1;
  const auto at = [&](int64_t p) __attribute__((always_inline)) {
    const int64_t i = p / l.w + 1, j = p % l.w + 1;
    return (i % 2 * 2 + j % 2) * l.k.plane + (i / 2 * cols + j / 2) * l.n;
  };
  const auto read = [&](auto& v, int) __attribute__((always_inline)) {
    direct::read_in_place(v, r);
  };
  int64_t s0 = 0;
  for (; s0 + 8 <= l.n; s0 += 8)
    direct::samples_innermost(x + s0 * stride + c * pixels, stride, pixels, at, read, first + s0);
  for (; s0 < l.n; ++s0)
    for (int64_t p = 0; p < pixels; ++p) first[at(p) + s0] = direct::read(x[s0 * stride + c * pixels + p], r);
}

// leaky_relu(norm(x), slope) of a float32 CPU tensor in one pass (norm: applies_as_affine), where LibTorch's batch norm
// and activation took two: for the 2 × 2 input of a U-Net's innermost layer they took about as long as its matrix
// product (a 60 → 54 layer at batch 16: 0.024 ms in all, 0.013 with this pass).
at::Tensor read_through(const at::Tensor& input, const torch::nn::BatchNorm2dImpl* norm, float slope) {
  const at::Tensor x = input.contiguous();
  const int64_t n = x.size(0), channels = x.size(1), plane = x.size(2) * x.size(3);
  const std::vector<direct::ReadAs> reads = channel_reads(norm, channels, slope);
  at::Tensor out = at::empty_like(x);
  const float* src = x.data_ptr<float>();
  float* dst = out.data_ptr<float>();
  for (int64_t i = 0; i < n * channels; ++i)
    for (int64_t p = 0; p < plane; ++p) dst[i * plane + p] = direct::read(src[i * plane + p], reads[i % channels]);
  return out;
}

// A float32 CPU layer with a 4×4 kernel, stride 2, zero padding 1, dilation 1 and groups 1.
bool plain_layer(const torch::nn::Conv2dImpl& m, const at::Tensor& x) {
  const auto& o = m.options;
  if (x.dim() != 4 || !x.device().is_cpu() || x.scalar_type() != at::kFloat || o.groups() != 1) return false;
  if (!c10::holds_alternative<torch::enumtype::kZeros>(o.padding_mode()) ||
      !c10::holds_alternative<torch::ExpandingArray<2>>(o.padding()))
    return false;
  const auto &k = *o.kernel_size(), &s = *o.stride(), &d = *o.dilation();
  const auto& p = *c10::get<torch::ExpandingArray<2>>(o.padding());
  return k[0] == 4 && k[1] == 4 && s[0] == 2 && s[1] == 2 && p[0] == 1 && p[1] == 1 && d[0] == 1 && d[1] == 1;
}

} // namespace

bool strided_direct_applies(const torch::nn::Conv2dImpl& m, const at::Tensor& x) {
  if (!direct::lanes() || wants_grad(x) || wants_grad(m.weight)) return false;
  return plain_layer(m, x) && x.size(2) % 2 == 0 && x.size(3) % 2 == 0 && x.size(2) > 0 && x.size(3) > 0;
}

bool single_pixel_applies(const torch::nn::Conv2dImpl& m, const at::Tensor& x) {
  return plain_layer(m, x) && x.size(2) == 2 && x.size(3) == 2;
}

at::Tensor single_pixel(torch::nn::Conv2dImpl& m, const at::Tensor& x) {
  const int64_t n = x.size(0), in = x.size(1), out = m.weight.size(0);
  // Output (0, 0) reads input row r through tap r + 1, column c through tap c + 1: the central 2 × 2 taps, [out, in·4].
  const at::Tensor rows = x.reshape({n, in * 4});
  // The taps also kept transposed ([in·4, out]) for row_product: LibTorch's product took 3–4x as long.
  const at::Tensor taps =
      derived_weight(m.weight, {1, 1, 0}, [&] { return central_taps(m.weight, 1, 1).t().contiguous(); });
  at::Tensor y = row_product(rows, taps);
  if (m.bias.defined()) y = y + m.bias;
  return y.reshape({n, out, 1, 1});
}

at::Tensor strided_direct(torch::nn::Conv2dImpl& m, const at::Tensor& input, VectorWidth width) {
  return strided_direct(m, input, nullptr, 1.0, width);
}

at::Tensor strided_direct(torch::nn::Conv2dImpl& m, const at::Tensor& input, const torch::nn::BatchNorm2dImpl* norm,
                          double slope, VectorWidth width) {
  const int64_t lanes = direct::lanes(width);
  if (!lanes) throw std::logic_error("strided_direct: no vector kernel for this CPU or build");
  const at::Tensor x = input.contiguous();
  const int64_t out = m.weight.size(0);
  const Layout l = layout(x, out, lanes);
  // [out, c, 2a + p, 2b + q] → [c, p, q, a, b, out]: plane (c, p, q), tap (a, b), output channel, in blocks of output
  // channels.
  const at::Tensor w = derived_weight(m.weight, {2, 2, 2, 2, lanes}, [&] { // key: the [c, p, q, a, b, out] split
    return blocked_weight(m.weight.reshape({out, l.channels, 2, 2, 2, 2}).permute({1, 3, 5, 2, 4, 0}), lanes);
  });
  const at::Tensor bias = m.bias.defined() ? m.bias.contiguous() : at::Tensor();
  const std::vector<direct::ReadAs> reads = channel_reads(norm, l.channels, static_cast<float>(slope));
  at::Tensor planes = at::empty({l.k.in * l.k.plane}, x.options());
  at::Tensor y = at::empty({out * l.k.y_stride}, x.options());
  const float* src = x.data_ptr<float>();
  float* dst = planes.data_ptr<float>();
  at::parallel_for(0, l.channels, 1, [&](int64_t begin, int64_t end) {
    for (int64_t c = begin; c < end; ++c) (l.interleaved ? pack_interleaved : pack_channel)(src, l, c, reads[c], dst);
  });
  const direct::Phase phase{l.disp, w.data_ptr<float>(), y.data_ptr<float>(), direct::kTaps};
  direct::sum(l.k, planes.data_ptr<float>(), &phase, 1, bias.defined() ? bias.data_ptr<float>() : nullptr, lanes,
              false);
  at::Tensor result = at::empty({l.n, out, l.h / 2, l.w / 2}, x.options());
  if (l.interleaved)
    direct::extract_interleaved(l.k, y.data_ptr<float>(), l.n, l.h / 2, l.w / 2, result.data_ptr<float>());
  else
    direct::extract(l.k, y.data_ptr<float>(), l.n, l.sample, l.h / 2, l.w / 2, result.data_ptr<float>());
  return result;
}

bool strided_conv_route_is_direct(const torch::nn::Conv2dImpl& m, const at::Tensor& x) {
  const int64_t in = m.weight.size(1), out = m.weight.size(0);
  const bool pads = out % 16 != 0 || (direct::lanes() == 8 && in % 16 != 0 && out <= 16);
  const bool padded = in <= 50 && pads && (out <= 8 || std::min(x.size(2), x.size(3)) >= 16);
  return (in <= 4 || padded || direct::interleaves(x.size(0), x.size(3) / 2, direct::lanes())) &&
         strided_direct_applies(m, x);
}

at::Tensor strided_conv_after_norm_leaky(torch::nn::Conv2dImpl& m, torch::nn::BatchNorm2dImpl* norm,
                                         const at::Tensor& x, double slope) {
  if (!at::GradMode::is_enabled() && applies_as_affine(norm)) {
    if (single_pixel_applies(m, x)) return single_pixel(m, read_through(x, norm, static_cast<float>(slope)));
    if (strided_conv_route_is_direct(m, x)) return strided_direct(m, x, norm, slope);
  }
  return strided_conv(m, at::leaky_relu(norm ? norm->forward(x) : x, slope));
}

at::Tensor strided_conv(torch::nn::Conv2dImpl& m, const at::Tensor& x) {
  if (single_pixel_applies(m, x)) return single_pixel(m, x);
  return strided_conv_route_is_direct(m, x) ? strided_direct(m, x) : m.forward(x);
}

} // namespace gs::models
