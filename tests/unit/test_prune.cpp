// Scorers, selection policies and plans on tiny models: weight scores by hand, the diversity-aware scorer finding the
// channels that carry latent variation, streaming and cancelling, policies, overrides, scores.json round trips.
#include "core/models/channel_ops.h"
#include "core/models/registry.h"
#include "core/models/state_loading.h"
#include "core/prune/hypernet.h"
#include "core/prune/plan.h"
#include "core/prune/weight_scale.h"
#include "model_checks.h"

#include <QTemporaryDir>
#include <QtTest>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <numeric>
#include <set>

using namespace gs;

namespace {

models::Model tiny(models::Arch arch) {
  switch (arch) {
  case models::Arch::DCGAN:
    return models::build_model(arch, {{"nz", 8}, {"ngf", 4}, {"nc", 1}, {"size", 32}});
  case models::Arch::SSD:
    return models::build_model(arch, {{"z_dim", 8}, {"ngf", 4}, {"nc", 1}, {"size", 32}});
  case models::Arch::StyleGAN2:
    return models::build_model(arch, {{"size", 8},
                                      {"style_dim", 8},
                                      {"n_mlp", 2},
                                      {"widths", {{"input", 6}, {"conv1", 6}, {"convs.0", 5}, {"convs.1", 5}}}});
  case models::Arch::Pix2Pix:
    return models::build_model(arch, {{"num_downs", 5}, {"ngf", 4}});
  case models::Arch::CycleGAN:
    return models::build_model(arch, {{"ngf", 4}, {"n_blocks", 2}, {"load_size", 16}});
  }
  return {};
}

at::Tensor param(models::Generator& g, const std::string& name) {
  for (const auto& p : g.module().named_parameters())
    if (p.key() == name) return p.value();
  for (const auto& b : g.module().named_buffers())
    if (b.key() == name) return b.value();
  throw std::runtime_error("no tensor " + name);
}

prune::ScoreParams quick(int64_t batches, uint64_t seed = 0) {
  prune::ScoreParams p;
  p.batches = batches;
  p.batch_size = 4;
  p.seed = seed;
  p.pca_samples = 500;
  return p;
}

prune::InputSource random_images(int64_t channels, int64_t size) {
  return [=](int64_t index, int64_t n) {
    auto gen = at::make_generator<at::CPUGeneratorImpl>(static_cast<uint64_t>(index));
    return at::rand({n, channels, size, size}, gen) * 2 - 1;
  };
}

std::vector<models::ChannelGroup> groups_of(std::initializer_list<std::pair<const char*, int64_t>> widths) {
  std::vector<models::ChannelGroup> out;
  for (const auto& [name, w] : widths) out.push_back({name, w, {}});
  return out;
}

// Whether a batch norm follows the group's producers or the group is scale-free (instance norm, demodulation).
bool is_normalised(const models::ChannelGroup& group) {
  bool normalised = group.scale_free;
  for (const auto& slot : group.slots) normalised = normalised || slot.role == models::SlotRole::NormScale;
  return normalised;
}

// Per-channel sum of squares of every producing weight of the normalised groups, group by group.
std::vector<at::Tensor> normalised_energies(models::Generator& g) {
  std::vector<at::Tensor> out;
  for (const auto& group : g.channel_groups()) {
    if (!is_normalised(group)) continue;
    for (const auto& slot : group.slots)
      if (slot.role == models::SlotRole::Producer)
        out.push_back(param(g, slot.tensor).detach().pow(2).transpose(0, slot.dim).reshape({group.width, -1}).sum(1));
  }
  return out;
}

// Channels whose weights are all zero (removed by the gates) are not compared.
bool energies_match(models::Generator& a, models::Generator& b) {
  const auto ea = normalised_energies(a), eb = normalised_energies(b);
  if (ea.empty() || ea.size() != eb.size()) return false;
  for (size_t i = 0; i < ea.size(); ++i) {
    const at::Tensor live = ea[i] > 0;
    if (!at::allclose(ea[i].masked_select(live), eb[i].masked_select(live), 1e-4, 0)) return false;
  }
  return true;
}

} // namespace

