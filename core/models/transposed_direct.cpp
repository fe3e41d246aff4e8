#include "core/models/transposed_direct.h"
#include "core/models/direct_kernel.h"
#include "core/models/norm_layers.h"
#include "core/models/tensor_checks.h"
#include "core/models/transposed_phases.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <type_traits>

namespace gs::models {
namespace {

using direct::V8;

constexpr int kPhases = 4;

// The whole batch's input, one zero-padded plane per channel: sample n's pixel (i, j) at lead + n·sample + i·cols + j,
// with zero columns after every row and zero rows after every sample, as many as reads beyond an edge, in either
// direction, reach. Phase (a, b)'s output (m, q) of sample n is then the sum over channels and taps t of weight ×
// plane[n·sample + m·cols + q + disp[phase][t]]: one run of `positions` flat positions per phase, where the positions
// in the gaps are computed and dropped.
struct Geometry {
  direct::Shape k;                                                               // what the kernel reads and writes
  int64_t n = 0, h = 0, w = 0, out_rows = 0, out_cols = 0, sample = 0, lead = 0; // out_rows × out_cols: one phase
  int64_t disp[kPhases][direct::kTaps] = {}; // phase p's own taps (see phase_kernel's ByTap layout)
  int taps[kPhases] = {};
};

// Rows (or columns) per sample: reads from outputs 0 .. outputs − 1 reach inputs first .. outputs − 1 + last.
int64_t padded(int64_t inputs, int64_t outputs, int64_t first, int64_t last) {
  return std::max(inputs + std::max<int64_t>({0, -first, outputs + last - inputs}), outputs);
}

Geometry geometry(const torch::nn::ConvTranspose2dImpl& m, const at::Tensor& x, const PhaseAxis& r, const PhaseAxis& c,
                  int64_t lanes) {
  Geometry g;
  g.n = x.size(0), g.k.in = x.size(1), g.h = x.size(2), g.w = x.size(3), g.k.out = m.weight.size(1);
  g.out_rows = transposed_output_size(m, x, 0) / 2, g.out_cols = transposed_output_size(m, x, 1) / 2;
  // Phase a reads input rows m + first + shift[a] + i, i < width.
  const int64_t last_r = r.first + r.span + r.width - 1, last_c = c.first + c.span + c.width - 1;
  g.k.cols = padded(g.w, g.out_cols, c.first, last_c);
  g.sample = padded(g.h, g.out_rows, r.first, last_r) * g.k.cols;
  g.lead = std::max<int64_t>(0, -r.first) * g.k.cols + std::max<int64_t>(0, -c.first);
  g.k.positions = (g.n * g.sample + lanes - 1) / lanes * lanes;
  g.k.plane = g.lead + g.k.positions + (std::max<int64_t>(0, last_r) + 1) * g.k.cols + lanes;
  g.k.y_stride = kPhases * g.k.positions;
  for (int a = 0; a < 2; ++a)
    for (int b = 0; b < 2; ++b) {
      const auto rows = static_cast<int64_t>(r.taps[a].size()), cols = static_cast<int64_t>(c.taps[b].size());
      g.taps[a * 2 + b] = static_cast<int>(rows * cols);
      for (int64_t i = 0; i < rows; ++i)
        for (int64_t j = 0; j < cols; ++j)
          g.disp[a * 2 + b][i * cols + j] = g.lead + (r.first + r.shift[a] + i) * g.k.cols + c.first + c.shift[b] + j;
    }
  return g;
}

// The layer's output's sizes: [n, out, rows, cols].
std::vector<int64_t> output_sizes(const Geometry& g) {
  return {g.n, g.k.out, 2 * g.out_rows, 2 * g.out_cols};
}

// Where channel c of the layer's input is read and how: its plane of sample 0 in one part, the samples `sample` floats
// apart, read through the part's norm and ReLU if it has them, after its scale of sample 0 (or null), the samples'
// `channels` floats apart.
struct ChannelSource {
  const float* data = nullptr;
  int64_t sample = 0;
  direct::ReadAs read;
  const float* scale = nullptr;
  int64_t channels = 0;

