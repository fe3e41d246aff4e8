#include "core/models/fir_filter.h"
#include "core/models/direct_kernel.h"

#include <torch/torch.h>

#include <algorithm>
#include <vector>

namespace gs::models {
namespace {

constexpr int64_t kMostTaps = 8;

struct FirShape {
  int64_t h = 0, w = 0, up = 1, pad0 = 0, k = 0;
  int64_t zh = 0, zw = 0, oh = 0, ow = 0; // the up-sampled, padded image and the output
};

// One channel: z is the up-sampled, zero-padded image (scratch of zh · zw floats), taps the flipped kernel.
GANSTUDIO_VECTOR_CLONES void fir_plane(const float* x, const FirShape& s, const float* taps, float* z, float* out) {
  std::fill(z, z + s.zh * s.zw, 0.0f);
  for (int64_t i = 0; i < s.h; ++i) {
    float* row = z + (s.pad0 + i * s.up) * s.zw + s.pad0;
    for (int64_t j = 0; j < s.w; ++j) row[j * s.up] = x[i * s.w + j];
  }
  for (int64_t y = 0; y < s.oh; ++y) {
    float* o = out + y * s.ow;
    std::fill(o, o + s.ow, 0.0f);
    for (int64_t i = 0; i < s.k; ++i) {
      const int64_t r = y + i - s.pad0; // row of the up-sampled image before padding
      if (r < 0 || r % s.up != 0 || r / s.up >= s.h) continue;
      const float* zr = z + (y + i) * s.zw;
      for (int64_t j = 0; j < s.k; ++j) {
        const float t = taps[i * s.k + j];
        const float* src = zr + j;
        for (int64_t c = 0; c < s.ow; ++c) o[c] += t * src[c];
      }
    }
  }
}

// out rows (`out` channels of `positions` floats) = Σ_i w[o, i] · x row i, for one sample.
GANSTUDIO_VECTOR_CLONES void pointwise_sample(const float* x, const float* w, int64_t in, int64_t out,
                                              int64_t positions, float* y) {
  std::fill(y, y + out * positions, 0.0f);
  for (int64_t i = 0; i < in; ++i) {
    const float* src = x + i * positions;
    for (int64_t o = 0; o < out; ++o) {
      const float t = w[o * in + i];
      float* dst = y + o * positions;
      for (int64_t p = 0; p < positions; ++p) dst[p] += t * src[p];
    }
  }
}

bool cpu_float(const at::Tensor& t) {
  return t.defined() && t.device().is_cpu() && t.scalar_type() == at::kFloat;
}

bool wants_grad(const at::Tensor& t) {
  return at::GradMode::is_enabled() && t.requires_grad();
}

} // namespace

bool fir_direct_applies(const at::Tensor& x, const at::Tensor& kernel, int64_t up, int64_t pad0, int64_t pad1) {
  if (!cpu_float(x) || !cpu_float(kernel) || x.dim() != 4 || kernel.dim() != 2) return false;
  if (wants_grad(x) || wants_grad(kernel)) return false;
  const int64_t k = kernel.size(0);
  if (kernel.size(1) != k || k < 1 || k > kMostTaps || (up != 1 && up != 2) || pad0 < 0 || pad1 < 0) return false;
  return x.size(2) * up + pad0 + pad1 >= k && x.size(3) * up + pad0 + pad1 >= k;
}

at::Tensor fir_direct(const at::Tensor& input, const at::Tensor& kernel, int64_t up, int64_t pad0, int64_t pad1) {
  const at::Tensor x = input.contiguous();
  FirShape s;
  s.h = x.size(2), s.w = x.size(3), s.up = up, s.pad0 = pad0, s.k = kernel.size(0);
  s.zh = s.h * up + pad0 + pad1, s.zw = s.w * up + pad0 + pad1;
  s.oh = s.zh - s.k + 1, s.ow = s.zw - s.k + 1;
  const at::Tensor taps = kernel.flip({0, 1}).contiguous();
  at::Tensor out = at::empty({x.size(0), x.size(1), s.oh, s.ow}, x.options());
  const float* src = x.data_ptr<float>();
  const float* t = taps.data_ptr<float>();
  float* dst = out.data_ptr<float>();
  at::parallel_for(0, x.size(0) * x.size(1), 1, [&](int64_t begin, int64_t end) {
    std::vector<float> z(s.zh * s.zw);
    for (int64_t plane = begin; plane < end; ++plane)
      fir_plane(src + plane * s.h * s.w, s, t, z.data(), dst + plane * s.oh * s.ow);
  });
  return out;
}

bool modulated_pointwise_applies(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& style) {
  if (!cpu_float(x) || !cpu_float(weight) || !cpu_float(style) || x.dim() != 4 || weight.dim() != 2 || style.dim() != 2)
    return false;
  if (wants_grad(x) || wants_grad(weight) || wants_grad(style)) return false;
  return style.size(0) == x.size(0) && style.size(1) == x.size(1) && weight.size(1) == x.size(1);
}

at::Tensor modulated_pointwise(const at::Tensor& input, const at::Tensor& weight, const at::Tensor& style) {
  const at::Tensor x = input.contiguous();
  const int64_t b = x.size(0), in = x.size(1), out = weight.size(0), positions = x.size(2) * x.size(3);
  const at::Tensor w = (weight.unsqueeze(0) * style.unsqueeze(1)).contiguous(); // [b, out, in]
  at::Tensor y = at::empty({b, out, x.size(2), x.size(3)}, x.options());
  const float* src = x.data_ptr<float>();
  const float* ws = w.data_ptr<float>();
  float* dst = y.data_ptr<float>();
  at::parallel_for(0, b, 1, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i)
      pointwise_sample(src + i * in * positions, ws + i * out * in, in, out, positions, dst + i * out * positions);
  });
  return y;
}

} // namespace gs::models
