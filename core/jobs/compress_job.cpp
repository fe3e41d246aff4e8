#include "core/jobs/compress_job.h"

#include "core/data/input_images.h"
#include "core/dist/process_group.h"
#include "core/io/png.h"
#include "core/jobs/evaluator.h"
#include "core/jobs/report.h"
#include "core/jobs/run_dir.h"
#include "core/log.h"
#include "core/models/channel_ops.h"
#include "core/models/registry.h"
#include "core/models/torchscript_export.h"
#include "core/prune/agents.h"
#include "core/prune/hypernet.h"
#include "core/prune/plan.h"
#include "core/train/objectives.h"
#include "core/train/train_common.h"

#include <torch/torch.h>

#include <chrono>

namespace gs::jobs {
namespace {

using Clock = std::chrono::steady_clock;

bool needs_data(const CompressConfig& c, const models::Generator& g) {
  return c.eval || c.objectives.adversarial_weight > 0 || g.input_spec().kind == models::InputSpec::Kind::Image;
}

// The images a generator consumes (image-to-image) or produces (unconditional) decide how the data is read.
} // namespace

std::unique_ptr<data::Dataset> open_job_data(const CompressConfig& c, models::Generator& g) {
  const auto spec = g.input_spec();
  data::DatasetOptions o;
  if (spec.kind == models::InputSpec::Kind::Image) {
    o.channels = static_cast<int>(spec.shape[0]);
    o.size = spec.shape[1];
  } else {
    torch::NoGradGuard no_grad;
    g.module().eval();
    const at::Tensor probe = g.forward(torch::zeros({1, spec.shape[0]}));
    o.channels = static_cast<int>(probe.size(1));
    o.size = probe.size(2);
  }
  o.layout = train::layout_from_name(c.data_layout);
  auto d = data::open_dataset(c.data, o);
  if (d->size() == 0) throw std::runtime_error(c.data + ": the dataset is empty");
  return d;
}

prune::ScoreParams score_params(const CompressConfig& c, const models::Generator& g, const data::Dataset* d) {
  prune::ScoreParams p;
  p.batches = c.score.batches;
  p.batch_size = c.score.batch;
  p.seed = c.seed;
  p.noise_density = c.score.noise_density;
  p.directions = c.score.directions;
  p.alpha = c.score.alpha;
  p.pca_samples = c.score.pca_samples;
  if (!c.score.region.empty()) p.region = prune::box_region(c.score.region);
  if (g.input_spec().kind == models::InputSpec::Kind::Image && d)
    p.inputs = [d](int64_t index, int64_t size) { return data::input_batch(*d, index * size, size); };
  return p;
}

namespace {

std::unique_ptr<models::Discriminator> copy_discriminator(const models::Model& teacher) {
  if (!teacher.discriminator) return nullptr;
  models::Model fresh =
      models::build_model(teacher.arch, teacher.generator->options(), teacher.discriminator->options());
  models::copy_state(teacher.discriminator->module(), fresh.discriminator->module());
  return std::move(fresh.discriminator);
}

class Job {
public:
  Job(const CompressConfig& c, const std::string& dir, bool resume, const JobCallbacks& cb)
      : c_(c), run_(dir), resume_(resume), cb_(cb), start_(Clock::now()) {}

