// The from-scratch GAN loop. Its state (weights, optimisers, RNGs, step) lives in one archive written atomically, so a
// run killed at any moment resumes from its last checkpoint with the same data and noise streams.
#include "core/train/pretrain.h"

#include "core/train/train_common.h"

#include "core/data/dataset.h"
#include "core/io/png.h"
#include "core/log.h"
#include "core/models/channel_ops.h"
#include "core/models/registry.h"
#include "core/models/state_loading.h"

#include <torch/torch.h>

#include <cstdio>
#include <filesystem>
#include <tuple>
#include <unistd.h>

namespace gs::train {
namespace {

namespace fs = std::filesystem;

struct Trainer {
  Trainer(const PretrainParams& params, torch::Device dev, models::Model m)
      : p(params), device(dev), model(std::move(m)) {}
  const PretrainParams& p;
  torch::Device device;
  models::Model model;
  std::unique_ptr<torch::optim::Adam> opt_g, opt_d;
  at::Generator rng = at::make_generator<at::CPUGeneratorImpl>(0);
  at::Tensor fixed_z;       // latents, or pix2pix's input images
  at::Tensor fixed_targets; // pix2pix: the targets of those inputs
  bool paired = false;
  models::Model reverse;                  // cyclegan: the B->A generator and the discriminator of A images
  std::unique_ptr<models::Generator> ema; // the generator's moving average (ema_kimg > 0)
  int64_t step = 0;

  std::string state_path() const { return p.out + ".state"; }

  void save() {
    if (ema) std::swap(model.generator, ema); // the model file holds the average
    try {
      models::save_model(p.out, model);
    } catch (...) {
      if (ema) std::swap(model.generator, ema);
      throw;
    }
    if (ema) std::swap(model.generator, ema);
    torch::serialize::OutputArchive a;
    write_progress(a, step, rng);
    write_modules(a, "g.", model.generator->module());
    write_modules(a, "d.", model.discriminator->module());
    if (ema) write_modules(a, "ge.", ema->module());
    if (reverse.generator) {
      models::save_model(reverse_model_path(p.out), reverse);
      write_modules(a, "gb.", reverse.generator->module());
      write_modules(a, "db.", reverse.discriminator->module());
    }
    torch::serialize::OutputArchive og, od;
    opt_g->save(og);
    opt_d->save(od);
    a.write("optimizer_g", og);
    a.write("optimizer_d", od);
    save_archive_atomic(a, state_path());
    if (p.on_event) p.on_event({{"step", step}, {"kind", "checkpoint"}, {"path", p.out}});
  }

  void load() {
    if (!fs::exists(state_path()))
      throw std::runtime_error(state_path() + ": no training state to resume from (train without --resume first)");
    torch::serialize::InputArchive a;
    a.load_from(state_path());
    step = read_progress(a, rng);
    read_modules(a, "g.", model.generator->module());
    read_modules(a, "d.", model.discriminator->module());
    if (ema) read_modules(a, "ge.", ema->module());
    if (reverse.generator) {
      read_modules(a, "gb.", reverse.generator->module());
      read_modules(a, "db.", reverse.discriminator->module());
    }
    torch::serialize::InputArchive og, od;
    a.read("optimizer_g", og);
    a.read("optimizer_d", od);
    opt_g->load(og);
    opt_d->load(od);
  }

  void write_samples() {
    if (p.samples_dir.empty()) return;
    torch::NoGradGuard no_grad;
    auto& g = ema ? *ema : *model.generator;
    g.module().eval();
    at::Tensor images = g.forward(fixed_z.to(device)).cpu();
    if (!ema) g.module().train();
    int64_t columns = 8;
    if (reverse.generator) { // input | translation | translated back
      reverse.generator->module().eval();
      const at::Tensor back = reverse.generator->forward(images.to(device)).cpu();
      reverse.generator->module().train();
      images = torch::stack({fixed_z, images, back}, 1).flatten(0, 1);
      columns = 6;
    } else if (paired) { // input | output | target triplets
      images = torch::stack({fixed_z, images, fixed_targets}, 1).flatten(0, 1);
      columns = 6;
    }
    char name[64];
    std::snprintf(name, sizeof name, "step-%06lld.png", static_cast<long long>(step));
    const std::string path = (fs::path(p.samples_dir) / name).string();
    io::write_png(path, io::make_grid(images, columns));
    if (p.on_event) p.on_event({{"step", step}, {"kind", "samples"}, {"path", path}});
  }

