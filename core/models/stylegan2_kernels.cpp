#include "core/models/stylegan2_kernels.h"
#include "core/models/derived_weight.h"
#include "core/models/direct_kernel.h"
#include "core/models/fir_up2.h"
#include "core/models/row_product.h"
#include "core/models/tensor_checks.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <vector>

namespace gs::models {
namespace {

constexpr int64_t kMostTaps = 8;
constexpr int kRows = 4;             // output rows summed together, each input load feeding up to 4
constexpr int kVectors = 2;          // vectors of a row summed together: 8 independent sums
constexpr int64_t kWidestBlock = 32; // the most columns a block spans (two 16-float vectors)

struct FirShape {
  int64_t h = 0, w = 0, up = 1, pad0 = 0, k = 0;
  int64_t zh = 0, zw = 0, oh = 0, ow = 0; // the up-sampled, padded image and the output
  int64_t stride = 0;                     // a scratch row: zw, rounded so that a block's reads stay inside it
  const char* filled = nullptr;           // per row of the up-sampled image: whether an input row landed there
};

// The up-sampled, zero-padded image of one channel in z (zh · stride floats): its input values only, the zeros around
// and between them being written once, when z is made, and never overwritten.
void fill_plane(const float* x, const FirShape& s, float* z) {
  for (int64_t i = 0; i < s.h; ++i) {
    float* dst = z + (s.pad0 + i * s.up) * s.stride + s.pad0;
    const float* src = x + i * s.w;
    if (s.up == 1)
      std::copy(src, src + s.w, dst);
    else
      for (int64_t j = 0; j < s.w; ++j) dst[2 * j] = src[j];
  }
}

// kRows output rows from y0 of one channel into `rows` (row q at q · stride), in blocks of kVectors vectors of columns
// that sum every tap in registers: z row r reaches output row y0 + q through kernel row r − y0 − q.
template <typename V>
inline __attribute__((always_inline)) void fir_rows(const FirShape& s, const float* taps, const float* z, int64_t y0,
                                                    int64_t count, float* rows) {
  constexpr int64_t L = sizeof(V) / sizeof(float), B = L * kVectors;
  for (int64_t c0 = 0; c0 < s.ow; c0 += B) {
    V acc[kRows][kVectors] = {};
    for (int64_t r = y0; r < y0 + count + s.k - 1; ++r) {
      if (!s.filled[r]) continue;
      const float* src = z + r * s.stride + c0;
      for (int64_t j = 0; j < s.k; ++j) {
        V a[kVectors];
        for (int v = 0; v < kVectors; ++v) direct::load(a[v], src + j + v * L);
#pragma GCC unroll 4
        for (int q = 0; q < kRows; ++q) {
          const int64_t i = r - y0 - q;
          if (q >= count || i < 0 || i >= s.k) continue;
          const float t = taps[i * s.k + j];
          for (int v = 0; v < kVectors; ++v) acc[q][v] += t * a[v];
        }
      }
    }
    for (int q = 0; q < kRows; ++q)
      for (int v = 0; v < kVectors; ++v) direct::store(rows + q * s.stride + c0 + v * L, acc[q][v]);
  }
}

template <typename V>
inline __attribute__((always_inline)) void fir_plane(const FirShape& s, const float* taps, const float* z, float* rows,
                                                     float* out) {
  for (int64_t y0 = 0; y0 < s.oh; y0 += kRows) {
    const int64_t count = std::min<int64_t>(kRows, s.oh - y0);
    fir_rows<V>(s, taps, z, y0, count, rows);
    for (int64_t q = 0; q < count; ++q)
      std::copy(rows + q * s.stride, rows + q * s.stride + s.ow, out + (y0 + q) * s.ow);
  }
}

// One pass of a separable kernel over `rows` rows of `cols` floats: dst row r, column c = Σ_t taps[t] · src[r ·
// row_step + t · tap_step + c] over the k taps (tap_step 1: along a row; the row stride: down the columns), skipping
// the taps whose row of z is all zeros (`filled`, indexed r + t; null: none skipped).
struct SeparablePass {
  const float* taps = nullptr;
  int64_t k = 0;
  const float* src = nullptr;
  int64_t row_step = 0, tap_step = 0;
  const char* filled = nullptr;
  float* dst = nullptr;
  int64_t dst_step = 0;
  int64_t rows = 0, cols = 0;
};

// G rows × B vectors from row r, column c: G·B independent sums in flight. A row at a time, a 32 px plane's four
// vectors waited on the multiply-add latency (each tap depends on the one before), and an 8 px plane's single vector
// did nothing else. The last vector may run past cols, into the room z's and h's rows have (out's rows get whole
// vectors only).
template <typename V, int G, int B>
inline __attribute__((always_inline)) void separable_block(const SeparablePass& p, int64_t r, int64_t c) {
  constexpr int64_t L = sizeof(V) / sizeof(float);
  V acc[G][B] = {};
  for (int64_t t = 0; t < p.k; ++t)
    for (int g = 0; g < G; ++g) {
      if (p.filled && !p.filled[r + g + t]) continue;
      const float* src = p.src + (r + g) * p.row_step + t * p.tap_step + c;
      for (int b = 0; b < B; ++b) {
        V a;
        direct::load(a, src + b * L);
        acc[g][b] += p.taps[t] * a;
      }
    }
  for (int g = 0; g < G; ++g)
    for (int b = 0; b < B; ++b) direct::store(p.dst + (r + g) * p.dst_step + c + b * L, acc[g][b]);
}

template <typename V, int G, int B>
inline __attribute__((always_inline)) void separable_columns(const SeparablePass& p, int64_t r) {
  constexpr int64_t L = sizeof(V) / sizeof(float);
  int64_t c = 0;
  for (; c + B * L <= p.cols; c += B * L) separable_block<V, G, B>(p, r, c);
  for (; c < p.cols; c += L) separable_block<V, G, 1>(p, r, c);
}

template <typename V, int G, int B>
inline __attribute__((always_inline)) void separable_groups(const SeparablePass& p) {
  int64_t r = 0;
  for (; r + G <= p.rows; r += G) separable_columns<V, G, B>(p, r);
  for (; r < p.rows; ++r) separable_columns<V, 1, B>(p, r);
}

// The pass in groups of G rows with B vectors per block, about 8 sums in flight: G·B = 8 for rows of 4 vectors and
// more (2 × 4), of 2 (4 × 2), of 1 (8 × 1); 6 for rows of 3 (2 × 3). (Templates, not a generic lambda: a lambda
// would not take its caller's instruction set.)
template <typename V> inline __attribute__((always_inline)) void separable_pass(const SeparablePass& p) {
  constexpr int64_t L = sizeof(V) / sizeof(float);
  const int64_t vectors = (p.cols + L - 1) / L;
  if (vectors >= 4)
    separable_groups<V, 2, 4>(p);
  else if (vectors == 3)
    separable_groups<V, 2, 3>(p);
  else if (vectors == 2)
    separable_groups<V, 4, 2>(p);
  else
    separable_groups<V, 8, 1>(p);
}

// A separable kernel (taps[i][j] = col[i] · row[j], as every upstream blur is) in two passes of k taps: each filled
// row of z along its columns into h, then h's rows into each output row, where fir_plane sums k² taps. Output rows of
// whole vectors go straight to out; others through `lines` (oh rows after h's), then out.
template <typename V>
inline __attribute__((always_inline)) void fir_plane_separable(const FirShape& s, const float* row, const float* col,
                                                               const float* z, float* h, float* out) {
  constexpr int64_t L = sizeof(V) / sizeof(float);
  const int64_t first = s.pad0 * s.stride, step = s.up * s.stride; // the filled rows
  separable_pass<V>({row, s.k, z + first, step, 1, nullptr, h + first, step, s.h, s.ow});
  const bool whole = s.ow % L == 0;
  float* lines = h + s.zh * s.stride;
  separable_pass<V>(
      {col, s.k, h, s.stride, s.stride, s.filled, whole ? out : lines, whole ? s.ow : s.stride, s.oh, s.ow});
  if (!whole)
    for (int64_t y = 0; y < s.oh; ++y) std::copy(lines + y * s.stride, lines + y * s.stride + s.ow, out + y * s.ow);
}

// taps: the flipped kernel (k²), then, for a separable one, its row and column factors (2k).
using FirKernel = void (*)(const FirShape&, const float*, bool, const float*, float*, float*);

template <typename V>
inline __attribute__((always_inline)) void fir_any(const FirShape& s, const float* taps, bool separable, const float* z,
                                                   float* rows, float* out) {
  if (separable)
    fir_plane_separable<V>(s, taps + s.k * s.k, taps + s.k * s.k + s.k, z, rows, out);
  else
    fir_plane<V>(s, taps, z, rows, out);
}

void fir_plane_generic(const FirShape& s, const float* taps, bool separable, const float* z, float* rows, float* out) {
  fir_any<direct::V8>(s, taps, separable, z, rows, out);
}

#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target("avx512f"))) void fir_plane_avx512(const FirShape& s, const float* taps, bool separable,
                                                         const float* z, float* rows, float* out) {
  fir_any<direct::V16>(s, taps, separable, z, rows, out);
}
__attribute__((target("avx2,fma"))) void fir_plane_avx2(const FirShape& s, const float* taps, bool separable,
                                                        const float* z, float* rows, float* out) {
  fir_any<direct::V8>(s, taps, separable, z, rows, out);
}
#endif

FirKernel fir_kernel() {
#if defined(__x86_64__) && defined(__GNUC__)
  if (cpu_has_avx512f()) return fir_plane_avx512;
  if (cpu_has_avx2_fma()) return fir_plane_avx2;
#endif
  return fir_plane_generic;
}

at::Tensor fir_taps(const at::Tensor& kernel) {
  const at::Tensor flipped = kernel.flip({0, 1}).contiguous();
  const int64_t k = kernel.size(0);
  const float* t = flipped.data_ptr<float>();
  const float scale = flipped.abs().max().item<float>();
  bool separable = t[0] != 0.0f;
  for (int64_t i = 0; i < k && separable; ++i)
    for (int64_t j = 0; j < k && separable; ++j)
      separable = std::abs(t[i * k + j] * t[0] - t[i * k] * t[j]) <= 1e-6f * scale * scale;
  if (!separable) return flipped;
  std::vector<float> factors(t, t + k); // row: the first row
  for (int64_t i = 0; i < k; ++i) factors.push_back(t[i * k] / t[0]);
  return at::cat({flipped.flatten(), torch::tensor(factors)});
}

// O outputs × 16 positions from p0 of pointwise_sample in registers, summed over every input: each input vector is
// loaded once for all O outputs. (An output at a time over whole rows read every input row again per output, from
// the second-level cache.)
template <int O>
inline __attribute__((always_inline)) void pointwise_block(const float* x, const float* w, const float* bias,
                                                           const float* base, int64_t in, int64_t positions, int64_t p0,
                                                           float* y) {
  using direct::V8;
  V8 acc[O][2];
  for (int o = 0; o < O; ++o)
    for (int v = 0; v < 2; ++v) {
      acc[o][v] = V8{} + (bias ? bias[o] : 0.0f);
      if (base) {
        V8 b;
        direct::load(b, base + o * positions + p0 + 8 * v);
        acc[o][v] += b;
      }
    }
  for (int64_t i = 0; i < in; ++i) {
    V8 a[2];
    for (int v = 0; v < 2; ++v) direct::load(a[v], x + i * positions + p0 + 8 * v);
    for (int o = 0; o < O; ++o)
      for (int v = 0; v < 2; ++v) acc[o][v] += w[o * in + i] * a[v];
  }
  for (int o = 0; o < O; ++o)
    for (int v = 0; v < 2; ++v) direct::store(y + o * positions + p0 + 8 * v, acc[o][v]);
}

// out rows (`out` channels of `positions` floats) = base rows (or zeros) + bias[o] (or 0) + Σ_i w[o, i] · x row i,
// for one sample: blocks of up to 4 outputs × 16 positions, then the last positions one at a time.
GANSTUDIO_VECTOR_CLONES void pointwise_sample(const float* x, const float* w, const float* bias, const float* base,
                                              int64_t in, int64_t out, int64_t positions, float* y) {
  constexpr int kMost = 4;
  const int64_t whole = positions / 16 * 16;
  for (int64_t o0 = 0; o0 < out; o0 += kMost) {
    const float* wo = w + o0 * in;
    const float* bo = bias ? bias + o0 : nullptr;
    const float* so = base ? base + o0 * positions : nullptr;
    float* yo = y + o0 * positions;
    for (int64_t p0 = 0; p0 < whole; p0 += 16) switch (std::min<int64_t>(kMost, out - o0)) {
      case 1:
        pointwise_block<1>(x, wo, bo, so, in, positions, p0, yo);
        break;
      case 2:
        pointwise_block<2>(x, wo, bo, so, in, positions, p0, yo);
        break;
      case 3:
        pointwise_block<3>(x, wo, bo, so, in, positions, p0, yo);
        break;
      default:
        pointwise_block<kMost>(x, wo, bo, so, in, positions, p0, yo);
      }
  }
  for (int64_t o = 0; o < out; ++o)
    for (int64_t p = whole; p < positions; ++p) {
      float acc = (base ? base[o * positions + p] : 0.0f) + (bias ? bias[o] : 0.0f);
      for (int64_t i = 0; i < in; ++i) acc += w[o * in + i] * x[i * positions + p];
      y[o * positions + p] = acc;
    }
}

// leaky_gain on a float, returned.
inline __attribute__((always_inline)) float leaky_gained(float v) {
  leaky_gain(v);
  return v;
}

// One (sample, channel) plane in place: y = leaky_gain(y · scale + weight · noise + shift).
GANSTUDIO_VECTOR_CLONES void activate_plane(float* __restrict y, const float* __restrict noise, int64_t positions,
                                            float scale, float weight, float shift) {
  for (int64_t p = 0; p < positions; ++p) y[p] = leaky_gained(y[p] * scale + weight * noise[p] + shift);
}

// The same moving the plane out of `rows` rows of `width` floats, `stride` apart in src, into dst, whole.
GANSTUDIO_VECTOR_CLONES void activate_rows(const float* __restrict src, int64_t stride, float* __restrict dst,
                                           int64_t rows, int64_t width, const float* __restrict noise, float scale,
                                           float weight, float shift) {
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t p = 0; p < width; ++p)
      dst[r * width + p] = leaky_gained(src[r * stride + p] * scale + weight * noise[r * width + p] + shift);
}

