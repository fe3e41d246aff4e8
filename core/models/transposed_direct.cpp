#include "core/models/transposed_direct.h"
#include "core/models/transposed_phases.h"
#include "core/runtime.h"

#include <torch/torch.h>

#include <cmath>
#include <cstring>
#include <type_traits>

namespace gs::models {
namespace {

constexpr int kPhases = 4, kTaps = 4;
typedef float V8 __attribute__((vector_size(32))); // GCC's vector extension: 8 floats, in whatever registers there are

// The whole batch's input, one zero-padded plane per channel: sample n's pixel (i, j) at lead + n·sample + i·cols + j,
// with zero columns after every row and zero rows after every sample, as many as reads beyond an edge, in either
// direction, reach. Phase (a, b)'s output (m, q) of sample n is then the sum over channels and taps t of weight ×
// plane[n·sample + m·cols + q + disp[phase][t]]: one run of `positions` flat positions per phase, where the positions
// in the gaps are computed and dropped.
struct Geometry {
  int64_t n = 0, in = 0, out = 0, h = 0, w = 0, out_rows = 0, out_cols = 0; // out_rows × out_cols: one phase
  int64_t cols = 0, sample = 0, lead = 0;
  int64_t positions = 0, plane = 0; // computed per phase (a multiple of the vector width); floats per channel plane
  int64_t disp[kPhases][kTaps] = {};
};

// Rows (or columns) per sample: reads from outputs 0 .. outputs − 1 reach inputs first .. outputs − 1 + last.
int64_t padded(int64_t inputs, int64_t outputs, int64_t first, int64_t last) {
  return std::max(inputs + std::max<int64_t>({0, -first, outputs + last - inputs}), outputs);
}

Geometry geometry(const torch::nn::ConvTranspose2dImpl& m, const at::Tensor& x, const PhaseAxis& r, const PhaseAxis& c,
                  int64_t lanes) {
  Geometry g;
  g.n = x.size(0), g.in = x.size(1), g.h = x.size(2), g.w = x.size(3), g.out = m.weight.size(1);
  g.out_rows = transposed_output_size(m, x, 0) / 2, g.out_cols = transposed_output_size(m, x, 1) / 2;
  // Phase a reads input rows m + first + shift[a] + i, i < width.
  const int64_t last_r = r.first + r.span + r.width - 1, last_c = c.first + c.span + c.width - 1;
  g.cols = padded(g.w, g.out_cols, c.first, last_c);
  g.sample = padded(g.h, g.out_rows, r.first, last_r) * g.cols;
  g.lead = std::max<int64_t>(0, -r.first) * g.cols + std::max<int64_t>(0, -c.first);
  g.positions = (g.n * g.sample + lanes - 1) / lanes * lanes;
  g.plane = g.lead + g.positions + (std::max<int64_t>(0, last_r) + 1) * g.cols + lanes;
  for (int a = 0; a < 2; ++a)
    for (int b = 0; b < 2; ++b)
      for (int i = 0; i < 2; ++i)
        for (int j = 0; j < 2; ++j)
          g.disp[a * 2 + b][i * 2 + j] = g.lead + (r.first + r.shift[a] + i) * g.cols + c.first + c.shift[b] + j;
  return g;
}

// Channel c's input as planes expect it, each value v taken as max(0, v·scale[c] + shift[c]) when the layer reads an
// eval-mode batch norm's output through a ReLU (empty: values are copied as they are).
struct InputTransform {
  std::vector<float> scale, shift;
};

InputTransform input_transform(const torch::nn::BatchNorm2dImpl* norm, int64_t channels) {
  if (!norm) return {};
  InputTransform t{std::vector<float>(channels), std::vector<float>(channels)};
  const at::Tensor mean = norm->running_mean.contiguous(), var = norm->running_var.contiguous();
  const at::Tensor weight = norm->weight.defined() ? norm->weight.contiguous() : at::Tensor();
  const at::Tensor bias = norm->bias.defined() ? norm->bias.contiguous() : at::Tensor();
  const double eps = norm->options.eps();
  for (int64_t c = 0; c < channels; ++c) {
    const double scale =
        (weight.defined() ? weight.data_ptr<float>()[c] : 1.0) / std::sqrt(var.data_ptr<float>()[c] + eps);
    t.scale[c] = static_cast<float>(scale);
    t.shift[c] =
        static_cast<float>((bias.defined() ? bias.data_ptr<float>()[c] : 0.0) - mean.data_ptr<float>()[c] * scale);
  }
  return t;
}

#if defined(__x86_64__) && defined(__GNUC__)
#define GANSTUDIO_DIRECT_KERNELS 1
// Packing and interleaving move as many floats as the kernel reads and writes: built for each vector width too.
#define GANSTUDIO_VECTOR_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define GANSTUDIO_VECTOR_CLONES
#endif

// Channel c's plane: the samples' rows with their gap columns, each sample's gap rows, the lead and the tail. Rows
// of W floats (0: g.w, known only at run time; the common widths are compiled apart so that rows unroll).
template <int W>
inline __attribute__((always_inline)) void pack_rows(const float* x, const Geometry& g, int64_t c, float scale,
                                                     float shift, bool norm_relu, float* plane) {
  const int64_t w = W ? W : g.w;
  for (int64_t j = 0; j < g.lead; ++j) plane[j] = 0.0f;
  for (int64_t s = 0; s < g.n; ++s) {
    float* dst = plane + g.lead + s * g.sample;
    for (int64_t i = 0; i < g.h; ++i, dst += g.cols) {
      const float* src = x + ((s * g.in + c) * g.h + i) * w;
      int64_t j = 0;
      for (; j + 8 <= w; j += 8) {
        V8 v;
        std::memcpy(&v, src + j, sizeof v);
        if (norm_relu) {
          v = v * scale + shift;
          v = v > 0.0f ? v : V8{};
        }
        std::memcpy(dst + j, &v, sizeof v);
      }
      for (; j < w; ++j) dst[j] = norm_relu ? std::max(src[j] * scale + shift, 0.0f) : src[j];
      for (int64_t j = w; j < g.cols; ++j) dst[j] = 0.0f;
    }
    std::fill(dst, plane + g.lead + (s + 1) * g.sample, 0.0f);
  }
  std::fill(plane + g.lead + g.n * g.sample, plane + g.plane, 0.0f);
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

GANSTUDIO_VECTOR_CLONES void pack_channel(const float* x, const Geometry& g, int64_t c, float scale, float shift,
                                          bool norm_relu, float* plane) {
  with_row_width(
      g.w, [&](auto w) __attribute__((always_inline)) {
        pack_rows<decltype(w)::value>(x, g, c, scale, shift, norm_relu, plane);
      });
}

void pack(const float* x, const Geometry& g, const InputTransform& t, float* planes) {
  const bool norm_relu = !t.scale.empty();
  at::parallel_for(0, g.in, 1, [&](int64_t begin, int64_t end) {
    for (int64_t c = begin; c < end; ++c)
      pack_channel(x, g, c, norm_relu ? t.scale[c] : 1.0f, norm_relu ? t.shift[c] : 0.0f, norm_relu,
                   planes + c * g.plane);
  });
}

// out[n, o, 2m + a, 2q + b] = y[o][phase (a, b)][n·sample + m·cols + q] for one (n, o), an output row at a time (both
// its phases); phases W columns wide (0: g.out_cols, as for pack_rows).
template <int W>
inline __attribute__((always_inline)) void interleave_rows(const float* y, const Geometry& g, int64_t item,
                                                           float* out) {
  const int64_t s = item / g.out, o = item % g.out, w = W ? W : g.out_cols;
  float* dst = out + item * 4 * g.out_rows * w;
  for (int a = 0; a < 2; ++a) {
    const float* left = y + (o * kPhases + a * 2) * g.positions + s * g.sample;
    const float* right = left + g.positions;
    for (int64_t m = 0; m < g.out_rows; ++m) {
      float* row = dst + (2 * m + a) * 2 * w;
      const float *l = left + m * g.cols, *r = right + m * g.cols;
      int64_t q = 0;
      for (; q + 8 <= w; q += 8) {
        V8 lv, rv;
        std::memcpy(&lv, l + q, sizeof lv);
        std::memcpy(&rv, r + q, sizeof rv);
        const V8 lo = __builtin_shufflevector(lv, rv, 0, 8, 1, 9, 2, 10, 3, 11);
        const V8 hi = __builtin_shufflevector(lv, rv, 4, 12, 5, 13, 6, 14, 7, 15);
        std::memcpy(row + 2 * q, &lo, sizeof lo);
        std::memcpy(row + 2 * q + 8, &hi, sizeof hi);
      }
      for (; q < w; ++q) {
        row[2 * q] = l[q];
        row[2 * q + 1] = r[q];
      }
    }
  }
}

GANSTUDIO_VECTOR_CLONES void interleave_plane(const float* y, const Geometry& g, int64_t item, float* out) {
  with_row_width(
      g.out_cols, [&](auto w) __attribute__((always_inline)) { interleave_rows<decltype(w)::value>(y, g, item, out); });
}

void interleave(const float* y, const Geometry& g, float* out) {
  at::parallel_for(0, g.n * g.out, 1, [&](int64_t begin, int64_t end) {
    for (int64_t item = begin; item < end; ++item) interleave_plane(y, g, item, out);
  });
}

// What one block of output channels of one phase needs: the planes, the phase's displacements, its kernel
// [in, taps, out] at the block's first channel, the bias there (or null) and where its rows of y start.
struct Task {
  const float* planes;
  const Geometry* g;
  const int64_t* disp;
  const float* weight;
  const float* bias;
  float* y;
};

// O output channels × B vectors of positions, starting at flat position f: O·B accumulators in registers, summed over
// every input channel and tap. Compiled into each instruction set's caller below.
template <typename V, int O, int B> inline __attribute__((always_inline)) void block(const Task& t, int64_t f) {
  constexpr int L = sizeof(V) / sizeof(float);
  const Geometry& g = *t.g;
  V acc[O][B];
  for (int o = 0; o < O; ++o)
    for (int b = 0; b < B; ++b) acc[o][b] = V{} + (t.bias ? t.bias[o] : 0.0f);
  for (int64_t c = 0; c < g.in; ++c) {
    const float* base = t.planes + c * g.plane + f;
    const float* wc = t.weight + c * kTaps * g.out;
#pragma GCC unroll 4
    for (int k = 0; k < kTaps; ++k) {
      V x[B];
      for (int b = 0; b < B; ++b) std::memcpy(&x[b], base + t.disp[k] + b * L, sizeof(V));
      for (int o = 0; o < O; ++o) {
        const float wt = wc[k * g.out + o];
        for (int b = 0; b < B; ++b) acc[o][b] += wt * x[b];
      }
    }
  }
  for (int o = 0; o < O; ++o)
    for (int b = 0; b < B; ++b) std::memcpy(t.y + o * kPhases * g.positions + f + b * L, &acc[o][b], sizeof(V));
}

// O output channels (at most 3), the four phases together, where phase (a, b)'s tap (i, j) reads offset (a + i, b + j)
// of a 3 × 3 window (4×4 kernels with padding 1): each input load feeds every phase that reads it, 16·O taps from 9
// loads, where a phase at a time gives O output channels O multiply-adds per load.
template <typename V, int O, int B> inline __attribute__((always_inline)) void joint_block(const Task& t, int64_t f) {
  constexpr int L = sizeof(V) / sizeof(float);
  const Geometry& g = *t.g;
  V acc[O][kPhases][B];
  for (int o = 0; o < O; ++o)
    for (auto& phase : acc[o])
      for (auto& a : phase) a = V{} + (t.bias ? t.bias[o] : 0.0f);
  const int64_t phase_stride = g.in * kTaps * g.out;
  for (int64_t c = 0; c < g.in; ++c) {
    const float* base = t.planes + c * g.plane + f + t.disp[0]; // phase (0, 0)'s first tap: the window's corner
    const float* wc = t.weight + c * kTaps * g.out;
#pragma GCC unroll 3
    for (int gr = 0; gr < 3; ++gr)
#pragma GCC unroll 3
      for (int gc = 0; gc < 3; ++gc) {
        V x[B];
        for (int b = 0; b < B; ++b) std::memcpy(&x[b], base + gr * g.cols + gc + b * L, sizeof(V));
#pragma GCC unroll 2
        for (int a = 0; a < 2; ++a)
#pragma GCC unroll 2
          for (int e = 0; e < 2; ++e) {
            const int i = gr - a, j = gc - e;
            if (i < 0 || i > 1 || j < 0 || j > 1) continue;
            for (int o = 0; o < O; ++o) {
              const float w = wc[(a * 2 + e) * phase_stride + (i * 2 + j) * g.out + o];
              for (int b = 0; b < B; ++b) acc[o][a * 2 + e][b] += w * x[b];
            }
          }
      }
  }
  for (int o = 0; o < O; ++o)
    for (int p = 0; p < kPhases; ++p)
      for (int b = 0; b < B; ++b)
        std::memcpy(t.y + (o * kPhases + p) * g.positions + f + b * L, &acc[o][p][b], sizeof(V));
}

template <typename V, int O, int Registers>
inline __attribute__((always_inline)) void run_joint(const Task& t, int64_t begin, int64_t end) {
  constexpr int L = sizeof(V) / sizeof(float), B = std::max(1, std::min(4, Registers / (kPhases * O)));
  int64_t f = begin;
  for (; f + B * L <= end; f += B * L) joint_block<V, O, B>(t, f);
  for (; f < end; f += L) joint_block<V, O, 1>(t, f);
}

// Vectors of positions per block for O output channels, with `registers` accumulators at most: enough independent
// sums to hide the multiply-add latency, and as many output channels as fit sharing each load of the input.
constexpr int blocks_for(int o, int registers) {
  return std::min(8, registers / o);
}

template <typename V, int O, int Registers>
inline __attribute__((always_inline)) void run(const Task& t, int64_t begin, int64_t end) {
  constexpr int L = sizeof(V) / sizeof(float), B = blocks_for(O, Registers);
  int64_t f = begin;
  for (; f + B * L <= end; f += B * L) block<V, O, B>(t, f);
  for (; f < end; f += L) block<V, O, 1>(t, f);
}

// Positions per chunk: every block size's multiple (for 16 and 8 lanes), and about 256 KiB of input planes, so that a
// chunk's input stays in the cache while every phase and block of output channels reads it.
int64_t chunk_size(int64_t in) {
  constexpr int64_t kMultiple = 384;
  return std::max<int64_t>(1, (int64_t{1} << 16) / in / kMultiple) * kMultiple;
}

#ifdef GANSTUDIO_DIRECT_KERNELS
typedef float V16 __attribute__((vector_size(64)));

template <int O> __attribute__((target("avx512f"))) void run_avx512(const Task& t, int64_t begin, int64_t end) {
  run<V16, O, 24>(t, begin, end);
}
template <int O> __attribute__((target("avx2,fma"))) void run_avx2(const Task& t, int64_t begin, int64_t end) {
  run<V8, O, 12>(t, begin, end);
}

template <int O> __attribute__((target("avx512f"))) void joint_avx512(const Task& t, int64_t begin, int64_t end) {
  run_joint<V16, O, 24>(t, begin, end);
}
template <int O> __attribute__((target("avx2,fma"))) void joint_avx2(const Task& t, int64_t begin, int64_t end) {
  run_joint<V8, O, 8>(t, begin, end);
}

using Kernel = void (*)(const Task&, int64_t, int64_t);
// Output channels per block: up to 8 with 32 vector registers, 4 with 16.
constexpr Kernel kAvx512[] = {run_avx512<1>, run_avx512<2>, run_avx512<3>, run_avx512<4>,
                              run_avx512<5>, run_avx512<6>, run_avx512<7>, run_avx512<8>};
constexpr Kernel kAvx2[] = {run_avx2<1>, run_avx2<2>, run_avx2<3>, run_avx2<4>};
// The four phases together, for 1–3 output channels.
constexpr Kernel kJointAvx512[] = {joint_avx512<1>, joint_avx512<2>, joint_avx512<3>};
constexpr Kernel kJointAvx2[] = {joint_avx2<1>, joint_avx2<2>, joint_avx2<3>};
#endif

} // namespace

bool direct_applies(const torch::nn::ConvTranspose2dImpl& m, const at::Tensor& x) {
  if (!cpu_has_avx2_fma() || (at::GradMode::is_enabled() && (x.requires_grad() || m.weight.requires_grad())))
    return false;
  const auto& s = *m.options.stride();
  const auto& p = *c10::get<torch::ExpandingArray<2>>(m.options.padding());
  if (s[0] != 2 || s[1] != 2 || !phases_fit(m, x)) return false;
  const PhaseAxis r = phase_axis(m.weight.size(2), 2, p[0]), c = phase_axis(m.weight.size(3), 2, p[1]);
  return r.width == 2 && c.width == 2;
}

at::Tensor transposed_direct(torch::nn::ConvTranspose2dImpl& m, const at::Tensor& input,
                             const torch::nn::BatchNorm2dImpl* norm_relu, DirectVectors vectors) {
#ifdef GANSTUDIO_DIRECT_KERNELS
  const bool wide = vectors == DirectVectors::Widest && cpu_has_avx512f();
  const int64_t lanes = wide ? 16 : 8;
  const auto& p = *c10::get<torch::ExpandingArray<2>>(m.options.padding());
  const PhaseAxis r = phase_axis(m.weight.size(2), 2, p[0]), c = phase_axis(m.weight.size(3), 2, p[1]);
  const at::Tensor x = input.contiguous();
  const int64_t out = m.weight.size(1);
  const Geometry g = geometry(m, x, r, c, lanes);
  const at::Tensor w = phase_kernel(m.weight, r, c, KernelLayout::ByTap);
  const at::Tensor bias = m.bias.defined() ? m.bias.contiguous() : at::Tensor();
  at::Tensor planes = at::empty({g.in * g.plane}, x.options());
  at::Tensor y = at::empty({out * kPhases * g.positions}, x.options());
  pack(x.data_ptr<float>(), g, input_transform(norm_relu, g.in), planes.data_ptr<float>());
  const int64_t chunk = chunk_size(g.in), chunks = (g.positions + chunk - 1) / chunk;
  const std::vector<int64_t> steps{0, 1};
  if (out <= 3 && r.shift == steps && c.shift == steps && r.span == 1 && c.span == 1) {
    // At most 3 output channels of a 4×4 kernel with padding 1 (an image's output layer): the phases together.
    const Kernel joint = (wide ? kJointAvx512 : kJointAvx2)[out - 1];
    const Task t{
        planes.data_ptr<float>(), &g, g.disp[0], w.data_ptr<float>(), bias.defined() ? bias.data_ptr<float>() : nullptr,
        y.data_ptr<float>()};
    at::parallel_for(0, chunks, 1, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) joint(t, i * chunk, std::min((i + 1) * chunk, g.positions));
    });
  } else {
    // Output channels in blocks as even as the register budget allows: 10 as 5 + 5 rather than 8 + 2.
    const int64_t most = wide ? 8 : 4, count = (out + most - 1) / most, size = (out + count - 1) / count,
                  per_chunk = kPhases * count;
    const Kernel* kernels = wide ? kAvx512 : kAvx2;
    at::parallel_for(0, chunks * per_chunk, 1, [&](int64_t begin, int64_t end) {
      for (int64_t item = begin; item < end; ++item) {
        const int64_t f = item / per_chunk * chunk, phase = item % per_chunk / count;
        const int64_t o0 = item % count * size, o = std::min(size, out - o0);
        const Task t{planes.data_ptr<float>(),
                     &g,
                     g.disp[phase],
                     w.data_ptr<float>() + phase * g.in * kTaps * out + o0,
                     bias.defined() ? bias.data_ptr<float>() + o0 : nullptr,
                     y.data_ptr<float>() + (o0 * kPhases + phase) * g.positions};
        kernels[o - 1](t, f, std::min(f + chunk, g.positions));
      }
    });
  }
  at::Tensor result = at::empty({g.n, out, 2 * g.out_rows, 2 * g.out_cols}, x.options());
  interleave(y.data_ptr<float>(), g, result.data_ptr<float>());
  return result;
#else
  (void)m, (void)input, (void)norm_relu, (void)vectors;
  throw std::logic_error("transposed_direct: no vector kernel in this build");
#endif
}

} // namespace gs::models
