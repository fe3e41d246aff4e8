#include "core/models/transposed_conv.h"

#include <torch/torch.h>

namespace gs::models {
namespace {

// Kernel taps along one axis for each output phase a (output positions s·m + a): input offsets d = j − m from
// d0 to d1 and the kernel indices a + p − s·d for them, in that order. Output o = s·j − p + k of input j and tap k.
struct Phase {
  int64_t d0, d1;
  std::vector<int64_t> taps;
};

// The layer's output size along spatial axis `axis` (0: rows, 1: columns) for input x.
int64_t output_size(const torch::nn::ConvTranspose2dImpl& m, const at::Tensor& x, int axis) {
  const auto& o = m.options;
  const int64_t pad = (*c10::get<torch::ExpandingArray<2>>(o.padding()))[axis];
  return (x.size(2 + axis) - 1) * (*o.stride())[axis] - 2 * pad + m.weight.size(2 + axis) + (*o.output_padding())[axis];
}

int64_t floor_div(int64_t a, int64_t b) {
  return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

std::vector<Phase> phases(int64_t kernel, int64_t stride, int64_t pad) {
  std::vector<Phase> out;
  for (int64_t a = 0; a < stride; ++a) {
    // 0 <= a + p − s·d < kernel
    Phase ph{-floor_div(kernel - 1 - a - pad, stride), floor_div(a + pad, stride), {}};
    for (int64_t d = ph.d0; d <= ph.d1; ++d) ph.taps.push_back(a + pad - stride * d);
    out.push_back(std::move(ph));
  }
  return out;
}

// Every output phase (a, b) is an ordinary convolution of the (padded or cropped) input with the taps that reach
// it; the phases are then interleaved. Needs the output size to be a multiple of the stride (checked by the route).
at::Tensor by_phases(torch::nn::ConvTranspose2dImpl& m, const at::Tensor& x) {
  const auto& s = *m.options.stride();
  const auto& p = *c10::get<torch::ExpandingArray<2>>(m.options.padding());
  const int64_t n = x.size(0), h = x.size(2), w = x.size(3), k_h = m.weight.size(2), k_w = m.weight.size(3);
  const int64_t rows = output_size(m, x, 0) / s[0], cols = output_size(m, x, 1) / s[1];
  const auto ph_h = phases(k_h, s[0], p[0]), ph_w = phases(k_w, s[1], p[1]);
  const at::Tensor weight = m.weight.transpose(0, 1); // [out, in, kh, kw]
  const c10::optional<at::Tensor> bias = m.bias.defined() ? c10::optional<at::Tensor>(m.bias) : c10::nullopt;
  std::vector<at::Tensor> by_row;
  for (const Phase& a : ph_h) {
    std::vector<at::Tensor> by_col;
    const at::Tensor rows_w = weight.index_select(2, torch::tensor(a.taps, torch::kLong));
    for (const Phase& b : ph_w) {
      const at::Tensor kernel = rows_w.index_select(3, torch::tensor(b.taps, torch::kLong));
      // Input rows d0 .. rows − 1 + d1 (negative pads crop).
      const at::Tensor in =
          at::constant_pad_nd(x, {-b.d0, cols - 1 + b.d1 - (w - 1), -a.d0, rows - 1 + a.d1 - (h - 1)});
      by_col.push_back(at::conv2d(in, kernel, bias));
    }
    by_row.push_back(at::stack(by_col, -1)); // [n, out, rows, cols, s_w]
  }
  return at::stack(by_row, 3).reshape({n, weight.size(0), rows * s[0], cols * s[1]}); // [n, out, rows, s_h, cols, s_w]
}

at::Tensor by_matrix_product(torch::nn::ConvTranspose2dImpl& m, const at::Tensor& x) {
  const auto& o = m.options;
  const int64_t n = x.size(0), in = x.size(1), h = x.size(2), w = x.size(3);
  const int64_t out = m.weight.size(1), kh = m.weight.size(2), kw = m.weight.size(3);
  const auto &s = *o.stride(), &op = *o.output_padding();
  const auto& p = *c10::get<torch::ExpandingArray<2>>(o.padding());
  const at::Tensor weight = m.weight.reshape({in, out * kh * kw});
  at::Tensor y;
  if (h == 1 && w == 1 && p[0] == 0 && p[1] == 0 && op[0] == 0 && op[1] == 0) {
    // One pixel in, one kernel window out: a plain matrix product.
    y = x.reshape({n, in}).mm(weight).reshape({n, out, kh, kw});
  } else {
    // Every input pixel spreads its in × (out·kh·kw) product over its output window: columns, then col2im.
    const at::Tensor cols = at::matmul(weight.t(), x.reshape({n, in, h * w}));
    y = at::col2im(cols, {output_size(m, x, 0), output_size(m, x, 1)}, {kh, kw}, {1, 1}, {p[0], p[1]}, {s[0], s[1]});
  }
  if (m.bias.defined()) y = y + m.bias.reshape({1, out, 1, 1});
  return y;
}

// Whether every output phase has taps and the same size: the output size is a multiple of the stride and the
// kernel at least as large as the stride.
bool phases_fit(const torch::nn::ConvTranspose2dImpl& m, const at::Tensor& x) {
  const auto& s = *m.options.stride();
  const auto& p = *c10::get<torch::ExpandingArray<2>>(m.options.padding());
  for (int i = 0; i < 2; ++i) {
    const int64_t k = m.weight.size(2 + i);
    if (k < s[i] || output_size(m, x, i) % s[i] != 0 || p[i] >= k) return false;
  }
  return true;
}

} // namespace

TransposedRoute transposed_route(const torch::nn::ConvTranspose2dImpl& m, const at::Tensor& x) {
  const auto& o = m.options;
  const auto& d = *o.dilation();
  const bool plain = x.dim() == 4 && x.device().is_cpu() && x.scalar_type() == at::kFloat && o.groups() == 1 &&
                     d[0] == 1 && d[1] == 1 && c10::holds_alternative<torch::enumtype::kZeros>(o.padding_mode()) &&
                     c10::holds_alternative<torch::ExpandingArray<2>>(o.padding());
  if (!plain) return TransposedRoute::Library;
  const int64_t pixels = x.size(2) * x.size(3);
  if (pixels <= 16) return TransposedRoute::MatrixProduct;
  if (x.size(1) >= 64 && m.weight.size(1) >= 32 && x.size(0) * pixels >= 512 && phases_fit(m, x))
    return TransposedRoute::Phases;
  return TransposedRoute::Library;
}

at::Tensor transposed_conv(torch::nn::ConvTranspose2dImpl& m, const at::Tensor& x) {
  switch (transposed_route(m, x)) {
  case TransposedRoute::MatrixProduct:
    return by_matrix_product(m, x);
  case TransposedRoute::Phases:
    return by_phases(m, x);
  case TransposedRoute::Library:
    break;
  }
  return m.forward(x);
}

} // namespace gs::models
