// Batches from a dataset: seeded shuffling per epoch, a background thread decoding ahead, bad samples skipped.
#pragma once
#include "core/data/dataset.h"

#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

namespace gs::data {

struct Batch {
  at::Tensor images;  // uint8 [N, C, H, W]
  at::Tensor targets; // uint8 [N, C, H, W] for paired / unpaired data, undefined otherwise
  at::Tensor labels;  // int64 [N] (-1 where unknown)
};

struct LoaderOptions {
  int64_t batch_size = 32;
  uint64_t seed = 0;
  bool shuffle = true;
  bool drop_last = true;
  int prefetch = 2; // batches decoded ahead
};

class Loader {
public:
  Loader(std::shared_ptr<const Dataset> dataset, LoaderOptions options);
  ~Loader();
  Loader(const Loader&) = delete;
  Loader& operator=(const Loader&) = delete;

  // Starts epoch `epoch` (the shuffle order depends only on seed and epoch, so a resumed run sees the same data).
  void start_epoch(int64_t epoch);
  // The next batch of the current epoch, or nullopt at its end. Rethrows a non-BadSample error of the dataset.
  std::optional<Batch> next();
  // Samples skipped so far because they could not be decoded.
  int64_t skipped() const { return skipped_.load(); }
  int64_t batches_per_epoch() const;

private:
  void stop_worker();
  void work(std::vector<int64_t> order);

  std::shared_ptr<const Dataset> dataset_;
  LoaderOptions options_;
  std::thread worker_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<Batch> ready_;
  bool done_ = true;
  bool stop_ = false;
  std::exception_ptr error_;
  std::atomic<int64_t> skipped_{0};
};

} // namespace gs::data
