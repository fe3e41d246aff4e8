#include "core/data/edge_pairs.h"

#include "core/data/dataset.h"
#include "core/data/image_folder.h"
#include "core/data/tensor_dataset.h"
#include "core/io/png.h"

#include <torch/torch.h>

#include <cstdio>
#include <filesystem>

#ifdef GANSTUDIO_HAVE_OPENCV
#include <opencv2/imgproc.hpp>
#endif

namespace gs::data {

EdgePairResult write_edge_pairs(const std::string& images, const std::string& out_dir, const EdgePairOptions& o) {
#ifdef GANSTUDIO_HAVE_OPENCV
  if (o.size < 8) throw std::invalid_argument("edge pairs: the size must be at least 8");
  const std::vector<std::string> files = list_images(images);
  if (files.empty()) throw std::runtime_error(images + ": no image files (png, jpg, bmp, webp)");
  std::filesystem::create_directories(out_dir);
  DatasetOptions conformed;
  conformed.size = o.size;
  conformed.channels = 3;
  const int64_t total = o.limit > 0 ? std::min<int64_t>(o.limit, files.size()) : static_cast<int64_t>(files.size());
  EdgePairResult r;
  for (int64_t i = 0; i < total; ++i) {
    at::Tensor rgb;
    try {
      rgb = conform(decode_image(files[i]), conformed).contiguous(); // uint8 [3, S, S]
    } catch (const BadSample&) {
      ++r.skipped;
      continue;
    }
    const at::Tensor hwc = rgb.permute({1, 2, 0}).contiguous();
    cv::Mat colour(static_cast<int>(o.size), static_cast<int>(o.size), CV_8UC3, hwc.data_ptr()), grey, edges;
    cv::cvtColor(colour, grey, cv::COLOR_RGB2GRAY);
    cv::Canny(grey, edges, o.low, o.high);
    const at::Tensor lines = 255 - torch::from_blob(edges.data, {1, o.size, o.size}, torch::kUInt8).clone();
    const at::Tensor pair = torch::cat({lines.expand({3, o.size, o.size}), rgb}, 2); // A | B
    char name[32];
    std::snprintf(name, sizeof name, "%06lld.png", static_cast<long long>(r.written));
    io::write_png((std::filesystem::path(out_dir) / name).string(), pair.permute({1, 2, 0}).contiguous());
    ++r.written;
    if (o.on_progress) o.on_progress(i + 1, total);
  }
  if (r.written == 0) throw std::runtime_error(images + ": no readable image");
  return r;
#else
  (void)images, (void)out_dir, (void)o;
  throw std::runtime_error("edge pairs need OpenCV, which this build was made without");
#endif
}

} // namespace gs::data