// leaky_gain on every value of y.
GANSTUDIO_VECTOR_CLONES void leaky_gain_all(float* y, int64_t count) {
  for (int64_t i = 0; i < count; ++i) leaky_gain(y[i]);
}

} // namespace

bool fir_direct_applies(at::IntArrayRef sizes, const at::Tensor& kernel, int64_t up, int64_t pad0, int64_t pad1) {
  if (sizes.size() != 4 || !cpu_float(kernel) || kernel.dim() != 2 || wants_grad(kernel)) return false;
  const int64_t k = kernel.size(0);
  if (kernel.size(1) != k || k < 1 || k > kMostTaps || (up != 1 && up != 2) || pad0 < 0 || pad1 < 0) return false;
  return sizes[2] * up + pad0 + pad1 >= k && sizes[3] * up + pad0 + pad1 >= k;
}

at::Tensor fir_taps_of(const at::Tensor& kernel) {
  return derived_weight(kernel, {1}, [&] { return fir_taps(kernel); });
}

bool fir_direct_applies(const at::Tensor& x, const at::Tensor& kernel, int64_t up, int64_t pad0, int64_t pad1) {
  return cpu_float(x) && x.dim() == 4 && !wants_grad(x) && fir_direct_applies(x.sizes(), kernel, up, pad0, pad1);
}