  JobResult run() {
    agree_on(&Job::preflight);
    models::Model student;
    student.arch = teacher_.arch;
    if (prune::is_learned_method(c_.method)) {
      stage("learn");
      if (leader()) student = learn_or_load();
      if (!share_plan(leader() && !student.generator)) return cancelled();
      if (!student.generator) student.generator = models::slice(*teacher_.generator, plan_.kept);
    } else {
      stage("score");
      if (!share_plan(!score_or_load())) return cancelled();
      student.generator = models::slice(*teacher_.generator, plan_.kept);
    }
    student.arch = teacher_.arch;
    if (!student.discriminator && plan_.discriminator_kept.empty())
      student.discriminator = copy_discriminator(teacher_);
    if (!student.discriminator) // a process that did not learn: the shape of rank 0's, whose weights finetune shares
      student.discriminator = models::slice(*teacher_.discriminator, plan_.discriminator_kept);
    const models::CostReport cost = student.generator->cost();
    nlohmann::json pruned{{"kind", "pruned"},
                          {"params", cost.params},
                          {"macs", cost.macs},
                          {"macs_by_input", student.generator->cost(models::MacConvention::TransposedByInput).macs},
                          {"widths", student.generator->options()["widths"]}};
    if (!plan_.discriminator_kept.empty()) pruned["discriminator_widths"] = student.discriminator->options()["widths"];
    event(pruned);

    std::unique_ptr<Evaluator> evaluator;
    if (c_.eval && leader()) {
      stage("evaluate");
      const at::Tensor sample = sample_images(*data_, c_.eval_n, c_.seed + 11);
      EvalSettings es;
      es.extractor = c_.extractor;
      es.n = c_.eval_n;
      es.seed = c_.seed;
      es.cache_dir = default_feature_cache_dir();
      es.data_key = data_->describe() + "|" + c10::str(sample.sizes());
      const bool img = teacher_.generator->input_spec().kind == models::InputSpec::Kind::Image;
      evaluator =
          std::make_unique<Evaluator>(es, *teacher_.generator, img ? sample.to(torch::kFloat) / 127.5 - 1 : sample);
      if (!run_.exists("checkpoints/state.pt")) {
        eval_event("teacher", 0, *teacher_.generator, *evaluator);
        eval_event("pruned", 0, *student.generator, *evaluator);
      }
    }
    if (group_) group_->await_leader("evaluated");

    stage("finetune");
    train::FinetuneParams fp = finetune_params(teacher_, student, evaluator.get());
    const train::FinetuneResult r = train::finetune(fp);
    JobResult result;
    result.steps_done = r.steps_done;
    result.metrics = last_metrics_;
    if (!leader()) {
      result.cancelled = r.aborted;
      return result;
    }
    if (r.aborted) {
      event({{"kind", "stopped"}, {"step", r.steps_done}});
      result.cancelled = true;
      return result;
    }
    models::save_model(run_.path("student.pt"), student);
    event({{"kind", "exported"}, {"path", "student.pt"}});
    if (student.generator->torchscript_forward()) {
      student.generator->module().eval();
      models::export_torchscript(*student.generator, run_.path("student.torchscript.pt"));
      event({{"kind", "exported"}, {"path", "student.torchscript.pt"}});
    } else {
      event({{"kind", "note"},
             {"text", std::string("no TorchScript export for ") + models::arch_name(student.arch) + " yet"}});
    }
    stage("report");
    write_report(run_, c_, teacher_, student, plan_);
    event({{"kind", "done"}, {"seconds", seconds()}});
    return result;
  }

private:
  bool leader() const { return !group_ || group_->leader(); }

  // Runs `step` on every process; when it throws on any, every process throws (the one that failed with its own
  // message), so that none waits for the others at the next collective.
  void agree_on(void (Job::*step)()) {
    std::exception_ptr failure;
    try {
      (this->*step)();
    } catch (...) {
      if (!group_) throw;
      failure = std::current_exception();
    }
    if (group_ && group_->any(failure != nullptr)) {
      if (failure) std::rethrow_exception(failure);
      throw std::runtime_error("another process of the job failed before starting (see its message)");
    }
  }

  // Rank 0's plan on every process; false on all when rank 0 or any process was cancelled.
  bool share_plan(bool cancelled) {
    if (!group_) return !cancelled;
    group_->await_leader("plan");
    if (group_->any(cancelled)) return false;
    if (!leader())
      plan_ = prune::plan_from_json(nlohmann::json::parse(group_->broadcast_bytes("")));
    else
      group_->broadcast_bytes(prune::plan_to_json(plan_).dump());
    return true;
  }

