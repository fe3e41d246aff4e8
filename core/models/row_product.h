// Products of a few rows with a weight, y = x · w (+ bias): a batch of latents through a linear layer (StyleGAN2's
// mapping and styles) or through a transposed convolution from one pixel (DCGAN's first layer), and single pixels
// through a convolution. Rows are few (the batch), so the sums run over the weight's columns in vector registers, a
// block of rows sharing each load of the weight. OpenBLAS took 2.5–2.8× as long for [16, 100] · [100, 352 … 2048]
// (Debian's build picks its AVX2 kernels on an AVX-512 Zen 5, and packs both operands first).
#pragma once

#include "core/runtime.h"

#include <ATen/core/Tensor.h>

#include <cstdint>

namespace gs::models {

// y[r, j] = bias[j] (0 where bias is null) + Σ_i x[r, i] · w[i, j], r < rows, j < out: row-major float arrays x [rows,
// in], w [in, out] and y [rows, out] (y neither x nor w). With `width` Avx2, 8-float vectors even where AVX-512 runs
// (for tests); scalar loops where neither runs. Spread over LibTorch's threads by blocks of columns.
void row_product(const float* x, const float* w, const float* bias, int64_t rows, int64_t in, int64_t out, float* y,
                 VectorWidth width = VectorWidth::Widest);

// Whether the tensor form applies: float32 CPU matrices x [rows, in] and w [in, out], no gradients wanted through
// either.
bool row_product_applies(const at::Tensor& x, const at::Tensor& w);

// x · w of matrices x [rows, in] and w [in, out], as a new tensor: by the kernels above where row_product_applies,
// LibTorch's mm otherwise (other types or devices, gradients wanted).
at::Tensor row_product(const at::Tensor& x, const at::Tensor& w, VectorWidth width = VectorWidth::Widest);

} // namespace gs::models
