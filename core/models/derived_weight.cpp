#include "core/models/derived_weight.h"
#include "core/models/direct_kernel.h"

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
    Slot slot{weight.unsafeGetTensorImpl(), std::move(key)};
    {
      std::lock_guard<std::mutex> lock(mutex_);
      auto it = entries_.find(slot);
      if (it != entries_.end() && it->second.weight.lock().get() == slot.first && it->second.state == state)
        return it->second.derived;
      drop_expired(); // on a miss only: a hit's weight is alive (checked above), and hits are every pass's
    }
    // Built without the lock: a build may derive from another of the weight's tensors (central_taps), and threads
    // that miss together build the same tensor.
    at::Tensor derived = build();
    std::lock_guard<std::mutex> lock(mutex_);
    entries_.insert_or_assign(
        std::move(slot), Entry{c10::weak_intrusive_ptr<c10::TensorImpl>(weight.getIntrusivePtr()), state, derived});
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

at::Tensor central_taps(const at::Tensor& weight, int64_t pad_h, int64_t pad_w) {
  const int64_t a = weight.size(0), b = weight.size(1), kh = weight.size(2), kw = weight.size(3);
  if (pad_h == 0 && pad_w == 0) return weight.reshape({a, b * kh * kw});
  return derived_weight(weight, {pad_h, pad_w}, [&] {
    // One index_select over the flattened taps: 6× faster than slicing rows and columns, which LibTorch copies a
    // row's few floats at a time.
    std::vector<int64_t> central;
    for (int64_t i = pad_h; i < kh - pad_h; ++i)
      for (int64_t j = pad_w; j < kw - pad_w; ++j) central.push_back(i * kw + j);
    const auto taps = static_cast<int64_t>(central.size());
    return weight.reshape({a * b, kh * kw}).index_select(1, torch::tensor(central, torch::kLong)).view({a, b * taps});
  });
}

at::Tensor blocked_weight(const at::Tensor& w, int64_t lanes) {
  const at::Tensor src = w.contiguous();
  const int64_t out = src.size(-1);
  at::Tensor dst = at::empty({src.numel()}, src.options());
  direct::block_weights(src.data_ptr<float>(), src.numel() / out, out, lanes, dst.data_ptr<float>());
  return dst;
}

size_t derived_weights() {
  return cache().size();
}

} // namespace gs::models
