// ganstudio-cli eval: a generator's samples against real images, in the feature space of an extractor.
#include "app/cli/args.h"
#include "app/cli/commands.h"
#include "app/cli/progress.h"
#include "core/jobs/compress_job.h"
#include "core/jobs/evaluator.h"
#include "core/models/registry.h"

#include <iostream>
#include <sstream>

namespace gs::cli {

int run_eval(const std::vector<std::string>& argv) {
  Args args("eval",
            "Compares N generated samples (seeded latents, eval mode) with N real images picked at random from the\n"
            "data, in the feature space of an extractor. With the standard Inception-v3 TorchScript file of the\n"
            "StyleGAN2-ADA tooling (--features) the Frechet distance is labelled FID; otherwise the built-in\n"
            "Fashion-MNIST extractor is used and every label says so (FD-builtin@N). Images go to the extractor as\n"
            "uint8 NCHW at the generator's resolution (grey repeated to RGB); the extractor resizes them itself.\n"
            "Conventions: FID in double precision with unbiased covariances; KID = unbiased MMD^2 with the kernel\n"
            "(x.y/d + 1)^3 over 100 subsets of up to 1000; precision/recall with k = 3 and density/coverage with\n"
            "k = 5, Euclidean distance, radius = distance to the k-th nearest other sample, inside = strictly closer.",
            {},
            {{"--model", "M", "generator checkpoint (unconditional)"},
             {"--data", "D", "real images: fashion-mnist, an image folder or a tensor cache"},
             {"--metrics", "LIST", "comma-separated: fid,kid,pr,dc (default fid,pr,dc)"},
             {"--n", "N", "samples on each side (default 2000)"},
             {"--features", "PATH", "TorchScript feature extractor (default: the built-in one)"},
             {"--seed", "S", "seed of latents and of the real subset (default 0)"},
             {"--no-cache", "", "recompute the real images' features instead of reusing cached ones"},
             {"--json", "", "print the result as JSON"}});
  if (!args.parse(argv)) return 0;
  const std::string model_path = args.required("--model"), data = args.required("--data");
  jobs::EvalSettings s;
  s.n = args.integer("--n", 2000, 6);
  s.seed = static_cast<uint64_t>(args.integer("--seed", 0, 0));
  s.extractor = args.value("--features").value_or("");
  if (auto list = args.value("--metrics")) {
    s.metrics.clear();
    std::stringstream in(*list);
    for (std::string m; std::getline(in, m, ',');)
      if (!m.empty()) s.metrics.push_back(m);
    for (const auto& m : s.metrics)
      if (m != "fid" && m != "fd" && m != "kid" && m != "pr" && m != "dc")
        throw UsageError("unknown metric '" + m + "' (fid, kid, pr, dc)");
  }

  models::Model model = models::load_model(model_path);
  models::Generator& g = *model.generator;
  if (g.input_spec().kind != models::InputSpec::Kind::Latent)
    throw UsageError("eval samples latents; an image-to-image model is evaluated against its teacher by compress");
  jobs::CompressConfig where;
  where.data = data;
  const auto dataset = jobs::open_job_data(where, g);
  const at::Tensor real = jobs::sample_images(*dataset, s.n, s.seed + 11);
  if (!args.flag("--no-cache")) {
    s.cache_dir = jobs::default_feature_cache_dir();
    s.data_key = dataset->describe() + "|" + c10::str(real.sizes());
  }
  Progress progress("features", 2 * s.n);
  int64_t before = 0, last = 0;
  s.on_progress = [&](int64_t done, int64_t total) {
    if (done < last) before += total; // the second pass (generated images) starts
    last = done;
    progress.update(before + done);
  };
  const jobs::Evaluator evaluator(s, g, real);
  nlohmann::json r = evaluator.evaluate(g);
  r["real_features_cached"] = evaluator.real_features_from_cache();
  progress.finish();
  if (args.flag("--json")) {
    std::cout << r.dump() << "\n";
    return 0;
  }
  std::cout << models::arch_name(model.arch) << " vs " << dataset->describe() << ", "
            << evaluator.extractor().describe()
            << (evaluator.real_features_from_cache() ? "; real features from the cache" : "") << "\n";
  for (const char* k : {"fd", "kid", "precision", "recall", "density", "coverage"})
    if (r.contains(k)) {
      std::cout << "  " << r["labels"].value(k, k) << ": " << r[k].get<double>();
      if (std::string(k) == "kid") std::cout << " \u00b1 " << r["kid_std"].get<double>();
      std::cout << "\n";
    }
  return 0;
}

} // namespace gs::cli
