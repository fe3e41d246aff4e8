// The fine-tune loop. One step: a discriminator update (real data or teacher outputs against the student's), lazy
// R1, then a generator update on adversarial + distillation (+ DGL-GAN's teacher term in stage 2), then EMA.
#include "core/train/finetune.h"

#include "core/data/input_images.h"
#include "core/dist/process_group.h"
#include "core/log.h"
#include "core/models/channel_ops.h"
#include "core/models/feature_tap.h"
#include "core/train/objectives.h"
#include "core/train/train_common.h"

#include <torch/torch.h>

#include <chrono>
#include <optional>
#include <sstream>
#include <thread>

namespace gs::train {
namespace {

constexpr int64_t kR1Every = 16;

void freeze(torch::nn::Module& m) {
  for (auto& p : m.parameters()) p.requires_grad_(false);
  m.eval();
}

void ema_update(torch::nn::Module& ema, torch::nn::Module& live, double decay) {
  torch::NoGradGuard no_grad;
  auto e = ema.parameters(), l = live.parameters();
  for (size_t i = 0; i < e.size(); ++i) e[i].mul_(decay).add_(l[i], 1 - decay);
  auto eb = ema.buffers(), lb = live.buffers();
  for (size_t i = 0; i < eb.size(); ++i) eb[i].copy_(lb[i]);
}

void copy_weights(torch::nn::Module& to, torch::nn::Module& from) {
  torch::NoGradGuard no_grad;
  auto t = to.parameters(), f = from.parameters();
  for (size_t i = 0; i < t.size(); ++i) t[i].copy_(f[i]);
  auto tb = to.buffers(), fb = from.buffers();
  for (size_t i = 0; i < tb.size(); ++i) tb[i].copy_(fb[i]);
}

class Loop {
public:
  explicit Loop(const FinetuneParams& p)
      : p_(p), device_(pick_device(p.device, p.deterministic)), teacher_(*p.teacher->generator),
        student_(*p.student->generator), d_(p.student->discriminator.get()),
        d_teacher_(p.teacher->discriminator.get()) {
    const auto adv = adversarial_from_name(p.objectives.adversarial);
    if (!adv) throw std::invalid_argument("unknown adversarial loss '" + p.objectives.adversarial + "'");
    adv_ = *adv;
    if (teacher_.arch() != student_.arch()) throw std::invalid_argument("teacher and student architectures differ");
    image_to_image_ = student_.input_spec().kind == models::InputSpec::Kind::Image;
    use_adv_ = p.objectives.adversarial_weight > 0;
    if (use_adv_ && !d_)
      throw std::invalid_argument("the adversarial term needs a discriminator; the student has none");
    if (p.objectives.dgl_alpha > 0 && !d_teacher_)
      throw std::invalid_argument("DGL-GAN needs the teacher's discriminator; the checkpoint holds none");
    if (p.objectives.relation > 0 && p.batch < 2) throw std::invalid_argument("relation distillation needs batch >= 2");
    if (group_ && p.batch % group_->world() != 0)
      throw std::invalid_argument("a batch of " + std::to_string(p.batch) + " does not split evenly over " +
                                  std::to_string(group_->world()) + " processes");
    local_batch_ = group_ ? p.batch / group_->world() : p.batch;
    shard_first_ = group_ ? group_->rank() * local_batch_ : 0;
    if (p.objectives.relation > 0 && local_batch_ < 2)
      throw std::invalid_argument("relation distillation needs at least 2 samples per process");
  }