class TestPrune : public QObject {
  Q_OBJECT
private Q_SLOTS:
  void init() { torch::manual_seed(0); }

  void l1_and_norm_scores_read_the_right_axes() {
    models::Model m = tiny(models::Arch::DCGAN);
    models::Generator& g = *m.generator;
    const auto first = g.channel_groups().front(); // main.0: ConvTranspose weight [nz, C, 4, 4], BN main.1
    param(g, "main.1.weight").data().uniform_(-2, 2);
    const auto l1 = prune::score("l1", g, {}).scores.at(first.name);
    const auto norm = prune::score("norm", g, {}).scores.at(first.name);
    const at::Tensor w = param(g, "main.0.weight").detach().abs().sum({0, 2, 3});
    const at::Tensor gamma = param(g, "main.1.weight").detach().abs();
    QCOMPARE(static_cast<int64_t>(l1.size()), first.width);
    for (int64_t c = 0; c < first.width; ++c) {
      QVERIFY(std::abs(l1[c] - w[c].item<double>()) <= 1e-5 * w[c].item<double>());
      QVERIFY(std::abs(norm[c] - gamma[c].item<double>()) <= 1e-6);
    }
  }

  void random_scores_follow_the_seed() {
    models::Model m = tiny(models::Arch::SSD);
    const auto a = prune::score("random", *m.generator, quick(1, 7)).scores;
    const auto b = prune::score("random", *m.generator, quick(1, 7)).scores;
    const auto c = prune::score("random", *m.generator, quick(1, 8)).scores;
    QVERIFY(a == b);
    QVERIFY(a != c);
  }

