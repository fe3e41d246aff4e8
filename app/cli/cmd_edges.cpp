// ganstudio-cli edges: a paired edges -> image dataset from a folder of images, for training pix2pix.
#include "app/cli/args.h"
#include "app/cli/commands.h"
#include "app/cli/progress.h"
#include "core/data/edge_pairs.h"

#include <iostream>
#include <memory>

namespace gs::cli {

int run_edges(const std::vector<std::string>& argv) {
  Args args("edges",
            "Makes a paired dataset for pix2pix from a folder of images: each image resized (shorter side) and\n"
            "centre-cropped to --size (transparent pixels become white), its Canny edges drawn black on white, and\n"
            "the pair written as OUT/NNNNNN.png, edges left, image right (the paired A|B layout `pretrain --arch\n"
            "pix2pix` and `--data-layout paired` read). Unreadable images are skipped and counted.",
            {},
            {{"--images", "DIR", "folder of images (searched recursively)"},
             {"--out", "DIR", "folder to write the pairs to"},
             {"--size", "S", "side of each half (default 64)"},
             {"--low", "T", "Canny's lower threshold on 0..255 grey (default 100)"},
             {"--high", "T", "Canny's upper threshold (default 200)"},
             {"--limit", "N", "at most N images (default all)"}});
  if (!args.parse(argv)) return 0;
  data::EdgePairOptions o;
  const std::string images = args.required("--images"), out = args.required("--out");
  o.size = args.integer("--size", 64, 8);
  o.low = args.number("--low", 100, true);
  o.high = args.number("--high", 200, true);
  o.limit = args.integer("--limit", 0, 0);
  std::unique_ptr<Progress> progress;
  o.on_progress = [&](int64_t done, int64_t total) {
    if (!progress) progress = std::make_unique<Progress>("edges", total);
    progress->update(done);
  };
  const data::EdgePairResult r = data::write_edge_pairs(images, out, o);
  if (progress) progress->finish();
  std::cout << r.written << " pairs " << o.size << "x" << 2 * o.size << " -> " << out
            << (r.skipped ? " (" + std::to_string(r.skipped) + " unreadable skipped)" : "") << "\n";
  return 0;
}

} // namespace gs::cli
