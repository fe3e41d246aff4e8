// ganstudio-cli fid / prdc: metrics on precomputed feature files (.npy, [samples, dims]).
#include "app/cli/args.h"
#include "app/cli/commands.h"
#include "core/io/npy.h"
#include "core/metrics/fid.h"
#include "core/metrics/prdc.h"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <iostream>

namespace gs::cli {
namespace {

// Reads [n, d] features; a 1-D file is one sample of d dims only if the user meant it, so it is refused.
at::Tensor read_features(const std::string& path) {
  at::Tensor t = io::read_npy(path);
  if (t.dim() != 2)
    throw std::invalid_argument(path + ": features must be a 2-D [samples, dims] array, got " +
                                std::to_string(t.dim()) + " dimensions");
  return t;
}

} // namespace

int run_fid(const std::vector<std::string>& argv) {
  Args args("fid",
            "Fréchet distance between two feature sets: |mu_a - mu_b|^2 + Tr(S_a + S_b - 2 (S_a S_b)^1/2), in double\n"
            "precision with unbiased covariances; the trace term comes from the eigenvalues of the symmetric matrix\n"
            "S_a^1/2 S_b S_a^1/2 (negative round-off clamped), so fewer samples than dimensions is fine.\n"
            "The value is 'FID' only when both files hold standard Inception-v3 pool features; it is printed as FD.",
            {},
            {{"--a", "A.npy", "first feature set, float32 [samples, dims]"},
             {"--b", "B.npy", "second feature set, same dims"},
             {"--json", "", "print the result as JSON"}});
  if (!args.parse(argv)) return 0;
  const std::string a_path = args.required("--a"), b_path = args.required("--b");
  at::Tensor a = read_features(a_path), b = read_features(b_path);
  metrics::FeatureStats sa, sb;
  sa.add(a);
  sb.add(b);
  const double fd = metrics::frechet_distance(sa, sb);
  if (args.flag("--json")) {
    std::cout << nlohmann::json{{"fd", fd}, {"n_a", a.size(0)}, {"n_b", b.size(0)}, {"dims", a.size(1)}}.dump(2)
              << "\n";
  } else {
    std::printf("FD %.6f  (%lld vs %lld samples, %lld dims)\n", fd, static_cast<long long>(a.size(0)),
                static_cast<long long>(b.size(0)), static_cast<long long>(a.size(1)));
  }
  return 0;
}

int run_prdc(const std::vector<std::string>& argv) {
  Args args("prdc",
            "Precision and recall (Kynkaanniemi et al. 2019), density and coverage (Naeem et al. 2020) of a fake\n"
            "feature set against a real one. Conventions as in the reference 'prdc' package: Euclidean distance;\n"
            "a sample's radius is the distance to its k-th nearest neighbour in its own set, itself excluded;\n"
            "'inside a ball' is strict (<). Distances are computed in blocks under a 1 GiB bound.",
            {},
            {{"--real", "REAL.npy", "real features, float32 [samples, dims]"},
             {"--fake", "FAKE.npy", "generated features, same dims"},
             {"--k", "K", "neighbourhood size (default 3; 5 is usual for density/coverage)"},
             {"--json", "", "print the result as JSON"}});
  if (!args.parse(argv)) return 0;
  metrics::PrdcOptions opt;
  opt.k = static_cast<int>(args.integer("--k", opt.k, 1));
  at::Tensor real = read_features(args.required("--real")), fake = read_features(args.required("--fake"));
  const auto r = metrics::precision_recall_density_coverage(real, fake, opt);
  if (args.flag("--json")) {
    std::cout << nlohmann::json{{"precision", r.precision}, {"recall", r.recall}, {"density", r.density},
                                {"coverage", r.coverage},   {"k", opt.k},         {"n_real", real.size(0)},
                                {"n_fake", fake.size(0)}}
                     .dump(2)
              << "\n";
  } else {
    std::printf("precision %.4f  recall %.4f  density %.4f  coverage %.4f  (k=%d, %lld real, %lld fake)\n", r.precision,
                r.recall, r.density, r.coverage, opt.k, static_cast<long long>(real.size(0)),
                static_cast<long long>(fake.size(0)));
  }
  return 0;
}

} // namespace gs::cli
