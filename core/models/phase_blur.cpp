#include "core/models/phase_blur.h"
#include "core/models/stylegan2_kernels.h"

#include <ATen/Parallel.h>
#include <torch/torch.h>

#include <stdexcept>
#include <vector>

namespace gs::models {
namespace {

using direct::V4;
using direct::V8;

// The blur's geometry and its separable taps.
struct Blur {
  int64_t k = 0;
  int64_t rows = 0, cols = 0; // each phase's
  int64_t oh = 0, half = 0;   // output rows; output columns of each parity (half of them)
  int64_t lines = 0;          // rows of the scratch plane h: the up-sampled rows with pad0 zero rows before, pad1 after
  const float *row = nullptr, *col = nullptr;
};

Blur blur_of(at::IntArrayRef sizes, int64_t k, const float* taps, int64_t pad0, int64_t pad1) {
  Blur s;
  s.k = k, s.rows = sizes[2] / 2, s.cols = sizes[3] / 2;
  s.lines = sizes[2] + pad0 + pad1;
  s.oh = s.lines - k + 1, s.half = (sizes[3] + pad0 + pad1 - k + 1) / 2;
  s.row = taps + k * k, s.col = taps + k * k + k;
  return s;
}

// Where the taps of a blur of K taps with P0 columns of padding before read the up-sampled row: output column 2p + e
// (e: its parity) sums, over taps j, row[j] times up-sampled column 2p + e + j − P0, which is column p + shift(e, j)
// of phase column phase(e, j). Known when compiled, every read is one register and a constant offset.
template <int K, int P0> struct Taps {
  static constexpr int column(int e, int j) { return e + j - P0; }
  static constexpr int phase(int e, int j) { return (column(e, j) % 2 + 2) % 2; }
  static constexpr int shift(int e, int j) { return (column(e, j) - phase(e, j)) / 2; }
  static constexpr int lowest = shift(0, 0), highest = shift(1, K - 1);
};

template <typename V> struct Bits;
template <> struct Bits<V8> { typedef int32_t type __attribute__((vector_size(32))); };
template <> struct Bits<V4> { typedef int32_t type __attribute__((vector_size(16))); };

// Which reads of a block may fall outside the phase rows' columns [0, cols): none, only those before column 0 of the
// first block (p0 = 0: lanes known when compiled), or any.
enum class Edge { None, First, Any };

// Zeroes the lanes of x, read at phase columns at .. at + L − 1, outside [0, cols), bitwise (whatever they read). (x
// is an out-parameter, as in direct::load: a vector return value draws GCC's ABI warning, -Wpsabi.)
template <typename V> inline __attribute__((always_inline)) void keep_inside(V& x, int64_t at, int64_t cols) {
  constexpr int L = sizeof(V) / sizeof(float);
  using I = typename Bits<V>::type;
  I lane{};
  for (int l = 0; l < L; ++l) lane[l] = l + static_cast<int32_t>(at);
  const I keep = (lane >= 0) & (lane < static_cast<int32_t>(cols));
  x = reinterpret_cast<V>(reinterpret_cast<I>(x) & keep);
}

// Columns p0 .. p0 + L − 1 of both parities of up-sampled rows 2m and 2m + 1 (src: phase rows m), 4 sums in flight,
// into dst[a] (row 2m + a of h): parity e at e · half.
template <typename V, int K, int P0, Edge E>
inline __attribute__((always_inline)) void row_block(const Blur& s, const float* const* src, int64_t p0,
                                                     float* const* dst) {
  constexpr int L = sizeof(V) / sizeof(float);
  using T = Taps<K, P0>;
  V acc[2][2] = {};
#pragma GCC unroll 8
  for (int j = 0; j < K; ++j)
#pragma GCC unroll 2
    for (int e = 0; e < 2; ++e) {
      const int64_t at = (E == Edge::First ? 0 : p0) + T::shift(e, j);
      for (int a = 0; a < 2; ++a) {
        V x;
        direct::load(x, src[a * 2 + T::phase(e, j)] + at);
        if ((E == Edge::First && T::shift(e, j) < 0) || (E == Edge::Any && (at < 0 || at + L > s.cols)))
          keep_inside(x, at, s.cols);
        acc[a][e] += s.row[j] * x;
      }
    }
  for (int a = 0; a < 2; ++a)
    for (int e = 0; e < 2; ++e) direct::store(dst[a] + e * s.half + p0, acc[a][e]);
}

// Every up-sampled row along its columns into h, after its pad0 zero rows: row r's output columns of parity e at
// h[(pad0 + r) · 2 · half + e · half].
template <typename V, int K, int P0>
inline __attribute__((always_inline)) void along_rows(const Blur& s, const PhasePlanes& p, float* h) {
  constexpr int L = sizeof(V) / sizeof(float);
  using T = Taps<K, P0>;
  for (int64_t m = 0; m < s.rows; ++m) {
    const float* src[4];
    for (int i = 0; i < 4; ++i) src[i] = p.data[i] + m * p.stride;
    float* dst[2] = {h + (P0 + 2 * m) * 2 * s.half, h + (P0 + 2 * m + 1) * 2 * s.half};
    for (int64_t p0 = 0; p0 < s.half; p0 += L)
      if (p0 + L + T::highest > s.cols)
        row_block<V, K, P0, Edge::Any>(s, src, p0, dst);
      else if (p0 == 0 && T::lowest < 0)
        row_block<V, K, P0, Edge::First>(s, src, p0, dst);
      else
        row_block<V, K, P0, Edge::None>(s, src, p0, dst);
  }
}

// How output vectors are stored: as they are, or through the plane's activation (a copy the compiler keeps in
// registers: read through a pointer, its values were loaded again after every store, which may alias them).
struct Plain {};
inline __attribute__((always_inline)) void store_output(float* out, int64_t at, V8 v, Plain) {
  direct::store(out + at, v);
}
inline __attribute__((always_inline)) void store_output(float* out, int64_t at, V8 v, PlaneActivation act) {
  activate_scaled(v, act, act.noise + at);
  direct::store(out + at, v);
}

// Output columns 2p and 2p + 1 from their parities' vectors, at `at` of the plane.
template <typename A>
inline __attribute__((always_inline)) void store_interleaved(float* out, int64_t at, V8 even, V8 odd, A act) {
  V8 lo, hi;
  direct::interleave(even, odd, lo, hi);
  store_output(out, at, lo, act);
  store_output(out, at + 8, hi, act);
}
template <typename A>
inline __attribute__((always_inline)) void store_interleaved(float* out, int64_t at, V4 even, V4 odd, A act) {
  V8 both;
  direct::interleave(even, odd, both);
  store_output(out, at, both, act);
}

// G output rows from y, columns 2p0 .. 2p0 + 2L − 1, down h's columns: 2G sums in flight.
template <typename V, int K, int G, typename A>
inline __attribute__((always_inline)) void down_block(const Blur& s, const float* h, int64_t y, int64_t p0, float* out,
                                                      A act) {
  const int64_t width = 2 * s.half;
  V acc[G][2] = {};
#pragma GCC unroll 8
  for (int i = 0; i < K; ++i)
    for (int g = 0; g < G; ++g)
      for (int e = 0; e < 2; ++e) {
        V x;
        direct::load(x, h + (y + g + i) * width + e * s.half + p0);
        acc[g][e] += s.col[i] * x;
      }
  for (int g = 0; g < G; ++g) store_interleaved(out, (y + g) * width + 2 * p0, acc[g][0], acc[g][1], act);
}

template <typename V, int K, typename A>
inline __attribute__((always_inline)) void down_rows(const Blur& s, const float* h, float* out, A act) {
  constexpr int L = sizeof(V) / sizeof(float), G = 4;
  int64_t y = 0;
  for (; y + G <= s.oh; y += G)
    for (int64_t p0 = 0; p0 < s.half; p0 += L) down_block<V, K, G>(s, h, y, p0, out, act);
  for (; y < s.oh; ++y)
    for (int64_t p0 = 0; p0 < s.half; p0 += L) down_block<V, K, 1>(s, h, y, p0, out, act);
}
template <typename V, int K>
inline __attribute__((always_inline)) void down_columns(const Blur& s, const float* h, float* out,
                                                        const PlaneActivation* act) {
  if (act)
    down_rows<V, K>(s, h, out, *act);
  else
    down_rows<V, K>(s, h, out, Plain{});
}

template <typename V, int K, int P0>
inline __attribute__((always_inline)) void blur_taps(const Blur& s, const PhasePlanes& p, float* h, float* out,
                                                     const PlaneActivation* act) {
  along_rows<V, K, P0>(s, p, h);
  down_columns<V, K>(s, h, out, act);
}

// One plane, on 8-float vectors where each parity's columns fill them, 4-float ones otherwise, for the blurs
// phase_blur_applies to: 4 taps (upstream's [1, 3, 3, 1]) or 3, one column of padding before; the activation (or
// null) on every output vector as it is stored.
template <typename V>
inline __attribute__((always_inline)) void blur_on(const Blur& s, const PhasePlanes& p, float* h, float* out,
                                                   const PlaneActivation* act) {
  if (s.k == 4)
    blur_taps<V, 4, 1>(s, p, h, out, act);
  else
    blur_taps<V, 3, 1>(s, p, h, out, act);
}
inline __attribute__((always_inline)) void blur_any(const Blur& s, const PhasePlanes& p, float* h, float* out,
                                                    const PlaneActivation* act) {
  // The blur is linear: the activation's scale goes into its row taps (at most 4).
  float row[4];
  Blur scaled = s;
  if (act) {
    for (int64_t j = 0; j < s.k; ++j) row[j] = s.row[j] * act->scale;
    scaled.row = row;
  }
  if (s.half % 8 == 0)
    blur_on<V8>(scaled, p, h, out, act);
  else
    blur_on<V4>(scaled, p, h, out, act);
}

using BlurKernel = void (*)(const Blur&, const PhasePlanes&, float*, float*, const PlaneActivation*);
void blur_generic(const Blur& s, const PhasePlanes& p, float* h, float* out, const PlaneActivation* act) {
  blur_any(s, p, h, out, act);
}
#if defined(__x86_64__) && defined(__GNUC__)
// The 8- and 4-float vectors' multiply-adds need FMA, which GCC's avx512f target does not imply: AVX-512 CPUs (all of
// which have AVX2 and FMA) take this one too.
__attribute__((target("avx2,fma"))) void blur_avx2(const Blur& s, const PhasePlanes& p, float* h, float* out,
                                                   const PlaneActivation* act) {
  blur_any(s, p, h, out, act);
}
#endif

BlurKernel blur_kernel() {
#if defined(__x86_64__) && defined(__GNUC__)
  if (cpu_has_avx2_fma()) return blur_avx2;
#endif
  return blur_generic;
}

// The blur's taps (fir_taps_of) where phase_blur applies, undefined where it does not: one cached lookup for the check
// and the sums.
at::Tensor taps_where_applies(at::IntArrayRef sizes, const at::Tensor& kernel, int64_t pad0, int64_t pad1) {
  if (!fir_direct_applies(sizes, kernel, 1, pad0, pad1) || sizes[2] % 2 != 0 || sizes[3] % 2 != 0) return {};
  const int64_t k = kernel.size(0), ow = sizes[3] + pad0 + pad1 - k + 1;
  // A pad1 below k keeps every read within k floats of a phase row's columns (kPhaseGuard: 32).
  if ((k != 3 && k != 4) || pad0 != 1 || pad1 >= k || ow % 2 != 0 || ow / 2 % 4 != 0) return {};
  at::Tensor taps = fir_taps_of(kernel);
  return taps.numel() > k * k ? taps : at::Tensor(); // separable
}

} // namespace

bool phase_blur_applies(at::IntArrayRef sizes, const at::Tensor& kernel, int64_t pad0, int64_t pad1) {
  return taps_where_applies(sizes, kernel, pad0, pad1).defined();
}

at::Tensor phase_blur(const PhaseSource& source, at::IntArrayRef sizes, const at::TensorOptions& options,
                      const at::Tensor& kernel, int64_t pad0, int64_t pad1, const StyledActivation* activation) {
  const at::Tensor taps = taps_where_applies(sizes, kernel, pad0, pad1);
  if (!taps.defined())
    throw std::invalid_argument("phase_blur: no separable blur of whole vectors for this image, kernel and padding");
  const Blur s = blur_of(sizes, kernel.size(0), taps.data_ptr<float>(), pad0, pad1);
  at::Tensor out = at::empty({sizes[0], sizes[1], s.oh, 2 * s.half}, options);
  float* dst = out.data_ptr<float>();
  const int64_t plane = s.oh * 2 * s.half;
  if (activation && activation->positions() != plane)
    throw std::logic_error("phase_blur: an activation for planes of another size than the blurred output's");
  at::parallel_for(0, sizes[0] * sizes[1], 1, [&](int64_t begin, int64_t end) {
    std::vector<float> h(s.lines * 2 * s.half, 0.0f); // the pads' rows are never written: they stay zero
    const BlurKernel kernel = blur_kernel();
    for (int64_t item = begin; item < end; ++item) {
      const PhasePlanes p = source(item);
      if (p.rows != s.rows || p.cols != s.cols)
        throw std::logic_error("phase_blur: a source's phases do not match the image's size");
      const PlaneActivation act = activation ? activation->plane(item) : PlaneActivation{};
      kernel(s, p, h.data(), dst + item * plane, activation ? &act : nullptr);
    }
  });
  return out;
}

} // namespace gs::models
