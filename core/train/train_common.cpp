#include "core/train/train_common.h"

#include "core/io/atomic_file.h"
#include "core/log.h"
#include "core/models/state_loading.h"
#include "core/runtime.h"

#include <torch/torch.h>

#include <filesystem>
#include <sstream>
#include <unistd.h>

namespace gs::train {

namespace fs = std::filesystem;

StepSampler::StepSampler(const data::Dataset& dataset, uint64_t seed, int64_t batch)
    : dataset_(dataset), seed_(seed), batch_(batch), count_(batch) {}

void StepSampler::shard(int64_t first, int64_t count) {
  if (first < 0 || count < 1 || first + count > batch_) throw std::invalid_argument("a batch share outside the batch");
  first_ = first;
  count_ = count;
}

// A skipped sample shifts only this process's later positions: shares may then overlap by the number skipped.
std::vector<data::Sample> StepSampler::samples(int64_t step) {
  std::vector<data::Sample> out;
  for (int64_t k = 0; out.size() < static_cast<size_t>(count_); ++k) {
    const int64_t position = step * batch_ + first_ + k + offset_;
    try {
      out.push_back(dataset_.get(index(position)));
    } catch (const data::BadSample& e) {
      // Skip it for good: later batches shift by one, identically on every run.
      if (++skipped_ == 1) log::get("train")->warn("skipping unreadable samples: {}", e.what());
      if (skipped_ >= dataset_.size()) throw std::runtime_error(dataset_.describe() + ": no readable sample");
      ++offset_;
      --k;
    }
  }
  return out;
}

namespace {
at::Tensor to_float(const std::vector<at::Tensor>& images) {
  return torch::stack(images).to(torch::kFloat).div_(127.5).sub_(1);
}
} // namespace

at::Tensor StepSampler::batch(int64_t step) {
  std::vector<at::Tensor> images;
  for (auto& s : samples(step)) images.push_back(s.image);
  return to_float(images);
}

std::pair<at::Tensor, at::Tensor> StepSampler::pairs(int64_t step) {
  std::vector<at::Tensor> inputs, targets;
  for (auto& s : samples(step)) {
    if (!s.target.defined())
      throw std::invalid_argument(dataset_.describe() +
                                  ": image-to-image training needs paired data (A|B side by side, layout paired)");
    inputs.push_back(s.image);
    targets.push_back(s.target);
  }
  return {to_float(inputs), to_float(targets)};
}

int64_t StepSampler::index(int64_t position) {
  const int64_t n = dataset_.size();
  const int64_t epoch = position / n;
  if (epoch != epoch_) {
    auto gen = at::make_generator<at::CPUGeneratorImpl>(seed_ + static_cast<uint64_t>(epoch));
    order_ = torch::randperm(n, gen, torch::kLong);
    epoch_ = epoch;
  }
  return order_[position % n].item<int64_t>();
}

data::Layout layout_from_name(const std::string& name) {
  if (name == "auto") return data::Layout::Auto;
  if (name == "single") return data::Layout::Single;
  if (name == "paired") return data::Layout::Paired;
  if (name == "unpaired") return data::Layout::Unpaired;
  throw std::invalid_argument("unknown data layout '" + name + "' (auto, single, paired, unpaired)");
}

c10::Device pick_device(const std::string& device, bool deterministic) {
  if (deterministic || device == "cpu") return torch::kCPU;
  if (device == "cuda" && !torch::cuda::is_available())
    throw std::runtime_error("--device cuda: no CUDA device is available to this build of LibTorch");
  if (device != "cuda" && device != "auto") throw std::invalid_argument("unknown device '" + device + "'");
  return torch::cuda::is_available() ? torch::Device(torch::kCUDA) : torch::Device(torch::kCPU);
}

void make_deterministic() {
  set_threads(1);
  at::globalContext().setDeterministicAlgorithms(true, false);
}

void check_writable(const std::string& path) {
  if (path.empty()) throw std::invalid_argument("no output file given");
  const fs::path dir = fs::absolute(path).parent_path();
  if (!fs::is_directory(dir)) throw std::runtime_error(path + ": directory " + dir.string() + " does not exist");
  if (access(dir.c_str(), W_OK) != 0)
    throw std::runtime_error(path + ": directory " + dir.string() + " is not writable");
}

void write_modules(torch::serialize::OutputArchive& archive, const std::string& prefix, torch::nn::Module& m) {
  for (const auto& [name, t] : models::state_dict(m)) archive.write(prefix + name, t.detach().cpu());
}

void read_modules(torch::serialize::InputArchive& archive, const std::string& prefix, torch::nn::Module& m) {
  models::TensorMap loaded;
  for (const auto& [name, t] : models::state_dict(m)) {
    at::Tensor v;
    archive.read(prefix + name, v);
    loaded[name] = v;
  }
  models::load_strict(m, loaded, "training state");
}

void write_progress(torch::serialize::OutputArchive& a, int64_t step, const at::Generator& rng) {
  a.write("step", torch::tensor(step));
  a.write("rng", rng.get_state());
  a.write("global_rng", at::detail::getDefaultCPUGenerator().get_state());
}

int64_t read_progress(torch::serialize::InputArchive& a, at::Generator& rng) {
  // Each read needs an undefined tensor: reading into a defined one tries to resize its storage in place.
  at::Tensor step, rng_state, global_state;
  a.read("step", step);
  a.read("rng", rng_state);
  rng.set_state(rng_state);
  a.read("global_rng", global_state);
  at::Generator global = at::detail::getDefaultCPUGenerator();
  global.set_state(global_state);
  return step.item<int64_t>();
}

void save_archive_atomic(torch::serialize::OutputArchive& archive, const std::string& path) {
  std::ostringstream bytes;
  archive.save_to(bytes);
  io::write_file_atomic(path, bytes.str());
}

} // namespace gs::train