namespace {

// fir_direct of an input of `sizes`, whose plane `item` fill(item, s, z) writes into z.
template <typename Fill>
at::Tensor fir_planes(at::IntArrayRef sizes, const at::TensorOptions& options, const at::Tensor& kernel, int64_t up,
                      int64_t pad0, int64_t pad1, const direct::PlaneFinish& finish, const Fill& fill) {
  FirShape s;
  s.h = sizes[2], s.w = sizes[3], s.up = up, s.pad0 = pad0, s.k = kernel.size(0);
  s.zh = s.h * up + pad0 + pad1, s.zw = s.w * up + pad0 + pad1;
  s.oh = s.zh - s.k + 1, s.ow = s.zw - s.k + 1;
  const int64_t blocks = (s.ow + kWidestBlock - 1) / kWidestBlock * kWidestBlock;
  s.stride = std::max(s.zw, blocks + s.k);
  std::vector<char> filled(s.zh, 0);
  for (int64_t i = 0; i < s.h; ++i) filled[pad0 + i * up] = 1;
  s.filled = filled.data();
  const at::Tensor taps = fir_taps_of(kernel);
  const bool separable = taps.numel() > s.k * s.k;
  at::Tensor out = at::empty({sizes[0], sizes[1], s.oh, s.ow}, options);
  const float* t = taps.data_ptr<float>();
  float* dst = out.data_ptr<float>();
  at::parallel_for(0, sizes[0] * sizes[1], 1, [&](int64_t begin, int64_t end) {
    // z's zeros, written here, stay: a fill writes the input values only. rows: h and lines for a separable kernel.
    std::vector<float> z(s.zh * s.stride), rows((separable ? s.zh + s.oh : kRows) * s.stride);
    const FirKernel kernel = fir_kernel();
    for (int64_t plane = begin; plane < end; ++plane) {
      float* written = dst + plane * s.oh * s.ow;
      fill(plane, s, z.data());
      kernel(s, t, separable, z.data(), rows.data(), written);
      direct::finish_in_place(finish, plane, written, s.oh * s.ow);
    }
  });
  return out;
}

// fir_direct with up = 2 by fir_up2_plane, where it applies (a separable kernel, fir_up2_geometry's sizes); undefined
// elsewhere.
at::Tensor fir_up2(const at::Tensor& x, const at::Tensor& kernel, int64_t pad0, int64_t pad1,
                   const direct::PlaneFinish& finish) {
  const int64_t k = kernel.size(0);
  Up2Blur b = fir_up2_geometry(x.size(2), x.size(3), k, pad0, pad1);
  if (!b.k) return {};
  const at::Tensor taps = fir_taps_of(kernel);
  if (taps.numel() == k * k) return {}; // not separable
  b.row = taps.data_ptr<float>() + k * k, b.col = b.row + k;
  at::Tensor out = at::empty({x.size(0), x.size(1), b.oh, b.ow}, x.options());
  const float* src = x.data_ptr<float>();
  float* dst = out.data_ptr<float>();
  at::parallel_for(0, x.size(0) * x.size(1), 1, [&](int64_t begin, int64_t end) {
    std::vector<float> scratch(fir_up2_scratch(b), 0.0f);
    fir_up2_stage(b, src + begin * b.h * b.w, scratch.data(), 0);
    for (int64_t item = begin; item < end; ++item) {
      const int slot = (item - begin) % 2;
      if (item + 1 < end) fir_up2_stage(b, src + (item + 1) * b.h * b.w, scratch.data(), 1 - slot);
      float* written = dst + item * b.oh * b.ow;
      fir_up2_plane(b, scratch.data(), slot, written);
      direct::finish_in_place(finish, item, written, b.oh * b.ow);
    }
  });
  return out;
}

} // namespace

