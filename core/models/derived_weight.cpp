#include "core/models/derived_weight.h"

#include <torch/torch.h>

#include <map>
#include <mutex>

namespace gs::models {
namespace {

class Cache {
public:
  at::Tensor get(const at::Tensor& weight, std::vector<int64_t> key, const std::function<at::Tensor()>& build) {
    if (at::GradMode::is_enabled() && weight.requires_grad()) return build();
    const std::pair<int64_t, int64_t> state{static_cast<int64_t>(weight._version()),
                                            reinterpret_cast<int64_t>(weight.data_ptr())};
    std::lock_guard<std::mutex> lock(mutex_);
    drop_expired();
    const Slot slot{weight.unsafeGetTensorImpl(), std::move(key)};
    auto it = entries_.find(slot);
    if (it != entries_.end() && it->second.weight.lock().get() == slot.first && it->second.state == state)
      return it->second.derived;
    at::Tensor derived = build();
    entries_.insert_or_assign(
        slot, Entry{c10::weak_intrusive_ptr<c10::TensorImpl>(weight.getIntrusivePtr()), state, derived});
    return derived;
  }

  size_t size() {
    std::lock_guard<std::mutex> lock(mutex_);
    drop_expired();
    return entries_.size();
  }

private:
  // Layers come and go with students: only live weights keep their tensors (a handful of entries to look through).
  void drop_expired() {
    for (auto e = entries_.begin(); e != entries_.end();) e = e->second.weight.expired() ? entries_.erase(e) : ++e;
  }

  using Slot = std::pair<const c10::TensorImpl*, std::vector<int64_t>>;
  struct Entry {
    c10::weak_intrusive_ptr<c10::TensorImpl> weight;
    std::pair<int64_t, int64_t> state; // version, data pointer
    at::Tensor derived;
  };
  std::mutex mutex_;
  std::map<Slot, Entry> entries_;
};

Cache& cache() {
  static Cache c;
  return c;
}

} // namespace

at::Tensor derived_weight(const at::Tensor& weight, std::vector<int64_t> key,
                          const std::function<at::Tensor()>& build) {
  return cache().get(weight, std::move(key), build);
}

size_t derived_weights() {
  return cache().size();
}

} // namespace gs::models
