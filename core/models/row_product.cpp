#include "core/models/row_product.h"
#include "core/models/direct_kernel.h"
#include "core/models/tensor_checks.h"

#include <ATen/Parallel.h>
#include <torch/torch.h>

#include <algorithm>

namespace gs::models {
namespace {

// Columns per task of at::parallel_for: whole blocks of 3 vectors of 16 and of 2 vectors of 8.
constexpr int64_t kColumnsPerTask = 192;

// What every block reads and writes: x [rows, in], w [in, out], bias [out] (or null) and y [rows, out].
struct Operands {
  const float *x, *w, *bias;
  int64_t in, out;
  float* y;
};

// The first `count` floats at p (0 < count < lanes) into v, the other lanes zero, and back: through a vector on the
// stack, so that nothing beyond a row's last column is read or written. (For the last columns only.)
template <typename V> inline __attribute__((always_inline)) void load_first(V& v, const float* p, int count) {
  float lanes[sizeof(V) / sizeof(float)] = {};
  std::copy_n(p, count, lanes);
  direct::load(v, lanes);
}
template <typename V> inline __attribute__((always_inline)) void store_first(float* p, V v, int count) {
  float lanes[sizeof(V) / sizeof(float)];
  direct::store(lanes, v);
  std::copy_n(lanes, count, p);
}

// R rows × B vectors of y from column j in registers, summed over every input: each vector of w loaded once for all R
// rows, each x value once for all B vectors. With Tail, B is 1 and only the first `tail` columns (0 < tail < lanes)
// are read and written.
template <typename V, int R, int B, bool Tail = false>
inline __attribute__((always_inline)) void block(const Operands& o, int64_t row, int64_t j, int tail = 0) {
  constexpr int L = sizeof(V) / sizeof(float);
  V acc[R][B];
#pragma GCC unroll 4
  for (int b = 0; b < B; ++b) {
    V start{};
    if (o.bias) {
      if constexpr (Tail)
        load_first(start, o.bias + j, tail);
      else
        direct::load(start, o.bias + j + b * L);
    }
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) acc[r][b] = start;
  }
  const float* x = o.x + row * o.in;
  for (int64_t i = 0; i < o.in; ++i) {
    V w[B];
#pragma GCC unroll 4
    for (int b = 0; b < B; ++b)
      if constexpr (Tail)
        load_first(w[b], o.w + i * o.out + j, tail);
      else
        direct::load(w[b], o.w + i * o.out + j + b * L);
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) {
      const float xi = x[r * o.in + i];
#pragma GCC unroll 4
      for (int b = 0; b < B; ++b) acc[r][b] += xi * w[b];
    }
  }
  float* y = o.y + row * o.out + j;
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 4
    for (int b = 0; b < B; ++b)
      if constexpr (Tail)
        store_first(y + r * o.out, acc[r][b], tail);
      else
        direct::store(y + r * o.out + b * L, acc[r][b]);
}

// Rows [row, row + R) over columns [begin, end): blocks of B vectors, then single vectors, then the last columns.
template <typename V, int R, int B>
inline __attribute__((always_inline)) void row_block(const Operands& o, int64_t row, int64_t begin, int64_t end) {
  constexpr int L = sizeof(V) / sizeof(float);
  int64_t j = begin;
  for (; j + B * L <= end; j += B * L) block<V, R, B>(o, row, j);
  for (; j + L <= end; j += L) block<V, R, 1>(o, row, j);
  if (j < end) block<V, R, 1, true>(o, row, j, static_cast<int>(end - j));
}

// Every row over columns [begin, end): blocks of R rows, then 4, 2 and 1.
template <typename V, int R, int B>
inline __attribute__((always_inline)) void columns(const Operands& o, int64_t rows, int64_t begin, int64_t end) {
  int64_t r = 0;
  for (; r + R <= rows; r += R) row_block<V, R, B>(o, r, begin, end);
  if (R > 4 && r + 4 <= rows) row_block<V, 4, B>(o, r, begin, end), r += 4;
  if (r + 2 <= rows) row_block<V, 2, B>(o, r, begin, end), r += 2;
  if (r < rows) row_block<V, 1, B>(o, r, begin, end);
}

void columns_generic(const Operands& o, int64_t rows, int64_t begin, int64_t end) {
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t j = begin; j < end; ++j) {
      float acc = o.bias ? o.bias[j] : 0.0f;
      for (int64_t i = 0; i < o.in; ++i) acc += o.x[r * o.in + i] * o.w[i * o.out + j];
      o.y[r * o.out + j] = acc;
    }
}

#if defined(__x86_64__) && defined(__GNUC__)
// 8 rows × 3 vectors of 16: 24 sums, 3 weight vectors and a broadcast in the 32 registers.
__attribute__((target("avx512f"))) void columns_avx512(const Operands& o, int64_t rows, int64_t begin, int64_t end) {
  columns<direct::V16, 8, 3>(o, rows, begin, end);
}
// 4 rows × 2 vectors of 8: 8 sums in the 16 registers.
__attribute__((target("avx2,fma"))) void columns_avx2(const Operands& o, int64_t rows, int64_t begin, int64_t end) {
  columns<direct::V8, 4, 2>(o, rows, begin, end);
}
#endif

using Columns = void (*)(const Operands&, int64_t, int64_t, int64_t);
Columns columns_for(VectorWidth width) {
#if defined(__x86_64__) && defined(__GNUC__)
  if (width == VectorWidth::Widest && cpu_has_avx512f()) return columns_avx512;
  if (cpu_has_avx2_fma()) return columns_avx2;
#else
  (void)width;
#endif
  return columns_generic;
}

} // namespace

void row_product(const float* x, const float* w, const float* bias, int64_t rows, int64_t in, int64_t out, float* y,
                 VectorWidth width) {
  const Columns run = columns_for(width);
  const Operands o{x, w, bias, in, out, y};
  const int64_t tasks = (out + kColumnsPerTask - 1) / kColumnsPerTask;
  at::parallel_for(0, tasks, 1, [&](int64_t first, int64_t last) {
    run(o, rows, first * kColumnsPerTask, std::min(out, last * kColumnsPerTask));
  });
}

bool row_product_applies(const at::Tensor& x, const at::Tensor& w) {
  if (!cpu_float(x) || !cpu_float(w) || x.dim() != 2 || w.dim() != 2 || x.size(1) != w.size(0)) return false;
  return !wants_grad(x) && !wants_grad(w);
}

at::Tensor row_product(const at::Tensor& input, const at::Tensor& weight, VectorWidth width) {
  if (!row_product_applies(input, weight)) return input.mm(weight);
  const at::Tensor x = input.contiguous(), w = weight.contiguous();
  at::Tensor y = at::empty({x.size(0), w.size(1)}, x.options());
  row_product(x.data_ptr<float>(), w.data_ptr<float>(), nullptr, x.size(0), x.size(1), w.size(1), y.data_ptr<float>(),
              width);
  return y;
}

} // namespace gs::models