  // pix2pix: D sees (input, image) pairs; G minimises the conditional GAN loss plus l1_weight x L1 to the target.
  StepLosses paired_step(StepSampler& sampler) {
    StepLosses losses;
    auto& g = *model.generator;
    auto& d = *model.discriminator;
    auto [a, b] = sampler.pairs(step);
    a = a.to(device);
    b = b.to(device);
    const at::Tensor fake = g.forward(a);
    at::Tensor loss_d = 0.5 * (torch::softplus(-d.forward(torch::cat({a, b}, 1))).mean() +
                               torch::softplus(d.forward(torch::cat({a, fake.detach()}, 1))).mean());
    opt_d->zero_grad();
    loss_d.backward();
    opt_d->step();
    const at::Tensor l1 = (fake - b).abs().mean();
    at::Tensor loss_g = torch::softplus(-d.forward(torch::cat({a, fake}, 1))).mean() + p.l1_weight * l1;
    opt_g->zero_grad();
    loss_g.backward();
    opt_g->step();
    losses.d = loss_d.item<double>();
    losses.g = loss_g.item<double>();
    losses.l1 = l1.item<double>();
    return losses;
  }

  // cyclegan, as upstream's CycleGANModel.optimize_parameters: both generators on LSGAN + cycle + identity, then
  // both discriminators on real vs this step's fakes (without upstream's pool of 50 past fakes).
  StepLosses cycle_step(StepSampler& sampler) {
    StepLosses losses;
    auto& g_a = *model.generator;
    auto& g_b = *reverse.generator;
    auto& d_a = *model.discriminator;   // judges B images
    auto& d_b = *reverse.discriminator; // judges A images
    auto [a, b] = sampler.pairs(step);
    a = a.to(device);
    b = b.to(device);
    auto lsgan = [](const at::Tensor& logits, double target) { return (logits - target).pow(2).mean(); };
    const at::Tensor fake_b = g_a.forward(a), fake_a = g_b.forward(b);
    const at::Tensor cycle = (g_b.forward(fake_b) - a).abs().mean() + (g_a.forward(fake_a) - b).abs().mean();
    at::Tensor loss_g = lsgan(d_a.forward(fake_b), 1) + lsgan(d_b.forward(fake_a), 1) + p.cycle_weight * cycle;
    if (p.identity_weight > 0)
      loss_g = loss_g + p.identity_weight * p.cycle_weight *
                            ((g_a.forward(b) - b).abs().mean() + (g_b.forward(a) - a).abs().mean());
    opt_g->zero_grad();
    loss_g.backward();
    opt_g->step();
    const at::Tensor loss_d = 0.5 * (lsgan(d_a.forward(b), 1) + lsgan(d_a.forward(fake_b.detach()), 0)) +
                              0.5 * (lsgan(d_b.forward(a), 1) + lsgan(d_b.forward(fake_a.detach()), 0));
    opt_d->zero_grad();
    loss_d.backward();
    opt_d->step();
    losses.d = loss_d.item<double>();
    losses.g = loss_g.item<double>();
    losses.l1 = cycle.item<double>() / 2;
    return losses;
  }

  StepLosses train_step(StepSampler& sampler) {
    if (reverse.generator) return cycle_step(sampler);
    if (paired) return paired_step(sampler);
    StepLosses losses;
    auto& g = *model.generator;
    auto& d = *model.discriminator;
    models::GenerateOptions gen;
    gen.randomize_noise = true; // StyleGAN2 trains with fresh noise; others ignore it
    const int64_t z_dim = g.input_spec().shape.at(0);
    const at::Tensor real = sampler.batch(step).to(device);
    const int64_t b = real.size(0);

    at::Tensor fake = g.forward(at::randn({b, z_dim}, rng).to(device), gen);
    at::Tensor loss_d = torch::softplus(-d.forward(real)).mean() + torch::softplus(d.forward(fake.detach())).mean();
    opt_d->zero_grad();
    loss_d.backward();
    opt_d->step();
    losses.d = loss_d.item<double>();

    constexpr int64_t r1_every = 16;
    if (model.arch == models::Arch::StyleGAN2 && p.r1_gamma > 0 && step % r1_every == 0) {
      at::Tensor x = real.detach().requires_grad_(true);
      at::Tensor out = d.forward(x);
      at::Tensor grad = torch::autograd::grad({out.sum()}, {x}, {}, true, true)[0];
      at::Tensor r1 = grad.pow(2).flatten(1).sum(1).mean();
      opt_d->zero_grad();
      (p.r1_gamma / 2 * r1 * r1_every + 0 * out[0]).backward();
      opt_d->step();
      losses.r1 = r1.item<double>();
    }

    fake = g.forward(at::randn({b, z_dim}, rng).to(device), gen);
    at::Tensor loss_g = torch::softplus(-d.forward(fake)).mean();
    opt_g->zero_grad();
    loss_g.backward();
    opt_g->step();
    losses.g = loss_g.item<double>();
    if (ema) accumulate_ema(b);
    return losses;
  }

