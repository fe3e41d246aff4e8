// An edges -> image paired dataset (like pix2pix's edges2shoes) made from any folder of images: each image is resized
// and centre-cropped, its Canny edges drawn black on white, and the pair written side by side as A|B PNGs that the
// paired layout reads. Needs OpenCV.
#pragma once
#include <cstdint>
#include <functional>
#include <string>

namespace gs::data {

struct EdgePairOptions {
  int64_t size = 64;            // side of each half
  double low = 100, high = 200; // Canny hysteresis thresholds on the grey image (0..255)
  int64_t limit = 0;            // at most this many images (0: all)
  std::function<void(int64_t done, int64_t total)> on_progress;
};

struct EdgePairResult {
  int64_t written = 0, skipped = 0; // skipped: unreadable images
};

// Throws std::runtime_error naming the folder when it holds no image, or the file that cannot be written; without
// OpenCV, std::runtime_error saying so.
EdgePairResult write_edge_pairs(const std::string& images, const std::string& out_dir, const EdgePairOptions& options);

} // namespace gs::data