  // How sample s is read: the norm's scale times the sample's.
  direct::ReadAs read_of(int64_t s) const {
    if (!scale) return read;
    direct::ReadAs r = read;
    r.active = true;
    r.scale *= scale[s * channels];
    return r;
  }
};

// The parts' tensors, contiguous, held while their data is read: x and scale (or undefined) of each.
struct HeldParts {
  std::vector<at::Tensor> x, scale;
  explicit HeldParts(const std::vector<InputPart>& parts) {
    for (const InputPart& part : parts) {
      x.push_back(part.x.contiguous());
      scale.push_back(part.scale.defined() ? part.scale.contiguous() : at::Tensor());
    }
  }
};

std::vector<ChannelSource> channel_sources(const std::vector<InputPart>& parts, const HeldParts& held) {
  std::vector<ChannelSource> out;
  for (size_t i = 0; i < parts.size(); ++i) {
    const at::Tensor& x = held.x[i];
    const int64_t channels = x.size(1), plane = x.size(2) * x.size(3);
    if (held.scale[i].defined() && held.scale[i].sizes() != at::IntArrayRef{x.size(0), channels})
      throw std::invalid_argument("transposed_direct: an input part's scale is not [batch, channels]");
    const bool relu = parts[i].relu || parts[i].norm;
    const std::vector<direct::ReadAs> reads = channel_reads(parts[i].norm, channels, relu ? 0.0f : 1.0f);
    const float* scale = held.scale[i].defined() ? held.scale[i].data_ptr<float>() : nullptr;
    for (int64_t c = 0; c < channels; ++c)
      out.push_back(
          {x.data_ptr<float>() + c * plane, channels * plane, reads[c], scale ? scale + c : nullptr, channels});
  }
  return out;
}

// The zeros of a channel's plane in g's layout other than its rows' gap columns: the lead, each sample's gap rows and
// the tail.
inline __attribute__((always_inline)) void zero_outside_rows(const Geometry& g, float* plane) {
  std::fill(plane, plane + g.lead, 0.0f);
  for (int64_t s = 0; s < g.n; ++s)
    std::fill(plane + g.lead + s * g.sample + g.h * g.k.cols, plane + g.lead + (s + 1) * g.sample, 0.0f);
  std::fill(plane + g.lead + g.n * g.sample, plane + g.k.plane, 0.0f);
}

// A channel's plane: the lead, each sample's gap rows and the tail, then the samples' rows with their gap columns.
// Rows of W floats (0: g.w, known only at run time; the common widths are compiled apart so that rows unroll).
template <int W>
inline __attribute__((always_inline)) void pack_rows(const ChannelSource& src_c, const Geometry& g, float* plane) {
  const int64_t w = W ? W : g.w;
  zero_outside_rows(g, plane);
  for (int64_t s = 0; s < g.n; ++s) {
    const direct::ReadAs read = src_c.read_of(s);
    float* dst = plane + g.lead + s * g.sample;
    for (int64_t i = 0; i < g.h; ++i, dst += g.k.cols) {
      const float* src = src_c.data + s * src_c.sample + i * w;
      int64_t j = 0;
      for (; j + 8 <= w; j += 8) {
        V8 v;
        direct::load(v, src + j);
        direct::read(v, read);
        direct::store(dst + j, v);
      }
      for (; j < w; ++j) dst[j] = direct::read(src[j], read);
      // The gap columns: where they are 8 or fewer, one vector of zeros, which reaches into the next row (written
      // after it) or the gap rows (zeros already). GCC made the loop a call to memset on every row: a fifth of a 21 → 1
      // output layer's time from 16 × 16 at batch 16.
      if (g.k.cols - w <= 8)
        direct::store(dst + w, V8{});
      else
        for (int64_t j = w; j < g.k.cols; ++j) dst[j] = 0.0f;
    }
  }
}

// f(std::integral_constant<int, W>) for the common row widths W, f(… 0) for any other.
template <typename F> inline __attribute__((always_inline)) void with_row_width(int64_t w, F&& f) {
  switch (w) {
  case 4:
    return f(std::integral_constant<int, 4>{});
  case 8:
    return f(std::integral_constant<int, 8>{});
  case 16:
    return f(std::integral_constant<int, 16>{});
  case 32:
    return f(std::integral_constant<int, 32>{});
  default:
    return f(std::integral_constant<int, 0>{});
  }
}

GANSTUDIO_VECTOR_CLONES void pack_channel(const ChannelSource& source, const Geometry& g, float* plane) {
  with_row_width(
      g.w, [&](auto w) __attribute__((always_inline)) { pack_rows<decltype(w)::value>(source, g, plane); });
}

void pack(const std::vector<ChannelSource>& sources, const Geometry& g, float* planes) {
  at::parallel_for(0, g.k.in, 1, [&](int64_t begin, int64_t end) {
    for (int64_t c = begin; c < end; ++c) pack_channel(sources[c], g, planes + c * g.k.plane);
  });
}

// Whether the four phases are summed together (direct::sum's `joint`): an image's output layer, a 4×4 kernel with
// padding 1 and at most 3 output channels with AVX-512, 2 with AVX2. (With 16 registers, 3 outputs × 4 phases take
// one vector of positions at a time, and each input load's 48 weights are loaded for 8 positions: phase by phase
// summed 16 → 3, 32 → 3 and 64 → 3 at 32 × 32 in 0.36, 0.73 and 1.60–1.84 ms where joint took 0.45, 0.89 and 1.95–2.00,
// batch 16, AVX2-only Zen 3. For 1 and 2 outputs joint was 0–20% faster.)
bool joint_phases(const Geometry& g, const PhaseAxis& r, const PhaseAxis& c, int64_t lanes) {
  const std::vector<int64_t> steps{0, 1};
  const bool four_taps = std::all_of(g.taps, g.taps + kPhases, [](int t) { return t == direct::kTaps; });
  return g.k.out <= (lanes == 16 ? 3 : 2) && four_taps && r.shift == steps && c.shift == steps && r.span == 1 &&
         c.span == 1;
}

// The batch's planes with the samples innermost ("interleaved"), for planes narrower than a vector: input pixel (i, j)
// of sample s at (lead + i·cols + j)·n + s, a Geometry's position of sample 0 times n, and phase output (m, q) of
// sample s at (m·cols + q)·n + s. Every tap's displacement is then n times its own, and a phase row's out_cols·n
// outputs are whole vectors: the kernel sums no position of the gap columns, where the layout of one sample after
// another sums rows of cols positions for out_cols outputs (36 a phase for 25 per sample from 4 × 4 inputs, 44% more).
struct Interleaved {
  direct::Shape k;
  int64_t disp[kPhases][direct::kTaps] = {};
};

// Whether the interleaved layout applies to g: planes narrower than a vector (8 floats with AVX2, 16 with AVX-512), a
// batch of whole vectors, and in every sample's rows past its phase outputs room for what the 8-float stores of
// deinterleave() write beyond a row's end. Phases summed together (an image's output layer) only where the input
// comes interleaved (`handed_on`: a DirectRun's layer after an interleaved one), on planes as wide as a vector too,
// for a batch of 1, 2 or 4 vectors. From a tensor, laying the input out so and the output back cost more than the
// sums gained: 20 → 1 from 16 × 16 at batch 16 took 0.044 ms against 0.036 (bench_transposed, AVX-512 Zen 5).
bool interleaves(const Geometry& g, int64_t lanes, bool joint, bool handed_on = false) {
  if (joint && !handed_on) return false;
  if ((joint ? g.w > lanes : g.w >= lanes) || g.n % lanes != 0) return false;
  // The joint kernel reads a window's row once where its columns are 1, 2 or 4 vectors apart. Further apart it would
  // load every column, as it first did for all: the 70% coronet DCGAN's output layer then took 19% of its pass at batch
  // 16, against 12% in the plain layout (perf, AVX-512 Zen 5).
  if (joint && g.n / lanes != 1 && g.n / lanes != 2 && g.n / lanes != 4) return false;
  const int64_t spill = (g.out_cols - 1) / 8 * 8 + 8 - g.k.cols;
  return (g.sample / g.k.cols - g.out_rows) * g.k.cols >= spill;
}

Interleaved interleaved(const Geometry& g, int64_t lanes) {
  Interleaved l;
  l.k = g.k;
  l.k.cols = g.k.cols * g.n;
  l.k.positions = g.out_rows * l.k.cols;
  l.k.plane = (g.lead + g.sample + g.k.plane - g.k.positions) * g.n + lanes;
  l.k.y_stride = kPhases * l.k.positions;
  l.k.width = g.out_cols * g.n, l.k.height = g.out_rows, l.k.period = g.out_rows, l.k.column = g.n;
  for (int p = 0; p < kPhases; ++p)
    for (int t = 0; t < g.taps[p]; ++t) l.disp[p][t] = g.disp[p][t] * g.n;
  return l;
}

// The zeros of a channel's interleaved plane: everything but its h rows' first w columns.
inline void zero_around_interleaved(const Geometry& g, const Interleaved& l, float* plane) {
  const int64_t n = g.n;
  std::fill(plane, plane + g.lead * n, 0.0f);
  for (int64_t i = 0; i < g.h; ++i)
    std::fill(plane + (g.lead + i * g.k.cols + g.w) * n, plane + (g.lead + (i + 1) * g.k.cols) * n, 0.0f);
  std::fill(plane + (g.lead + g.h * g.k.cols) * n, plane + l.k.plane, 0.0f);
}

// Channel c's interleaved plane: its zeros, then 8 samples at a time, read as src_c says.
GANSTUDIO_VECTOR_CLONES void pack_interleaved(const ChannelSource& src_c, const Geometry& g, const Interleaved& l,
                                              float* plane) {
  zero_around_interleaved(g, l, plane);
  const auto at = [&](int64_t p) __attribute__((always_inline)) {
    return (g.lead + p / g.w * g.k.cols + p % g.w) * g.n;
  };
  for (int64_t s0 = 0; s0 < g.n; s0 += 8) {
    direct::ReadAs reads[8];
    for (int s = 0; s < 8; ++s) reads[s] = src_c.read_of(s0 + s);
    const auto read = [&](auto& v, int s) __attribute__((always_inline)) {
      direct::read_in_place(v, reads[s]);
    };
    direct::samples_innermost(src_c.data + s0 * src_c.sample, src_c.sample, g.h * g.w, at, read, plane + s0);
  }
}

// Output channel and phase `item` (o · 4 + phase) of the interleaved sums yi back into g's layout at y, every position
// of it written (zero where no output is): 8 samples' values of 8 columns of a row at a time, transposed into each
// sample's row. The 8-float stores may run past a row's end into the sample's later rows (or the next sample's first
// ones), which are written after them (interleaves()).
GANSTUDIO_VECTOR_CLONES void deinterleave(const Geometry& g, const Interleaved& l, const float* yi, float* y,
                                          int64_t item) {
  const float* src = yi + item * l.k.positions;
  float* dst = y + item * g.k.positions;
  for (int64_t s0 = 0; s0 < g.n; s0 += 8) {
    // The rows past the outputs first: their spill into the next sample's first rows is written over below.
    for (int s = 0; s < 8; ++s)
      for (int64_t at = (s0 + s) * g.sample + g.out_rows * g.k.cols; at < (s0 + s + 1) * g.sample; at += 8)
        direct::store(dst + at, V8{});
    for (int64_t m = 0; m < g.out_rows; ++m)
      for (int64_t q0 = 0; q0 < g.out_cols; q0 += 8) {
        V8 r[8];
        for (int q = 0; q < 8; ++q)
          if (q0 + q < g.out_cols)
            direct::load(r[q], src + m * l.k.cols + (q0 + q) * g.n + s0);
          else
            r[q] = V8{};
        direct::transpose(r);
        for (int s = 0; s < 8; ++s) direct::store(dst + (s0 + s) * g.sample + m * g.k.cols + q0, r[s]);
      }
  }
  std::fill(dst + g.n * g.sample, dst + g.k.positions, 0.0f);
}

// Output plane item = (n, o) into dst, rows `stride` floats apart: dst[(2m + a)·stride + 2q + b] =
// y[o][phase (a, b)][n·sample + m·cols + q], an output row at a time (both its phases); phases W columns wide (0:
// g.out_cols, as for pack_rows).
template <int W>
inline __attribute__((always_inline)) void interleave_rows(const float* y, const Geometry& g, int64_t item, float* dst,
                                                           int64_t stride) {
  const int64_t s = item / g.k.out, o = item % g.k.out, w = W ? W : g.out_cols;
  for (int a = 0; a < 2; ++a) {
    const float* left = y + (o * kPhases + a * 2) * g.k.positions + s * g.sample;
    const float* right = left + g.k.positions;
    for (int64_t m = 0; m < g.out_rows; ++m) {
      float* row = dst + (2 * m + a) * stride;
      const float *l = left + m * g.k.cols, *r = right + m * g.k.cols;
      int64_t q = 0;
      for (; q + 8 <= w; q += 8) {
        V8 lv, rv, lo, hi;
        direct::load(lv, l + q);
        direct::load(rv, r + q);
        direct::interleave(lv, rv, lo, hi);
        direct::store(row + 2 * q, lo);
        direct::store(row + 2 * q + 8, hi);
      }
      for (; q < w; ++q) {
        row[2 * q] = l[q];
        row[2 * q + 1] = r[q];
      }
    }
  }
}

GANSTUDIO_VECTOR_CLONES void interleave_plane(const float* y, const Geometry& g, int64_t item, float* dst,
                                              int64_t stride) {
  with_row_width(
      g.out_cols, [&](auto w)
                      __attribute__((always_inline)) { interleave_rows<decltype(w)::value>(y, g, item, dst, stride); });
}

// Where output_samples writes output channel o of samples s0 .. s0 + 7: sample s0's row i of it at first + i · row,
// the samples `sample` floats apart, each value read as `read` says (an output tensor's planes as they are, or the
// next layer's input planes through its norm and ReLU), and `gap` zeros after each row (a lay-out's gap columns), as
// one 8-float store where that may run into the next row (`spill`).
struct SampleRows {
  float* first = nullptr;
  int64_t sample = 0, row = 0;
  direct::ReadAs read;
  int64_t gap = 0;
  bool spill = false;
};

// Output channel o of samples s0 .. s0 + 7 from interleaved sums yi straight into their rows `to`, in order: a row of
// 8 samples' phase outputs at a time, transposed in registers into each sample's row, with the phases' columns
// interleaved. (deinterleave() and interleave_plane() moved every sum twice: a 70% DCGAN student's 39 → 20 layer from
// 4 × 4 at batch 16 took 0.051 ms that way, 0.042 this way, on an AVX-512 Zen 5.) A gap's 8-float store runs into
// the next row's first columns, written after it.
inline __attribute__((always_inline)) void sample_rows(const Geometry& g, const Interleaved& l, const float* yi,
                                                       int64_t o, int64_t s0, const SampleRows& to) {
  const int64_t n = g.n, stride = to.sample, width = 2 * g.out_cols, gap = to.gap;
  const bool spill = to.spill && gap <= 8;
  const direct::ReadAs read = to.read; // a copy: through the reference it was loaded again after every store
  const auto put = [&](float* at, V8 v) __attribute__((always_inline)) {
    direct::read(v, read);
    direct::store(at, v);
  };
  for (int64_t m = 0; m < g.out_rows; ++m)
    for (int a = 0; a < 2; ++a) {
      // Phases (a, 0) and (a, 1): the row's even and odd columns.
      const float* even = yi + o * l.k.y_stride + 2 * a * l.k.positions + m * l.k.cols + s0;
      const float* odd = even + l.k.positions;
      float* row = to.first + (2 * m + a) * to.row;
      for (int s = 0; s < 8 && gap > 0; ++s)
        if (spill)
          direct::store(row + s * stride + width, V8{});
        else
          std::fill(row + s * stride + width, row + s * stride + width + gap, 0.0f);
      int64_t q0 = 0;
      for (; q0 + 8 <= g.out_cols; q0 += 8) {
        V8 e[8], d[8];
        for (int q = 0; q < 8; ++q) {
          direct::load(e[q], even + (q0 + q) * n);
          direct::load(d[q], odd + (q0 + q) * n);
        }
        direct::transpose(e);
        direct::transpose(d);
        for (int s = 0; s < 8; ++s) {
          V8 lo, hi;
          direct::interleave(e[s], d[s], lo, hi);
          put(row + s * stride + 2 * q0, lo);
          put(row + s * stride + 2 * q0 + 8, hi);
        }
      }
      if (q0 + 4 <= g.out_cols) { // 4 columns of each phase: one transpose, then each sample's 8 interleaved
        V8 r[8];
        for (int q = 0; q < 4; ++q) {
          direct::load(r[q], even + (q0 + q) * n);
          direct::load(r[4 + q], odd + (q0 + q) * n);
        }
        direct::transpose(r);
        for (int s = 0; s < 8; ++s)
          put(row + s * stride + 2 * q0, __builtin_shufflevector(r[s], r[s], 0, 4, 1, 5, 2, 6, 3, 7));
        q0 += 4;
      }
      for (; q0 < g.out_cols; ++q0)
        for (int s = 0; s < 8; ++s) {
          row[s * stride + 2 * q0] = direct::read(even[q0 * n + s], read);
          row[s * stride + 2 * q0 + 1] = direct::read(odd[q0 * n + s], read);
        }
    }
}

GANSTUDIO_VECTOR_CLONES void output_samples(const Geometry& g, const Interleaved& l, const float* yi, int64_t o,
                                            int64_t s0, const SampleRows& to) {
  sample_rows(g, l, yi, o, s0, to);
}

} // namespace

at::Tensor concatenated_shape(const std::vector<InputPart>& parts) {
  if (parts.empty()) throw std::invalid_argument("concatenated_shape: no input");
  const at::Tensor& first = parts[0].x;
  int64_t channels = 0;
  for (const InputPart& part : parts) {
    const at::Tensor& x = part.x;
    if (x.dim() != 4 || x.size(0) != first.size(0) || x.size(2) != first.size(2) || x.size(3) != first.size(3) ||
        x.scalar_type() != first.scalar_type() || x.device() != first.device())
      throw std::invalid_argument("concatenated_shape: the input parts differ in batch, size, type or device");
    channels += x.size(1);
  }
  if (parts.size() == 1) return first; // no stand-in to build on every pass of a one-input layer
  const std::vector<int64_t> sizes{first.size(0), channels, first.size(2), first.size(3)};
  // A view of the first part's first value at every position: one operation, nothing allocated or zeroed.
  if (first.numel() > 0) return first.as_strided(sizes, {0, 0, 0, 0}, first.storage_offset());
  return at::zeros({1, 1, 1, 1}, first.options()).expand(sizes);
}

bool direct_applies(const torch::nn::ConvTranspose2dImpl& m, const at::Tensor& x) {
  if (!direct::lanes() || wants_grad(x) || wants_grad(m.weight)) return false;
  const auto& s = *m.options.stride();
  const auto& p = *c10::get<torch::ExpandingArray<2>>(m.options.padding());
  if (s[0] != 2 || s[1] != 2 || !phases_fit(m, x)) return false;
  const PhaseAxis r = phase_axis(m.weight.size(2), 2, p[0]), c = phase_axis(m.weight.size(3), 2, p[1]);
  return r.width == 2 && c.width == 2;
}

bool direct_interleaves(const torch::nn::ConvTranspose2dImpl& m, const at::Tensor& x) {
  if (!direct_applies(m, x)) return false;
  const int64_t lanes = direct::lanes();
  const auto& p = *c10::get<torch::ExpandingArray<2>>(m.options.padding());
  const PhaseAxis r = phase_axis(m.weight.size(2), 2, p[0]), c = phase_axis(m.weight.size(3), 2, p[1]);
  const Geometry g = geometry(m, x, r, c, lanes);
  return interleaves(g, lanes, joint_phases(g, r, c, lanes));
}

at::Tensor transposed_direct(torch::nn::ConvTranspose2dImpl& m, const at::Tensor& input,
                             torch::nn::BatchNorm2dImpl* norm_relu, VectorWidth width) {
  return transposed_direct(m, {{input, norm_relu, norm_relu != nullptr}}, width);
}

struct DirectSums::Data {
  Data(at::Tensor sums, const Geometry& geometry) : y(std::move(sums)), g(geometry) {}
  at::Tensor y; // the phases' sums, after kPhaseGuard floats (and before as many)
  Geometry g;
  // y's data there, looked up once: data_ptr() for each of a small layer's many planes took a tenth of the blur's time.
  const float* sums = y.data_ptr<float>() + kPhaseGuard;
};

std::vector<int64_t> DirectSums::sizes() const {
  return output_sizes(data_->g);
}

void DirectSums::write_plane(int64_t item, float* dst, int64_t row_stride) const {
  interleave_plane(data_->sums, data_->g, item, dst, row_stride);
}

PhasePlanes DirectSums::phase_planes(int64_t item) const {
  const Geometry& g = data_->g;
  const float* first = data_->sums + item % g.k.out * g.k.y_stride + item / g.k.out * g.sample;
  PhasePlanes p;
  for (int i = 0; i < kPhases; ++i) p.data[i] = first + i * g.k.positions;
  p.rows = g.out_rows, p.cols = g.out_cols, p.stride = g.k.cols;
  return p;
}

at::Tensor DirectSums::output(const direct::PlaneFinish& finish) const {
  const std::vector<int64_t> s = sizes();
  at::Tensor result = at::empty(s, data_->y.options());
  float* out = result.data_ptr<float>();
  const int64_t plane = s[2] * s[3];
  at::parallel_for(0, s[0] * s[1], 1, [&](int64_t begin, int64_t end) {
    for (int64_t item = begin; item < end; ++item) {
      write_plane(item, out + item * plane, s[3]);
      direct::finish_in_place(finish, item, out + item * plane, plane);
    }
  });
  return result;
}

namespace {

// A layer's direct route for an input of given sizes: where it reads and writes, whether it interleaves and sums
// its phases together.
struct Route {
  PhaseAxis r, c;
  Geometry g;
  bool joint = false, interleave = false;
  Interleaved l;
  const direct::Shape& shape() const { return interleave ? l.k : g.k; }
};

// x: the input, or a tensor of its shape (concatenated_shape); handed_on as for interleaves().
Route route_of(const torch::nn::ConvTranspose2dImpl& m, const at::Tensor& x, int64_t lanes, bool handed_on = false) {
  Route route;
  const auto& p = *c10::get<torch::ExpandingArray<2>>(m.options.padding());
  route.r = phase_axis(m.weight.size(2), 2, p[0]), route.c = phase_axis(m.weight.size(3), 2, p[1]);
  route.g = geometry(m, x, route.r, route.c, lanes);
  if (route.g.k.in != m.weight.size(0))
    throw std::invalid_argument("transposed_direct: the input's channels do not match the layer");
  route.joint = joint_phases(route.g, route.r, route.c, lanes);
  route.interleave = interleaves(route.g, lanes, route.joint, handed_on);
  if (route.interleave) route.l = interleaved(route.g, lanes);
  return route;
}

// A layer's sums as direct::sum leaves them: in g's layout in y (after kPhaseGuard floats), or, where the route
// interleaves, in l's layout in `interleaved` (y then undefined until transposed_direct_sums deinterleaves them).
struct Summed {
  Geometry g;
  bool interleave = false;
  Interleaved l;
  at::Tensor y, interleaved;
};

// y of a layer's geometry: room for its sums between guards that phase_blur may read (zeroed: never uninitialised
// memory, whatever it ignores).
at::Tensor guarded_sums(const Geometry& g, const at::TensorOptions& options) {
  at::Tensor y = at::empty({g.k.out * g.k.y_stride + 2 * kPhaseGuard}, options);
  float* sums = y.data_ptr<float>() + kPhaseGuard;
  std::fill_n(y.data_ptr<float>(), kPhaseGuard, 0.0f);
  std::fill_n(sums + g.k.out * g.k.y_stride, kPhaseGuard, 0.0f);
  return y;
}

// Layer m's sums from its input planes laid out by `route` (`laid`: in planes of route.shape().plane floats).
Summed sum_laid(const torch::nn::ConvTranspose2dImpl& m, const Route& route, const at::Tensor& laid, int64_t lanes) {
  const Geometry& g = route.g;
  const direct::Shape& k = route.shape();
  const at::Tensor w = phase_kernel(m.weight, route.r, route.c, KernelLayout::ByTap, lanes);
  const at::Tensor bias = m.bias.defined() ? m.bias.contiguous() : at::Tensor();
  Summed out;
  out.g = g, out.interleave = route.interleave, out.l = route.l;
  float* into;
  if (out.interleave) {
    out.interleaved = at::empty({g.k.out * k.y_stride}, laid.options());
    into = out.interleaved.data_ptr<float>();
  } else {
    out.y = guarded_sums(g, laid.options());
    into = out.y.data_ptr<float>() + kPhaseGuard;
  }
  direct::Phase phases[kPhases];
  for (int i = 0, offset = 0; i < kPhases; offset += g.taps[i++])
    phases[i] = {out.interleave ? out.l.disp[i] : g.disp[i], w.data_ptr<float>() + offset * g.k.in * g.k.out,
                 into + i * k.positions, g.taps[i]};
  direct::sum(k, laid.data_ptr<float>(), phases, kPhases, bias.defined() ? bias.data_ptr<float>() : nullptr, lanes,
              route.joint);
  return out;
}

Summed sum_parts(const torch::nn::ConvTranspose2dImpl& m, const std::vector<InputPart>& parts, VectorWidth width) {
  const int64_t lanes = direct::lanes(width);
  if (!lanes) throw std::logic_error("transposed_direct: no vector kernel for this CPU or build");
  if (parts.empty()) throw std::invalid_argument("transposed_direct: no input");
  const HeldParts held(parts);
  const Route route = route_of(m, concatenated_shape(parts), lanes);
  const Geometry& g = route.g;
  const std::vector<ChannelSource> sources = channel_sources(parts, held);
  at::Tensor planes = at::empty({g.k.in * route.shape().plane}, held.x[0].options());
  float* laid = planes.data_ptr<float>();
  if (route.interleave)
    at::parallel_for(0, g.k.in, 1, [&](int64_t begin, int64_t end) {
      for (int64_t c = begin; c < end; ++c) pack_interleaved(sources[c], g, route.l, laid + c * route.l.k.plane);
    });
  else
    pack(sources, g, laid);
  return sum_laid(m, route, planes, lanes);
}

// The output tensor of a layer's sums, `finish` applied to each plane as it is written.
at::Tensor output_of(const Summed& summed, const direct::PlaneFinish& finish) {
  if (!summed.interleave)
    return DirectSums(std::make_shared<const DirectSums::Data>(summed.y, summed.g)).output(finish);
  const Geometry& g = summed.g;
  at::Tensor result = at::empty(output_sizes(g), summed.interleaved.options());
  const float* sums = summed.interleaved.data_ptr<float>();
  float* out = result.data_ptr<float>();
  const int64_t blocks = g.n / 8, cols = 2 * g.out_cols, plane = 2 * g.out_rows * cols;
  at::parallel_for(0, g.k.out * blocks, 1, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const int64_t o = i / blocks, s0 = i % blocks * 8;
      float* first = out + (s0 * g.k.out + o) * plane;
      output_samples(g, summed.l, sums, o, s0, {first, g.k.out * plane, cols, {}});
      for (int s = 0; s < 8; ++s)
        direct::finish_in_place(finish, (s0 + s) * g.k.out + o, first + s * g.k.out * plane, plane);
    }
  });
  return result;
}

