// MAC and parameter counting conventions, in one place so every architecture counts alike.
#include "core/models/cost.h"

#include <torch/torch.h>

#include <cstdio>

namespace gs::models {

LayerCost conv2d_cost(std::string layer, int64_t in, int64_t out, int64_t k, int64_t out_h, int64_t out_w, bool bias) {
  return {std::move(layer), in * out * k * k + (bias ? out : 0), out_h * out_w * in * out * k * k, out_h * out_w * out};
}

LayerCost conv_transpose2d_cost(std::string layer, int64_t in, int64_t out, int64_t k, int64_t in_h, int64_t in_w,
                                int64_t out_h, int64_t out_w, bool bias, MacConvention convention) {
  const int64_t pixels = convention == MacConvention::TransposedByOutput ? out_h * out_w : in_h * in_w;
  // torch's ConvTranspose2d weight is [in, out, k, k].
  return {std::move(layer), in * out * k * k + (bias ? out : 0), pixels * in * out * k * k, out_h * out_w * out, 1};
}

LayerCost linear_cost(std::string layer, int64_t in, int64_t out, bool bias) {
  return {std::move(layer), in * out + (bias ? out : 0), in * out, out};
}

std::vector<LayerCost> strided_discriminator_cost(const std::vector<std::string>& names, int64_t in,
                                                  const std::vector<int64_t>& widths, int64_t size, bool bias,
                                                  const std::string& head) {
  std::vector<LayerCost> layers;
  int64_t side = size;
  for (size_t i = 0; i < widths.size(); ++i) {
    side /= 2;
    layers.push_back(conv2d_cost(names[i], in, widths[i], 4, side, side, bias));
    in = widths[i];
  }
  layers.push_back(conv2d_cost(head, in, 1, 4, side - 3, side - 3, bias));
  return layers;
}

CostReport make_cost_report(std::vector<LayerCost> layers, const torch::nn::Module& module) {
  CostReport r;
  r.layers = std::move(layers);
  for (const auto& l : r.layers) {
    r.macs += l.macs;
    r.outputs += l.outputs;
  }
  for (const auto& p : module.parameters(true))
    if (p.defined()) r.params += p.numel();
  return r;
}

std::string human_count(int64_t n) {
  const char* units[] = {"", "K", "M", "G", "T"};
  double v = static_cast<double>(n);
  int u = 0;
  while (v >= 1000.0 && u < 4) {
    v /= 1000.0;
    ++u;
  }
  char buf[32];
  if (u == 0)
    std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(n));
  else
    std::snprintf(buf, sizeof buf, v >= 100 ? "%.0f%s" : v >= 10 ? "%.1f%s" : "%.2f%s", v, units[u]);
  return buf;
}

} // namespace gs::models
