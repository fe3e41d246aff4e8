#include "core/models/feature_tap.h"

namespace gs::models {
namespace {
thread_local FeatureTap* g_active = nullptr;
}

FeatureTap::FeatureTap() : previous_(g_active) {
  g_active = this;
}
FeatureTap::~FeatureTap() {
  g_active = previous_;
}

void tap(const std::string& group, const at::Tensor& activation) {
  if (g_active) g_active->features_[group] = activation;
}

bool tapping() {
  return g_active != nullptr;
}

} // namespace gs::models