// Input plane c of `next` (a route for the output of `prev`, an interleaved layer's sums yi) straight from the sums,
// read as `read`: what sum_parts lays out from the output tensor, without it. With the samples innermost in both,
// each output pixel's samples are one run of floats; into one sample after another, output_samples' transposes.
GANSTUDIO_VECTOR_CLONES void lay_out_channel(const Summed& prev, const float* yi, const Route& next, int64_t c,
                                             const direct::ReadAs& read, float* dst) {
  const Geometry &g = prev.g, &to = next.g;
  const int64_t n = g.n;
  if (!next.interleave) {
    zero_outside_rows(to, dst);
    // A sample's last row may spill into its gap rows, not into the next sample's first row (written before it).
    const bool spill = to.sample - to.h * to.k.cols >= 8;
    for (int64_t s0 = 0; s0 < n; s0 += 8)
      sample_rows(g, prev.l, yi, c, s0,
                  {dst + to.lead + s0 * to.sample, to.sample, to.k.cols, read, to.k.cols - to.w, spill});
    return;
  }
  zero_around_interleaved(to, next.l, dst);
  const direct::ReadAs r = read;
  const int64_t positions = prev.l.k.positions, in_cols = prev.l.k.cols, out_cols = to.k.cols, lead = to.lead;
  const float* sums = yi + c * prev.l.k.y_stride;
  for (int p = 0; p < kPhases; ++p)
    for (int64_t m = 0; m < g.out_rows; ++m)
      for (int64_t q = 0; q < g.out_cols; ++q) {
        const float* src = sums + p * positions + m * in_cols + q * n;
        float* at = dst + (lead + (2 * m + p / 2) * out_cols + 2 * q + p % 2) * n;
        for (int64_t s = 0; s < n; s += 8) {
          V8 v;
          direct::load(v, src + s);
          direct::read(v, r);
          direct::store(at + s, v);
        }
      }
}