at::Tensor fir_direct(const at::Tensor& input, const at::Tensor& kernel, int64_t up, int64_t pad0, int64_t pad1,
                      const direct::PlaneFinish& finish) {
  const at::Tensor x = input.contiguous();
  if (up == 2)
    if (at::Tensor out = fir_up2(x, kernel, pad0, pad1, finish); out.defined()) return out;
  const float* src = x.data_ptr<float>();
  const int64_t plane = x.size(2) * x.size(3);
  return fir_planes(x.sizes(), x.options(), kernel, up, pad0, pad1, finish,
                    [&](int64_t item, const FirShape& s, float* z) { fill_plane(src + item * plane, s, z); });
}

at::Tensor fir_direct(const PlaneSource& source, at::IntArrayRef sizes, const at::TensorOptions& options,
                      const at::Tensor& kernel, int64_t pad0, int64_t pad1, const direct::PlaneFinish& finish) {
  return fir_planes(sizes, options, kernel, 1, pad0, pad1, finish, [&](int64_t item, const FirShape& s, float* z) {
    source(item, z + s.pad0 * s.stride + s.pad0, s.stride);
  });
}

bool modulated_pointwise_applies(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& style,
                                 const at::Tensor& bias, const at::Tensor& base) {
  if (!cpu_float(x) || !cpu_float(weight) || !cpu_float(style) || x.dim() != 4 || weight.dim() != 2 || style.dim() != 2)
    return false;
  if (wants_grad(x) || wants_grad(weight) || wants_grad(style)) return false;
  if (bias.defined() && (!cpu_float(bias) || wants_grad(bias) || bias.numel() != weight.size(0))) return false;
  if (base.defined() && (!cpu_float(base) || wants_grad(base) ||
                         base.sizes() != at::IntArrayRef{x.size(0), weight.size(0), x.size(2), x.size(3)}))
    return false;
  return style.size(0) == x.size(0) && style.size(1) == x.size(1) && weight.size(1) == x.size(1);
}