  void preflight() {
    check_config(c_);
    teacher_ = models::load_model(c_.model);
    for (const auto& note : teacher_.notes) log::get("jobs")->info("{}", note);
    models::Generator& g = *teacher_.generator;
    if (const std::string why = prune::not_applicable(c_.method, g, teacher_.discriminator != nullptr); !why.empty())
      throw std::invalid_argument(c_.model + ": " + why);
    prune::ChannelScores zeros;
    for (const auto& group : g.channel_groups()) zeros[group.name].assign(group.width, 0.0);
    prune::select_channels(g.channel_groups(), zeros, c_.selection); // impossible selections fail here
    if (prune::is_learned_method(c_.method) && c_.selection.sparsity <= 0)
      throw std::invalid_argument(c_.method + " needs a sparsity above 0: it sets the MAC budget to reach");
    if (!train::adversarial_from_name(c_.objectives.adversarial))
      throw std::invalid_argument("unknown adversarial loss '" + c_.objectives.adversarial +
                                  "' (logistic, bce, hinge, lsgan)");
    train::layout_from_name(c_.data_layout);
    if (c_.objectives.adversarial_weight > 0 && !teacher_.discriminator)
      throw std::invalid_argument(c_.model + " holds no discriminator: set finetune.adversarial_weight to 0 for "
                                             "distillation only, or load a checkpoint that has one");
    if (c_.objectives.dgl_alpha > 0 && !teacher_.discriminator)
      throw std::invalid_argument("DGL-GAN needs the teacher's discriminator; " + c_.model + " holds none");
    if (needs_data(c_, g)) {
      if (c_.data.empty())
        throw std::invalid_argument("the config names no data (needed for " +
                                    std::string(c_.eval ? "evaluation" : "fine-tuning") + ")");
      data_ = open_job_data(c_, g);
    }
    if (c_.eval && c_.extractor.empty() && !builtin_extractor_path())
      throw std::runtime_error("evaluation is on but the built-in feature extractor is not installed; set "
                               "eval.extractor or eval.enabled = false");
    if (!leader()) return;
    if (resume_) {
      if (!run_.exists("config.json")) throw std::runtime_error(run_.path("") + ": no run to resume (no config.json)");
      CompressConfig saved = load_config(run_.path("config.json"));
      saved.device = c_.device; // a run may continue on another device
      if (to_json(saved) != to_json(c_))
        throw std::invalid_argument(run_.path("config.json") + " differs from the config given: resume the run "
                                                               "with its own config");
    } else if (run_.exists("config.json")) {
      throw std::runtime_error(run_.path("") + " already holds a run: use --resume or another directory");
    }
    run_.open();
    if (!resume_) run_.write_json("config.json", to_json(c_));
    event({{"kind", resume_ ? "resumed" : "started"}, {"model", c_.model}, {"method", c_.method}});
  }