at::Tensor lay_out_from(const Summed& prev, const Route& next, const std::vector<direct::ReadAs>& reads) {
  const int64_t plane = next.shape().plane;
  at::Tensor planes = at::empty({next.g.k.in * plane}, prev.interleaved.options());
  float* laid = planes.data_ptr<float>();
  const float* yi = prev.interleaved.data_ptr<float>();
  at::parallel_for(0, next.g.k.in, 1, [&](int64_t begin, int64_t end) {
    for (int64_t c = begin; c < end; ++c) lay_out_channel(prev, yi, next, c, reads[c], laid + c * plane);
  });
  return planes;
}

} // namespace

at::Tensor transposed_direct(torch::nn::ConvTranspose2dImpl& m, const std::vector<InputPart>& parts, VectorWidth width,
                             const direct::PlaneFinish& finish) {
  return output_of(sum_parts(m, parts, width), finish);
}

DirectSums transposed_direct_sums(torch::nn::ConvTranspose2dImpl& m, const std::vector<InputPart>& parts,
                                  VectorWidth width) {
  Summed summed = sum_parts(m, parts, width);
  if (summed.interleave) {
    summed.y = guarded_sums(summed.g, summed.interleaved.options());
    const float* from = summed.interleaved.data_ptr<float>();
    float* sums = summed.y.data_ptr<float>() + kPhaseGuard;
    at::parallel_for(0, summed.g.k.out * kPhases, 1, [&](int64_t begin, int64_t end) {
      for (int64_t item = begin; item < end; ++item) deinterleave(summed.g, summed.l, from, sums, item);
    });
  }
  return DirectSums(std::make_shared<const DirectSums::Data>(summed.y, summed.g));
}

