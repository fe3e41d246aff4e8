#include "core/models/transposed_phases.h"
#include "core/models/derived_weight.h"

#include <torch/torch.h>

namespace gs::models {
namespace {

int64_t floor_div(int64_t a, int64_t b) {
  return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

// phase_kernel()'s Convolution layout: one gather from the flattened taps plus a zero tap for the padding positions.
at::Tensor stacked_kernel(const at::Tensor& weight, const PhaseAxis& rows, const PhaseAxis& cols) {
  const int64_t in = weight.size(0), out = weight.size(1), kw = weight.size(3), zero = weight.size(2) * kw;
  std::vector<int64_t> index;
  for (const auto& th : rows.taps)
    for (const auto& tw : cols.taps)
      for (int64_t i = 0; i < rows.width; ++i)
        for (int64_t j = 0; j < cols.width; ++j)
          index.push_back(
              i < static_cast<int64_t>(th.size()) && j < static_cast<int64_t>(tw.size()) ? th[i] * kw + tw[j] : zero);
  const at::Tensor flat = at::constant_pad_nd(weight.reshape({in, out, zero}), {0, 1});
  const auto phases = static_cast<int64_t>(rows.taps.size() * cols.taps.size());
  return flat.index_select(2, torch::tensor(index, torch::kLong))
      .view({in, out, phases, rows.width, cols.width})
      .permute({2, 1, 0, 3, 4})
      .reshape({phases * out, in, rows.width, cols.width});
}

// Output [n, out, rows·s_h, cols·s_w] from the shared convolution's y [n, s_h·s_w·out, rows + span_h, cols + span_w]:
// out[., o, m·s_h + a, q·s_w + b] = y[., (a·s_w + b)·out + o, m + shift_h[a], q + shift_w[b]]. Plain loops: LibTorch's
// strided copies cost more than the convolution itself on a pruned student's small tensors.
struct Interleaving {
  int64_t out;
  std::vector<int64_t> shift_h, shift_w;

  std::vector<int64_t> output_sizes(at::IntArrayRef y) const {
    const auto s_h = static_cast<int64_t>(shift_h.size()), s_w = static_cast<int64_t>(shift_w.size());
    return {y[0], out, (y[2] - *std::max_element(shift_h.begin(), shift_h.end())) * s_h,
            (y[3] - *std::max_element(shift_w.begin(), shift_w.end())) * s_w};
  }

  // gather: y → output; otherwise output → y (the gradient's way back; rows no phase reads are left as they are).
  void move(const at::Tensor& y, const at::Tensor& output, bool gather) const {
    const auto s_h = static_cast<int64_t>(shift_h.size()), s_w = static_cast<int64_t>(shift_w.size());
    const int64_t y_rows = y.size(2), y_cols = y.size(3), channels = y.size(1);
    const int64_t o_rows = output.size(2), o_cols = output.size(3), rows = o_rows / s_h, cols = o_cols / s_w;
    float* y_data = y.data_ptr<float>();
    float* o_data = output.data_ptr<float>();
    at::parallel_for(0, y.size(0) * out, 1, [&](int64_t begin, int64_t end) {
      for (int64_t plane = begin; plane < end; ++plane) {
        const int64_t n = plane / out, c = plane % out;
        for (int64_t a = 0; a < s_h; ++a)
          for (int64_t b = 0; b < s_w; ++b) {
            float* y_plane = y_data + (n * channels + (a * s_w + b) * out + c) * y_rows * y_cols;
            for (int64_t m = 0; m < rows; ++m) {
              float* y_row = y_plane + (m + shift_h[a]) * y_cols + shift_w[b];
              float* o_row = o_data + (plane * o_rows + m * s_h + a) * o_cols + b;
              if (gather)
                for (int64_t q = 0; q < cols; ++q) o_row[q * s_w] = y_row[q];
              else
                for (int64_t q = 0; q < cols; ++q) y_row[q] = o_row[q * s_w];
            }
          }
      }
    });
  }

  at::Tensor operator()(const at::Tensor& y) const {
    const at::Tensor src = y.contiguous();
    at::Tensor output = at::empty(output_sizes(y.sizes()), y.options());
    move(src, output, true);
    return output;
  }
};

class Interleave : public torch::autograd::Function<Interleave> {
public:
  static at::Tensor forward(torch::autograd::AutogradContext* ctx, const at::Tensor& y, int64_t out,
                            std::vector<int64_t> shift_h, std::vector<int64_t> shift_w) {
    ctx->saved_data["out"] = out;
    ctx->saved_data["shift_h"] = shift_h;
    ctx->saved_data["shift_w"] = shift_w;
    ctx->saved_data["sizes"] = y.sizes().vec();
    return Interleaving{out, std::move(shift_h), std::move(shift_w)}(y);
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    const Interleaving il{ctx->saved_data["out"].toInt(), ctx->saved_data["shift_h"].toIntVector(),
                          ctx->saved_data["shift_w"].toIntVector()};
    at::Tensor grad_y = at::zeros(ctx->saved_data["sizes"].toIntVector(), grads[0].options());
    il.move(grad_y, grads[0].contiguous(), false);
    return {grad_y, at::Tensor(), at::Tensor(), at::Tensor()};
  }
};

} // namespace

PhaseAxis phase_axis(int64_t kernel, int64_t stride, int64_t pad) {
  PhaseAxis l;
  std::vector<int64_t> d0;
  for (int64_t a = 0; a < stride; ++a) {
    d0.push_back(-floor_div(kernel - 1 - a - pad, stride));
    std::vector<int64_t> taps;
    for (int64_t d = d0.back(); d <= floor_div(a + pad, stride); ++d) taps.push_back(a + pad - stride * d);
    l.width = std::max(l.width, static_cast<int64_t>(taps.size()));
    l.taps.push_back(std::move(taps));
  }
  l.first = *std::min_element(d0.begin(), d0.end());
  l.span = *std::max_element(d0.begin(), d0.end()) - l.first;
  for (int64_t d : d0) l.shift.push_back(d - l.first);
  return l;
}

int64_t transposed_output_size(const torch::nn::ConvTranspose2dImpl& m, const at::Tensor& x, int axis) {
  const auto& o = m.options;
  const int64_t pad = (*c10::get<torch::ExpandingArray<2>>(o.padding()))[axis];
  return (x.size(2 + axis) - 1) * (*o.stride())[axis] - 2 * pad + m.weight.size(2 + axis) + (*o.output_padding())[axis];
}

bool phases_fit(const torch::nn::ConvTranspose2dImpl& m, const at::Tensor& x) {
  const auto& s = *m.options.stride();
  const auto& p = *c10::get<torch::ExpandingArray<2>>(m.options.padding());
  for (int i = 0; i < 2; ++i) {
    const int64_t k = m.weight.size(2 + i);
    if (k < s[i] || transposed_output_size(m, x, i) % s[i] != 0 || p[i] >= k) return false;
  }
  return true;
}

at::Tensor phase_kernel(const at::Tensor& weight, const PhaseAxis& rows, const PhaseAxis& cols, KernelLayout layout,
                        int64_t lanes) {
  const auto build = [&] {
    if (layout == KernelLayout::Convolution) return stacked_kernel(weight, rows, cols);
    const int64_t in = weight.size(0), out = weight.size(1), kw = weight.size(3);
    const at::Tensor flat = weight.reshape({in, out, weight.size(2) * kw});
    std::vector<at::Tensor> phases;
    for (const auto& th : rows.taps)
      for (const auto& tw : cols.taps) {
        std::vector<int64_t> index;
        for (int64_t i : th)
          for (int64_t j : tw) index.push_back(i * kw + j);
        phases.push_back(
            blocked_weight(flat.index_select(2, torch::tensor(index, torch::kLong)).permute({0, 2, 1}), lanes));
      }
    return at::cat(phases);
  };
  return derived_weight(weight,
                        {static_cast<int64_t>(layout), rows.first, rows.width, static_cast<int64_t>(rows.taps.size()),
                         cols.first, cols.width, static_cast<int64_t>(cols.taps.size()), lanes},
                        build);
}

// oneDNN runs the one convolution far faster than LibTorch's CPU transposed convolution (a matrix product and col2im
// into a zeroed output, batch item by batch item), and, for narrow layers, faster than one convolution per phase.
at::Tensor transposed_by_phases(torch::nn::ConvTranspose2dImpl& m, const at::Tensor& x) {
  const auto& s = *m.options.stride();
  const auto& p = *c10::get<torch::ExpandingArray<2>>(m.options.padding());
  const PhaseAxis rows = phase_axis(m.weight.size(2), s[0], p[0]), cols = phase_axis(m.weight.size(3), s[1], p[1]);
  const at::Tensor kernel = phase_kernel(m.weight, rows, cols, KernelLayout::Convolution);
  const at::Tensor bias = m.bias.defined() ? m.bias.repeat({s[0] * s[1]}) : at::Tensor();
  // Padded input row i is input row i + first; the shared output has the phase's rows + span.
  const int64_t out_rows = transposed_output_size(m, x, 0) / s[0], out_cols = transposed_output_size(m, x, 1) / s[1];
  const int64_t top = -rows.first, bottom = out_rows + rows.span + rows.width - 1 - x.size(2) - top;
  const int64_t left = -cols.first, right = out_cols + cols.span + cols.width - 1 - x.size(3) - left;
  const at::Tensor y = top == bottom && left == right && top >= 0 && left >= 0
                           ? at::conv2d(x, kernel, bias, 1, {top, left})
                           : at::conv2d(at::constant_pad_nd(x, {left, right, top, bottom}), kernel, bias);
  const int64_t out = m.weight.size(1);
  if (at::GradMode::is_enabled() && y.requires_grad()) return Interleave::apply(y, out, rows.shift, cols.shift);
  return Interleaving{out, rows.shift, cols.shift}(y);
}

} // namespace gs::models