at::Tensor modulated_pointwise(const at::Tensor& input, const at::Tensor& weight, const at::Tensor& style,
                               const at::Tensor& bias, const at::Tensor& base) {
  const at::Tensor x = input.contiguous(), w = weight.contiguous(), s = style.contiguous();
  const int64_t b = x.size(0), in = x.size(1), out = w.size(0), positions = x.size(2) * x.size(3);
  const at::Tensor shift = bias.defined() ? bias.contiguous() : at::Tensor();
  const at::Tensor start = base.defined() ? base.contiguous() : at::Tensor();
  at::Tensor y = at::empty({b, out, x.size(2), x.size(3)}, x.options());
  const float* src = x.data_ptr<float>();
  const float* ws = w.data_ptr<float>();
  const float* styles = s.data_ptr<float>();
  const float* shifts = shift.defined() ? shift.data_ptr<float>() : nullptr;
  const float* starts = start.defined() ? start.data_ptr<float>() : nullptr;
  float* dst = y.data_ptr<float>();
  at::parallel_for(0, b, 1, [&](int64_t begin, int64_t end) {
    std::vector<float> modulated(out * in); // this sample's weight[o, i] · style[i]
    for (int64_t i = begin; i < end; ++i) {
      for (int64_t o = 0; o < out; ++o)
        for (int64_t c = 0; c < in; ++c) modulated[o * in + c] = ws[o * in + c] * styles[i * in + c];
      pointwise_sample(src + i * in * positions, modulated.data(), shifts,
                       starts ? starts + i * out * positions : nullptr, in, out, positions, dst + i * out * positions);
    }
  });
  return y;
}

