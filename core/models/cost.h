// Parameter and MAC counting helpers shared by the architectures. Only convolutions and linear layers count MACs;
// normalisation, activation and bias additions are not counted (the convention of the compression papers).
#pragma once
#include "core/models/generator.h"

namespace gs::models {

// A convolution producing out_h x out_w pixels.
LayerCost conv2d_cost(std::string layer, int64_t in, int64_t out, int64_t k, int64_t out_h, int64_t out_w, bool bias);
// A transposed convolution from in_h x in_w to out_h x out_w pixels, counted by `convention`.
LayerCost conv_transpose2d_cost(std::string layer, int64_t in, int64_t out, int64_t k, int64_t in_h, int64_t in_w,
                                int64_t out_h, int64_t out_w, bool bias, MacConvention convention);
LayerCost linear_cost(std::string layer, int64_t in, int64_t out, bool bias);
// A DCGAN-style discriminator on size x size images: 4x4 stride-2 convolutions names[i] from `in` channels to
// widths[i], each halving the side, then `head`, a 4x4 convolution without padding to one channel.
std::vector<LayerCost> strided_discriminator_cost(const std::vector<std::string>& names, int64_t in,
                                                  const std::vector<int64_t>& widths, int64_t size, bool bias,
                                                  const std::string& head);

// Totals `layers`; `params` is the true parameter count of the module (also covers norm affines etc.).
CostReport make_cost_report(std::vector<LayerCost> layers, const torch::nn::Module& module);

// "56.8G", "1.21M", "640": how counts are printed.
std::string human_count(int64_t n);

} // namespace gs::models
