#include "core/models/output_tanh.h"
#include "core/runtime.h"

#include <torch/torch.h>

#include <cmath>
#include <cstdint>

namespace gs::models {
namespace {

// Branch-free, so the compiler vectorises the loops below (core/CMakeLists.txt adds -fno-trapping-math for that). For
// |x| < 0.25 the odd series to x⁹ (error below 1e-8); above it (1 − e) / (1 + e) with e = exp(−2|x|) = 2ⁿ · p(r), r =
// −2|x| − n·ln 2 in [−ln 2 / 2, ln 2 / 2] and p the series to r⁷ (relative error below 6e-9); |x| is clamped to 9,
// where tanh is 1 in float.
__attribute__((always_inline)) inline float tanh_one(float v) {
  const float a = std::min(std::fabs(v), 9.0f), a2 = a * a;
  const float small = a * (1.0f + a2 * (-1.0f / 3 + a2 * (2.0f / 15 + a2 * (-17.0f / 315 + a2 * (62.0f / 2835)))));
  const float y = -2.0f * a;
  const float n = (y * 1.44269504f + 12582912.0f) - 12582912.0f; // round to nearest: 1.5 · 2^23
  const float r = (y - n * 0.693145751953125f) - n * 1.428606765330187e-06f;
  const float p =
      1.0f +
      r * (1.0f + r * (0.5f + r * (1.0f / 6 + r * (1.0f / 24 + r * (1.0f / 120 + r * (1.0f / 720 + r / 5040))))));
  const float scale = __builtin_bit_cast(float, (static_cast<int32_t>(n) + 127) << 23);
  const float e = p * scale, large = (1.0f - e) / (1.0f + e); // both sides computed: no branch to vectorise
  const float t = a < 0.25f ? small : large;
  return std::copysign(t, v);
}

void tanh_generic(const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = tanh_one(x[i]);
}

#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target("avx2,fma"))) void tanh_avx2(const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = tanh_one(x[i]);
}
__attribute__((target("avx512f,fma"))) void tanh_avx512(const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = tanh_one(x[i]);
}
#endif

} // namespace

at::Tensor output_tanh(const at::Tensor& x, VectorWidth width) {
  if (!x.device().is_cpu() || x.scalar_type() != at::kFloat || (at::GradMode::is_enabled() && x.requires_grad()))
    return at::tanh(x);
  const at::Tensor src = x.contiguous();
  at::Tensor out = at::empty_like(src);
  const float* in = src.data_ptr<float>();
  float* dst = out.data_ptr<float>();
  at::parallel_for(0, src.numel(), 16384, [&](int64_t begin, int64_t end) {
#if defined(__x86_64__) && defined(__GNUC__)
    if (width == VectorWidth::Widest && cpu_has_avx512f()) return tanh_avx512(in + begin, dst + begin, end - begin);
    if (cpu_has_avx2_fma()) return tanh_avx2(in + begin, dst + begin, end - begin);
#endif
    tanh_generic(in + begin, dst + begin, end - begin);
  });
  return out;
}

} // namespace gs::models