  FinetuneResult run() {
    setup();
    FinetuneResult result;
    bool dgl_on = p_.objectives.dgl_alpha > 0 && step_ >= p_.objectives.dgl_start;
    while (step_ < p_.steps) {
      wait_while_paused();
      if (stop_requested()) {
        result.aborted = true;
        break;
      }
      if (p_.objectives.dgl_alpha > 0 && !dgl_on && step_ >= p_.objectives.dgl_start) {
        dgl_on = true;
        event({{"kind", "stage"}, {"stage", "dgl"}, {"alpha", p_.objectives.dgl_alpha}});
      }
      result.last = train_step(dgl_on);
      ++step_;
      for (const auto& [name, v] : result.last)
        if (!std::isfinite(v))
          throw std::runtime_error("fine-tuning diverged at step " + std::to_string(step_) + " (" + name +
                                   " is not finite); the last checkpoint is kept");
      if (p_.on_progress) p_.on_progress(step_, p_.steps, result.last);
      if (p_.log_every > 0 && (step_ % p_.log_every == 0 || step_ == p_.steps)) {
        nlohmann::json e{{"kind", "loss"}};
        for (const auto& [name, v] : result.last) e[name] = v;
        event(e);
      }
      const bool sample = p_.sample_every > 0 && step_ % p_.sample_every == 0;
      const bool eval = p_.eval_every > 0 && step_ % p_.eval_every == 0;
      const bool checkpoint = p_.checkpoint_every > 0 && step_ % p_.checkpoint_every == 0 && step_ < p_.steps;
      if (sample) samples();
      if (eval) evaluate();
      if (checkpoint) save();
      if (group_ && (sample || eval || checkpoint)) group_->await_leader("step");
    }
    save();
    if (!result.aborted) {
      if (p_.sample_every > 0 && step_ % p_.sample_every != 0) samples();
      if (p_.evaluate && (p_.eval_every <= 0 || step_ % p_.eval_every != 0)) evaluate();
      if (ema_) copy_weights(student_.module(), ema_->module());
    }
    result.steps_done = step_;
    return result;
  }

private:
  void setup() {
    if (p_.steps < 1 || p_.batch < 1) throw std::invalid_argument("steps and batch must be positive");
    if (!p_.state_path.empty()) check_writable(p_.state_path);
    if (p_.deterministic) make_deterministic();
    const models::InputSpec spec = student_.input_spec();
    at::Tensor probe;
    {
      torch::NoGradGuard no_grad;
      teacher_.module().eval();
      probe = teacher_.forward(image_to_image_ ? torch::zeros({1, spec.shape[0], spec.shape[1], spec.shape[2]})
                                               : torch::zeros({1, spec.shape[0]}));
    }
    if (!p_.dataset && p_.data.empty() && (use_adv_ || image_to_image_))
      throw std::invalid_argument(image_to_image_ ? "fine-tuning an image-to-image model needs input images (data)"
                                                  : "the adversarial term needs real images (data)");
    if (p_.dataset) {
      dataset_ = p_.dataset;
    } else if (!p_.data.empty()) {
      data::DatasetOptions o;
      o.layout = layout_from_name(p_.data_layout);
      o.size = image_to_image_ ? spec.shape[1] : probe.size(2);
      o.channels = static_cast<int>(image_to_image_ ? spec.shape[0] : probe.size(1));
      owned_dataset_ = data::open_dataset(p_.data, o);
      dataset_ = owned_dataset_.get();
    }
    if (dataset_) {
      if (dataset_->size() == 0) throw std::runtime_error(dataset_->describe() + ": the dataset is empty");
      sampler_ = std::make_unique<StepSampler>(*dataset_, p_.seed, p_.batch);
      sampler_->shard(shard_first_, local_batch_);
    }

    freeze(teacher_.module());
    teacher_.module().to(device_);
    if (d_teacher_) {
      freeze(d_teacher_->module());
      d_teacher_->module().to(device_);
    }
    student_.module().to(device_);
    student_.module().train();
    const auto adam = torch::optim::AdamOptions(p_.lr).betas({p_.beta1, p_.beta2});
    opt_g_ = std::make_unique<torch::optim::Adam>(student_.module().parameters(), adam);
    if (use_adv_) {
      d_->module().to(device_);
      d_->module().train();
      for (auto& q : d_->module().parameters()) q.requires_grad_(true);
      opt_d_ = std::make_unique<torch::optim::Adam>(d_->module().parameters(), adam);
    }
    if (p_.objectives.ema > 0) {
      ema_ = models::clone(student_);
      ema_->module().to(device_);
      freeze(ema_->module());
    }
    for (const auto& [group, channels] : p_.kept) kept_[group] = torch::tensor(channels, torch::kLong).to(device_);
    rng_ = at::make_generator<at::CPUGeneratorImpl>(p_.seed + 1);
    fixed_inputs_ = image_to_image_ ? data::input_batch(*dataset_, 0, p_.sample_count)
                                    : at::randn({p_.sample_count, spec.shape[0]},
                                                at::make_generator<at::CPUGeneratorImpl>(p_.seed + 2));
    if (p_.resume && leader()) load();
    if (group_) share_state();
    log::get("train")->info("fine-tune {} from step {} of {} on {}", models::arch_name(student_.arch()), step_,
                            p_.steps, device_.str());
  }