  // Learned methods train on copies of the teacher down to the MAC budget a uniform selection at the configured
  // sparsity would have, then slice. The materialised model is kept in checkpoints/pruned.pt so that a resumed run
  // fine-tunes the same student. A null generator: cancelled.
  models::Model learn_or_load() {
    models::Generator& t = *teacher_.generator;
    const std::string saved = run_.path("checkpoints/pruned.pt");
    if (resume_ && run_.exists("scores.json") && run_.exists("checkpoints/pruned.pt")) {
      plan_ = prune::load_plan(run_.path("scores.json"));
      prune::check_plan_fits(plan_, t);
      return models::load_model(saved);
    }
    const std::string mac_count = resolved_mac_count(c_.learn, t.arch());
    const prune::Budget target =
        prune::uniform_budget(t, c_.selection.sparsity, c_.learn.output_budget, mac_convention(c_.learn, t.arch()));
    models::Model pruned;
    pruned.arch = teacher_.arch;
    plan_.method = c_.method;
    plan_.arch = models::arch_name(t.arch());
    for (const auto& group : t.channel_groups()) plan_.widths[group.name] = group.width;
    plan_.selection = c_.selection;
    plan_.info = {{"model", c_.model}, {"target_macs", target.macs}, {"mac_count", mac_count}};
    nlohmann::json learned{{"kind", "learned"}, {"target_macs", target.macs}, {"mac_count", mac_count}};
    if (target.outputs > 0) {
      plan_.info["target_outputs"] = target.outputs;
      learned["target_outputs"] = target.outputs;
    }
    if (c_.method == "density") {
      std::unique_ptr<models::Discriminator> d = copy_discriminator(teacher_);
      const prune::AgentResult r = prune::agent_prune(t, *teacher_.discriminator, *d, agent_params(target));
      if (r.cancelled) return {};
      plan_.scores = r.scores;
      plan_.kept = r.kept;
      plan_.discriminator_kept = r.d_kept;
      plan_.info.update(
          {{"learn_steps", r.steps}, {"macs", r.g_macs}, {"outputs", r.g_outputs}, {"reached", r.reached}});
      if (!r.d_kept.empty())
        plan_.info.update({{"discriminator_macs", r.d_macs}, {"discriminator_target", r.d_target}});
      learned.update({{"steps", r.steps}, {"macs", r.g_macs}, {"outputs", r.g_outputs}, {"reached", r.reached}});
      if (!r.d_kept.empty()) learned.update({{"discriminator_macs", r.d_macs}, {"discriminator_target", r.d_target}});
      pruned.generator = models::slice(t, r.kept);
      pruned.discriminator = r.d_kept.empty() ? std::move(d) : models::slice(*d, r.d_kept);
    } else {
      std::unique_ptr<models::Generator> work = models::clone(t);
      const prune::HypernetResult r = prune::hypernet_prune(*work, t, hypernet_params(target));
      if (r.cancelled) return {};
      plan_.scores = r.scores;
      plan_.kept = r.kept;
      plan_.info.update({{"learn_steps", r.steps}, {"macs", r.macs}, {"outputs", r.outputs}, {"reached", r.reached}});
      learned.update({{"steps", r.steps}, {"macs", r.macs}, {"outputs", r.outputs}, {"reached", r.reached}});
      pruned.generator = models::slice(*work, r.kept);
    }
    // Learning ends at the budget, usually before the step count progress was shown against.
    const int64_t steps = learned["steps"];
    if (cb_.on_progress) cb_.on_progress("learn", steps, steps);
    prune::save_plan(run_.path("scores.json"), plan_);
    models::save_model(saved, pruned);
    event(learned);
    return pruned;
  }

  prune::HypernetParams hypernet_params(const prune::Budget& target) {
    models::Generator& t = *teacher_.generator;
    prune::HypernetParams hp;
    hp.target = target;
    hp.max_steps = c_.learn.max_steps;
    hp.batch = std::max<int64_t>(2, c_.batch);
    hp.lr = c_.learn.lr;
    hp.sparsity = c_.learn.sparsity_weight;
    hp.sparsity_growth = c_.learn.sparsity_growth;
    hp.threshold = c_.learn.threshold;
    hp.pixel = c_.objectives.pixel > 0 ? c_.objectives.pixel : 3;
    hp.relation = c_.objectives.relation;
    hp.seed = c_.seed;
    hp.inputs = score_params(c_, t, data_.get()).inputs;
    hp.abort = cb_.abort;
    // The budget ends learning long before max_steps: show progress towards the expected end, and towards max_steps
    // only once that has passed.
    hp.on_progress = [this, target = target.macs, expected = prune::expected_steps(hp),
                      limit = hp.max_steps](int64_t step, int64_t macs, double loss, const prune::ChannelScores& z) {
      const int64_t total = step < expected ? expected : limit;
      if (cb_.on_scores) cb_.on_scores(z, step, total);
      if (cb_.on_progress) cb_.on_progress("learn", step, total);
      event({{"kind", "learn"}, {"learn_step", step}, {"macs", macs}, {"target_macs", target}, {"distillation", loss}});
    };
    return hp;
  }

