// Small training fixtures made on the fly: a tensor-cache dataset of bright squares, and exact weight comparisons.
#pragma once
#include "core/models/state_loading.h"

#include <string>

namespace gs::test {

// `count` grey size x size images with a bright square at a seeded random place, saved as a tensor cache
// ({"images", "labels"}) at `path`.
void write_squares_dataset(const std::string& path, int64_t count = 24, int64_t size = 16);

// A loaded model's generator weights, and exact equality of two such maps.
models::TensorMap generator_weights(const std::string& path);
bool same_tensors(const models::TensorMap& a, const models::TensorMap& b);

} // namespace gs::test