  // This process's share of the step's generator inputs: latents from the step RNG (every process draws the whole
  // batch, so the RNG stays in step), or the step's data batch.
  at::Tensor step_inputs() {
    if (image_to_image_) return sampler_->batch(step_).to(device_);
    const at::Tensor z = at::randn({p_.batch, student_.input_spec().shape[0]}, rng_);
    return z.slice(0, shard_first_, shard_first_ + local_batch_).to(device_);
  }

  bool leader() const { return !group_ || group_->leader(); }

  // Every process stops at the same step when any was asked to.
  bool stop_requested() {
    const bool local = p_.abort && p_.abort->load();
    return group_ ? group_->any(local) : local;
  }

  void backward(const at::Tensor& loss, torch::optim::Adam& opt, torch::nn::Module& m) {
    opt.zero_grad();
    loss.backward();
    if (group_) group_->average_gradients(m.parameters());
    opt.step();
  }

  // The losses of the whole batch: each process's mean over its share, averaged.
  void average_losses(std::map<std::string, double>& losses) {
    if (!group_) return;
    std::vector<double> v;
    for (const auto& [name, x] : losses) v.push_back(x);
    at::Tensor t = torch::tensor(v, torch::kDouble);
    group_->sum(t);
    t.div_(group_->world());
    size_t i = 0;
    for (auto& [name, x] : losses) x = t[static_cast<int64_t>(i++)].item<double>();
  }

  // Rank 0's state (fresh or resumed) on every process: the same weights, optimiser moments, RNGs and step.
  void share_state() {
    std::ostringstream out;
    if (leader()) {
      torch::serialize::OutputArchive a;
      write_state(a);
      a.save_to(out);
    }
    std::istringstream in(group_->broadcast_bytes(out.str()));
    torch::serialize::InputArchive a;
    a.load_from(in);
    read_state(a);
  }

  // What a discriminator sees (pix2pix: the input beside the output).
  at::Tensor d_input(const at::Tensor& x, const at::Tensor& y) const {
    return models::discriminator_input(student_.arch(), x, y);
  }

  std::map<std::string, double> train_step(bool dgl_on) {
    std::map<std::string, double> losses;
    const Objectives& o = p_.objectives;
    const at::Tensor x = step_inputs();
    at::Tensor teacher_out;
    std::map<std::string, at::Tensor> teacher_features, student_features;
    {
      torch::NoGradGuard no_grad;
      std::optional<models::FeatureTap> tap;
      if (o.feature > 0) tap.emplace();
      teacher_out = teacher_.forward(x);
      if (tap) teacher_features = tap->features();
    }
    if (use_adv_) {
      const at::Tensor real = image_to_image_ ? teacher_out : sampler_->batch(step_).to(device_);
      at::Tensor fake;
      {
        torch::NoGradGuard no_grad;
        fake = student_.forward(x);
      }
      at::Tensor loss_d = discriminator_loss(adv_, d_->forward(d_input(x, real)), d_->forward(d_input(x, fake)));
      backward(loss_d, *opt_d_, d_->module());
      losses["d"] = loss_d.item<double>();
      if (o.r1_gamma > 0 && step_ % kR1Every == 0) {
        const at::Tensor r = real.detach().requires_grad_(true);
        const at::Tensor r1 = r1_penalty(d_->forward(d_input(x, r)), r);
        backward(o.r1_gamma / 2 * kR1Every * r1, *opt_d_, d_->module());
        losses["r1"] = r1.item<double>();
      }
    }
    at::Tensor out;
    {
      std::optional<models::FeatureTap> tap;
      if (o.feature > 0) tap.emplace();
      out = student_.forward(x);
      if (tap) student_features = tap->features();
    }
    at::Tensor total = torch::zeros({}, out.options());
    // Each term with a positive weight: added to the generator's loss and logged under its name.
    auto term = [&](const char* name, double weight, const auto& loss) {
      if (weight <= 0) return;
      const at::Tensor l = loss();
      total = total + weight * l;
      losses[name] = l.item<double>();
    };
    term("g_adv", use_adv_ ? o.adversarial_weight : 0,
         [&] { return generator_loss(adv_, d_->forward(d_input(x, out))); });
    term("pixel", o.pixel, [&] { return pixel_distillation(out, teacher_out); });
    term("feature", o.feature, [&] { return feature_distillation(student_features, teacher_features, kept_); });
    term("relation", o.relation, [&] { return relation_distillation(out, teacher_out); });
    term("dgl", dgl_on ? o.dgl_alpha : 0, [&] { return generator_loss(adv_, d_teacher_->forward(d_input(x, out))); });
    backward(total, *opt_g_, student_.module());
    losses["g"] = total.item<double>();
    average_losses(losses);
    if (ema_) ema_update(ema_->module(), student_.module(), o.ema);
    return losses;
  }

