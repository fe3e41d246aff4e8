// Local-density pruning with G/D agents on tiny models: the MAC model it budgets with is exact, discriminators slice
// like they mask, both networks reach their budgets, the generator's agent can work alone, bad parameters are refused.
#include "core/models/channel_ops.h"
#include "core/models/registry.h"
#include "core/models/state_loading.h"
#include "core/prune/agents.h"
#include "core/prune/gradient_scorers.h"
#include "core/prune/mac_model.h"
#include "core/prune/plan.h"
#include "model_checks.h"

#include <QTemporaryDir>
#include <QtTest>
#include <torch/torch.h>

using namespace gs;

namespace {

models::Model tiny(models::Arch arch) {
  switch (arch) {
  case models::Arch::DCGAN:
    return models::build_model(arch, {{"nz", 8}, {"ngf", 4}, {"nc", 1}, {"size", 32}},
                               nlohmann::json{{"ndf", 4}, {"nc", 1}, {"size", 32}});
  case models::Arch::SSD:
    return models::build_model(arch, {{"z_dim", 8}, {"ngf", 4}, {"nc", 1}, {"size", 32}},
                               nlohmann::json{{"ndf", 4}, {"nc", 1}, {"size", 32}});
  case models::Arch::StyleGAN2:
    return models::build_model(arch,
                               {{"size", 8},
                                {"style_dim", 8},
                                {"n_mlp", 2},
                                {"widths", {{"input", 6}, {"conv1", 6}, {"convs.0", 5}, {"convs.1", 5}}}},
                               nlohmann::json{{"size", 8}, {"widths", {{"4", 6}, {"8", 5}}}});
  case models::Arch::Pix2Pix:
    return models::build_model(arch, {{"num_downs", 5}, {"ngf", 4}},
                               nlohmann::json{{"input_nc", 6}, {"ndf", 4}, {"n_layers", 2}});
  case models::Arch::CycleGAN:
    return models::build_model(arch, {{"ngf", 4}, {"n_blocks", 2}, {"load_size", 16}},
                               nlohmann::json{{"ndf", 4}, {"n_layers", 2}, {"norm", "instance"}});
  }
  return {};
}

const models::Arch kArchs[] = {models::Arch::DCGAN, models::Arch::SSD, models::Arch::StyleGAN2, models::Arch::Pix2Pix,
                               models::Arch::CycleGAN};

// Every group keeps a random non-empty subset.
models::KeptChannels random_kept(const std::vector<models::ChannelGroup>& groups, at::Generator& gen) {
  models::KeptChannels kept;
  for (const auto& g : groups) {
    const int64_t n = 1 + at::randint(g.width, {1}, gen).item<int64_t>();
    const at::Tensor order = at::randperm(g.width, gen).slice(0, 0, n);
    for (int64_t i = 0; i < n; ++i) kept[g.name].push_back(order[i].item<int64_t>());
    std::sort(kept[g.name].begin(), kept[g.name].end());
  }
  return kept;
}

prune::InputSource random_images(int64_t channels, int64_t size) {
  return [=](int64_t index, int64_t n) {
    auto gen = at::make_generator<at::CPUGeneratorImpl>(static_cast<uint64_t>(index));
    return at::rand({n, channels, size, size}, gen) * 2 - 1;
  };
}

prune::AgentParams quick(models::Generator& g, double share) {
  prune::AgentParams p;
  p.target.macs = static_cast<int64_t>(static_cast<double>(g.cost().macs) * share);
  p.max_steps = 600;
  p.min_steps = 30;
  p.batch = 8;
  p.centres = 2;
  p.neighbours = 3;
  if (g.input_spec().kind == models::InputSpec::Kind::Image) p.inputs = random_images(3, 32);
  return p;
}

} // namespace

class TestAgents : public QObject {
  Q_OBJECT
private Q_SLOTS:
  void init() { torch::manual_seed(0); }

