// Feature-extractor throughput, ours beside the same TorchScript file in Debian's python3-torch, in one run.
// usage: bench_extractors [--n N] [--batch B] [--size S] [--threads T] [--rounds R] [--no-reference]
//                         [--inception PATH] [EXTRACTOR.pt ...]
// Times the built-in extractor, an Inception-v3 with the standard FID file's layers and interface (made by
// bench/make_inception_standin.py with random weights, unless --inception names the real file) and any further
// TorchScript extractors given, each extracting N uint8 S×S RGB images in batches of B the way the app's evaluator
// does (gs::metrics::FeatureExtractor), alternating with Python's pass over the same images by round; prints
// images per second (median round) on each side, their ratio, and how far the two sides' features are apart.
#include "bench/python_reference.h"
#include "core/io/npy.h"
#include "core/jobs/evaluator.h"
#include "core/metrics/feature_extractor.h"
#include "core/runtime.h"

#include <torch/torch.h>

#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

using namespace gs;

namespace {

struct Options {
  int64_t n = 256, batch = 64, size = 32;
  int threads = 0, rounds = 3;
  bool reference = true;
  std::string inception;
  std::vector<std::string> extra;
};

// The test images, the same bytes as reference_extractors.py makes: byte i is (i * 2654435761 / 8192) % 256.
at::Tensor images(int64_t n, int64_t size) {
  const at::Tensor i = torch::arange(n * 3 * size * size, torch::kInt64);
  return i.mul(static_cast<int64_t>(2654435761))
      .div(8192, "floor")
      .remainder(256)
      .to(torch::kUInt8)
      .reshape({n, 3, size, size});
}

struct Row {
  std::string name;
  int64_t dims = 0;
  double ours_ms = NAN, python_ms = NAN, max_diff = NAN;
};

Row measure(const std::string& name, const std::string& path, bool builtin, const Options& o,
            bench::PythonReference* ref) {
  const metrics::FeatureExtractor fx = metrics::FeatureExtractor::load(path, builtin);
  const at::Tensor x = images(o.n, o.size);
  const auto pass = [&] {
    for (int64_t i = 0; i < o.n; i += o.batch) fx.features(x.slice(0, i, i + o.batch));
  };
  Row row{name, fx.info().dims};
  if (ref) ref->ask("load " + path);
  std::vector<double> ours, theirs;
  const auto run = [&](int64_t n) {
    return "run " + std::to_string(n) + " " + std::to_string(o.batch) + " " + std::to_string(o.size);
  };
  fx.features(x.slice(0, 0, o.batch)); // warm-up
  if (ref) ref->ask(run(o.batch));
  for (int r = 0; r < o.rounds; ++r) {
    ours.push_back(bench::time_ms(pass));
    if (ref) theirs.push_back(ref->ask(run(o.n)));
  }
  row.ours_ms = bench::median(ours);
  if (!ref) return row;
  row.python_ms = bench::median(theirs);
  const std::string dump = (ref->dir() / "features.npy").string();
  ref->ask("dump " + std::to_string(o.batch) + " " + std::to_string(o.size) + " " + dump);
  const at::Tensor mine = fx.features(x.slice(0, 0, o.batch));
  row.max_diff = (mine - io::read_npy(dump)).abs().max().item<double>() / mine.abs().max().item<double>();
  return row;
}

bool parse(int argc, char** argv, Options& o) {
  for (int i = 1; i < argc; ++i) {
    const bool more = i + 1 < argc;
    if (!std::strcmp(argv[i], "--n") && more)
      o.n = std::atoll(argv[++i]);
    else if (!std::strcmp(argv[i], "--batch") && more)
      o.batch = std::atoll(argv[++i]);
    else if (!std::strcmp(argv[i], "--size") && more)
      o.size = std::atoll(argv[++i]);
    else if (!std::strcmp(argv[i], "--threads") && more)
      o.threads = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--rounds") && more)
      o.rounds = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--inception") && more)
      o.inception = argv[++i];
    else if (!std::strcmp(argv[i], "--no-reference"))
      o.reference = false;
    else if (argv[i][0] != '-')
      o.extra.push_back(argv[i]);
    else
      return false;
  }
  return o.n > 0 && o.batch > 0 && o.size > 0 && o.rounds > 0;
}

} // namespace

int main(int argc, char** argv) {
  Options o;
  o.threads = gs::init_runtime();
  if (!parse(argc, argv, o)) {
    std::fprintf(stderr, "usage: bench_extractors [--n N] [--batch B] [--size S] [--threads T] [--rounds R] "
                         "[--no-reference] [--inception PATH] [EXTRACTOR.pt ...]\n");
    return 2;
  }
  gs::set_threads(o.threads);
  // The reference's temporary directory also holds the Inception stand-in; it is made even without a reference.
  bench::PythonReference ref("reference_extractors.py", std::to_string(o.threads));
  struct Entry {
    std::string name, path;
    bool builtin;
  };
  std::vector<Entry> list;
  if (const auto builtin = jobs::builtin_extractor_path())
    list.push_back({"built-in (Fashion-MNIST CNN)", *builtin, true});
  if (o.inception.empty()) {
    o.inception = (ref.dir() / "inception_standin.pt").string();
    const std::string cmd = std::string(GANSTUDIO_PYTHON) + " " + GANSTUDIO_SOURCE_DIR +
                            "/bench/make_inception_standin.py '" + o.inception + "'";
    if (std::system(cmd.c_str()) != 0) {
      std::fprintf(stderr, "bench_extractors: %s failed\n", cmd.c_str());
      return 1;
    }
    list.push_back({"Inception-v3 layout, random weights", o.inception, false});
  } else {
    list.push_back({"Inception-v3 (" + o.inception + ")", o.inception, false});
  }
  for (const auto& p : o.extra) list.push_back({p, p, false});
  std::vector<Row> rows;
  for (const Entry& e : list) rows.push_back(measure(e.name, e.path, e.builtin, o, o.reference ? &ref : nullptr));
  std::printf("%lld images of %lldx%lld in batches of %lld, %d threads, median of %d rounds alternating with "
              "Python's\nratio = ours / Python's images per second (>= 1: ours at least as fast)\n\n",
              static_cast<long long>(o.n), static_cast<long long>(o.size), static_cast<long long>(o.size),
              static_cast<long long>(o.batch), o.threads, o.rounds);
  std::printf("| extractor | dims | ours img/s | Python img/s | ratio | features apart (max, relative) |\n");
  std::printf("|---|---:|---:|---:|---:|---:|\n");
  for (const Row& r : rows)
    std::printf("| %s | %lld | %.1f | %.1f | %.2f | %.1e |\n", r.name.c_str(), static_cast<long long>(r.dims),
                o.n * 1000.0 / r.ours_ms, o.n * 1000.0 / r.python_ms, r.python_ms / r.ours_ms, r.max_diff);
  return 0;
}
