#include "core/models/fir_up2.h"
#include "core/models/direct_kernel.h"
#include "core/runtime.h"

#include <cstring>

namespace gs::models {
namespace {

using direct::V4;
using direct::V8;

// Zero floats around a copied input row and zero rows around the row pass's output: every read of a tap stays inside
// (offsets (parity + tap − pad0) / 2 lie within ±2 for the taps and pads fir_up2_geometry takes; the output reaches
// at most 2 columns and rows past the input's).
constexpr int64_t kMargin = 16;

// The scratch: two staged input planes (h rows of w + 2·kMargin floats, the input kMargin floats in), then each
// output-column parity's row-pass output (h + 2·kMargin rows of half = ow / 2 floats, kMargin rows before).
struct Parts {
  float* staged[2];
  float* parity[2];
  int64_t stride, half;
};

Parts parts_of(const Up2Blur& b, float* scratch) {
  Parts p;
  p.stride = b.w + 2 * kMargin, p.half = b.ow / 2;
  p.staged[0] = scratch + kMargin;
  p.staged[1] = p.staged[0] + b.h * p.stride;
  p.parity[0] = scratch + 2 * b.h * p.stride + kMargin * p.half;
  p.parity[1] = p.parity[0] + (b.h + 2 * kMargin) * p.half;
  return p;
}

// Tap j of the flipped kernel reaches output column (or row) 2q + e from input column q + offset(e, j), for the taps
// where e + j − P0 is even: the others fall on inserted zeros. Known when compiled: every read is a constant offset.
template <int K, int P0> struct Taps {
  static constexpr bool reads(int e, int j) { return (e + j - P0) % 2 == 0; }
  static constexpr int offset(int e, int j) { return (e + j - P0) / 2; }
};

// Input row r along its columns into both parities' row r: two sums in flight per vector of columns.
template <typename V, int K, int P0>
inline __attribute__((always_inline)) void along_row(const Parts& p, const float* line, const float* row, int64_t r) {
  constexpr int64_t L = sizeof(V) / sizeof(float);
  using T = Taps<K, P0>;
  for (int64_t q0 = 0; q0 < p.half; q0 += L) {
    V acc[2] = {};
#pragma GCC unroll 8
    for (int j = 0; j < K; ++j)
      for (int e = 0; e < 2; ++e)
        if (T::reads(e, j)) {
          V x;
          direct::load(x, line + q0 + T::offset(e, j));
          acc[e] += row[j] * x;
        }
    for (int e = 0; e < 2; ++e) direct::store(p.parity[e] + r * p.half + q0, acc[e]);
  }
}

inline __attribute__((always_inline)) void store_pair(float* out, V8 even, V8 odd) {
  V8 lo, hi;
  direct::interleave(even, odd, lo, hi);
  direct::store(out, lo);
  direct::store(out + 8, hi);
}
inline __attribute__((always_inline)) void store_pair(float* out, V4 even, V4 odd) {
  V8 both;
  direct::interleave(even, odd, both);
  direct::store(out, both);
}

// Output rows 2q and 2q + 1 down the parities' columns, interleaved as they are stored: four sums in flight.
template <typename V, int K, int P0>
inline __attribute__((always_inline)) void down_columns(const Parts& p, const float* col, int64_t ow, int64_t q,
                                                        float* out) {
  constexpr int64_t L = sizeof(V) / sizeof(float);
  using T = Taps<K, P0>;
  for (int64_t q0 = 0; q0 < p.half; q0 += L) {
    V acc[2][2] = {};
#pragma GCC unroll 8
    for (int t = 0; t < K; ++t)
      for (int a = 0; a < 2; ++a)
        if (T::reads(a, t))
          for (int e = 0; e < 2; ++e) {
            V g;
            direct::load(g, p.parity[e] + (q + T::offset(a, t)) * p.half + q0);
            acc[a][e] += col[t] * g;
          }
    for (int a = 0; a < 2; ++a) store_pair(out + (2 * q + a) * ow + 2 * q0, acc[a][0], acc[a][1]);
  }
}

template <typename V, int K, int P0>
inline __attribute__((always_inline)) void plane_taps(const Up2Blur& b, float* scratch, int slot, float* out) {
  const Parts p = parts_of(b, scratch);
  for (int64_t r = 0; r < b.h; ++r) along_row<V, K, P0>(p, p.staged[slot] + r * p.stride, b.row, r);
  for (int64_t q = 0; q < b.oh / 2; ++q) down_columns<V, K, P0>(p, b.col, b.ow, q, out);
}

template <typename V>
inline __attribute__((always_inline)) void plane_on(const Up2Blur& b, float* scratch, int slot, float* out) {
  if (b.k == 4)
    b.pad0 == 2 ? plane_taps<V, 4, 2>(b, scratch, slot, out) : plane_taps<V, 4, 1>(b, scratch, slot, out);
  else
    b.pad0 == 2 ? plane_taps<V, 3, 2>(b, scratch, slot, out) : plane_taps<V, 3, 1>(b, scratch, slot, out);
}

inline __attribute__((always_inline)) void plane_any(const Up2Blur& b, float* scratch, int slot, float* out) {
  if (b.ow / 2 % 8 == 0)
    plane_on<V8>(b, scratch, slot, out);
  else
    plane_on<V4>(b, scratch, slot, out);
}

void plane_generic(const Up2Blur& b, float* scratch, int slot, float* out) {
  plane_any(b, scratch, slot, out);
}
#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target("avx2,fma"))) void plane_avx2(const Up2Blur& b, float* scratch, int slot, float* out) {
  plane_any(b, scratch, slot, out);
}
#endif

} // namespace

Up2Blur fir_up2_geometry(int64_t h, int64_t w, int64_t k, int64_t pad0, int64_t pad1) {
  Up2Blur b;
  const int64_t oh = 2 * h + pad0 + pad1 - k + 1, ow = 2 * w + pad0 + pad1 - k + 1;
  if ((k != 3 && k != 4) || (pad0 != 1 && pad0 != 2) || pad1 < 0 || pad1 > k || oh < 1 || ow < 8 || ow % 8 != 0)
    return b;
  b.h = h, b.w = w, b.k = k, b.pad0 = pad0, b.oh = oh, b.ow = ow;
  return b;
}

int64_t fir_up2_scratch(const Up2Blur& b) {
  return 2 * b.h * (b.w + 2 * kMargin) + 2 * (b.h + 2 * kMargin) * (b.ow / 2);
}

void fir_up2_stage(const Up2Blur& b, const float* x, float* scratch, int slot) {
  const Parts p = parts_of(b, scratch);
  for (int64_t r = 0; r < b.h; ++r) std::memcpy(p.staged[slot] + r * p.stride, x + r * b.w, b.w * sizeof(float));
}

void fir_up2_plane(const Up2Blur& b, float* scratch, int slot, float* out) {
#if defined(__x86_64__) && defined(__GNUC__)
  if (cpu_has_avx2_fma()) return plane_avx2(b, scratch, slot, out);
#endif
  plane_generic(b, scratch, slot, out);
}

} // namespace gs::models
