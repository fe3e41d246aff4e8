// ganstudio-cli cache: a dataset decoded once into a uint8 tensor file, for machines without OpenCV (headless CUDA
// servers) and for faster start-up.
#include "app/cli/args.h"
#include "app/cli/commands.h"
#include "app/cli/progress.h"
#include "core/data/dataset.h"
#include "core/io/checkpoint.h"
#include "core/train/train_common.h"

#include <torch/torch.h>

#include <iostream>

namespace gs::cli {

int run_cache(const std::vector<std::string>& argv) {
  Args args(
      "cache",
      "Decodes a dataset once, resized (shorter side) and centre-cropped to --size, into a torch.save file\n"
      "{\"images\": uint8 [N, C, H, W], \"labels\": int64 [N]} that every command accepts as --data (and Python's\n"
      "torch.load reads). Unreadable images are skipped and counted.",
      {},
      {{"--data", "D", "fashion-mnist, an image folder, or another cache"},
       {"--size", "S", "side of the square images (default 32)"},
       {"--channels", "C", "1 or 3 (default 3; fashion-mnist 1)"},
       {"--layout", "L", "auto, single, paired (keeps the A side), unpaired (keeps trainA)"},
       {"--limit", "N", "at most N images (default all)"},
       {"--out", "CACHE.pt", "the file to write"}});
  if (!args.parse(argv)) return 0;
  const std::string spec = args.required("--data"), out = args.required("--out");
  data::DatasetOptions o;
  o.size = args.integer("--size", 32, 1);
  o.channels = static_cast<int>(args.integer("--channels", spec.rfind("fashion-mnist", 0) == 0 ? 1 : 3, 1));
  if (o.channels != 1 && o.channels != 3) throw UsageError("--channels must be 1 or 3");
  try {
    o.layout = train::layout_from_name(args.value("--layout").value_or("auto"));
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
  train::check_writable(out);
  const auto dataset = data::open_dataset(spec, o);
  const int64_t n = std::min(dataset->size(), args.integer("--limit", dataset->size(), 1));
  std::vector<at::Tensor> images;
  std::vector<int64_t> labels;
  int64_t skipped = 0;
  Progress progress("cache", n);
  for (int64_t i = 0; i < n; ++i) {
    try {
      data::Sample s = dataset->get(i);
      images.push_back(s.image);
      labels.push_back(s.label);
    } catch (const data::BadSample&) {
      ++skipped;
    }
    progress.update(i + 1);
  }
  progress.finish();
  if (images.empty()) throw std::runtime_error(spec + ": no readable image");
  io::ValueArena arena;
  io::Value* root = arena.dict();
  root->entries.emplace_back(arena.string("images"), arena.tensor(torch::stack(images)));
  root->entries.emplace_back(arena.string("labels"), arena.tensor(torch::tensor(labels, torch::kLong)));
  io::save_checkpoint(out, root);
  std::cout << dataset->describe() << ": " << images.size() << " images " << o.channels << "x" << o.size << "x"
            << o.size << (skipped ? ", " + std::to_string(skipped) + " unreadable skipped" : "") << " -> " << out
            << "\n";
  return 0;
}

} // namespace gs::cli
