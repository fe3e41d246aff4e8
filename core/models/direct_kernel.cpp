#include "core/models/direct_kernel.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <utility>
#include <vector>

namespace gs::models::direct {
namespace {

constexpr int kJointPhases = 4;
// Input planes summed per pass over a chunk (see sum): 64 gave 15–30% over all at once on 128–1024 channels (unet_128's
// decoder), 32 lost on some.
constexpr int64_t kGroup = 64;

// What one block of output channels needs: the planes, its phases (one, or four for the joint kernel) at the block's
// first output channel, and the bias there (or null).
struct Task {
  const float* planes;
  const Shape* s;
  const Phase* phases;
  const float* bias;
  int64_t first = 0, last = 0;     // the input planes summed: [first, last)
  bool add = false;                // add to the outputs y holds (a later group of planes) instead of starting from bias
  const int64_t* wanted = nullptr; // where Shape::width is set: the position of every vector of outputs wanted
};

// Tap k's offset in a 3 × 3 window of rows `cols` apart: what a phase's disp holds where the Grid kernels apply.
constexpr int64_t grid_offset(int k, int64_t cols) {
  return k / 3 * cols + k % 3;
}

// O output channels × B vectors of positions of one phase, vector b at flat position f[b]: O·B accumulators in
// registers, summed over every input plane and tap. The phase's weight is the block's own, [in][T][O]
// (block_weights), every weight at a fixed offset from one pointer. Compiled into each instruction set's caller below.
// With Grid, the taps are a 3 × 3 window of rows `cols` apart (grid_offset): offsets from one register and constants,
// where nine offsets read from disp took nine registers and spilled them.
template <typename V, int O, int B, int T, bool Grid = false>
inline __attribute__((always_inline)) void block(const Task& t, const int64_t (&f)[B]) {
  const Shape& s = *t.s;
  const Phase& ph = t.phases[0];
  const int64_t cols = s.cols;
  V acc[O][B];
  for (int o = 0; o < O; ++o)
    for (int b = 0; b < B; ++b)
      if (t.add)
        load(acc[o][b], ph.y + o * s.y_stride + f[b]);
      else
        acc[o][b] = V{} + (t.bias ? t.bias[o] : 0.0f);
  for (int64_t c = t.first; c < t.last; ++c) {
    const float* base = t.planes + c * s.plane;
    const float* wc = ph.weight + c * T * O;
#pragma GCC unroll 9
    for (int k = 0; k < T; ++k) {
      V x[B];
      const int64_t at = Grid ? grid_offset(k, cols) : ph.disp[k];
      for (int b = 0; b < B; ++b) load(x[b], base + f[b] + at);
      for (int o = 0; o < O; ++o) {
        const float wt = wc[k * O + o];
        for (int b = 0; b < B; ++b) acc[o][b] += wt * x[b];
      }
    }
  }
  for (int o = 0; o < O; ++o)
    for (int b = 0; b < B; ++b) store(ph.y + o * s.y_stride + f[b], acc[o][b]);
}

// Lanes k .. k + 15 of lo and hi one after the other, k = 0, 1 or 2 (out-parameter, as in load).
template <size_t... I>
inline __attribute__((always_inline)) void shifted_by(V16& out, V16 lo, V16 hi, std::index_sequence<I...>) {
  out = __builtin_shufflevector(lo, hi, I...);
}
inline __attribute__((always_inline)) void shifted(V16& out, V16 lo, V16 hi, int k) {
  if (k == 0)
    out = lo;
  else if (k == 1)
    shifted_by(out, lo, hi, std::index_sequence<1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16>{});
  else
    shifted_by(out, lo, hi, std::index_sequence<2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17>{});
}

// O output channels (at most 3), the four phases together: phase (a, b)'s tap (i, j) reads offset (a + i, b + j) of
// the 3 × 3 window at phase (0, 0)'s first tap, so each input load feeds every phase that reads it, 16·O taps from 9
// loads, where a phase at a time gives O output channels O multiply-adds per load.
// Vector b of positions at f[b]: consecutive (f[b] = f[0] + b · L) unless Column, where the samples are innermost
// (Shape::column: the window's columns a whole number of vectors apart, each one load) and the block's vectors are
// the wanted ones (Shape::width). With Column and K > 0, the columns K vectors apart and the block's vectors
// consecutive: the window's row read once, B + 2K vectors, and every column taken from it.
template <typename V, int O, int B, bool Column = false, int K = 0>
inline __attribute__((always_inline)) void joint_block(const Task& t, const int64_t (&f)[B]) {
  constexpr int L = sizeof(V) / sizeof(float);
  const Shape& s = *t.s;
  V acc[O][kJointPhases][B];
  for (int o = 0; o < O; ++o)
    for (int p = 0; p < kJointPhases; ++p)
      for (int b = 0; b < B; ++b)
        if (t.add)
          load(acc[o][p][b], t.phases[p].y + o * s.y_stride + f[b]);
        else
          acc[o][p][b] = V{} + (t.bias ? t.bias[o] : 0.0f);
  const int64_t column = Column ? s.column : 1;
  for (int64_t c = t.first; c < t.last; ++c) {
    const float* base = t.planes + c * s.plane + t.phases[0].disp[0];
#pragma GCC unroll 3
    for (int gr = 0; gr < 3; ++gr) {
      // With 16 lanes the window's row is read once, B + 1 vectors, and its columns 1 and 2 taken from neighbouring
      // pairs in registers (valignd): the loads, three per vector and tap row, bounded the kernel.
      constexpr bool Shifts = L == 16 && !Column, Whole = Column && K > 0;
      V row[Whole ? B + 2 * K : B + 1];
      if constexpr (Shifts)
        for (int b = 0; b <= B; ++b) load(row[b], base + gr * s.cols + f[0] + b * L);
      if constexpr (Whole)
        for (int b = 0; b < B + 2 * K; ++b) load(row[b], base + gr * s.cols + f[0] + b * L);
#pragma GCC unroll 3
      for (int gc = 0; gc < 3; ++gc) {
        V x[B];
        for (int b = 0; b < B; ++b)
          if constexpr (Shifts)
            shifted(x[b], row[b], row[b + 1], gc);
          else if constexpr (Whole)
            x[b] = row[b + gc * K];
          else
            load(x[b], base + gr * s.cols + gc * column + f[b]);
#pragma GCC unroll 2
        for (int a = 0; a < 2; ++a)
#pragma GCC unroll 2
          for (int e = 0; e < 2; ++e) {
            const int i = gr - a, j = gc - e;
            if (i < 0 || i > 1 || j < 0 || j > 1) continue;
            const float* w = t.phases[a * 2 + e].weight + (c * kTaps + i * 2 + j) * s.out;
            for (int o = 0; o < O; ++o)
              for (int b = 0; b < B; ++b) acc[o][a * 2 + e][b] += w[o] * x[b];
          }
      }
    }
  }
  for (int o = 0; o < O; ++o)
    for (int p = 0; p < kJointPhases; ++p)
      for (int b = 0; b < B; ++b) store(t.phases[p].y + o * s.y_stride + f[b], acc[o][p][b]);
}

// Vectors of positions per block for O output channels (times `phases` accumulators each), with `registers`
// accumulators at most: enough independent sums to hide the multiply-add latency, and as many output channels as fit
// sharing each load of the input.
constexpr int blocks_for(int o, int phases, int registers, int most) {
  return std::max(1, std::min(most, registers / (o * phases)));
}

// The blocks over positions [begin, end), or over wanted vectors [begin, end) where the task lists them.
template <typename V, int O, int Registers, int T, bool Grid>
inline __attribute__((always_inline)) void run(const Task& t, int64_t begin, int64_t end) {
  // Each vector of positions also takes a register for its input while the O weights are multiplied into it, one
  // holds the weight, and one is left spare: O·B + B + 2 of the vector registers at most (16 with 8 lanes, 32 with
  // 16). With AVX2, 2 outputs over 5 vectors (all 16 registers) ran 18% slower than over 4.
  constexpr int L = sizeof(V) / sizeof(float), All = L == 16 ? 32 : 16;
  constexpr int B = std::min(blocks_for(O, 1, Registers, 8), (All - 2) / (O + 1));
  int64_t f[B];
  int64_t i = begin;
  if (t.wanted) {
    for (; i + B <= end; i += B) {
      for (int b = 0; b < B; ++b) f[b] = t.wanted[i + b];
      block<V, O, B, T, Grid>(t, f);
    }
    for (; i < end; ++i) block<V, O, 1, T, Grid>(t, {t.wanted[i]});
    return;
  }
  for (; i + B * L <= end; i += B * L) {
    for (int b = 0; b < B; ++b) f[b] = i + b * L;
    block<V, O, B, T, Grid>(t, f);
  }
  for (; i < end; i += L) block<V, O, 1, T, Grid>(t, {i});
}

template <typename V, int O, int Registers>
inline __attribute__((always_inline)) void run_joint(const Task& t, int64_t begin, int64_t end) {
  constexpr int L = sizeof(V) / sizeof(float), B = blocks_for(O, kJointPhases, Registers, 4);
  int64_t f[B];
  int64_t i = begin;
  if (t.wanted) {
    const int64_t k = t.s->column / L;
    for (; i + B <= end; i += B) {
      for (int b = 0; b < B; ++b) f[b] = t.wanted[i + b];
      if (f[B - 1] - f[0] != (B - 1) * L)
        joint_block<V, O, B, true>(t, f);
      else if (k == 1)
        joint_block<V, O, B, true, 1>(t, f);
      else if (k == 2)
        joint_block<V, O, B, true, 2>(t, f);
      else if (k == 4)
        joint_block<V, O, B, true, 4>(t, f);
      else
        joint_block<V, O, B, true>(t, f);
    }
    for (; i < end; ++i) joint_block<V, O, 1, true>(t, {t.wanted[i]});
    return;
  }
  for (; i + B * L <= end; i += B * L) {
    for (int b = 0; b < B; ++b) f[b] = i + b * L;
    joint_block<V, O, B>(t, f);
  }
  for (; i < end; i += L) joint_block<V, O, 1>(t, {i});
}

// Positions per chunk: every block size's multiple (for 16 and 8 lanes), and about 256 KiB of input planes, so that a
// chunk's input stays in the cache while every phase and block of output channels reads it.
int64_t chunk_size(int64_t in) {
  constexpr int64_t kMultiple = 384;
  return std::max<int64_t>(1, (int64_t{1} << 16) / in / kMultiple) * kMultiple;
}

// The position of every vector of outputs shape.width marks (empty where it is not set).
std::vector<int64_t> wanted_vectors(const Shape& s, int64_t lanes) {
  std::vector<int64_t> wanted;
  if (!s.width) return wanted;
  if (s.width % lanes || s.height > s.period || s.width > s.cols)
    throw std::logic_error("direct::sum: wanted rows that are no whole vectors or overlap");
  for (int64_t row = 0; row * s.cols + s.width <= s.positions; ++row)
    if (row % s.period < s.height)
      for (int64_t j = 0; j < s.width; j += lanes) wanted.push_back(row * s.cols + j);
  return wanted;
}

// Output channel o of samples s0 .. s0 + count − 1 of interleaved sums (extract_interleaved) into their planes of out,
// then `finish` on each. Built for each instruction set: vector code in a lambda inside at::parallel_for is built for
// the baseline one.
GANSTUDIO_VECTOR_CLONES void extract_samples(const Shape& s, const float* y, int64_t n, int64_t rows, int64_t width,
                                             int64_t o, int64_t s0, int64_t count, float* out,
                                             const PlaneFinish& finish) {
  const int64_t plane = rows * width, stride = s.out * plane;
  const float* src = y + o * s.y_stride + s0;
  float* dst = out + (s0 * s.out + o) * plane;
  const auto at = [&](int64_t p) __attribute__((always_inline)) {
    return p / width * s.cols + p % width * n;
  };
  if (count == 8)
    samples_outermost(src, at, plane, dst, stride);
  else
    for (int64_t k = 0; k < count; ++k)
      for (int64_t p = 0; p < plane; ++p) dst[k * stride + p] = src[at(p) + k];
  for (int64_t k = 0; k < count; ++k) finish_in_place(finish, (s0 + k) * s.out + o, dst + k * stride, plane);
}

#if defined(__x86_64__) && defined(__GNUC__)
#define GANSTUDIO_DIRECT_KERNELS 1

template <int O, int T, bool Grid>
__attribute__((target("avx512f"))) void run_avx512(const Task& t, int64_t begin, int64_t end) {
  run<V16, O, 24, T, Grid>(t, begin, end);
}
template <int O, int T, bool Grid>
__attribute__((target("avx2,fma"))) void run_avx2(const Task& t, int64_t begin, int64_t end) {
  run<V8, O, 12, T, Grid>(t, begin, end);
}
template <int O> __attribute__((target("avx512f"))) void joint_avx512(const Task& t, int64_t begin, int64_t end) {
  run_joint<V16, O, 24>(t, begin, end);
}
template <int O> __attribute__((target("avx2,fma"))) void joint_avx2(const Task& t, int64_t begin, int64_t end) {
  run_joint<V8, O, 8>(t, begin, end);
}

using Kernel = void (*)(const Task&, int64_t, int64_t);
// Output channels per block: up to 8 with 32 vector registers, 6 with 16 (2 vectors of positions each; 6 rather than
// 4 gave 5–10% on an AVX2-only Zen 3, each load feeding more outputs); 1–3 for the joint kernel.
template <int T, bool Grid = false>
constexpr Kernel kAvx512[] = {run_avx512<1, T, Grid>, run_avx512<2, T, Grid>, run_avx512<3, T, Grid>,
                              run_avx512<4, T, Grid>, run_avx512<5, T, Grid>, run_avx512<6, T, Grid>,
                              run_avx512<7, T, Grid>, run_avx512<8, T, Grid>};
template <int T, bool Grid = false>
constexpr Kernel kAvx2[] = {run_avx2<1, T, Grid>, run_avx2<2, T, Grid>, run_avx2<3, T, Grid>,
                            run_avx2<4, T, Grid>, run_avx2<5, T, Grid>, run_avx2<6, T, Grid>};

// The kernels, by output channels, for a phase (supports_taps()) of `cols`-float rows.
const Kernel* kernels(const Phase& phase, int64_t cols, bool wide) {
  switch (phase.taps) {
  case 1:
    return wide ? kAvx512<1> : kAvx2<1>;
  case 2:
    return wide ? kAvx512<2> : kAvx2<2>;
  case kTaps:
    return wide ? kAvx512<kTaps> : kAvx2<kTaps>;
  default:
    for (int k = 0; k < kWideTaps; ++k)
      if (phase.disp[k] != grid_offset(k, cols)) return wide ? kAvx512<kWideTaps> : kAvx2<kWideTaps>;
    return wide ? kAvx512<kWideTaps, true> : kAvx2<kWideTaps, true>;
  }
}
constexpr Kernel kJointAvx512[] = {joint_avx512<1>, joint_avx512<2>, joint_avx512<3>};
constexpr Kernel kJointAvx2[] = {joint_avx2<1>, joint_avx2<2>, joint_avx2<3>};
#endif

} // namespace

int64_t block_size(int64_t out, int64_t lanes) {
  const int64_t most = lanes == 16 ? 8 : 6, blocks = (out + most - 1) / most;
  return (out + blocks - 1) / blocks;
}

void block_weights(const float* weight, int64_t rows, int64_t out, int64_t lanes, float* dst) {
  const int64_t size = block_size(out, lanes);
  for (int64_t o0 = 0; o0 < out; o0 += size) {
    const int64_t o = std::min(size, out - o0);
    for (int64_t r = 0; r < rows; ++r) std::copy_n(weight + r * out + o0, o, dst + o0 * rows + r * o);
  }
}

bool supports_taps(int taps) {
  return taps == 1 || taps == 2 || taps == kTaps || taps == kWideTaps;
}

int64_t lanes(VectorWidth width) {
#ifdef GANSTUDIO_DIRECT_KERNELS
  if (!cpu_has_avx2_fma()) return 0;
  return width == VectorWidth::Widest && cpu_has_avx512f() ? 16 : 8;
#else
  (void)width;
  return 0;
#endif
}

void sum(const Shape& shape, const float* planes, const Phase* phases, int count, const float* bias, int64_t lanes,
         bool joint) {
#ifdef GANSTUDIO_DIRECT_KERNELS
  const bool wide = lanes == 16;
  const int64_t chunk = chunk_size(shape.in);
  // Input planes in groups, each group summed over a chunk before the next adds to it: a block reads every plane of
  // its group at 2–3 rows, and all of them stay in the first-level cache for the next block only for few planes.
  const auto grouped = [&](Kernel kernel, Task t, int64_t begin, int64_t end) {
    for (t.first = 0; t.first < shape.in; t.first += kGroup) {
      t.last = std::min(shape.in, t.first + kGroup);
      t.add = t.first > 0;
      kernel(t, begin, end);
    }
  };
  // Where only some positions are wanted, the chunks count their vectors instead of positions.
  const std::vector<int64_t> wanted = wanted_vectors(shape, lanes);
  const int64_t span = wanted.empty() ? shape.positions : static_cast<int64_t>(wanted.size());
  const int64_t step = wanted.empty() ? chunk : chunk / lanes, steps = (span + step - 1) / step;
  if (joint) {
    if (shape.column != 1 && (wanted.empty() || shape.column % lanes))
      throw std::logic_error("direct::sum: a joint sum over columns apart, not of wanted whole vectors");
    const Kernel kernel = (wide ? kJointAvx512 : kJointAvx2)[shape.out - 1];
    at::parallel_for(0, steps, 1, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) {
        Task task{planes, &shape, phases, bias};
        task.wanted = wanted.empty() ? nullptr : wanted.data();
        grouped(kernel, task, i * step, std::min((i + 1) * step, span));
      }
    });
    return;
  }
  const int64_t size = block_size(shape.out, lanes), blocks = (shape.out + size - 1) / size, per_chunk = count * blocks;
  // Each phase's kernels, chosen once (a 3 × 3 phase compares its nine offsets with the grid's).
  std::vector<const Kernel*> tables(count);
  for (int p = 0; p < count; ++p) {
    if (!supports_taps(phases[p].taps)) throw std::logic_error("direct::sum: no kernel for phases of this many taps");
    tables[p] = kernels(phases[p], shape.cols, wide);
  }
  at::parallel_for(0, steps * per_chunk, 1, [&](int64_t begin, int64_t end) {
    for (int64_t item = begin; item < end; ++item) {
      const int64_t f = item / per_chunk * step, p = item % per_chunk / blocks;
      const int64_t o0 = item % blocks * size, o = std::min(size, shape.out - o0);
      const Phase phase{phases[p].disp, phases[p].weight + o0 * shape.in * phases[p].taps,
                        phases[p].y + o0 * shape.y_stride, phases[p].taps};
      Task task{planes, &shape, &phase, bias ? bias + o0 : nullptr};
      task.wanted = wanted.empty() ? nullptr : wanted.data();
      grouped(tables[p][o - 1], task, f, std::min(f + step, span));
    }
  });