bool linear_direct_applies(const at::Tensor& x, const at::Tensor& transposed, const at::Tensor& bias) {
  if (!cpu_float(x) || !cpu_float(transposed) || !cpu_float(bias) || x.dim() != 2 || transposed.dim() != 2 ||
      bias.dim() != 1)
    return false;
  if (wants_grad(x) || wants_grad(transposed) || wants_grad(bias)) return false;
  return transposed.size(0) == x.size(1) && bias.size(0) == transposed.size(1);
}

at::Tensor linear_direct(const at::Tensor& input, const at::Tensor& transposed, const at::Tensor& bias, bool activate) {
  const at::Tensor x = input.contiguous(), w = transposed.contiguous(), b = bias.contiguous();
  const int64_t rows = x.size(0), in = x.size(1), out = w.size(1);
  at::Tensor y = at::empty({rows, out}, x.options());
  const float* xs = x.data_ptr<float>();
  const float* ws = w.data_ptr<float>();
  const float* bs = b.data_ptr<float>();
  float* ys = y.data_ptr<float>();
  row_product(xs, ws, bs, rows, in, out, ys);
  if (activate) leaky_gain_all(ys, rows * out);
  return y;
}

bool pixel_norm_direct_applies(const at::Tensor& x) {
  return cpu_float(x) && x.dim() == 2 && x.size(1) > 0 && !wants_grad(x);
}