struct DirectRun::State {
  Summed summed;
  VectorWidth width;
};

DirectRun::DirectRun(torch::nn::ConvTranspose2dImpl& m, const std::vector<InputPart>& parts, VectorWidth width)
    : s_(std::make_unique<State>(State{sum_parts(m, parts, width), width})) {}

DirectRun::~DirectRun() = default;

at::Tensor DirectRun::shape() const {
  const Summed& last = s_->summed;
  return at::empty({1, 1, 1, 1}, (last.interleave ? last.interleaved : last.y).options()).expand(output_sizes(last.g));
}

void DirectRun::next(torch::nn::ConvTranspose2dImpl& m, torch::nn::BatchNorm2dImpl& norm) {
  Summed& prev = s_->summed;
  if (!prev.interleave) {
    prev = sum_parts(m, {{output(), &norm, true}}, s_->width);
    return;
  }
  const int64_t lanes = direct::lanes(s_->width);
  const Route route = route_of(m, shape(), lanes, /*handed_on=*/true);
  prev = sum_laid(m, route, lay_out_from(prev, route, channel_reads(&norm, prev.g.k.out, 0.0f)), lanes);
}

at::Tensor DirectRun::output(const direct::PlaneFinish& finish) const {
  return output_of(s_->summed, finish);
}

} // namespace gs::models