  // Only channels {1, 4, 6} of the first group depend on the latent; the others have large filters (so L1 prefers
  // them) but a zero batch-norm scale and a negative shift, so they are constant zeros after the ReLU. Diversity-aware
  // scoring must put exactly {1, 4, 6} on top and give the rest nothing.
  void diversity_finds_the_channels_that_carry_latent_variation() {
    models::Model m = tiny(models::Arch::DCGAN);
    models::Generator& g = *m.generator;
    const auto group = g.channel_groups().front();
    const std::set<int64_t> live{1, 4, 6};
    {
      torch::NoGradGuard no_grad;
      for (int64_t c = 0; c < group.width; ++c) {
        if (live.count(c)) continue;
        param(g, "main.0.weight").select(1, c).mul_(10);
        param(g, "main.1.weight")[c].fill_(0);
        param(g, "main.1.bias")[c].fill_(-1);
      }
    }
    const auto scores = prune::score("diversity", g, quick(6)).scores.at(group.name);
    std::vector<int64_t> order(scores.size());
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return scores[a] > scores[b]; });
    QCOMPARE(std::set<int64_t>(order.begin(), order.begin() + 3), live);
    for (int64_t c = 0; c < group.width; ++c)
      if (!live.count(c)) QCOMPARE(scores[c], 0.0);
    for (int64_t c : live) QVERIFY(scores[c] > 0);

    // The baseline that looks at weights alone is fooled by the large dead filters.
    const auto l1 = prune::score("l1", g, {}).scores.at(group.name);
    for (int64_t c : live) QVERIFY(l1[c] < *std::max_element(l1.begin(), l1.end()));
  }

  void gradient_scorers_run_on_every_architecture_they_apply_to() {
    for (auto arch : {models::Arch::DCGAN, models::Arch::SSD, models::Arch::StyleGAN2, models::Arch::Pix2Pix,
                      models::Arch::CycleGAN}) {
      models::Model m = tiny(arch);
      models::Generator& g = *m.generator;
      const bool images = g.input_spec().kind == models::InputSpec::Kind::Image;
      for (const char* method : {"content", "diversity"}) {
        const std::string why = prune::not_applicable(method, g);
        QCOMPARE(why.empty(), !(images && std::string(method) == "diversity"));
        if (!why.empty()) continue;
        prune::ScoreParams p = quick(2);
        if (images) p.inputs = random_images(g.input_spec().shape[0], g.input_spec().shape[1]);
        const auto r = prune::score(method, g, p);
        QCOMPARE(r.batches, int64_t{2});
        double total = 0;
        for (const auto& group : g.channel_groups()) {
          const auto& s = r.scores.at(group.name);
          QCOMPARE(static_cast<int64_t>(s.size()), group.width);
          for (double v : s) QVERIFY2(std::isfinite(v) && v >= 0, models::arch_name(arch));
          total += std::accumulate(s.begin(), s.end(), 0.0);
        }
        QVERIFY2(total > 0, (std::string(models::arch_name(arch)) + " " + method).c_str());
      }
    }
  }

  void content_scores_depend_on_the_region() {
    models::Model m = tiny(models::Arch::DCGAN);
    prune::ScoreParams left = quick(3), right = quick(3);
    left.region = torch::zeros({4, 4});
    left.region.slice(1, 0, 2).fill_(1);
    right.region = 1 - left.region;
    const auto a = prune::score("content", *m.generator, left).scores;
    QVERIFY(a == prune::score("content", *m.generator, left).scores); // seeded noise: reproducible
    QVERIFY(a != prune::score("content", *m.generator, right).scores);
    prune::ScoreParams empty = quick(1);
    empty.region = torch::zeros({4, 4});
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, prune::score("content", *m.generator, empty));
  }

  void scores_stream_and_cancel() {
    models::Model m = tiny(models::Arch::StyleGAN2);
    std::atomic<bool> stop{false};
    std::vector<int64_t> seen;
    prune::ScoreParams p = quick(10);
    p.abort = &stop;
    p.on_partial = [&](int64_t done, int64_t total, const prune::ChannelScores& partial) {
      QCOMPARE(total, int64_t{10});
      QCOMPARE(partial.size(), m.generator->channel_groups().size());
      seen.push_back(done);
      if (done == 3) stop = true;
    };
    const auto r = prune::score("diversity", *m.generator, p);
    QVERIFY(r.cancelled);
    QCOMPARE(r.batches, int64_t{3});
    QCOMPARE(seen, (std::vector<int64_t>{1, 2, 3}));
  }

  void scoring_leaves_the_model_as_it_was() {
    models::Model m = tiny(models::Arch::DCGAN);
    m.generator->module().train();
    const at::Tensor before = param(*m.generator, "main.3.weight").clone();
    prune::score("content", *m.generator, quick(2));
    QVERIFY(m.generator->module().is_training());
    QVERIFY(torch::equal(before, param(*m.generator, "main.3.weight")));
  }

  void inapplicable_and_unknown_methods_are_refused() {
    models::Model p2p = tiny(models::Arch::Pix2Pix), sg2 = tiny(models::Arch::StyleGAN2);
    QVERIFY(!prune::not_applicable("diversity", *p2p.generator).empty());
    QVERIFY(!prune::not_applicable("norm", *sg2.generator).empty());
    QVERIFY(!prune::not_applicable("density", *p2p.generator, false).empty());
    QVERIFY(prune::not_applicable("density", *p2p.generator, true).empty());
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, prune::score("diversity", *p2p.generator, {}));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, prune::score("content", *p2p.generator, {})); // no inputs
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, prune::not_applicable("magic", *sg2.generator));
  }

  void uniform_removes_the_same_share_everywhere() {
    const auto groups = groups_of({{"a", 10}, {"b", 4}, {"c", 1}});
    prune::ChannelScores s{{"a", {9, 8, 7, 6, 5, 4, 3, 2, 1, 0}}, {"b", {1, 1, 1, 1}}, {"c", {0}}};
    prune::Selection sel;
    sel.sparsity = 0.7;
    const auto kept = prune::select_channels(groups, s, sel);
    QCOMPARE(kept.at("a"), (std::vector<int64_t>{0, 1, 2}));
    QCOMPARE(kept.at("b"), (std::vector<int64_t>{0, 1})); // ties keep the lower indices
    QCOMPARE(kept.at("c"), (std::vector<int64_t>{0}));
  }

  void global_threshold_respects_the_minimum_width() {
    const auto groups = groups_of({{"a", 4}, {"b", 4}});
    prune::ChannelScores s{{"a", {1, 2, 3, 4}}, {"b", {100, 100, 100, 1}}}; // normalised: a .25-.1, b 1,1,1,.01
    prune::Selection sel;
    sel.policy = prune::Policy::Global;
    sel.sparsity = 0.5;
    sel.min_width = 2;
    auto kept = prune::select_channels(groups, s, sel);
    QCOMPARE(kept.at("a"), (std::vector<int64_t>{2, 3}));
    QCOMPARE(kept.at("b"), (std::vector<int64_t>{0, 1}));
    sel.min_width = 1;
    sel.sparsity = 0.25;
    kept = prune::select_channels(groups, s, sel);
    QCOMPARE(kept.at("a"), (std::vector<int64_t>{1, 2, 3}));
    QCOMPARE(kept.at("b"), (std::vector<int64_t>{0, 1, 2}));
  }

  void overrides_win_over_scores() {
    const auto groups = groups_of({{"a", 4}});
    prune::ChannelScores s{{"a", {4, 3, 2, 1}}};
    prune::Selection sel;
    sel.overrides["a"] = {{3, true}, {0, false}};
    const auto kept = prune::select_channels(groups, s, sel);
    QCOMPARE(kept.at("a"), (std::vector<int64_t>{1, 3}));
    sel.overrides["a"] = {{0, false}, {1, false}, {2, false}, {3, false}};
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, prune::select_channels(groups, s, sel));
  }

  void bad_selections_are_refused() {
    const auto groups = groups_of({{"a", 4}});
    prune::ChannelScores s{{"a", {4, 3, 2, 1}}};
    for (double bad : {-0.1, 1.0, 1.5, std::nan("")}) {
      prune::Selection sel;
      sel.sparsity = bad;
      QVERIFY_THROWS_EXCEPTION(std::invalid_argument, prune::select_channels(groups, s, sel));
    }
    prune::Selection sel;
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, prune::select_channels(groups, {{"a", {1, 2}}}, sel));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, prune::select_channels(groups, {}, sel));
    sel.overrides["zz"][0] = true;
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, prune::select_channels(groups, s, sel));
  }

  void plans_round_trip_and_refuse_other_models() {
    models::Model m = tiny(models::Arch::DCGAN);
    prune::Selection sel;
    sel.policy = prune::Policy::Global;
    sel.sparsity = 0.4;
    sel.overrides["main.0"][2] = true;
    prune::Plan plan = prune::make_plan(*m.generator, "l1", prune::score("l1", *m.generator, {}).scores, sel);
    plan.info["note"] = "kept";
    QTemporaryDir dir;
    const std::string path = dir.filePath("scores.json").toStdString();
    prune::save_plan(path, plan);
    const prune::Plan back = prune::load_plan(path);
    QCOMPARE(back.method, std::string("l1"));
    QVERIFY(back.kept == plan.kept);
    QVERIFY(back.widths == plan.widths);
    QCOMPARE(back.scores.at("main.0").size(), plan.scores.at("main.0").size());
    QVERIFY(back.selection.overrides == sel.overrides);
    QCOMPARE(back.info["note"].get<std::string>(), std::string("kept"));
    prune::check_plan_fits(back, *m.generator);

    models::Model wider = models::build_model(models::Arch::DCGAN, {{"nz", 8}, {"ngf", 8}, {"nc", 1}, {"size", 32}});
    QVERIFY_THROWS_EXCEPTION(models::ModelError, prune::check_plan_fits(back, *wider.generator));
    models::Model other = tiny(models::Arch::SSD);
    QVERIFY_THROWS_EXCEPTION(models::ModelError, prune::check_plan_fits(back, *other.generator));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, prune::plan_from_json(nlohmann::json{{"format", "x"}}));
    QVERIFY_THROWS_EXCEPTION(std::runtime_error, prune::load_plan(dir.filePath("missing.json").toStdString()));
  }

  // CoroNetGAN-style learning drives latent entries to zero until the MAC budget is met; the kept channels' model
  // is what slicing gives, and the generated weights already carry the removal.
  void hypernet_reaches_its_mac_target() {
    // StyleGAN2: some of its free parameters' gradients come back as views, which the optimiser cannot zero.
    for (auto arch : {models::Arch::DCGAN, models::Arch::Pix2Pix, models::Arch::StyleGAN2, models::Arch::SSD,
                      models::Arch::CycleGAN}) {
      models::Model teacher = tiny(arch), work = tiny(arch);
      models::copy_state(teacher.generator->module(), work.generator->module());
      prune::HypernetParams p;
      // A budget counting transposed convolutions by input for the architectures that have them.
      if (arch == models::Arch::DCGAN || arch == models::Arch::Pix2Pix)
        p.target.convention = models::MacConvention::TransposedByInput;
      p.target.macs = teacher.generator->cost(p.target.convention).macs / 2;
      p.target.outputs = prune::uniform_budget(*teacher.generator, 0.4).outputs;
      p.max_steps = 1500;
      p.batch = 4;
      if (arch == models::Arch::Pix2Pix) p.inputs = random_images(3, 32);
      if (arch == models::Arch::CycleGAN) p.inputs = random_images(3, 16);
      int64_t calls = 0;
      p.on_progress = [&](int64_t, int64_t macs, double loss, const prune::ChannelScores& z) {
        QVERIFY(macs > 0 && std::isfinite(loss));
        QCOMPARE(z.size(), teacher.generator->channel_groups().size());
        ++calls;
      };
      const prune::HypernetResult r = prune::hypernet_prune(*work.generator, *teacher.generator, p);
      QVERIFY2(r.reached, models::arch_name(arch));
      QVERIFY2(r.steps <= prune::expected_steps(p), models::arch_name(arch)); // what the progress bar promised
      QVERIFY(r.macs <= p.target.macs && r.outputs <= p.target.outputs);
      QVERIFY2(r.macs > p.target.macs * 8 / 10 || r.outputs > p.target.outputs * 9 / 10,
               "channels are added back up to the budget");
      QVERIFY(calls > 0);
      const auto small = models::slice(*work.generator, r.kept);
      QCOMPARE(small->cost(p.target.convention).macs, r.macs);
      QCOMPARE(small->cost().outputs, r.outputs);
      for (const auto& [group, kept] : r.kept) QVERIFY(!kept.empty());
      QVERIFY2(energies_match(*work.generator, *teacher.generator),
               (std::string(models::arch_name(arch)) + ": kept weights at the teacher's scale").c_str());
    }
    QCOMPARE(prune::expected_steps({}), int64_t{1295}); // 1.4 x 925 with the defaults
    prune::HypernetParams no_pressure;
    no_pressure.sparsity = 0;
    QCOMPARE(prune::expected_steps(no_pressure), no_pressure.max_steps);
    models::Model t = tiny(models::Arch::DCGAN), w = tiny(models::Arch::DCGAN);
    prune::HypernetParams bad;
    bad.target.macs = t.generator->cost().macs;
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, prune::hypernet_prune(*w.generator, *t.generator, bad));
    std::atomic<bool> stop{true};
    prune::HypernetParams stopped;
    stopped.target.macs = 10;
    stopped.abort = &stop;
    QVERIFY(prune::hypernet_prune(*w.generator, *t.generator, stopped).cancelled);
  }

  // The loss resists the proximal step in proportion to how much it needs each channel, so channels whose outputs the
  // next layer reads only faintly reach zero first and are exactly the ones removed. (With Adam's per-entry scale
  // every channel resisted alike and the faint ones were not found.)
  void hypernet_removes_the_channels_the_generator_needs_least() {
    models::Model teacher = models::build_model(models::Arch::DCGAN, {{"nz", 8}, {"ngf", 8}, {"nc", 1}, {"size", 32}});
    models::Model work = models::build_model(models::Arch::DCGAN, {{"nz", 8}, {"ngf", 8}, {"nc", 1}, {"size", 32}});
    models::KeptChannels strong;
    {
      torch::NoGradGuard no_grad;
      for (const auto& group : teacher.generator->channel_groups()) {
        for (int64_t c = 0; c < group.width; ++c)
          if ((c * 7 + 3) % 4 < 2) strong[group.name].push_back(c); // half of each group, scattered
        for (const auto& slot : group.slots)
          if (slot.role == models::SlotRole::Consumer)
            for (int64_t c = 0; c < group.width; ++c)
              if ((c * 7 + 3) % 4 >= 2) param(*teacher.generator, slot.tensor).select(slot.dim, c).mul_(0.1);
      }
    }
    for (uint64_t seed : {0, 1, 2}) {
      models::copy_state(teacher.generator->module(), work.generator->module());
      prune::HypernetParams p;
      p.target.macs = models::slice(*teacher.generator, strong)->cost().macs;
      p.max_steps = 1500;
      p.batch = 8;
      p.seed = seed;
      const prune::HypernetResult r = prune::hypernet_prune(*work.generator, *teacher.generator, p);
      QVERIFY(r.reached);
      for (const auto& [group, kept] : strong) QVERIFY2(r.kept.at(group) == kept, group.c_str());
    }
  }

  // Batch-normalised groups (DCGAN, pix2pix) keep their function exactly; scale-free ones (instance norm in SSD and
  // CycleGAN, StyleGAN2's demodulation) up to the norm's eps, which with weights this small moves them towards the
  // teacher: both are compared with the teacher's output.
  void weight_scale_is_given_back_without_changing_the_function() {
    for (auto arch : {models::Arch::DCGAN, models::Arch::Pix2Pix, models::Arch::SSD, models::Arch::CycleGAN,
                      models::Arch::StyleGAN2}) {
      models::Model teacher = tiny(arch), work = tiny(arch);
      models::copy_state(teacher.generator->module(), work.generator->module());
      models::Generator& g = *work.generator;
      {
        // Shrink each normalised channel by its own factor, as the learned gates do, then let the norms see it.
        torch::NoGradGuard no_grad;
        for (const auto& group : g.channel_groups())
          for (const auto& slot : group.slots)
            if (slot.role == models::SlotRole::Producer && is_normalised(group)) {
              std::vector<int64_t> shape(static_cast<size_t>(param(g, slot.tensor).dim()), 1);
              shape[static_cast<size_t>(slot.dim)] = group.width;
              param(g, slot.tensor).mul_(at::rand({group.width}).mul(0.05).add(1e-3).view(shape));
            }
        g.module().train();
        for (int i = 0; i < 30; ++i) g.forward(gs::test::sample_inputs(g, 8, static_cast<uint64_t>(i)));
      }
      g.module().eval();
      teacher.generator->module().eval();
      const at::Tensor x = gs::test::sample_inputs(g, 4, 99);
      const bool batch_norm = arch == models::Arch::DCGAN || arch == models::Arch::Pix2Pix;
      const at::Tensor before = (batch_norm ? g : *teacher.generator).forward(x).detach();
      QVERIFY(!energies_match(g, *teacher.generator));
      QVERIFY(prune::match_weight_scale(g, *teacher.generator) > 0);
      QVERIFY2(energies_match(g, *teacher.generator), models::arch_name(arch));
      const double diff = gs::test::relative_max_diff(g.forward(x).detach(), before);
      QVERIFY2(diff < (batch_norm ? 1e-5 : 1e-4),
               (std::string(models::arch_name(arch)) + ": " + std::to_string(diff)).c_str());
    }
  }

  void a_plan_slices_to_the_costs_it_promised() {
    models::Model m = tiny(models::Arch::StyleGAN2);
    prune::Selection sel;
    sel.sparsity = 0.5;
    const auto plan = prune::make_plan(*m.generator, "random", prune::score("random", *m.generator, {}).scores, sel);
    const auto small = models::slice(*m.generator, plan.kept);
    const auto promised = prune::cost_after(*m.generator, plan.kept);
    QCOMPARE(small->cost().macs, promised.macs);
    QCOMPARE(small->cost().params, promised.params);
    QVERIFY(promised.macs < m.generator->cost().macs);
  }
};

QTEST_GUILESS_MAIN(TestPrune)
#include "test_prune.moc"