  prune::AgentParams agent_params(const prune::Budget& target) {
    const auto& l = c_.learn;
    prune::AgentParams ap;
    ap.target = target;
    ap.prune_discriminator = l.prune_discriminator;
    ap.max_steps = l.max_steps;
    ap.min_steps = l.min_steps;
    ap.batch = l.batch;
    ap.centres = l.centres;
    ap.neighbours = l.neighbours;
    ap.temperature = l.temperature;
    ap.lr = l.agent_lr;
    ap.d_lr = c_.lr;
    ap.kernel = l.kernel_weight;
    ap.budget = l.budget_weight;
    ap.loss = *train::adversarial_from_name(c_.objectives.adversarial);
    ap.seed = c_.seed;
    ap.inputs = score_params(c_, *teacher_.generator, data_.get()).inputs;
    ap.abort = cb_.abort;
    // The agents usually meet the budgets at min_steps: progress counts to that, and to max_steps only past it.
    ap.on_progress = [this, target = target.macs, expected = ap.min_steps,
                      limit = ap.max_steps](const prune::AgentProgress& pr) {
      const int64_t total = pr.step <= expected ? std::min(expected, limit) : limit;
      if (cb_.on_scores) cb_.on_scores(pr.keep, pr.step, total);
      if (cb_.on_progress) cb_.on_progress("learn", pr.step, total);
      nlohmann::json e{{"kind", "learn"},     {"learn_step", pr.step}, {"macs", pr.g_macs},  {"target_macs", target},
                       {"d_loss", pr.d_loss}, {"g_adv", pr.g_adv},     {"kernel", pr.kernel}};
      if (pr.d_macs > 0) e["discriminator_macs"] = pr.d_macs;
      event(e);
    };
    return ap;
  }

  // Every process scores its share of the batches; rank 0 makes and saves the plan.
  bool score_or_load() {
    models::Generator& g = *teacher_.generator;
    bool saved = leader() && resume_ && run_.exists("scores.json");
    if (group_) saved = group_->any(saved);
    if (saved) {
      if (!leader()) return true;
      plan_ = prune::load_plan(run_.path("scores.json"));
      prune::check_plan_fits(plan_, g);
      if (cb_.on_scores) cb_.on_scores(plan_.scores, 1, 1);
      return true;
    }
    prune::ScoreParams p = score_params(c_, g, data_.get());
    p.abort = cb_.abort;
    if (group_) {
      p.shard = group_->rank();
      p.shards = group_->world();
      p.sum_across = [this](at::Tensor& t) { group_->sum(t); };
    }
    p.on_partial = [&](int64_t done, int64_t total, const prune::ChannelScores& partial) {
      if (cb_.on_scores) cb_.on_scores(partial, done, total);
      if (cb_.on_progress) cb_.on_progress("score", done, total);
    };
    const auto t0 = Clock::now();
    prune::ScoreResult r = prune::score(c_.method, g, p);
    if (r.cancelled) return false;
    if (!leader()) return true;
    plan_ = prune::make_plan(g, c_.method, std::move(r.scores), c_.selection);
    plan_.info["model"] = c_.model;
    plan_.info["batches"] = r.batches;
    if (!r.notes.empty()) plan_.info["notes"] = r.notes;
    prune::save_plan(run_.path("scores.json"), plan_);
    event({{"kind", "scored"},
           {"method", c_.method},
           {"batches", r.batches},
           {"seconds", std::chrono::duration<double>(Clock::now() - t0).count()}});
    return true;
  }

