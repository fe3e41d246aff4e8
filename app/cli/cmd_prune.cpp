// ganstudio-cli score and prune: channel importance by a scoring method, a selection policy, a physically smaller
// model.
#include "app/cli/args.h"
#include "app/cli/commands.h"
#include "app/cli/progress.h"
#include "core/data/input_images.h"
#include "core/io/npy.h"
#include "core/models/channel_ops.h"
#include "core/models/cost.h"
#include "core/models/registry.h"
#include "core/prune/plan.h"

#include <torch/torch.h>

#include <iostream>
#include <sstream>

namespace gs::cli {
namespace {

const char* kConventions =
    "Selection: 'uniform' removes floor(width x sparsity) lowest-scoring channels of every group; 'global' removes "
    "the\n"
    "lowest scores across all groups after dividing each group's scores by its maximum, keeping --min-width per\n"
    "group. MACs count a transposed convolution by its output size, as compression papers do.";

std::string method_list() {
  std::ostringstream s;
  for (const auto& m : prune::scorers()) s << "  " << m.name << ": " << m.summary << "\n";
  return s.str();
}

std::vector<OptionSpec> scoring_options() {
  return {{"--model", "M", "generator checkpoint"},
          {"--method", "NAME", "random, l1, norm, content or diversity"},
          {"--data", "D", "input images for image-to-image models"},
          {"--batches", "N", "batches to score (content 50, diversity 1000)"},
          {"--batch", "B", "samples per batch (content 8, diversity 5)"},
          {"--seed", "S", "seed of latents, noise, directions and random scores (default 0)"},
          {"--region", "X0,Y0,X1,Y1", "content: region of interest as fractions of the image (default centre 50%)"},
          {"--region-mask", "MASK.npy", "content: region of interest as a 2-D array in [0, 1]"},
          {"--noise-density", "P", "content: share of region pixels hit by salt-and-pepper noise (default 0.1)"},
          {"--directions", "N", "diversity: PCA directions sampled (default 10)"},
          {"--alpha", "A", "diversity: step along each direction (default 5)"},
          {"--pca-samples", "N", "diversity: mapped latents for the PCA (default 10000)"},
          {"--sparsity", "S", "share of channels to remove, in [0, 1)"},
          {"--policy", "P", "uniform (default) or global"},
          {"--min-width", "W", "global policy: narrowest group allowed (default 1)"},
          {"--json", "", "print the summary as JSON"}};
}

at::Tensor region_from(const Args& args) {
  if (auto path = args.value("--region-mask")) return io::read_npy(*path);
  auto box = args.value("--region");
  if (!box) return {};
  std::vector<double> v(4);
  char tail = 0;
  if (std::sscanf(box->c_str(), "%lf,%lf,%lf,%lf%c", &v[0], &v[1], &v[2], &v[3], &tail) != 4)
    throw UsageError("--region wants X0,Y0,X1,Y1");
  try {
    return prune::box_region(v);
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
}

prune::Selection selection_from(const Args& args, prune::Selection s) {
  s.sparsity = args.number("--sparsity", s.sparsity, false);
  if (auto p = args.value("--policy")) {
    const auto policy = prune::policy_from_name(*p);
    if (!policy) throw UsageError("--policy must be uniform or global");
    s.policy = *policy;
  }
  s.min_width = args.integer("--min-width", s.min_width, 1);
  if (!(s.sparsity >= 0 && s.sparsity < 1)) throw UsageError("--sparsity must be in [0, 1)");
  return s;
}

// Scores `g` with the method the arguments name, showing progress; Ctrl-C stops after the current batch.
prune::ScoreResult score_model(const Args& args, models::Generator& g, const std::string& method) {
  if (const std::string why = prune::not_applicable(method, g); !why.empty()) throw UsageError(why);
  prune::ScoreParams p;
  p.batches = args.integer("--batches", 0, 1);
  p.batch_size = args.integer("--batch", 0, 1);
  p.seed = static_cast<uint64_t>(args.integer("--seed", 0, 0));
  p.region = region_from(args);
  p.noise_density = args.number("--noise-density", p.noise_density, true);
  p.directions = args.integer("--directions", p.directions, 2);
  p.alpha = args.number("--alpha", p.alpha, true);
  p.pca_samples = args.integer("--pca-samples", p.pca_samples, 2);
  const models::InputSpec spec = g.input_spec();
  std::shared_ptr<data::InputImages> images;
  if (spec.kind == models::InputSpec::Kind::Image && method == "content") {
    const auto data = args.value("--data");
    if (!data) throw UsageError(std::string(models::arch_name(g.arch())) + " takes images: give --data D");
    images = std::make_shared<data::InputImages>(*data, spec.shape.at(1), static_cast<int>(spec.shape.at(0)));
    p.inputs = [images](int64_t index, int64_t n) { return images->batch(index * n, n); };
  }
  std::unique_ptr<Progress> progress;
  p.on_partial = [&](int64_t done, int64_t total, const prune::ChannelScores&) {
    if (!progress) progress = std::make_unique<Progress>("score " + method, total);
    progress->update(done);
  };
  p.abort = interrupt_flag();
  prune::ScoreResult r = prune::score(method, g, p);
  if (progress) progress->finish();
  for (const auto& note : r.notes) std::cerr << "note: " << note << "\n";
  if (r.cancelled) std::cerr << "interrupted after " << r.batches << " batches: the scores cover those only\n";
  return r;
}

// Records costs before and after in the plan and prints them (text or JSON).
void report(prune::Plan& plan, models::Generator& g, const std::string& model_path, const std::string& out, bool json) {
  const models::CostReport before = g.cost(), after = prune::cost_after(g, plan.kept);
  plan.info["model"] = model_path;
  plan.info["params_before"] = before.params;
  plan.info["params_after"] = after.params;
  plan.info["macs_before"] = before.macs;
  plan.info["macs_after"] = after.macs;
  if (json) {
    nlohmann::json j{{"method", plan.method},
                     {"sparsity", plan.selection.sparsity},
                     {"policy", prune::policy_name(plan.selection.policy)},
                     {"out", out}};
    j.update(plan.info);
    std::cout << j.dump() << "\n";
    return;
  }
  using models::human_count;
  std::cout << plan.arch << ", " << plan.method << ", " << prune::policy_name(plan.selection.policy) << " sparsity "
            << plan.selection.sparsity << ": params " << human_count(before.params) << " -> "
            << human_count(after.params) << ", MACs " << human_count(before.macs) << " -> " << human_count(after.macs)
            << " (" << static_cast<double>(before.macs) / std::max<int64_t>(after.macs, 1) << "x fewer) -> " << out
            << "\n";
}

} // namespace

int run_score(const std::vector<std::string>& argv) {
  auto options = scoring_options();
  options.push_back({"--out", "SCORES.json", "where to write the scores and the plan they give"});
  Args args("score",
            "Scores every channel of every prunable group of a generator (higher = keep) and writes scores.json with\n"
            "the kept channels at --sparsity (default 0.5). Methods:\n" +
                method_list() + kConventions,
            {}, options);
  if (!args.parse(argv)) return 0;
  const std::string model_path = args.required("--model"), method = args.required("--method"),
                    out = args.required("--out");
  const prune::Selection selection = selection_from(args, {});
  models::Model model = models::load_model(model_path);
  prune::ScoreResult r = score_model(args, *model.generator, method);
  prune::Plan plan = prune::make_plan(*model.generator, method, std::move(r.scores), selection);
  plan.info["batches"] = r.batches;
  if (!r.notes.empty()) plan.info["notes"] = r.notes;
  report(plan, *model.generator, model_path, out, args.flag("--json"));
  prune::save_plan(out, plan);
  return r.cancelled ? 130 : 0;
}

int run_prune(const std::vector<std::string>& argv) {
  auto options = scoring_options();
  options.push_back({"--scores", "SCORES.json", "use the scores (and overrides) of an earlier `score` run"});
  options.push_back({"--plan-out", "SCORES.json", "also write the plan used"});
  options.push_back({"--out", "PRUNED.pt", "the pruned generator (with the whole discriminator), widths saved"});
  Args args("prune",
            "Removes channels from a generator and saves the physically smaller model, loadable by info, generate\n"
            "and compress. Scores come from --method (as `score`) or from --scores; --sparsity re-selects from them\n"
            "(without it a scores file's own kept channels are used). Methods:\n" +
                method_list() + kConventions,
            {}, options);
  if (!args.parse(argv)) return 0;
  const std::string model_path = args.required("--model"), out = args.required("--out");
  const auto scores_path = args.value("--scores"), method = args.value("--method");
  if (!!scores_path == !!method) throw UsageError("give exactly one of --method NAME and --scores SCORES.json");
  models::Model model = models::load_model(model_path);
  models::Generator& g = *model.generator;
  prune::Plan plan;
  if (scores_path) {
    plan = prune::load_plan(*scores_path);
    prune::check_plan_fits(plan, g);
    if (args.value("--sparsity") || args.value("--policy") || args.value("--min-width"))
      plan = prune::make_plan(g, plan.method, plan.scores, selection_from(args, plan.selection));
  } else {
    if (!args.value("--sparsity")) throw UsageError("missing --sparsity");
    const prune::Selection selection = selection_from(args, {});
    prune::ScoreResult r = score_model(args, g, *method);
    if (r.cancelled) return 130;
    plan = prune::make_plan(g, *method, std::move(r.scores), selection);
  }
  report(plan, g, model_path, out, args.flag("--json"));
  models::Model pruned;
  pruned.arch = model.arch;
  pruned.generator = models::slice(g, plan.kept);
  pruned.discriminator = std::move(model.discriminator);
  models::save_model(out, pruned);
  if (auto plan_out = args.value("--plan-out")) prune::save_plan(*plan_out, plan);
  return 0;
}

} // namespace gs::cli
