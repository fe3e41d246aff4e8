#include "core/models/transposed_conv.h"

#include <torch/torch.h>

namespace gs::models {
bool small_input_route(const torch::nn::ConvTranspose2dImpl& m, const at::Tensor& x) {
  const auto& o = m.options;
  const auto& d = *o.dilation();
  return x.dim() == 4 && x.device().is_cpu() && x.scalar_type() == at::kFloat && o.groups() == 1 && d[0] == 1 &&
         d[1] == 1 && c10::holds_alternative<torch::enumtype::kZeros>(o.padding_mode()) &&
         c10::holds_alternative<torch::ExpandingArray<2>>(o.padding()) && x.size(2) * x.size(3) <= 16;
}

at::Tensor transposed_conv(torch::nn::ConvTranspose2dImpl& m, const at::Tensor& x) {
  if (!small_input_route(m, x)) return m.forward(x);
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
    const int64_t ho = (h - 1) * s[0] - 2 * p[0] + kh + op[0], wo = (w - 1) * s[1] - 2 * p[1] + kw + op[1];
    const at::Tensor cols = at::matmul(weight.t(), x.reshape({n, in, h * w}));
    y = at::col2im(cols, {ho, wo}, {kh, kw}, {1, 1}, {p[0], p[1]}, {s[0], s[1]});
  }
  if (m.bias.defined()) y = y + m.bias.reshape({1, out, 1, 1});
  return y;
}

} // namespace gs::models
