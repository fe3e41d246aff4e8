// Datasets read from image files with OpenCV: single images, pix2pix A|B pairs, CycleGAN trainA/trainB folders.
#pragma once
#include "core/data/dataset.h"

#include <string>
#include <vector>

namespace gs::data {

// Image files under `root` (recursively), sorted so indices are stable across runs.
std::vector<std::string> list_images(const std::string& root);

class ImageFolder : public Dataset {
public:
  ImageFolder(std::string root, Layout layout, const DatasetOptions& options);
  int64_t size() const override;
  Sample get(int64_t index) const override;
  std::string describe() const override;

private:
  std::string root_;
  Layout layout_;
  DatasetOptions options_;
  std::vector<std::string> files_, files_b_; // files_b_: the B side of unpaired data
};

// Decodes one file to uint8 [C,H,W] RGB (alpha composited onto white). Throws BadSample when it cannot.
at::Tensor decode_image(const std::string& path);

} // namespace gs::data
