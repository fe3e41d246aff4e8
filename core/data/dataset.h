// Datasets as the engine sees them: indexed samples of uint8 CHW images (plus a paired target or a class label).
#pragma once
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>

namespace gs::data {

struct Sample {
  at::Tensor image;  // uint8 [C, H, W]
  at::Tensor target; // uint8 [C, H, W] for paired / unpaired data, undefined otherwise
  int64_t label = -1;
};

// A sample that cannot be decoded (corrupt or unreadable file). Loaders skip it and count it; other errors abort.
struct BadSample : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class Dataset {
public:
  virtual ~Dataset() = default;
  virtual int64_t size() const = 0;
  // Thread-safe: loaders call it from a background thread. Throws BadSample for an unreadable item.
  virtual Sample get(int64_t index) const = 0;
  virtual std::string describe() const = 0;
};

enum class Layout {
  Auto,     // trainA/ + trainB/ inside the folder: unpaired; otherwise single images
  Single,   // one image per file
  Paired,   // pix2pix "aligned": A and B side by side in one file (A left)
  Unpaired, // CycleGAN: folders trainA/ and trainB/
};

struct DatasetOptions {
  Layout layout = Layout::Auto;
  int64_t size = 0; // images are resized (shorter side) and centre-cropped to size x size; 0 keeps them as they are
  int channels = 3; // 1 or 3; grey images are repeated, colour ones converted with ITU-R 601 luma
  bool train_split = true; // Fashion-MNIST: train (60k) or t10k (10k)
};

// Opens a dataset from a user-facing spec:
//   "fashion-mnist" or "fashion-mnist:test"  Debian's dataset-fashion-mnist (or a folder of its IDX files)
//   path/to/cache.pt                          a tensor cache: {"images": uint8 [N,C,H,W], "labels": int64 [N]}
//   path/to/folder                            image files (recursively); with trainA/ and trainB/ inside: unpaired;
//                                             Layout::Paired: A|B side-by-side images
// Throws std::runtime_error naming the path when it is missing, empty or unreadable.
std::unique_ptr<Dataset> open_dataset(const std::string& spec, const DatasetOptions& options = {});

} // namespace gs::data
