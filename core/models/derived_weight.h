// Tensors derived from a layer's weight (re-laid-out kernels, gathered taps), kept while the weight lives unchanged:
// rebuilding one reads the whole weight on every pass, which for a wide layer at batch 1 costs more than the layer.
#pragma once

#include <ATen/core/Tensor.h>

#include <functional>
#include <vector>

namespace gs::models {

// build()'s result for this weight and `key` (what tells apart the tensors one weight gives: a layout and its
// parameters), built once while the weight is neither replaced nor changed in place (its version counter moves on
// every in-place update, as optimiser steps and loading do; its data pointer when set_data() swaps the data, as
// Module::to() does). With gradients wanted through the weight, build() every time, so they flow.
at::Tensor derived_weight(const at::Tensor& weight, std::vector<int64_t> key, const std::function<at::Tensor()>& build);

// The central taps of a weight [a, b, kh, kw], rows pad_h .. kh − pad_h − 1 and columns pad_w .. kw − pad_w − 1, as
// [a, b · taps] (taps fastest, row by row), kept as derived_weight() keeps its tensors: all that a layer reads of its
// kernel where its padding leaves one pixel's window (strided_conv.h's single_pixel, transposed_conv's one-pixel
// product). With no padding, the weight itself, reshaped.
at::Tensor central_taps(const at::Tensor& weight, int64_t pad_h, int64_t pad_w);

// A direct route's kernel: w (its last dimension the output channels) in direct::block_weights' layout for `lanes`
// vector lanes, flat. Meant to be built inside derived_weight(), with the lanes in the key.
at::Tensor blocked_weight(const at::Tensor& w, int64_t lanes);

// How many derived tensors are kept (one or more per live weight), for tests.
size_t derived_weights();

} // namespace gs::models
