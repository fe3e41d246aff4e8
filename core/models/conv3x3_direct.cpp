#include "core/models/conv3x3_direct.h"
#include "core/models/derived_weight.h"
#include "core/models/direct_kernel.h"
#include "core/models/tensor_checks.h"

#include <torch/torch.h>

#include <algorithm>
#include <cstring>
#include <numeric>

namespace gs::models {
namespace {

// Floats of planes, sums and outputs per slice of samples: about 256 KiB.
constexpr int64_t kSliceFloats = int64_t{1} << 16;

// Sample s's pixel (i, j) of a channel sits at s·sample + (i + 1)·cols + j + 1 of its plane, with cols = w + 1 and
// sample = (h + 1)·cols: one zero column between rows (a row's right padding and the next one's left) and one zero
// row between samples (a sample's bottom padding and the next one's top), which one extra row closes. Output (i, j)
// of sample s is then the sum over taps (a, b) of weight × plane[s·sample + i·cols + j + a·cols + b], one run of flat
// positions where those in the gaps are computed and dropped: (h + 1)(w + 1) per sample, where a zero border of its
// own around each would take (h + 2)(w + 2), 23% more at 8 × 8. Where rows are whole vectors the kernel skips the
// gaps' positions (27% more sums than outputs at 8 × 8, 6% at 32 × 32).
//
// Planes narrower than a vector (4 px with AVX2; 56% more sums than outputs at 4 × 4) have the samples go
// innermost instead ("interleaved"): pixel (i, j) of sample s at ((i + 1)·(w + 2) + j + 1)·n + s, a zero border of
// n-float columns around the image, and output (i, j) of sample s at i·cols + j·n + s with cols = (w + 2)·n. A row's
// w·n outputs are whole vectors where n·w is a multiple of the vector width; the border's 2·n positions per row are
// skipped.
struct Layout {
  direct::Shape k;
  int64_t n = 0, h = 0, w = 0, sample = 0;
  bool interleaved = false;
  int64_t disp[direct::kWideTaps] = {};
};

Layout layout(int64_t n, const at::Tensor& x, int64_t out, int64_t lanes) {
  Layout l;
  l.n = n, l.k.in = x.size(1), l.h = x.size(2), l.w = x.size(3), l.k.out = out;
  if (direct::interleaves(n, l.w, lanes)) {
    l.interleaved = true;
    l.k.cols = (l.w + 2) * n;
    l.k.positions = (l.h * l.k.cols + lanes - 1) / lanes * lanes;
    l.k.plane = (l.h + 2) * l.k.cols + lanes; // the last window's bottom row and a vector beyond
    l.k.y_stride = l.k.positions;
    l.k.width = l.w * n, l.k.height = l.h, l.k.period = l.h;
    for (int a = 0; a < 3; ++a)
      for (int b = 0; b < 3; ++b) l.disp[a * 3 + b] = a * l.k.cols + b * n;
    return l;
  }
  l.k.cols = l.w + 1;
  l.sample = (l.h + 1) * l.k.cols;
  l.k.positions = (l.n * l.sample + lanes - 1) / lanes * lanes;
  l.k.plane = l.k.positions + 2 * l.k.cols + 2 + lanes; // the last window's bottom row and a vector beyond
  l.k.y_stride = l.k.positions;
  if (l.w % lanes == 0) l.k.width = l.w, l.k.height = l.h, l.k.period = l.h + 1; // the gaps are not summed
  for (int a = 0; a < 3; ++a)
    for (int b = 0; b < 3; ++b) l.disp[a * 3 + b] = a * l.k.cols + b;
  return l;
}

// Channel c's plane, each sample's values times its scale (null: as they are): each sample's zero row, then its rows
// each after their zero column, then the closing zero row and the tail. Every position is written once.
GANSTUDIO_VECTOR_CLONES void pack_channel(const float* x, const Layout& l, int64_t c, const float* scale,
                                          float* plane) {
  for (int64_t s = 0; s < l.n; ++s) {
    const float factor = scale ? scale[s * l.k.in + c] : 1.0f;
    const float* src = x + (s * l.k.in + c) * l.h * l.w;
    float* row = plane + s * l.sample;
    std::fill(row, row + l.k.cols, 0.0f);
    for (int64_t i = 0; i < l.h; ++i) {
      row += l.k.cols;
      row[0] = 0.0f;
      for (int64_t j = 0; j < l.w; ++j) row[j + 1] = src[i * l.w + j] * factor;
    }
  }
  std::fill(plane + l.n * l.sample, plane + l.k.plane, 0.0f);
}

// The same interleaved: the border zero, sample s's pixel (i, j) at ((i + 1)·(w + 2) + j + 1)·n + s; 8 samples at a
// time transposed in registers (samples_innermost), the rest one by one.
GANSTUDIO_VECTOR_CLONES void pack_interleaved(const float* x, const Layout& l, int64_t c, const float* scale,
                                              float* plane) {
  std::fill(plane, plane + l.k.plane, 0.0f);
  const int64_t pixels = l.h * l.w, stride = l.k.in * pixels;
  const auto at = [&](int64_t p) __attribute__((always_inline)) {
    return ((p / l.w + 1) * (l.w + 2) + p % l.w + 1) * l.n;
  };
  int64_t s0 = 0;
  for (; s0 + 8 <= l.n; s0 += 8) {
    float factors[8];
    for (int s = 0; s < 8; ++s) factors[s] = scale ? scale[(s0 + s) * l.k.in + c] : 1.0f;
    const auto read = [&](auto& v, int s) __attribute__((always_inline)) {
      v = v * factors[s];
    };
    direct::samples_innermost(x + s0 * stride + c * pixels, stride, pixels, at, read, plane + s0);
  }
  for (; s0 < l.n; ++s0) {
    const float factor = scale ? scale[s0 * l.k.in + c] : 1.0f;
    for (int64_t p = 0; p < pixels; ++p) plane[at(p) + s0] = x[s0 * stride + c * pixels + p] * factor;
  }
}

// Samples per slice for a batch of n, at most `most`: slices as even as the batch allows, and where planes are narrower
// than a vector, of a count whose rows fill whole vectors (the interleaved layout) where one fits. (Slices of at most
// `most` alone cut 16 samples of 4 × 4 planes into 15 and 1, neither interleaved: a 64 → 64 layer ran at 27 GMAC/s
// instead of about 40.) From a batch of 8, interleaved slices hold a multiple of 8 samples even beyond `most`: the
// layout and the extract move 8 samples at a time through transposes in registers and fewer one float at a time. At
// batch 16 on a Zen 5, slices of 4 had 77 → 50 at 8 px take 0.64 ms, of which the two moves took as long as the sums
// (`perf`); in slices of 8 it takes 0.38–0.41 ms, and 80 → 80 0.59–0.61 ms instead of 0.86–0.94 (slices of 7 and 6).
int64_t slice_size(int64_t n, int64_t most, int64_t w, int64_t lanes) {
  const int64_t slices = (n + most - 1) / most;
  int64_t slice = (n + slices - 1) / slices;
  if (w < lanes && n >= 8 && direct::interleaves(8, w, lanes)) return std::max<int64_t>(8, slice / 8 * 8);
  if (w < lanes) {
    const int64_t step = lanes / std::gcd(w, lanes), up = (slice + step - 1) / step * step;
    if (up <= std::min(most, n))
      slice = up;
    else if (slice >= step)
      slice = slice / step * step;
  }
  return slice;
}

} // namespace

bool conv3x3_direct_applies(const at::Tensor& x, const at::Tensor& weight) {
  if (!direct::lanes() || !cpu_float(x) || !cpu_float(weight) || x.dim() != 4 || weight.dim() != 4) return false;
  if (wants_grad(x) || wants_grad(weight)) return false;
  return weight.size(1) == x.size(1) && weight.size(2) == 3 && weight.size(3) == 3 && x.size(2) > 0 && x.size(3) > 0;
}

bool conv3x3_direct_pays(const at::Tensor& x, const at::Tensor& weight) {
  const int64_t in = x.size(1), out = weight.size(0), side = std::min(x.size(2), x.size(3)), lanes = direct::lanes();
  if (lanes == 16 || in % 16 != 0 || out % 16 != 0) return true;
  if (in <= 16 && out <= 16 && side >= (lanes == 8 ? 16 : 32)) return true;
  return lanes == 8 && ((in <= 64 && out <= 64 && side <= 8) || (x.size(3) % 8 == 0 && side <= 16));
}

at::Tensor conv3x3_direct(const at::Tensor& input, const at::Tensor& weight, const at::Tensor& bias,
                          const at::Tensor& scale, VectorWidth width, const direct::PlaneFinish& finish) {
  const int64_t lanes = direct::lanes(width);
  if (!lanes) throw std::logic_error("conv3x3_direct: no vector kernel for this CPU or build");
  const at::Tensor x = input.contiguous();
  const int64_t n = x.size(0), in = x.size(1), out = weight.size(0), plane = x.size(2) * x.size(3);
  // [out, in, a, b] → [in, a, b, out]: plane, tap, output channel, in blocks of output channels.
  const at::Tensor w = derived_weight(weight, {3, 3, direct::kWideTaps, lanes}, [&] {
    return blocked_weight(weight.permute({1, 2, 3, 0}), lanes);
  });
  const at::Tensor b = bias.defined() ? bias.contiguous() : at::Tensor();
  const at::Tensor sc = scale.defined() ? scale.contiguous() : at::Tensor();
  // Samples in slices whose planes, sums and outputs fit in the second-level cache together, so that the sums read
  // the planes just laid out and the finish reads the sums just written from there.
  const int64_t per_sample = (in + out) * (x.size(2) + 1) * (x.size(3) + 1) + out * plane;
  const int64_t slice = slice_size(n, std::clamp<int64_t>(kSliceFloats / per_sample, 1, n), x.size(3), lanes);
  // Every slice but a shorter last one has the layout `full`; the last may be laid out otherwise (interleaved or not):
  // room for either.
  const Layout full = layout(slice, x, out, lanes), last = layout(n - (n - 1) / slice * slice, x, out, lanes);
  at::Tensor planes = at::empty({in * std::max(full.k.plane, last.k.plane)}, x.options());
  at::Tensor y = at::empty({out * std::max(full.k.y_stride, last.k.y_stride)}, x.options());
  at::Tensor result = at::empty({n, out, x.size(2), x.size(3)}, x.options());
  const float* factors = sc.defined() ? sc.data_ptr<float>() : nullptr;
  for (int64_t first = 0; first < n; first += slice) {
    const Layout& l = n - first >= slice ? full : last;
    const float* src = x.data_ptr<float>() + first * in * plane;
    const float* slice_factors = factors ? factors + first * in : nullptr;
    float* dst = planes.data_ptr<float>();
    at::parallel_for(0, l.k.in, 1, [&](int64_t begin, int64_t end) {
      for (int64_t c = begin; c < end; ++c)
        (l.interleaved ? pack_interleaved : pack_channel)(src, l, c, slice_factors, dst + c * l.k.plane);
    });
    const direct::Phase phase{l.disp, w.data_ptr<float>(), y.data_ptr<float>(), direct::kWideTaps};
    direct::sum(l.k, dst, &phase, 1, b.defined() ? b.data_ptr<float>() : nullptr, lanes, false);
    // The finish sees the whole batch's items, not the slice's.
    direct::PlaneFinish shifted;
    if (finish)
      shifted = [&](int64_t item, const float* from, int64_t stride, float* to, int64_t rows, int64_t width) {
        finish(item + first * out, from, stride, to, rows, width);
      };
    float* outputs = result.data_ptr<float>() + first * out * plane;
    if (l.interleaved)
      direct::extract_interleaved(l.k, y.data_ptr<float>(), l.n, l.h, l.w, outputs, shifted);
    else
      direct::extract(l.k, y.data_ptr<float>(), l.n, l.sample, l.h, l.w, outputs, shifted);
  }
  return result;
}

} // namespace gs::models