  // ema <- beta ema + (1 - beta) g with beta = 0.5^(batch / half-life), as upstream StyleGAN2's accumulate();
  // buffers (batch-norm statistics) are copied.
  void accumulate_ema(int64_t batch) {
    torch::NoGradGuard no_grad;
    const double beta = std::pow(0.5, static_cast<double>(batch) / (p.ema_kimg * 1000.0));
    const auto target = ema->module().named_parameters(true), source = model.generator->module().named_parameters(true);
    for (const auto& item : source) target[item.key()].lerp_(item.value(), 1.0 - beta);
    const auto target_buffers = ema->module().named_buffers(true);
    for (const auto& item : model.generator->module().named_buffers(true))
      target_buffers[item.key()].copy_(item.value());
  }
};

} // namespace

PretrainParams default_params(models::Arch arch, int64_t size, int64_t channels) {
  PretrainParams p;
  p.arch = arch;
  switch (arch) {
  case models::Arch::DCGAN:
    p.generator_options = {{"size", size}, {"nc", channels}};
    p.discriminator_options = {{"size", size}, {"nc", channels}};
    break;
  case models::Arch::SSD:
    p.generator_options = {{"size", size}, {"nc", channels}};
    p.discriminator_options = {{"size", size}, {"nc", channels}};
    p.lr = 5e-4;
    p.batch = 32;
    break;
  case models::Arch::StyleGAN2: // always RGB; a small mapping network and narrow layers suit small data
    p.generator_options = {{"size", size}, {"style_dim", 256}, {"n_mlp", 4}, {"channel_multiplier", 1}};
    p.discriminator_options = {{"size", size}, {"channel_multiplier", 1}};
    p.lr = 2e-3;
    p.beta1 = 0;
    p.beta2 = 0.99;
    p.batch = 32;
    p.ema_kimg = 10;
    break;
  case models::Arch::Pix2Pix: { // upstream's U-Net and 70x70 PatchGAN, narrower for small data
    int64_t downs = 0;
    while ((int64_t{1} << downs) < size) ++downs;
    p.generator_options = {{"num_downs", downs}, {"ngf", 32}, {"input_nc", channels}, {"output_nc", channels}};
    p.discriminator_options = {{"input_nc", 2 * channels}, {"ndf", 32}, {"n_layers", 3}};
    p.batch = 16;
    break;
  }
  case models::Arch::CycleGAN: // upstream's ResNet generator with 6 blocks and PatchGAN, narrower for small data
    p.generator_options = {{"ngf", 32},         {"n_blocks", 6},     {"input_nc", channels}, {"output_nc", channels},
                           {"load_size", size}, {"norm", "instance"}};
    p.discriminator_options = {{"input_nc", channels}, {"ndf", 32}, {"n_layers", 3}, {"norm", "instance"}};
    p.batch = 4;
    break;
  }
  return p;
}

std::string reverse_model_path(const std::string& out) {
  const fs::path path(out);
  return (path.parent_path() / (path.stem().string() + "-BtoA" + path.extension().string())).string();
}

PretrainResult pretrain(const PretrainParams& p) {
  if (p.steps < 1 || p.batch < 1) throw std::invalid_argument("steps and batch must be positive");
  if (p.ema_kimg < 0) throw std::invalid_argument("the EMA half-life must be >= 0");
  check_writable(p.out);
  if (!p.samples_dir.empty()) fs::create_directories(p.samples_dir);
  if (p.deterministic) make_deterministic();
  torch::manual_seed(p.seed); // initial weights

  Trainer t(p, pick_device(p.device, p.deterministic),
            models::build_model(p.arch, p.generator_options, p.discriminator_options));
  auto& g = *t.model.generator;
  auto& d = *t.model.discriminator;
  const models::InputSpec spec = g.input_spec();
  t.paired = spec.kind == models::InputSpec::Kind::Image;
  const bool cycle = p.arch == models::Arch::CycleGAN;
  if (cycle) {
    if (g.options().value("input_nc", 3) != g.options().value("output_nc", 3))
      throw std::invalid_argument("cyclegan pretraining needs input_nc == output_nc (both directions, identity loss)");
    t.reverse = models::build_model(p.arch, p.generator_options, p.discriminator_options);
    t.reverse.generator->module().to(t.device);
    t.reverse.discriminator->module().to(t.device);
    t.reverse.generator->module().train();
    t.reverse.discriminator->module().train();
  }

  // The images the generator makes (or, image-to-image, reads) decide how the data is read.
  data::DatasetOptions data_opts;
  if (t.paired) {
    data_opts.size = spec.shape.at(1);
    data_opts.channels = static_cast<int>(spec.shape.at(0));
    data_opts.layout = cycle ? data::Layout::Unpaired : data::Layout::Paired;
  } else {
    torch::NoGradGuard no_grad;
    g.module().eval();
    const at::Tensor probe = g.forward(torch::zeros({1, spec.shape.at(0)}));
    data_opts.size = probe.size(2);
    data_opts.channels = static_cast<int>(probe.size(1));
  }
  auto dataset = data::open_dataset(p.data, data_opts);
  if (dataset->size() == 0) throw std::runtime_error(p.data + ": the dataset is empty");
  StepSampler sampler(*dataset, p.seed, p.batch);

  g.module().to(t.device);
  d.module().to(t.device);
  g.module().train();
  d.module().train();
  if (p.ema_kimg > 0 && !t.paired) {
    t.ema = models::clone(g);
    t.ema->module().to(t.device);
    t.ema->module().eval();
    for (auto& q : t.ema->module().parameters(true)) q.requires_grad_(false);
  }
  const torch::optim::AdamOptions adam = torch::optim::AdamOptions(p.lr).betas({p.beta1, p.beta2});
  auto both = [&](torch::nn::Module& first, torch::nn::Module* second) {
    std::vector<at::Tensor> params = first.parameters();
    if (second)
      for (const auto& q : second->parameters()) params.push_back(q);
    return params;
  };
  t.opt_g =
      std::make_unique<torch::optim::Adam>(both(g.module(), cycle ? &t.reverse.generator->module() : nullptr), adam);
  t.opt_d = std::make_unique<torch::optim::Adam>(both(d.module(), cycle ? &t.reverse.discriminator->module() : nullptr),
                                                 adam);
  t.rng = at::make_generator<at::CPUGeneratorImpl>(p.seed + 1);
  if (t.paired) {
    StepSampler first(*dataset, p.seed, std::min<int64_t>(16, dataset->size()));
    std::tie(t.fixed_z, t.fixed_targets) = first.pairs(0);
  } else {
    t.fixed_z = at::randn({64, spec.shape.at(0)}, at::make_generator<at::CPUGeneratorImpl>(p.seed + 2));
  }
  if (p.resume) t.load();
  log::get("train")->info("pretrain {} on {} ({} images), {} on {}, from step {}", models::arch_name(p.arch),
                          dataset->describe(), dataset->size(), p.steps, t.device.str(), t.step);

  PretrainResult result;
  {
    while (t.step < p.steps) {
      if (p.abort && p.abort->load()) {
        result.aborted = true;
        break;
      }
      result.last = t.train_step(sampler);
      ++t.step;
      if (p.on_progress) p.on_progress(t.step, p.steps, result.last);
      if (!std::isfinite(result.last.d) || !std::isfinite(result.last.g))
        throw std::runtime_error("training diverged at step " + std::to_string(t.step) +
                                 " (a loss is not finite); the last checkpoint is kept");
      if (p.sample_every > 0 && t.step % p.sample_every == 0) t.write_samples();
      if (p.checkpoint_every > 0 && t.step % p.checkpoint_every == 0 && t.step < p.steps) t.save();
    }
  }
  t.save();
  if (p.sample_every > 0 && t.step % p.sample_every != 0) t.write_samples();
  if (sampler.skipped() > 0) log::get("train")->warn("{} unreadable samples were skipped", sampler.skipped());
  result.steps_done = t.step;
  return result;
}

} // namespace gs::train
