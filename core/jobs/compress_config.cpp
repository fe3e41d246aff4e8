// config.json layout: {"model", "method", "selection": {...}, "score": {...}, "data", "data_layout",
// "finetune": {...}, "eval": {...}, "sample_every", "checkpoint_every", "log_every", "seed", "device", "deterministic"}
#include "core/jobs/compress_config.h"

#include "core/io/json_file.h"
#include "core/prune/scorer.h"

#include <set>

namespace gs::jobs {
namespace {

// Reads the keys of one JSON object into fields, remembering which it saw, so anything left over is an error.
class Reader {
public:
  Reader(const nlohmann::json& j, std::string where) : j_(j), where_(std::move(where)) {
    if (!j.is_object()) throw std::invalid_argument(name() + " must be a JSON object");
  }
  template <typename T> void get(const char* key, T& into) {
    seen_.insert(key);
    if (!j_.contains(key)) return;
    try {
      into = j_.at(key).get<T>();
    } catch (const nlohmann::json::exception&) {
      throw std::invalid_argument(name(key) + " has the wrong type");
    }
  }
  Reader child(const char* key) {
    seen_.insert(key);
    static const nlohmann::json empty = nlohmann::json::object();
    return Reader(j_.contains(key) ? j_.at(key) : empty, name(key));
  }
  void finish() const {
    for (const auto& [key, v] : j_.items())
      if (!seen_.count(key)) throw std::invalid_argument("unknown config key " + name(key.c_str()));
  }
  std::string name(const char* key = nullptr) const {
    std::string n = where_.empty() ? std::string() : where_;
    if (key) n += (n.empty() ? "" : ".") + std::string(key);
    return n.empty() ? "the config" : n;
  }

private:
  const nlohmann::json& j_;
  std::string where_;
  std::set<std::string> seen_;
};

void positive(int64_t v, const char* what) {
  if (v < 1) throw std::invalid_argument(std::string(what) + " must be at least 1");
}

void check_mac_count(const LearnSettings& l) {
  if (l.mac_count != "auto" && l.mac_count != "by_output" && l.mac_count != "by_input")
    throw std::invalid_argument("learn.mac_count must be \"auto\", \"by_output\" or \"by_input\", got \"" +
                                l.mac_count + "\"");
}

} // namespace

std::string resolved_mac_count(const LearnSettings& l, models::Arch arch) {
  check_mac_count(l);
  if (l.mac_count == "auto") return arch == models::Arch::Pix2Pix ? "by_input" : "by_output";
  return l.mac_count;
}

models::MacConvention mac_convention(const LearnSettings& l, models::Arch arch) {
  return resolved_mac_count(l, arch) == "by_input" ? models::MacConvention::TransposedByInput
                                                   : models::MacConvention::TransposedByOutput;
}

nlohmann::json to_json(const CompressConfig& c) {
  const auto& o = c.objectives;
  return {{"model", c.model},
          {"method", c.method},
          {"selection", prune::selection_to_json(c.selection)},
          {"score",
           {{"batches", c.score.batches},
            {"batch", c.score.batch},
            {"region", c.score.region},
            {"noise_density", c.score.noise_density},
            {"directions", c.score.directions},
            {"alpha", c.score.alpha},
            {"pca_samples", c.score.pca_samples}}},
          {"learn",
           {{"max_steps", c.learn.max_steps},
            {"output_budget", c.learn.output_budget},
            {"mac_count", c.learn.mac_count},
            {"lr", c.learn.lr},
            {"sparsity_weight", c.learn.sparsity_weight},
            {"sparsity_growth", c.learn.sparsity_growth},
            {"threshold", c.learn.threshold},
            {"prune_discriminator", c.learn.prune_discriminator},
            {"min_steps", c.learn.min_steps},
            {"batch", c.learn.batch},
            {"centres", c.learn.centres},
            {"neighbours", c.learn.neighbours},
            {"temperature", c.learn.temperature},
            {"agent_lr", c.learn.agent_lr},
            {"kernel_weight", c.learn.kernel_weight},
            {"budget_weight", c.learn.budget_weight}}},
          {"data", c.data},
          {"data_layout", c.data_layout},
          {"finetune",
           {{"steps", c.steps},
            {"batch", c.batch},
            {"lr", c.lr},
            {"beta1", c.beta1},
            {"beta2", c.beta2},
            {"adversarial", o.adversarial},
            {"adversarial_weight", o.adversarial_weight},
            {"pixel", o.pixel},
            {"relation", o.relation},
            {"feature", o.feature},
            {"dgl_alpha", o.dgl_alpha},
            {"dgl_start", o.dgl_start},
            {"r1_gamma", o.r1_gamma},
            {"ema", o.ema}}},
          {"eval", {{"enabled", c.eval}, {"every", c.eval_every}, {"n", c.eval_n}, {"extractor", c.extractor}}},
          {"sample_every", c.sample_every},
          {"checkpoint_every", c.checkpoint_every},
          {"log_every", c.log_every},
          {"seed", c.seed},
          {"device", c.device},
          {"deterministic", c.deterministic}};
}

void check_config(const CompressConfig& c) {
  if (c.model.empty()) throw std::invalid_argument("the config names no model");
  if (!(c.selection.sparsity >= 0 && c.selection.sparsity < 1))
    throw std::invalid_argument("selection.sparsity must be in [0, 1), got " + std::to_string(c.selection.sparsity));
  if (!c.score.region.empty()) prune::box_region(c.score.region);
  positive(c.steps, "finetune.steps");
  positive(c.batch, "finetune.batch");
  positive(c.eval_n, "eval.n");
  positive(c.learn.max_steps, "learn.max_steps");
  positive(c.learn.batch, "learn.batch");
  check_mac_count(c.learn);
  if (c.learn.min_steps < 0) throw std::invalid_argument("learn.min_steps must be >= 0");
  if (!(c.learn.sparsity_growth >= 1)) throw std::invalid_argument("learn.sparsity_growth must be at least 1");
  positive(c.learn.centres, "learn.centres");
  positive(c.learn.neighbours, "learn.neighbours");
  if (c.learn.centres > c.learn.batch || c.learn.neighbours >= c.learn.batch)
    throw std::invalid_argument("learn.batch must hold the centres and, for each, its neighbours plus itself");
  if (!(c.learn.temperature > 0)) throw std::invalid_argument("learn.temperature must be positive");
  if (!(c.learn.agent_lr > 0)) throw std::invalid_argument("learn.agent_lr must be positive");
  if (!(c.lr > 0)) throw std::invalid_argument("finetune.lr must be positive");
  if (c.objectives.ema < 0 || c.objectives.ema >= 1) throw std::invalid_argument("finetune.ema must be in [0, 1)");
}

CompressConfig config_from_json(const nlohmann::json& j) {
  CompressConfig c;
  Reader r(j, "");
  r.get("model", c.model);
  r.get("method", c.method);
  nlohmann::json selection = nlohmann::json::object();
  r.get("selection", selection);
  c.selection = prune::selection_from_json(selection);
  {
    Reader s = r.child("score");
    s.get("batches", c.score.batches);
    s.get("batch", c.score.batch);
    s.get("region", c.score.region);
    s.get("noise_density", c.score.noise_density);
    s.get("directions", c.score.directions);
    s.get("alpha", c.score.alpha);
    s.get("pca_samples", c.score.pca_samples);
    s.finish();
  }
  {
    Reader l = r.child("learn");
    l.get("max_steps", c.learn.max_steps);
    l.get("output_budget", c.learn.output_budget);
    l.get("mac_count", c.learn.mac_count);
    l.get("lr", c.learn.lr);
    l.get("sparsity_weight", c.learn.sparsity_weight);
    l.get("sparsity_growth", c.learn.sparsity_growth);
    l.get("threshold", c.learn.threshold);
    l.get("prune_discriminator", c.learn.prune_discriminator);
    l.get("min_steps", c.learn.min_steps);
    l.get("batch", c.learn.batch);
    l.get("centres", c.learn.centres);
    l.get("neighbours", c.learn.neighbours);
    l.get("temperature", c.learn.temperature);
    l.get("agent_lr", c.learn.agent_lr);
    l.get("kernel_weight", c.learn.kernel_weight);
    l.get("budget_weight", c.learn.budget_weight);
    l.finish();
  }
  r.get("data", c.data);
  r.get("data_layout", c.data_layout);
  {
    Reader f = r.child("finetune");
    auto& o = c.objectives;
    f.get("steps", c.steps);
    f.get("batch", c.batch);
    f.get("lr", c.lr);
    f.get("beta1", c.beta1);
    f.get("beta2", c.beta2);
    f.get("adversarial", o.adversarial);
    f.get("adversarial_weight", o.adversarial_weight);
    f.get("pixel", o.pixel);
    f.get("relation", o.relation);
    f.get("feature", o.feature);
    f.get("dgl_alpha", o.dgl_alpha);
    f.get("dgl_start", o.dgl_start);
    f.get("r1_gamma", o.r1_gamma);
    f.get("ema", o.ema);
    f.finish();
  }
  {
    Reader e = r.child("eval");
    e.get("enabled", c.eval);
    e.get("every", c.eval_every);
    e.get("n", c.eval_n);
    e.get("extractor", c.extractor);
    e.finish();
  }
  r.get("sample_every", c.sample_every);
  r.get("checkpoint_every", c.checkpoint_every);
  r.get("log_every", c.log_every);
  r.get("seed", c.seed);
  r.get("device", c.device);
  r.get("deterministic", c.deterministic);
  r.finish();

  check_config(c);
  return c;
}

CompressConfig load_config(const std::string& path) {
  return io::read_json_file<CompressConfig>(path, "config", config_from_json);
}

} // namespace gs::jobs
