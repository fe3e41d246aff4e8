#include "core/data/image_folder.h"

#include "core/data/tensor_dataset.h"

#include <torch/torch.h>

#include <algorithm>
#include <filesystem>

#ifdef GANSTUDIO_HAVE_OPENCV
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#endif

namespace gs::data {
namespace fs = std::filesystem;

std::vector<std::string> list_images(const std::string& root) {
  std::vector<std::string> out;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, ec), end;
       !ec && it != end; it.increment(ec)) {
    if (!it->is_regular_file()) continue;
    std::string ext = it->path().extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
    if (ext == ".png" || ext == ".jpg" || ext == ".jpeg" || ext == ".bmp" || ext == ".webp")
      out.push_back(it->path().string());
  }
  if (ec) throw std::runtime_error(root + ": cannot list: " + ec.message());
  std::sort(out.begin(), out.end());
  return out;
}

at::Tensor decode_image(const std::string& path) {
#ifdef GANSTUDIO_HAVE_OPENCV
  cv::Mat m = cv::imread(path, cv::IMREAD_UNCHANGED);
  if (m.empty()) throw BadSample(path + ": cannot decode image");
  if (m.depth() != CV_8U) m.convertTo(m, CV_8U, m.depth() == CV_16U ? 1.0 / 257 : 1.0);
  cv::Mat rgb;
  if (m.channels() == 4) {
    // Composite onto white: transparent emoji backgrounds would otherwise turn black.
    std::vector<cv::Mat> ch;
    cv::split(m, ch);
    cv::Mat alpha;
    ch[3].convertTo(alpha, CV_32F, 1.0 / 255);
    cv::Mat bgr;
    cv::merge(std::vector<cv::Mat>{ch[0], ch[1], ch[2]}, bgr);
    bgr.convertTo(bgr, CV_32FC3);
    cv::Mat a3;
    cv::merge(std::vector<cv::Mat>{alpha, alpha, alpha}, a3);
    cv::Mat out = bgr.mul(a3) + (cv::Scalar::all(1.0) - a3) * 255.0;
    out.convertTo(m, CV_8UC3);
  }
  if (m.channels() == 1)
    cv::cvtColor(m, rgb, cv::COLOR_GRAY2RGB);
  else
    cv::cvtColor(m, rgb, cv::COLOR_BGR2RGB);
  at::Tensor t = torch::from_blob(rgb.data, {rgb.rows, rgb.cols, 3}, torch::kUInt8).clone();
  return t.permute({2, 0, 1}).contiguous();
#else
  throw std::runtime_error(path + ": this build has no OpenCV (GANSTUDIO_OPENCV=OFF); use a tensor cache instead");
#endif
}

ImageFolder::ImageFolder(std::string root, Layout layout, const DatasetOptions& options)
    : root_(std::move(root)), layout_(layout), options_(options) {
  if (!fs::is_directory(root_)) throw std::runtime_error(root_ + ": no such folder");
  if (layout_ == Layout::Unpaired) {
    files_ = list_images((fs::path(root_) / "trainA").string());
    files_b_ = list_images((fs::path(root_) / "trainB").string());
    if (files_.empty() || files_b_.empty())
      throw std::runtime_error(root_ + ": unpaired data needs images in both trainA/ and trainB/");
  } else {
    files_ = list_images(root_);
    if (files_.empty()) throw std::runtime_error(root_ + ": no images found (png, jpg, bmp, webp)");
  }
}

int64_t ImageFolder::size() const {
  return static_cast<int64_t>(files_.size());
}

Sample ImageFolder::get(int64_t index) const {
  Sample s;
  at::Tensor img = decode_image(files_.at(static_cast<size_t>(index)));
  if (layout_ == Layout::Paired) {
    const int64_t half = img.size(2) / 2;
    if (half == 0) throw BadSample(files_[static_cast<size_t>(index)] + ": too narrow for an A|B pair");
    s.image = conform(img.narrow(2, 0, half), options_);
    s.target = conform(img.narrow(2, half, half), options_);
  } else {
    s.image = conform(img, options_);
    if (layout_ == Layout::Unpaired) {
      // A fixed pseudo-random partner per index (upstream draws B at random; this keeps runs reproducible).
      uint64_t h = static_cast<uint64_t>(index) * 0x9E3779B97F4A7C15ull;
      h ^= h >> 31;
      s.target = conform(decode_image(files_b_[h % files_b_.size()]), options_);
    }
  }
  return s;
}

std::string ImageFolder::describe() const {
  const char* kind = layout_ == Layout::Paired     ? "paired A|B images"
                     : layout_ == Layout::Unpaired ? "unpaired A/B images"
                                                   : "images";
  return root_ + " (" + std::to_string(files_.size()) + " " + kind + ")";
}

} // namespace gs::data
