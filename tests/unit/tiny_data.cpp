#include "tiny_data.h"

#include "core/io/checkpoint.h"
#include "core/models/registry.h"

#include <torch/torch.h>

namespace gs::test {

void write_squares_dataset(const std::string& path, int64_t count, int64_t size) {
  at::Tensor images = torch::zeros({count, 1, size, size}, torch::kUInt8);
  auto gen = at::make_generator<at::CPUGeneratorImpl>(3);
  const int64_t side = size * 3 / 8;
  for (int64_t i = 0; i < count; ++i) {
    const int64_t y = at::randint(0, size - side, {1}, gen).item<int64_t>();
    const int64_t x = at::randint(0, size - side, {1}, gen).item<int64_t>();
    images[i].slice(1, y, y + side).slice(2, x, x + side).fill_(255);
  }
  io::ValueArena arena;
  io::Value* root = arena.dict();
  root->entries.emplace_back(arena.string("images"), arena.tensor(images));
  root->entries.emplace_back(arena.string("labels"), arena.tensor(torch::zeros({count}, torch::kLong)));
  io::save_checkpoint(path, root);
}

models::TensorMap generator_weights(const std::string& path) {
  models::Model m = models::load_model(path);
  return models::state_dict(m.generator->module());
}

bool same_tensors(const models::TensorMap& a, const models::TensorMap& b) {
  if (a.size() != b.size()) return false;
  for (const auto& [name, t] : a)
    if (!b.count(name) || !torch::equal(t, b.at(name))) return false;
  return true;
}

} // namespace gs::test
