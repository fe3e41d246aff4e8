#include "core/data/input_images.h"

#include <torch/torch.h>

namespace gs::data {

InputImages::InputImages(const std::string& spec, int64_t size, int channels) {
  DatasetOptions opts;
  opts.size = size;
  opts.channels = channels;
  dataset_ = open_dataset(spec, opts);
}

at::Tensor input_batch(const Dataset& dataset, int64_t first, int64_t n) {
  std::vector<at::Tensor> images;
  const int64_t total = dataset.size();
  for (int64_t i = 0; static_cast<int64_t>(images.size()) < n && i < total; ++i) {
    try {
      images.push_back(dataset.get((first + i) % total).image);
    } catch (const BadSample&) {
      continue;
    }
  }
  if (images.empty()) throw std::runtime_error(dataset.describe() + ": no readable image");
  return torch::stack(images).to(torch::kFloat) / 127.5 - 1;
}

at::Tensor InputImages::batch(int64_t first, int64_t n) const {
  return input_batch(*dataset_, first, n);
}

} // namespace gs::data
