#include "core/data/dataset.h"
#include "core/data/idx_file.h"
#include "core/data/image_folder.h"
#include "core/data/tensor_dataset.h"
#include "core/io/checkpoint.h"

#include <torch/torch.h>

#include <filesystem>

namespace gs::data {
namespace fs = std::filesystem;

namespace {

std::unique_ptr<Dataset> open_fashion_mnist(const std::string& dir, const DatasetOptions& options) {
  const std::string prefix = options.train_split ? "train" : "t10k";
  auto find = [&](const std::string& stem) {
    for (const char* ext : {".gz", ""}) {
      fs::path p = fs::path(dir) / (stem + ext);
      if (fs::exists(p)) return p.string();
    }
    throw std::runtime_error(dir + ": Fashion-MNIST file " + stem +
                             "(.gz) not found (Debian package "
                             "dataset-fashion-mnist installs them)");
  };
  at::Tensor images = read_idx_images(find(prefix + "-images-idx3-ubyte"));
  at::Tensor labels = read_idx_labels(find(prefix + "-labels-idx1-ubyte"));
  return std::make_unique<TensorDataset>(images, labels, "Fashion-MNIST " + prefix + " (" + dir + ")", options);
}

std::unique_ptr<Dataset> open_cache(const std::string& path, const DatasetOptions& options) {
  io::Checkpoint ck = io::load_checkpoint(path);
  const io::Value* images = ck.doc.root->get("images");
  const io::Value* labels = ck.doc.root->get("labels");
  if (!images || images->kind != io::Kind::Tensor || images->tensor.scalar_type() != torch::kUInt8 ||
      images->tensor.dim() != 4)
    throw std::runtime_error(path + ": not a tensor cache (expected {'images': uint8 [N,C,H,W], 'labels': ...})");
  at::Tensor l = labels && labels->kind == io::Kind::Tensor ? labels->tensor.to(torch::kLong) : at::Tensor();
  return std::make_unique<TensorDataset>(images->tensor, l, "tensor cache " + path, options);
}

} // namespace

std::unique_ptr<Dataset> open_dataset(const std::string& spec, const DatasetOptions& options) {
  if (spec == "fashion-mnist" || spec == "fashion-mnist:train" || spec == "fashion-mnist:test") {
    DatasetOptions o = options;
    if (spec == "fashion-mnist:test") o.train_split = false;
    return open_fashion_mnist(default_fashion_mnist_dir(), o);
  }
  if (!fs::exists(spec)) throw std::runtime_error(spec + ": dataset not found");
  if (fs::is_regular_file(spec)) return open_cache(spec, options);
  if (fs::exists(fs::path(spec) / "train-images-idx3-ubyte.gz") ||
      fs::exists(fs::path(spec) / "train-images-idx3-ubyte"))
    return open_fashion_mnist(spec, options);
  Layout layout = options.layout;
  if (layout == Layout::Auto)
    layout = fs::is_directory(fs::path(spec) / "trainA") && fs::is_directory(fs::path(spec) / "trainB")
                 ? Layout::Unpaired
                 : Layout::Single;
  return std::make_unique<ImageFolder>(spec, layout, options);
}

} // namespace gs::data