#else
  (void)shape, (void)planes, (void)phases, (void)count, (void)bias, (void)lanes, (void)joint;
#endif
}

void extract(const Shape& shape, const float* y, int64_t n, int64_t sample, int64_t rows, int64_t width, float* out,
             const PlaneFinish& finish) {
  at::parallel_for(0, n * shape.out, 1, [&](int64_t begin, int64_t end) {
    for (int64_t item = begin; item < end; ++item) {
      const float* src = y + item % shape.out * shape.y_stride + item / shape.out * sample;
      float* dst = out + item * rows * width;
      if (finish)
        finish(item, src, shape.cols, dst, rows, width);
      else
        for (int64_t i = 0; i < rows; ++i) std::memcpy(dst + i * width, src + i * shape.cols, width * sizeof(float));
    }
  });
}

void extract_interleaved(const Shape& shape, const float* y, int64_t n, int64_t rows, int64_t width, float* out,
                         const PlaneFinish& finish) {
  const int64_t blocks = (n + 7) / 8;
  at::parallel_for(0, shape.out * blocks, 1, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const int64_t s0 = i % blocks * 8;
      extract_samples(shape, y, n, rows, width, i / blocks, s0, std::min<int64_t>(8, n - s0), out, finish);
    }
  });
}

} // namespace gs::models::direct