  // The budget terms and the top-up rely on MACs computed from widths alone: they must equal the rebuilt model's.
  void mac_model_equals_the_rebuilt_models_costs() {
    auto gen = at::make_generator<at::CPUGeneratorImpl>(3);
    for (auto arch : kArchs) {
      models::Model m = tiny(arch);
      models::Generator& g = *m.generator;
      const auto groups = g.channel_groups();
      // Transposed convolutions counted by output in odd trials, by input in even ones.
      const auto convention = [](int trial) {
        return trial % 2 ? models::MacConvention::TransposedByOutput : models::MacConvention::TransposedByInput;
      };
      const prune::MacModel by_output(g.cost(), groups, prune::named_tensors(g.module()));
      const prune::MacModel by_input(g.cost(convention(0)), groups, prune::named_tensors(g.module()));
      QCOMPARE(by_output.full(), g.cost().macs);
      QCOMPARE(by_output.full_outputs(), g.cost().outputs);
      QCOMPARE(by_input.full(), g.cost(convention(0)).macs);
      for (int trial = 0; trial < 6; ++trial) {
        const prune::MacModel& model = trial % 2 ? by_output : by_input;
        const auto widths = models::widths_after(groups, random_kept(groups, gen));
        const models::CostReport rebuilt = g.with_widths(widths)->cost(convention(trial));
        QVERIFY2(model.macs(widths) == rebuilt.macs, models::arch_name(arch));
        QVERIFY2(model.outputs(widths) == rebuilt.outputs, models::arch_name(arch));
        QVERIFY(rebuilt.outputs < g.cost().outputs);
        std::map<std::string, at::Tensor> soft;
        for (const auto& [name, w] : widths) soft[name] = torch::tensor(static_cast<double>(w));
        QCOMPARE(model.macs(soft).item<double>(), static_cast<double>(model.macs(widths)));
        QCOMPARE(model.outputs(soft).item<double>(), static_cast<double>(model.outputs(widths)));
        QVERIFY(model.fits(widths, {rebuilt.macs, rebuilt.outputs}));
        QVERIFY(!model.fits(widths, {rebuilt.macs, rebuilt.outputs - 1}));
        QCOMPARE(model.excess(soft, {rebuilt.macs, 0}).item<double>(), 0.0);
        QVERIFY(model.excess(soft, {rebuilt.macs, rebuilt.outputs / 2}).item<double>() > 0.9);
      }
      models::Discriminator& d = *m.discriminator;
      const auto d_groups = d.channel_groups();
      if (d_groups.empty()) continue;
      const prune::MacModel d_model(d.cost(32), d_groups, prune::named_tensors(d.module()));
      for (int trial = 0; trial < 5; ++trial) {
        const auto widths = models::widths_after(d_groups, random_kept(d_groups, gen));
        QVERIFY2(d_model.macs(widths) == d.with_widths(widths)->cost(32).macs, models::arch_name(arch));
      }
    }
  }

  // Every discriminator narrows like the generators: slicing equals masking (SSD's spectral norm included, in training
  // mode too, where the power iteration runs), and the narrowed one is saved and recognised back at its widths.
  void discriminators_slice_like_they_mask_and_load_back() {
    QTemporaryDir dir;
    auto gen = at::make_generator<at::CPUGeneratorImpl>(5);
    for (auto arch : kArchs) {
      models::Model m = tiny(arch);
      models::Discriminator& d = *m.discriminator;
      QVERIFY2(!d.channel_groups().empty(), models::arch_name(arch));
      d.module().eval();
      const int64_t channels = arch == models::Arch::Pix2Pix                              ? 6
                               : arch == models::Arch::DCGAN || arch == models::Arch::SSD ? 1
                                                                                          : 3;
      const int64_t size = arch == models::Arch::StyleGAN2 ? 8 : 32;
      const at::Tensor x = at::rand({2, channels, size, size}, gen) * 2 - 1;
      for (int trial = 0; trial < 4; ++trial) {
        const auto kept = random_kept(d.channel_groups(), gen);
        auto small = models::slice(d, kept);
        small->module().eval();
        auto masked = models::clone(d);
        models::mask(*masked, kept);
        masked->module().eval();
        torch::NoGradGuard no_grad;
        QVERIFY2(test::relative_max_diff(small->forward(x), masked->forward(x)) < 1e-5, models::arch_name(arch));
        small->module().train();
        masked->module().train();
        QVERIFY2(test::relative_max_diff(small->forward(x), masked->forward(x)) < 1e-4, models::arch_name(arch));
        QVERIFY(small->cost(32).macs <= d.cost(32).macs);
        models::Model narrowed;
        narrowed.arch = arch;
        narrowed.generator = models::clone(*m.generator);
        narrowed.discriminator = std::move(small);
        const std::string path = dir.filePath("narrowed.pt").toStdString();
        models::save_model(path, narrowed);
        const models::Model back = models::load_model(path);
        QCOMPARE(back.discriminator->options(), narrowed.discriminator->options());
      }
      QCOMPARE(d.forward(x).sizes(), d.head(d.features(x)).sizes());
    }
  }

