// Intermediate activations by channel group, for feature distillation. While a FeatureTap is alive on a thread,
// every generator forward on that thread reports each channel group's activations (its channels as the next layer
// reads them: after normalisation and nonlinearity) under the group's name. A pruned student reports the same groups
// with fewer channels: its channel k is the teacher's channel kept[k].
#pragma once
#include <ATen/core/Tensor.h>

#include <map>
#include <string>

namespace gs::models {

class FeatureTap {
public:
  FeatureTap();
  ~FeatureTap();
  FeatureTap(const FeatureTap&) = delete;
  FeatureTap& operator=(const FeatureTap&) = delete;
  const std::map<std::string, at::Tensor>& features() const { return features_; }

private:
  friend void tap(const std::string& group, const at::Tensor& activation);
  std::map<std::string, at::Tensor> features_;
  FeatureTap* previous_;
};

// Called by generators where a group's channels are complete; nothing happens unless a FeatureTap is listening.
void tap(const std::string& group, const at::Tensor& activation);
bool tapping();

} // namespace gs::models
