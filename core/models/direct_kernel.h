// The vector kernel behind the direct routes (transposed_direct.h, strided_conv.h): outputs summed from zero-padded
// input planes in vector registers, a block of output channels at a time, where every output at flat position f is
// Σ over input planes c and taps k of weight[c][k][o] × plane_c[f + disp[k]]. The routes lay out their planes and
// displacements so that this sum is their layer; this file only sums.
#pragma once

#include "core/runtime.h"

#include <algorithm>
#include <cstdint>
#include <functional>

#if defined(__x86_64__) && defined(__GNUC__)
// Loops that lay out planes or move outputs as fast as the kernel sums them: built for each vector width.
#define GANSTUDIO_VECTOR_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define GANSTUDIO_VECTOR_CLONES
#endif

namespace gs::models::direct {

typedef float V8 __attribute__((vector_size(32)));  // GCC's vector extension: 8 floats, in whatever registers there are
typedef float V4 __attribute__((vector_size(16)));  // 4 floats (a row's tail)
typedef float V16 __attribute__((vector_size(64))); // 16 floats: AVX-512 code only

// Unaligned vector loads and stores. std::memcpy into an array of vectors let GCC copy a block's consecutive vectors
// through the stack 16 bytes at a time and read them back whole (a store-forwarding stall on every tap): the AVX2
// kernels ran at a third of oneDNN's speed on an AVX2-only Zen 3. (v is an out-parameter: a vector return value draws
// GCC's ABI warning, -Wpsabi, at every call from code not built for its width.)
template <typename V> inline __attribute__((always_inline)) void load(V& v, const float* p) {
  typedef V Unaligned __attribute__((aligned(alignof(float)), may_alias));
  v = *reinterpret_cast<const Unaligned*>(p);
}
template <typename V> inline __attribute__((always_inline)) void store(float* p, V v) {
  typedef V Unaligned __attribute__((aligned(alignof(float)), may_alias));
  *reinterpret_cast<Unaligned*>(p) = v;
}

// A row's even and odd columns, a vector of each, interleaved into its columns: `lo` the first 8, `hi` the next 8;
// from two 4-float vectors, `both`. (Out-parameters, as in load.)
inline __attribute__((always_inline)) void interleave(V8 even, V8 odd, V8& lo, V8& hi) {
  lo = __builtin_shufflevector(even, odd, 0, 8, 1, 9, 2, 10, 3, 11);
  hi = __builtin_shufflevector(even, odd, 4, 12, 5, 13, 6, 14, 7, 15);
}
inline __attribute__((always_inline)) void interleave(V4 even, V4 odd, V8& both) {
  both = __builtin_shufflevector(even, odd, 0, 4, 1, 5, 2, 6, 3, 7);
}

// An 8 × 8 block transposed in registers: afterwards r[i][j] holds what r[j][i] held. (In-out parameter, as in load.)
inline __attribute__((always_inline)) void transpose(V8 (&r)[8]) {
  V8 t[8], u[8];
  for (int i = 0; i < 8; i += 2) {
    t[i] = __builtin_shufflevector(r[i], r[i + 1], 0, 8, 1, 9, 4, 12, 5, 13);
    t[i + 1] = __builtin_shufflevector(r[i], r[i + 1], 2, 10, 3, 11, 6, 14, 7, 15);
  }
  for (int i = 0; i < 8; i += 4)
    for (int h = 0; h < 2; ++h) {
      u[i + 2 * h] = __builtin_shufflevector(t[i + h], t[i + h + 2], 0, 1, 8, 9, 4, 5, 12, 13);
      u[i + 2 * h + 1] = __builtin_shufflevector(t[i + h], t[i + h + 2], 2, 3, 10, 11, 6, 7, 14, 15);
    }
  for (int i = 0; i < 4; ++i) {
    r[i] = __builtin_shufflevector(u[i], u[i + 4], 0, 1, 2, 3, 8, 9, 10, 11);
    r[i + 4] = __builtin_shufflevector(u[i], u[i + 4], 4, 5, 6, 7, 12, 13, 14, 15);
  }
}

// Whether a batch of n planes `width` floats wide is laid out with the samples innermost ("interleaved"): rows
// narrower than a vector, whose n · width floats of all samples fill whole vectors.
inline bool interleaves(int64_t n, int64_t width, int64_t lanes) {
  return width < lanes && n * width % lanes == 0;
}

// 8 samples' planes with the samples innermost: sample s's value p (p < count) from src[s · stride + p], into
// dst[at(p) + s]; 8 values at a time transposed in registers, the rest one by one. `read(v, s)` is applied to sample
// s's values as they are loaded (v a vector or a float).
template <typename At, typename Read>
inline __attribute__((always_inline)) void samples_innermost(const float* src, int64_t stride, int64_t count,
                                                             const At& at, const Read& read, float* dst) {
  int64_t p0 = 0;
  for (; p0 + 8 <= count; p0 += 8) {
    V8 r[8];
    for (int s = 0; s < 8; ++s) {
      load(r[s], src + s * stride + p0);
      read(r[s], s);
    }
    transpose(r);
    for (int p = 0; p < 8; ++p) store(dst + at(p0 + p), r[p]);
  }
  for (; p0 < count; ++p0)
    for (int s = 0; s < 8; ++s) {
      float v = src[s * stride + p0];
      read(v, s);
      dst[at(p0) + s] = v;
    }
}

// The reverse: position p's 8 samples from src + at(p) into dst[s · stride + p], p < count.
template <typename At>
inline __attribute__((always_inline)) void samples_outermost(const float* src, const At& at, int64_t count, float* dst,
                                                             int64_t stride) {
  int64_t p0 = 0;
  for (; p0 + 8 <= count; p0 += 8) {
    V8 r[8];
    for (int p = 0; p < 8; ++p) load(r[p], src + at(p0 + p));
    transpose(r);
    for (int s = 0; s < 8; ++s) store(dst + s * stride + p0, r[s]);
  }
  for (; p0 < count; ++p0)
    for (int s = 0; s < 8; ++s) dst[s * stride + p0] = src[at(p0) + s];
}

// How a route reads one channel of its input while laying it out: as it is, or with `active` v' = v · scale + shift
// through a leaky ReLU of `slope`, max(v', slope · v') for slopes in [0, 1] (0: a ReLU; an eval-mode batch norm as
// scale and shift). norm_layers.h's channel_reads() makes them.
struct ReadAs {
  bool active = false;
  float scale = 1.0f, shift = 0.0f, slope = 1.0f;
};
inline __attribute__((always_inline)) void read(V8& v, const ReadAs& r) {
  if (!r.active) return;
  v = v * r.scale + r.shift;
  const V8 leak = v * r.slope;
  v = v > leak ? v : leak;
}
// Scalar rows (the narrowest planes' and every row's tail): a maximum, without a branch on the value's sign.
inline __attribute__((always_inline)) float read(float v, const ReadAs& r) {
  if (!r.active) return v;
  v = v * r.scale + r.shift;
  return std::max(v, v * r.slope);
}
// Either in place, for callbacks that take vectors and floats alike (samples_innermost's `read`).
inline __attribute__((always_inline)) void read_in_place(V8& v, const ReadAs& r) {
  read(v, r);
}
inline __attribute__((always_inline)) void read_in_place(float& v, const ReadAs& r) {
  v = read(v, r);
}

constexpr int kTaps = 4;     // a 2 × 2 window of each plane (the stride-2 routes; a phase may read fewer: 1 or 2)
constexpr int kWideTaps = 9; // a 3 × 3 window (stride-1 3 × 3 convolutions)

// The planes and outputs the kernel reads and writes.
struct Shape {
  int64_t in = 0;        // input planes
  int64_t out = 0;       // output channels
  int64_t plane = 0;     // floats per input plane
  int64_t positions = 0; // outputs per output plane, a multiple of the vector width
  int64_t cols = 0;      // a row's floats in a plane (the window's second row is `cols` on)
  int64_t y_stride = 0;  // floats from one output channel's rows to the next's
  // Where a layout's gaps need no sums (0: every position is summed): the positions are rows of `cols`, and only the
  // first `width` of each row in the first `height` of every `period` rows are outputs. A multiple of the vector width.
  int64_t width = 0, height = 0, period = 0;
  // Floats from one column of a plane to the next: 1, or the batch where the samples are innermost (a whole number of
  // vectors; the joint kernel's window steps by it).
  int64_t column = 1;
};

// One group of outputs that share displacements ("phase"): disp[taps], its kernel [in][taps][out] in block_weights'
// layout and where its output channel 0 starts in y (channel o at y + o·y_stride). Taps per input plane: 1, 2, kTaps or
// kWideTaps (a stride-2 transposed convolution with an odd kernel has phases of 1, 2 and 4 taps, and sums only those).
struct Phase {
  const int64_t* disp;
  const float* weight;
  float* y;
  int taps = kTaps;
};

// Whether sum() has kernels for phases of `taps` taps.
bool supports_taps(int taps);

// Output channels per block of sum(), for `out` channels and `lanes` lanes: blocks as even as the register budget
// allows (up to 8 with 16 lanes, 6 with 8; 10 as 5 + 5 rather than 6 + 4).
int64_t block_size(int64_t out, int64_t lanes);

// A phase's kernel, `rows` (= in · taps) rows of `out` weights, in the layout sum() reads: the output channels in
// blocks of block_size(out, lanes), each block [in][taps][its outputs] after the one before, so that every weight the
// kernel reads sits at a fixed offset from one pointer. (Read [in][taps][out] at offsets that depend on out, the AVX2
// kernel kept a pointer per tap and output on the stack and loaded it before each weight: 12 loads per 10
// multiply-adds on 3 × 3 taps.) dst: rows · out floats. Routes keep the result with derived_weight().
void block_weights(const float* weight, int64_t rows, int64_t out, int64_t lanes, float* dst);

// Vector lanes the kernel uses for `width`: 16 with AVX-512, 8 with AVX2 and FMA, 0 where neither runs (or the build
// has no vector kernels): then the routes do not apply.
int64_t lanes(VectorWidth width = VectorWidth::Widest);

// Sums every phase's outputs over positions [0, shape.positions) (those shape.width marks, where it is set), bias (per
// output channel, or null) included, with `lanes` vector lanes, in chunks of positions that keep the input in the
// cache and groups of up to 64 input planes that keep a block's reads in the first-level cache, spread over LibTorch's
// threads.
// With `joint`, the four phases of a 4×4 kernel with padding 1 (a stride-2 transposed convolution's, at most 3 output
// channels): phase (a, b)'s tap (i, j) reads offset (a + i, b + j) of one 3 × 3 window, and 9 loads feed 16 taps. A
// joint sum with the samples innermost (shape.column a whole number of vectors) needs shape.width.
void sum(const Shape& shape, const float* planes, const Phase* phases, int count, const float* bias, int64_t lanes,
         bool joint);

// Work a route does on each output plane as it is written, while it is still in the cache (an activation that would
// otherwise take a pass of its own): plane `item` = sample · channels + channel, read as `rows` rows of `width` floats
// from src, rows `src_stride` apart, and written whole (rows · width floats) at dst. src may be dst (stride `width`):
// the work in place. A route whose sums lie in rows with gaps (extract) lets the finish move them instead of a copy
// before it. Empty: none.
using PlaneFinish =
    std::function<void(int64_t item, const float* src, int64_t src_stride, float* dst, int64_t rows, int64_t width)>;

// `finish` (where there is one) on plane `item`, `floats` long at `plane`, in place.
inline void finish_in_place(const PlaneFinish& finish, int64_t item, float* plane, int64_t floats) {
  if (finish) finish(item, plane, floats, plane, 1, floats);
}

// Copies the sums out of y into an [n, shape.out, rows, width] tensor's data: output (i, j) of sample s and channel o
// at y[o · y_stride + s · sample + i · cols + j], where a route laid out each sample's outputs `sample` floats apart in
// rows of `cols` (the positions in the gaps are dropped), by `finish` where there is one. Spread over LibTorch's
// threads.
void extract(const Shape& shape, const float* y, int64_t n, int64_t sample, int64_t rows, int64_t width, float* out,
             const PlaneFinish& finish = {});

// The same for sums laid out with the samples innermost ("interleaved"): output (i, j) of sample s and channel o at
// y[o · y_stride + i · cols + j · n + s]. 8 samples at a time through a transpose in registers (samples_outermost),
// spread over LibTorch's threads by output channel and block of 8 samples.
void extract_interleaved(const Shape& shape, const float* y, int64_t n, int64_t rows, int64_t width, float* out,
                         const PlaneFinish& finish = {});

} // namespace gs::models::direct
