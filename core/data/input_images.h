// Dataset images as generator inputs: float [N, C, H, W] in [-1, 1] at a generator's input size.
#pragma once
#include "core/data/dataset.h"

namespace gs::data {

// `n` images of `dataset` from position `first` on, wrapping around its end, each read at most once; unreadable ones
// are skipped. Float [n', C, H, W] in [-1, 1]; std::runtime_error when none can be read.
at::Tensor input_batch(const Dataset& dataset, int64_t first, int64_t n);

class InputImages {
public:
  // Opens `spec` (see open_dataset) resized and centre-cropped to size x size with `channels` channels.
  InputImages(const std::string& spec, int64_t size, int channels);
  // `n` images starting at `first`, wrapping around the end of the dataset. Unreadable images are skipped.
  at::Tensor batch(int64_t first, int64_t n) const;
  int64_t size() const { return dataset_->size(); }

private:
  std::unique_ptr<Dataset> dataset_;
};

} // namespace gs::data
