#include "core/models/transposed_direct.h"
#include "core/models/transposed_phases.h"
#include "core/runtime.h"

#include <torch/torch.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define GANSTUDIO_DIRECT_AVX2 1
#endif

namespace gs::models {
namespace {

// Output positions per register block: eight 8-float accumulators, enough independent sums to hide the FMA latency.
constexpr int64_t kBlock = 64;
constexpr int kPhases = 4, kTaps = 4;

// Each input channel sits in a zero-padded plane of `cols` columns; phase (a, b)'s output (m, q) is the sum over
// channels and taps t of weight × plane[m·cols + q + disp[phase][t]], so a phase's outputs are one run of `flat`
// positions m·cols + q (the columns q ≥ the phase's width are computed and dropped).
struct Geometry {
  int64_t out_rows = 0, out_cols = 0; // one phase's output
  int64_t top = 0, left = 0;          // where input (0, 0) sits in the padded plane
  int64_t rows = 0, cols = 0;         // padded plane
  int64_t flat = 0, plane = 0;        // positions computed per phase (a multiple of kBlock); floats per plane
  int64_t disp[kPhases][kTaps] = {};
};

Geometry geometry(const torch::nn::ConvTranspose2dImpl& m, const at::Tensor& x, const PhaseAxis& r,
                  const PhaseAxis& c) {
  Geometry g;
  g.out_rows = transposed_output_size(m, x, 0) / 2;
  g.out_cols = transposed_output_size(m, x, 1) / 2;
  g.top = -r.first;
  g.left = -c.first;
  g.rows = g.out_rows + r.span + r.width - 1;
  g.cols = g.out_cols + c.span + c.width - 1;
  g.flat = (g.out_rows * g.cols + kBlock - 1) / kBlock * kBlock;
  g.plane = g.flat + (g.rows - g.out_rows + 1) * g.cols; // the last block's reads stay inside the plane
  for (int a = 0; a < 2; ++a)
    for (int b = 0; b < 2; ++b)
      for (int i = 0; i < 2; ++i)
        for (int j = 0; j < 2; ++j) g.disp[a * 2 + b][i * 2 + j] = (r.shift[a] + i) * g.cols + c.shift[b] + j;
  return g;
}

// Sample n's channels into zeroed padded planes.
void pad_sample(const float* x, int64_t in, int64_t h, int64_t w, const Geometry& g, float* planes) {
  std::fill(planes, planes + in * g.plane, 0.0f);
  const int64_t c0 = std::max<int64_t>(0, -g.left), c1 = std::min(w, g.cols - g.left);
  for (int64_t c = 0; c < in; ++c)
    for (int64_t i = std::max<int64_t>(0, -g.top); i < std::min(h, g.rows - g.top); ++i)
      std::copy(x + (c * h + i) * w + c0, x + (c * h + i) * w + c1,
                planes + c * g.plane + (i + g.top) * g.cols + c0 + g.left);
}

#ifdef GANSTUDIO_DIRECT_AVX2
// One output channel's four phases for one sample: y[phase · flat + position]. w: [in, phases, taps].
__attribute__((target("avx2,fma"))) void phases_avx2(const float* planes, int64_t in, const Geometry& g, const float* w,
                                                     float bias, float* y) {
  for (int p = 0; p < kPhases; ++p) {
    const int64_t* disp = g.disp[p];
    for (int64_t q = 0; q < g.flat; q += kBlock) {
      __m256 acc[8];
      for (auto& a : acc) a = _mm256_set1_ps(bias);
      for (int64_t c = 0; c < in; ++c) {
        const float* base = planes + c * g.plane + q;
        const float* wc = w + (c * kPhases + p) * kTaps;
#pragma GCC unroll 4
        for (int t = 0; t < kTaps; ++t) {
          const __m256 wt = _mm256_broadcast_ss(wc + t);
          const float* s = base + disp[t];
#pragma GCC unroll 8
          for (int v = 0; v < 8; ++v) acc[v] = _mm256_fmadd_ps(wt, _mm256_loadu_ps(s + 8 * v), acc[v]);
        }
      }
      for (int v = 0; v < 8; ++v) _mm256_storeu_ps(y + p * g.flat + q + 8 * v, acc[v]);
    }
  }
}

#endif

void phases(const float* planes, int64_t in, const Geometry& g, const float* w, float bias, float* y) {
#ifdef GANSTUDIO_DIRECT_AVX2
  phases_avx2(planes, in, g, w, bias, y);
#else
  (void)planes, (void)in, (void)g, (void)w, (void)bias, (void)y;
  throw std::logic_error("transposed_direct: no AVX2 kernel in this build");
#endif
}

// out[(m·2 + a), (q·2 + b)] = y[phase (a, b)][m·cols + q].
void interleave(const float* y, const Geometry& g, float* out) {
  const int64_t out_cols = 2 * g.out_cols;
  for (int a = 0; a < 2; ++a)
    for (int b = 0; b < 2; ++b) {
      const float* phase = y + (a * 2 + b) * g.flat;
      for (int64_t m = 0; m < g.out_rows; ++m) {
        float* row = out + (2 * m + a) * out_cols + b;
        const float* src = phase + m * g.cols;
        for (int64_t q = 0; q < g.out_cols; ++q) row[2 * q] = src[q];
      }
    }
}

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

at::Tensor transposed_direct(torch::nn::ConvTranspose2dImpl& m, const at::Tensor& input) {
  const auto& p = *c10::get<torch::ExpandingArray<2>>(m.options.padding());
  const PhaseAxis r = phase_axis(m.weight.size(2), 2, p[0]), c = phase_axis(m.weight.size(3), 2, p[1]);
  const Geometry g = geometry(m, input, r, c);
  const at::Tensor x = input.contiguous();
  const at::Tensor w = phase_kernel(m.weight, r, c, KernelLayout::ByOutput);
  const at::Tensor bias = m.bias.defined() ? m.bias.contiguous() : at::Tensor();
  const int64_t n = x.size(0), in = x.size(1), h = x.size(2), wd = x.size(3), out = m.weight.size(1);
  at::Tensor y = at::empty({n, out, 2 * g.out_rows, 2 * g.out_cols}, x.options());
  const float* x_data = x.data_ptr<float>();
  const float* w_data = w.data_ptr<float>();
  float* y_data = y.data_ptr<float>();
  at::parallel_for(0, n, 1, [&](int64_t begin, int64_t end) {
    std::vector<float> planes(in * g.plane), phase_out(kPhases * g.flat);
    for (int64_t i = begin; i < end; ++i) {
      pad_sample(x_data + i * in * h * wd, in, h, wd, g, planes.data());
      for (int64_t o = 0; o < out; ++o) {
        const float b = bias.defined() ? bias.data_ptr<float>()[o] : 0.0f;
        phases(planes.data(), in, g, w_data + o * in * kPhases * kTaps, b, phase_out.data());
        interleave(phase_out.data(), g, y_data + (i * out + o) * y.size(2) * y.size(3));
      }
    }
  });
  return y;
}

} // namespace gs::models