  // Both agents stop at their budgets (the generator's in MACs and values written); what they keep slices to the
  // costs they report; losses stay finite.
  void agents_reach_both_budgets() {
    for (auto arch : {models::Arch::DCGAN, models::Arch::Pix2Pix, models::Arch::StyleGAN2}) {
      models::Model m = tiny(arch);
      auto d = models::clone(*m.discriminator);
      prune::AgentParams p = quick(*m.generator, 0.5);
      if (arch == models::Arch::StyleGAN2) p.neighbours = 2; // its minibatch deviation takes pairs in fours
      p.target.outputs = prune::uniform_budget(*m.generator, 0.5).outputs; // tighter than the MAC target here
      std::vector<prune::AgentProgress> progress;
      p.on_progress = [&](const prune::AgentProgress& pr) { progress.push_back(pr); };
      const at::Tensor before = prune::named_tensors(m.generator->module()).begin()->second.clone();
      const prune::AgentResult r = prune::agent_prune(*m.generator, *m.discriminator, *d, p);
      qInfo("%s: %lld steps, G %lld / %lld MACs, %lld / %lld values, D %lld / %lld", models::arch_name(arch),
            (long long)r.steps, (long long)r.g_macs, (long long)p.target.macs, (long long)r.g_outputs,
            (long long)p.target.outputs, (long long)r.d_macs, (long long)r.d_target);
      QVERIFY2(r.reached, models::arch_name(arch));
      QVERIFY(r.g_macs <= p.target.macs);
      QVERIFY(r.g_outputs <= p.target.outputs);
      QVERIFY2(r.g_macs > p.target.macs * 8 / 10 || r.g_outputs > p.target.outputs * 9 / 10,
               "channels are added back up to the budget");
      QCOMPARE(models::slice(*m.generator, r.kept)->cost().macs, r.g_macs);
      QCOMPARE(models::slice(*m.generator, r.kept)->cost().outputs, r.g_outputs);
      QVERIFY(!r.d_kept.empty());
      QVERIFY(r.d_macs <= r.d_target);
      QCOMPARE(models::slice(*d, r.d_kept)->cost(32).macs, r.d_macs);
      QVERIFY(!progress.empty());
      for (const auto& pr : progress) QVERIFY(std::isfinite(pr.d_loss) && std::isfinite(pr.g_adv) && pr.kernel >= 0);
      QCOMPARE(progress.back().keep.size(), m.generator->channel_groups().size());
      QVERIFY(torch::equal(prune::named_tensors(m.generator->module()).begin()->second, before)); // teacher untouched
    }
  }

  // The baseline: genG alone, the discriminator trained but kept whole. Too few steps: the least likely channels of
  // both networks are cut to their budgets instead (SSD, whose spectral-norm discriminator narrows too).
  void the_generator_agent_can_work_alone() {
    models::Model m = tiny(models::Arch::DCGAN);
    auto d = models::clone(*m.discriminator);
    prune::AgentParams p = quick(*m.generator, 0.5);
    p.prune_discriminator = false;
    const prune::AgentResult r = prune::agent_prune(*m.generator, *m.discriminator, *d, p);
    QVERIFY(r.reached);
    QVERIFY(r.d_kept.empty());

    models::Model s = tiny(models::Arch::SSD);
    models::Model copy = tiny(models::Arch::SSD);
    models::copy_state(s.discriminator->module(), copy.discriminator->module());
    prune::AgentParams q = quick(*s.generator, 0.6);
    q.max_steps = 20;
    const prune::AgentResult rs = prune::agent_prune(*s.generator, *s.discriminator, *copy.discriminator, q);
    QCOMPARE(rs.steps, int64_t{20});
    QVERIFY(!rs.reached);
    QVERIFY(rs.g_macs <= q.target.macs);
    QCOMPARE(models::slice(*s.generator, rs.kept)->cost().macs, rs.g_macs);
    QVERIFY(!rs.d_kept.empty() && rs.d_macs <= rs.d_target);
    QCOMPARE(models::slice(*copy.discriminator, rs.d_kept)->cost(32).macs, rs.d_macs);
  }

  void bad_parameters_are_refused_and_cancel_stops() {
    models::Model m = tiny(models::Arch::DCGAN);
    auto d = models::clone(*m.discriminator);
    prune::AgentParams p = quick(*m.generator, 1.0);
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, prune::agent_prune(*m.generator, *m.discriminator, *d, p));
    p = quick(*m.generator, 0.5);
    p.batch = 3; // neighbours 3 need a batch of 4
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, prune::agent_prune(*m.generator, *m.discriminator, *d, p));
    models::Model img = tiny(models::Arch::Pix2Pix);
    auto img_d = models::clone(*img.discriminator);
    prune::AgentParams no_inputs = quick(*img.generator, 0.5);
    no_inputs.inputs = nullptr;
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument,
                             prune::agent_prune(*img.generator, *img.discriminator, *img_d, no_inputs));
    std::atomic<bool> stop{true};
    p = quick(*m.generator, 0.5);
    p.abort = &stop;
    QVERIFY(prune::agent_prune(*m.generator, *m.discriminator, *d, p).cancelled);
  }
};

QTEST_GUILESS_MAIN(TestAgents)
#include "test_agents.moc"