at::Tensor pixel_norm_direct(const at::Tensor& input) {
  const at::Tensor x = input.contiguous();
  const int64_t rows = x.size(0), n = x.size(1);
  at::Tensor y = at::empty_like(x);
  const float* src = x.data_ptr<float>();
  float* dst = y.data_ptr<float>();
  for (int64_t r = 0; r < rows; ++r) {
    const float* row = src + r * n;
    double squares = 0.0;
    for (int64_t i = 0; i < n; ++i) squares += double{row[i]} * row[i];
    const float gain = 1.0f / std::sqrt(static_cast<float>(squares / static_cast<double>(n)) + 1e-8f);
    for (int64_t i = 0; i < n; ++i) dst[r * n + i] = row[i] * gain;
  }
  return y;
}

bool demodulation_applies(const at::Tensor& style, const at::Tensor& sums) {
  if (!cpu_float(style) || !cpu_float(sums) || style.dim() != 2 || sums.dim() != 2) return false;
  return !wants_grad(style) && !wants_grad(sums) && style.size(1) == sums.size(1);
}

at::Tensor demodulation(const at::Tensor& style, const at::Tensor& sums) {
  const at::Tensor s = style.contiguous(), q = sums.contiguous();
  const int64_t b = s.size(0), in = s.size(1), out = q.size(0);
  at::Tensor d = at::empty({b, out}, s.options());
  const float* sp = s.data_ptr<float>();
  const float* qp = q.data_ptr<float>();
  float* dp = d.data_ptr<float>();
  std::vector<float> squares(in);
  // Eight partial sums, which the compiler keeps in one vector: a single sum is a chain of dependent additions that
  // strict floating-point order keeps scalar (a teacher's 64 inputs took 64 additions' latency per output).
  constexpr int64_t kParts = 8;
  for (int64_t i = 0; i < b; ++i) {
    for (int64_t c = 0; c < in; ++c) squares[c] = sp[i * in + c] * sp[i * in + c];
    for (int64_t o = 0; o < out; ++o) {
      const float* row = qp + o * in;
      float parts[kParts] = {};
      int64_t c = 0;
      for (; c + kParts <= in; c += kParts)
        for (int64_t k = 0; k < kParts; ++k) parts[k] += squares[c + k] * row[c + k];
      float acc = 0.0f;
      for (; c < in; ++c) acc += squares[c] * row[c];
      for (float part : parts) acc += part;
      dp[i * out + o] = 1.0f / std::sqrt(acc + 1e-8f);
    }
  }
  return d;
}