  train::FinetuneParams finetune_params(models::Model& teacher, models::Model& student, Evaluator* evaluator) {
    train::FinetuneParams fp;
    fp.teacher = &teacher;
    fp.student = &student;
    fp.data = c_.data;
    fp.data_layout = c_.data_layout;
    fp.dataset = data_.get(); // opened by the preflight for this model
    fp.steps = c_.steps;
    fp.batch = c_.batch;
    fp.lr = c_.lr;
    fp.beta1 = c_.beta1;
    fp.beta2 = c_.beta2;
    fp.objectives = c_.objectives;
    fp.kept = plan_.kept;
    fp.seed = c_.seed;
    fp.device = c_.device;
    fp.deterministic = c_.deterministic;
    fp.state_path = run_.path("checkpoints/state.pt");
    fp.resume = resume_ && run_.exists("checkpoints/state.pt");
    fp.checkpoint_every = c_.checkpoint_every;
    fp.sample_every = c_.sample_every;
    fp.eval_every = c_.eval ? c_.eval_every : 0;
    fp.log_every = c_.log_every;
    fp.abort = cb_.abort;
    fp.pause = cb_.pause;
    fp.group = group_;
    fp.on_progress = [this](int64_t step, int64_t total, const std::map<std::string, double>&) {
      last_step_ = step;
      if (cb_.on_progress) cb_.on_progress("finetune", step, total);
    };
    fp.on_event = [this](const nlohmann::json& e) {
      nlohmann::json copy = e;
      last_step_ = copy.value("step", last_step_);
      if (copy.value("kind", "") == "checkpoint") copy["path"] = "checkpoints/state.pt";
      if (copy.value("kind", "") == "eval") {
        copy["model"] = "student";
        last_metrics_ = copy;
      }
      event(copy);
    };
    fp.on_samples = [this](int64_t step, const at::Tensor& t, const at::Tensor& s, const at::Tensor& in) {
      write_samples(step, t, s, in);
      if (cb_.on_samples) cb_.on_samples(step, t, s, in);
    };
    if (evaluator) fp.evaluate = [evaluator](int64_t, models::Generator& g) { return evaluator->evaluate(g); };
    return fp;
  }

  void write_samples(int64_t step, const at::Tensor& t, const at::Tensor& s, const at::Tensor& in) {
    char name[64];
    std::snprintf(name, sizeof name, "samples/step-%06lld.png", static_cast<long long>(step));
    io::write_png(run_.path(name), sample_grid(t, s, in));
    event({{"kind", "samples"},
           {"step", step},
           {"path", name},
           {"layout", in.defined() ? kTripletLayout : kStackedLayout}});
  }

  void eval_event(const char* which, int64_t step, models::Generator& g, const Evaluator& e) {
    nlohmann::json m = e.evaluate(g);
    m["kind"] = "eval";
    m["model"] = which;
    m["step"] = step;
    event(m);
  }

  void stage(const char* name) { event({{"kind", "stage"}, {"stage", name}}); }

  void event(nlohmann::json e) {
    if (!leader()) return;
    if (!e.contains("step")) e["step"] = last_step_;
    e["elapsed"] = seconds();
    run_.append_event(e);
    if (cb_.on_event) cb_.on_event(e);
  }

  double seconds() const { return std::chrono::duration<double>(Clock::now() - start_).count(); }

  JobResult cancelled() {
    event({{"kind", "stopped"}, {"stage", "score"}});
    JobResult r;
    r.cancelled = true;
    return r;
  }

  const CompressConfig& c_;
  RunDirectory run_;
  bool resume_;
  const JobCallbacks& cb_;
  dist::Group* group_ = cb_.group;
  Clock::time_point start_;
  models::Model teacher_;
  std::unique_ptr<data::Dataset> data_;
  prune::Plan plan_;
  nlohmann::json last_metrics_;
  int64_t last_step_ = 0;
};

} // namespace

at::Tensor sample_grid(const at::Tensor& t, const at::Tensor& s, const at::Tensor& in) {
  if (!in.defined()) return io::make_grid(torch::cat({t, s}), 8);
  const at::Tensor input = in.size(1) == t.size(1) ? in : in.mean(1, true).expand_as(t); // grey drawings beside RGB
  return io::make_grid(torch::stack({input, t, s}, 1).flatten(0, 1), kTripletColumns);
}

JobResult run_compress(const CompressConfig& config, const std::string& run_dir, bool resume,
                       const JobCallbacks& callbacks) {
  return Job(config, run_dir, resume, callbacks).run();
}

} // namespace gs::jobs
