// Checks every architecture's tests share: slicing equals masking, strict loading, saving and loading back.
#pragma once
#include "core/io/checkpoint.h"
#include "core/models/generator.h"

#include <functional>

#include <cstdint>
#include <string>

namespace gs::test {

// Inputs matching the generator's input spec: standard-normal latents or images in [-1, 1].
at::Tensor sample_inputs(const models::Generator& g, int64_t n, uint64_t seed);

// Exports `g` and a copy sliced to every other channel as TorchScript (to `path`), runs both under torch::jit and
// compares with the C++ forward in eval mode: "" when both agree to `tolerance` (relative), else what differs.
std::string torchscript_matches(models::Generator& g, const std::string& path, double tolerance = 1e-5);

// For `trials` random kept sets (every group keeps a random non-empty subset), the sliced model's output equals the
// masked full model's to `tolerance` (relative to the output's largest magnitude). Returns an empty string on
// success, otherwise what differed.
std::string slice_equals_mask(models::Generator& g, int trials, uint64_t seed, double tolerance = 1e-5);

// Largest |a - b| over the largest |b|; 0 when both are all zeros.
double relative_max_diff(const at::Tensor& a, const at::Tensor& b);

// Saves the model with save_model into `dir`, loads it back with load_model and compares outputs on the same
// inputs; returns an empty string on success.
std::string save_load_round_trip(models::Generator& g, const std::string& dir);

// Loads the tensors under `prefix` of the checkpoint at `path` as a bare state dict after `edit` changes them;
// returns the ModelError's text, or an empty string when loading succeeded.
std::string load_error_after_edit(const std::string& path, const std::string& prefix,
                                  const std::function<void(std::vector<io::NamedTensor>&)>& edit);

} // namespace gs::test