bool styled_activation_applies(at::IntArrayRef sizes, const at::Tensor& demod, const at::Tensor& noise,
                               const at::Tensor& noise_weight, const at::Tensor& bias) {
  if (sizes.size() != 4 || !cpu_float(noise) || !cpu_float(noise_weight) || !cpu_float(bias) || noise.dim() != 4 ||
      noise_weight.numel() != 1 || bias.dim() != 1)
    return false;
  if (demod.defined() && (!cpu_float(demod) || demod.dim() != 2 || demod.size(0) != sizes[0] ||
                          demod.size(1) != sizes[1] || wants_grad(demod)))
    return false;
  if (wants_grad(noise) || wants_grad(noise_weight) || wants_grad(bias)) return false;
  return (noise.size(0) == 1 || noise.size(0) == sizes[0]) && noise.size(1) == 1 && noise.size(2) == sizes[2] &&
         noise.size(3) == sizes[3] && bias.size(0) == sizes[1];
}

bool styled_activation_applies(const at::Tensor& x, const at::Tensor& demod, const at::Tensor& noise,
                               const at::Tensor& noise_weight, const at::Tensor& bias) {
  return cpu_float(x) && x.dim() == 4 && x.is_contiguous() && !wants_grad(x) &&
         styled_activation_applies(x.sizes(), demod, noise, noise_weight, bias);
}

StyledActivation::StyledActivation(at::IntArrayRef sizes, const at::Tensor& demod, const at::Tensor& noise,
                                   const at::Tensor& noise_weight, const at::Tensor& bias)
    : demod_(demod.defined() ? demod.contiguous() : at::Tensor()), noise_(noise.contiguous()), bias_(bias.contiguous()),
      channels_(sizes[1]), positions_(sizes[2] * sizes[3]), shared_noise_(noise.size(0) == 1),
      weight_(*noise_weight.data_ptr<float>()) { // one value (item(): two ops)
  scales_ = demod_.defined() ? demod_.data_ptr<float>() : nullptr;
  noises_ = noise_.data_ptr<float>(), shifts_ = bias_.data_ptr<float>();
}

PlaneActivation StyledActivation::plane(int64_t item) const {
  const int64_t sample = item / channels_, channel = item % channels_;
  PlaneActivation a;
  a.noise = noises_ + (shared_noise_ ? 0 : sample) * positions_;
  a.scale = scales_ ? scales_[item] : 1.0f;
  a.weight = weight_;
  a.shift = shifts_[channel];
  return a;
}

direct::PlaneFinish StyledActivation::finish() const {
  // The activation travels with the function (which may outlive it) and holds the tensors its pointers read.
  return [activation = *this](int64_t item, const float* src, int64_t stride, float* dst, int64_t rows, int64_t width) {
    if (rows * width != activation.positions())
      throw std::logic_error("styled_activation: a plane of another size than the noise's");
    const PlaneActivation a = activation.plane(item);
    if (src == dst)
      activate_plane(dst, a.noise, rows * width, a.scale, a.weight, a.shift);
    else
      activate_rows(src, stride, dst, rows, width, a.noise, a.scale, a.weight, a.shift);
  };
}

direct::PlaneFinish styled_activation_finish(at::IntArrayRef sizes, const at::Tensor& demod, const at::Tensor& noise,
                                             const at::Tensor& noise_weight, const at::Tensor& bias) {
  return StyledActivation(sizes, demod, noise, noise_weight, bias).finish();
}

at::Tensor styled_activation(at::Tensor x, const at::Tensor& demod, const at::Tensor& noise,
                             const at::Tensor& noise_weight, const at::Tensor& bias) {
  const direct::PlaneFinish finish = styled_activation_finish(x.sizes(), demod, noise, noise_weight, bias);
  const int64_t positions = x.size(2) * x.size(3);
  float* y = x.data_ptr<float>();
  at::parallel_for(0, x.size(0) * x.size(1), 1, [&](int64_t begin, int64_t end) {
    for (int64_t item = begin; item < end; ++item)
      direct::finish_in_place(finish, item, y + item * positions, positions);
  });
  return x;
}

} // namespace gs::models