  models::Generator& shown() { return ema_ ? *ema_ : student_; }

  void samples() {
    if (!p_.on_samples || !leader()) return;
    torch::NoGradGuard no_grad;
    models::Generator& s = shown();
    const bool was = s.module().is_training();
    s.module().eval();
    const at::Tensor in = fixed_inputs_.to(device_);
    const at::Tensor t = teacher_.forward(in).cpu(), st = s.forward(in).cpu();
    s.module().train(was);
    p_.on_samples(step_, t, st, image_to_image_ ? fixed_inputs_ : at::Tensor());
  }

  void evaluate() {
    if (!p_.evaluate || !leader()) return;
    models::Generator& s = shown();
    const bool was = s.module().is_training();
    s.module().eval();
    nlohmann::json metrics = p_.evaluate(step_, s);
    s.module().train(was);
    metrics["kind"] = "eval";
    event(metrics);
  }

  void event(nlohmann::json e) {
    e["step"] = step_;
    if (p_.on_event && leader()) p_.on_event(e);
  }

  void wait_while_paused() {
    while (p_.pause && p_.pause->load() && !(p_.abort && p_.abort->load()))
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }

  void save() {
    if (p_.state_path.empty() || !leader()) return;
    torch::serialize::OutputArchive a;
    write_state(a);
    save_archive_atomic(a, p_.state_path);
    event({{"kind", "checkpoint"}, {"path", p_.state_path}});
  }

  void write_state(torch::serialize::OutputArchive& a) {
    write_progress(a, step_, rng_);
    write_modules(a, "g.", student_.module());
    torch::serialize::OutputArchive og;
    opt_g_->save(og);
    a.write("optimizer_g", og);
    if (use_adv_) {
      write_modules(a, "d.", d_->module());
      torch::serialize::OutputArchive od;
      opt_d_->save(od);
      a.write("optimizer_d", od);
    }
    if (ema_) write_modules(a, "ema.", ema_->module());
  }

  void load() {
    if (p_.state_path.empty()) throw std::invalid_argument("resume needs a state path");
    torch::serialize::InputArchive a;
    try {
      a.load_from(p_.state_path);
    } catch (const c10::Error& e) {
      throw std::runtime_error(p_.state_path + ": cannot read the fine-tuning state (" +
                               std::string(e.what_without_backtrace()).substr(0, 200) + ")");
    }
    read_state(a);
  }

  void read_state(torch::serialize::InputArchive& a) {
    step_ = read_progress(a, rng_);
    read_modules(a, "g.", student_.module());
    torch::serialize::InputArchive og;
    a.read("optimizer_g", og);
    opt_g_->load(og);
    if (use_adv_) {
      read_modules(a, "d.", d_->module());
      torch::serialize::InputArchive od;
      a.read("optimizer_d", od);
      opt_d_->load(od);
    }
    if (ema_) read_modules(a, "ema.", ema_->module());
  }

  const FinetuneParams& p_;
  dist::Group* group_ = p_.group;
  int64_t local_batch_ = 0, shard_first_ = 0;
  torch::Device device_;
  models::Generator& teacher_;
  models::Generator& student_;
  models::Discriminator* d_;
  models::Discriminator* d_teacher_;
  Adversarial adv_ = Adversarial::Logistic;
  bool image_to_image_ = false, use_adv_ = true;
  std::unique_ptr<data::Dataset> owned_dataset_; // opened here when the caller passed none
  const data::Dataset* dataset_ = nullptr;
  std::unique_ptr<StepSampler> sampler_;
  std::unique_ptr<torch::optim::Adam> opt_g_, opt_d_;
  std::unique_ptr<models::Generator> ema_;
  std::map<std::string, at::Tensor> kept_; // feature distillation's teacher channels, on the device
  at::Generator rng_ = at::make_generator<at::CPUGeneratorImpl>(0);
  at::Tensor fixed_inputs_;
  int64_t step_ = 0;
};

} // namespace

FinetuneResult finetune(const FinetuneParams& params) {
  if (!params.teacher || !params.student || !params.teacher->generator || !params.student->generator)
    throw std::invalid_argument("fine-tuning needs a teacher and a student generator");
  return Loop(params).run();
}

} // namespace gs::train
