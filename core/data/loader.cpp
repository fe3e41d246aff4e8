#include "core/data/loader.h"

#include "core/log.h"

#include <torch/torch.h>

#include <numeric>
#include <random>

namespace gs::data {

Loader::Loader(std::shared_ptr<const Dataset> dataset, LoaderOptions options)
    : dataset_(std::move(dataset)), options_(options) {
  if (options_.batch_size < 1) throw std::invalid_argument("batch size must be at least 1");
  if (options_.drop_last && dataset_->size() < options_.batch_size)
    throw std::runtime_error(dataset_->describe() + ": fewer samples (" + std::to_string(dataset_->size()) +
                             ") than one batch (" + std::to_string(options_.batch_size) + ")");
}

Loader::~Loader() {
  stop_worker();
}

int64_t Loader::batches_per_epoch() const {
  const int64_t n = dataset_->size();
  return options_.drop_last ? n / options_.batch_size : (n + options_.batch_size - 1) / options_.batch_size;
}

void Loader::stop_worker() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  cv_.notify_all();
  if (worker_.joinable()) worker_.join();
}

void Loader::start_epoch(int64_t epoch) {
  stop_worker();
  std::vector<int64_t> order(static_cast<size_t>(dataset_->size()));
  std::iota(order.begin(), order.end(), 0);
  if (options_.shuffle) {
    std::mt19937_64 rng(options_.seed * 1000003u + static_cast<uint64_t>(epoch));
    std::shuffle(order.begin(), order.end(), rng);
  }
  std::lock_guard<std::mutex> lock(mutex_);
  ready_.clear();
  done_ = false;
  stop_ = false;
  error_ = nullptr;
  worker_ = std::thread([this, order = std::move(order)]() mutable { work(std::move(order)); });
}

void Loader::work(std::vector<int64_t> order) {
  size_t pos = 0;
  try {
    for (;;) {
      std::vector<Sample> samples;
      // Bad samples are replaced by the next ones in the order, so batches stay full.
      while (static_cast<int64_t>(samples.size()) < options_.batch_size && pos < order.size()) {
        try {
          samples.push_back(dataset_->get(order[pos++]));
        } catch (const BadSample& e) {
          if (skipped_.fetch_add(1) < 10) log::get("data")->warn("skipping {}", e.what());
        }
      }
      if (samples.empty() || (options_.drop_last && static_cast<int64_t>(samples.size()) < options_.batch_size)) break;
      Batch b;
      std::vector<at::Tensor> images, targets;
      std::vector<int64_t> labels;
      for (auto& s : samples) {
        images.push_back(s.image);
        if (s.target.defined()) targets.push_back(s.target);
        labels.push_back(s.label);
      }
      b.images = torch::stack(images);
      if (targets.size() == samples.size()) b.targets = torch::stack(targets);
      b.labels = torch::tensor(labels, torch::kLong);
      std::unique_lock<std::mutex> lock(mutex_);
      cv_.wait(lock, [&] { return stop_ || static_cast<int>(ready_.size()) < options_.prefetch; });
      if (stop_) return;
      ready_.push_back(std::move(b));
      cv_.notify_all();
    }
  } catch (...) {
    std::lock_guard<std::mutex> lock(mutex_);
    error_ = std::current_exception();
  }
  std::lock_guard<std::mutex> lock(mutex_);
  done_ = true;
  cv_.notify_all();
}

std::optional<Batch> Loader::next() {
  std::unique_lock<std::mutex> lock(mutex_);
  cv_.wait(lock, [&] { return !ready_.empty() || done_; });
  if (!ready_.empty()) {
    Batch b = std::move(ready_.front());
    ready_.pop_front();
    cv_.notify_all();
    return b;
  }
  if (error_) std::rethrow_exception(error_);
  return std::nullopt;
}

} // namespace gs::data
