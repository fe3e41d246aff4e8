// The compress job on a tiny DCGAN and a tiny dataset: the run directory it leaves, kill-and-resume equality in the
// deterministic mode, DGL-GAN's stage switch, the objectives, and bad configs refused before any file is written.
#include "core/jobs/compress_job.h"
#include "core/jobs/run_dir.h"
#include "core/models/feature_tap.h"
#include "core/models/registry.h"
#include "core/prune/plan.h"
#include "core/train/objectives.h"
#include "tiny_data.h"

#include <QTemporaryDir>
#include <QtTest>
#include <torch/script.h>
#include <torch/torch.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <sys/resource.h>

using namespace gs;
namespace fs = std::filesystem;

namespace {

// A DCGAN teacher (with discriminator) for 16x16 grey images, and the squares dataset beside it.
jobs::CompressConfig tiny_job(const QTemporaryDir& dir, int64_t steps) {
  const std::string model = dir.filePath("teacher.pt").toStdString(), data = dir.filePath("squares.pt").toStdString();
  if (!fs::exists(model)) {
    torch::manual_seed(1);
    models::save_model(model, models::build_model(models::Arch::DCGAN, {{"nz", 8}, {"ngf", 4}, {"nc", 1}, {"size", 16}},
                                                  nlohmann::json{{"ndf", 4}, {"nc", 1}, {"size", 16}}));
    test::write_squares_dataset(data, 48);
  }
  jobs::CompressConfig c;
  c.model = model;
  c.data = data;
  c.method = "l1";
  c.selection.sparsity = 0.5;
  c.steps = steps;
  c.batch = 4;
  c.deterministic = true;
  c.eval = false;
  c.sample_every = 3;
  c.checkpoint_every = 2;
  c.log_every = 1;
  return c;
}

std::vector<nlohmann::json> events_of(const std::string& run, const std::string& kind) {
  size_t offset = 0;
  std::vector<nlohmann::json> out;
  for (auto& e : jobs::read_events(run + "/events.jsonl", offset))
    if (e.value("kind", "") == kind) out.push_back(e);
  return out;
}

// Runs a learned-method job until its second fine-tuning step, then stops it: the "learned" events it wrote (one,
// having reached its budget, its learning progress counted first towards an estimate below the step limit and last
// the step it stopped at, shown complete; or an empty list after a failed check).
std::vector<nlohmann::json> learn_then_stop(const jobs::CompressConfig& c, const std::string& run) {
  std::atomic<bool> stop{false};
  std::pair<int64_t, int64_t> learn_progress{-1, -1};
  int64_t first_total = -1;
  jobs::JobCallbacks cb;
  cb.abort = &stop;
  cb.on_progress = [&](const std::string& stage, int64_t done, int64_t total) {
    if (stage == "learn" && first_total < 0) first_total = total;
    if (stage == "learn") learn_progress = {done, total};
    if (stage == "finetune" && done == 2) stop = true;
  };
  if (!jobs::run_compress(c, run, false, cb).cancelled) return {};
  auto learned = events_of(run, "learned");
  if (learned.size() != 1 || !learned[0]["reached"].get<bool>()) return {};
  const int64_t steps = learned[0]["steps"];
  if (learn_progress != std::pair<int64_t, int64_t>{steps, steps} || first_total >= c.learn.max_steps) return {};
  return learned;
}

} // namespace

class TestCompress : public QObject {
  Q_OBJECT
private Q_SLOTS:
  void writes_the_whole_run_directory() {
    QTemporaryDir dir;
    jobs::CompressConfig c = tiny_job(dir, 6);
    c.eval = true;
    c.eval_n = 24;
    c.eval_every = 3;
    const std::string run = dir.filePath("run").toStdString();
    std::vector<std::string> stages;
    jobs::JobCallbacks cb;
    int64_t partial_calls = 0, sample_calls = 0;
    cb.on_scores = [&](const prune::ChannelScores&, int64_t, int64_t) { ++partial_calls; };
    cb.on_samples = [&](int64_t, const at::Tensor& t, const at::Tensor& s, const at::Tensor&) {
      QCOMPARE(t.sizes(), s.sizes());
      ++sample_calls;
    };
    const jobs::JobResult r = jobs::run_compress(c, run, false, cb);
    QVERIFY(!r.cancelled);
    QCOMPARE(r.steps_done, int64_t{6});
    QVERIFY(partial_calls >= 1);
    QCOMPARE(sample_calls, 2);
    for (const char* f :
         {"config.json", "events.jsonl", "scores.json", "samples/step-000003.png", "samples/step-000006.png",
          "checkpoints/state.pt", "student.pt", "report.md", "losses.png", "fd.png", "prdc.png"})
      QVERIFY2(fs::exists(run + "/" + f), f);
    for (const auto& entry : fs::recursive_directory_iterator(run))
      QVERIFY2(entry.path().extension() != ".tmp", entry.path().c_str()); // nothing half-written
    for (const auto& e : events_of(run, "samples")) // how a viewer splits the grid, whatever model it has loaded
      QCOMPARE(e.value("layout", std::string()), std::string("teacher_over_student"));
    {
      // Teacher and student latency at batch 1 (interactive), 16 and 64 (throughput), each with its ratio: medians,
      // then fastest passes, none slower than its median.
      std::ifstream report(run + "/report.md");
      const std::string text((std::istreambuf_iterator<char>(report)), std::istreambuf_iterator<char>());
      for (const char* batch : {"1", "16", "64"}) {
        std::vector<double> figures;
        for (const std::string row : {"| latency batch ", "| fastest pass, batch "}) {
          const size_t at = text.find(row + batch + ", ");
          QVERIFY2(at != std::string::npos, (row + batch).c_str());
          std::istringstream cells(text.substr(at, text.find('\n', at) - at));
          std::string cell;
          std::getline(cells, cell, '|'), std::getline(cells, cell, '|'); // the empty first cell, the label
          for (int i = 0; i < 2 && std::getline(cells, cell, '|'); ++i) figures.push_back(std::stod(cell));
        }
        QCOMPARE(figures.size(), size_t{4});
        QVERIFY2(figures[2] <= figures[0] && figures[3] <= figures[1], batch); // teacher, student
      }
    }

    // The TorchScript export runs without this project's code and gives the student's outputs.
    {
      torch::jit::Module ts = torch::jit::load(run + "/student.torchscript.pt");
      models::Model s = models::load_model(run + "/student.pt");
      s.generator->module().eval();
      torch::NoGradGuard no_grad;
      const at::Tensor z = torch::randn({3, 8});
      const at::Tensor want = s.generator->forward(z), got = ts.forward({z}).toTensor();
      QVERIFY((want - got).abs().max().item<double>() <= 1e-5 * want.abs().max().item<double>());
    }

    // The student loads back with its widths, and the plan says which channels it kept.
    models::Model student = models::load_model(run + "/student.pt");
    const prune::Plan plan = prune::load_plan(run + "/scores.json");
    for (const auto& g : student.generator->channel_groups())
      QCOMPARE(g.width, static_cast<int64_t>(plan.kept.at(g.name).size()));
    QVERIFY(student.discriminator);

    // Evaluations of teacher, pruned and student, labelled after the built-in extractor with the sample count.
    const auto evals = events_of(run, "eval");
    QCOMPARE(evals.size(), size_t{4}); // teacher, pruned, student at 3 and 6
    QCOMPARE(evals[0]["model"].get<std::string>(), std::string("teacher"));
    QCOMPARE(evals[0]["labels"]["fd"].get<std::string>(), std::string("FD-builtin@24"));
    QCOMPARE(evals[3]["step"].get<int64_t>(), int64_t{6});
    QVERIFY(std::isfinite(evals[3]["fd"].get<double>()));
    QCOMPARE(events_of(run, "loss").size(), size_t{6});
    QCOMPARE(events_of(run, "done").size(), size_t{1});

    // A finished run is not started again by accident.
    QVERIFY_THROWS_EXCEPTION(std::runtime_error, jobs::run_compress(c, run, false));
  }

  // Stopped at step 3 and resumed, a deterministic run ends with exactly the weights of an uninterrupted one.
  void resume_equals_an_uninterrupted_run() {
    QTemporaryDir dir;
    const jobs::CompressConfig c = tiny_job(dir, 7);
    const std::string whole = dir.filePath("whole").toStdString(), parts = dir.filePath("parts").toStdString();
    jobs::run_compress(c, whole, false);

    std::atomic<bool> stop{false};
    jobs::JobCallbacks cb;
    cb.abort = &stop;
    cb.on_progress = [&](const std::string& stage, int64_t done, int64_t) {
      if (stage == "finetune" && done == 3) stop = true;
    };
    const jobs::JobResult first = jobs::run_compress(c, parts, false, cb);
    QVERIFY(first.cancelled);
    QCOMPARE(first.steps_done, int64_t{3});
    QVERIFY(!fs::exists(parts + "/student.pt"));
    const jobs::JobResult second = jobs::run_compress(c, parts, true);
    QVERIFY(!second.cancelled);
    QCOMPARE(second.steps_done, int64_t{7});
    QVERIFY(test::same_tensors(test::generator_weights(whole + "/student.pt"),
                               test::generator_weights(parts + "/student.pt")));

    jobs::CompressConfig other = c;
    other.steps = 9;
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, jobs::run_compress(other, parts, true)); // not its config
  }

  // A disk that fills up while checkpointing (simulated with a file-size limit: write() fails with EFBIG as it does
  // with ENOSPC) ends the job with an error naming the checkpoint; the previous checkpoint stays intact and resumes.
  void a_full_disk_keeps_the_previous_checkpoint() {
    QTemporaryDir dir;
    const jobs::CompressConfig c = tiny_job(dir, 7);
    const std::string run = dir.filePath("run").toStdString(), state = run + "/checkpoints/state.pt";
    std::atomic<bool> stop{false};
    jobs::JobCallbacks cb;
    cb.abort = &stop;
    cb.on_progress = [&](const std::string& stage, int64_t done, int64_t) {
      if (stage == "finetune" && done == 3) stop = true;
    };
    QVERIFY(jobs::run_compress(c, run, false, cb).cancelled);
    const auto before = fs::file_size(state);
    std::ifstream in(state, std::ios::binary);
    const std::string saved((std::istreambuf_iterator<char>(in)), {});

    rlimit old{};
    ::getrlimit(RLIMIT_FSIZE, &old);
    rlimit small = old;
    small.rlim_cur = before / 2; // every other file of the run is smaller than this
    auto* previous = std::signal(SIGXFSZ, SIG_IGN);
    ::setrlimit(RLIMIT_FSIZE, &small);
    std::string error;
    try {
      jobs::run_compress(c, run, true);
    } catch (const std::exception& e) {
      error = e.what();
    }
    ::setrlimit(RLIMIT_FSIZE, &old);
    std::signal(SIGXFSZ, previous);
    QVERIFY2(error.find("state.pt") != std::string::npos && error.find("write failed") != std::string::npos,
             error.c_str());
    std::ifstream again(state, std::ios::binary);
    QVERIFY(std::string((std::istreambuf_iterator<char>(again)), {}) == saved);
    QVERIFY(!fs::exists(state + ".tmp"));
    QCOMPARE(jobs::run_compress(c, run, true).steps_done, int64_t{7}); // room again: it resumes and finishes
  }

  // Feature distillation compares each group's activations with the teacher's at the kept channels: zero for an
  // unpruned copy, positive and falling in a pruned job, an error naming the group for mismatched widths.
  void feature_distillation_uses_the_kept_channels() {
    QTemporaryDir dir;
    jobs::CompressConfig c = tiny_job(dir, 12);
    c.objectives.feature = 1;
    c.objectives.relation = 0;
    const models::Model teacher = models::load_model(c.model);
    {
      models::FeatureTap a;
      torch::NoGradGuard no_grad;
      teacher.generator->module().eval();
      const at::Tensor z = torch::randn({2, 8});
      teacher.generator->forward(z);
      const auto features = a.features();
      QCOMPARE(train::feature_distillation(features, features, {}).item<double>(), 0.0);
      std::map<std::string, at::Tensor> kept{{"main.0", torch::tensor({0, 1}, torch::kLong)}};
      QVERIFY_THROWS_EXCEPTION(std::invalid_argument, train::feature_distillation(features, features, kept));
    }
    const std::string run = dir.filePath("run").toStdString();
    jobs::run_compress(c, run, false);
    const auto losses = events_of(run, "loss");
    QVERIFY(losses.size() >= 2);
    QVERIFY(losses.front().contains("feature"));
    QVERIFY(losses.front()["feature"].get<double>() > 0);
    QVERIFY(std::isfinite(losses.back()["feature"].get<double>()));
  }

  void dgl_switches_on_at_its_step() {
    QTemporaryDir dir;
    jobs::CompressConfig c = tiny_job(dir, 5);
    c.objectives.dgl_alpha = 0.5;
    c.objectives.dgl_start = 3;
    const std::string run = dir.filePath("run").toStdString();
    jobs::run_compress(c, run, false);
    std::vector<int64_t> stage_steps;
    for (const auto& e : events_of(run, "stage"))
      if (e.value("stage", "") == "dgl") stage_steps.push_back(e["step"].get<int64_t>());
    QCOMPARE(stage_steps, std::vector<int64_t>{3});
    for (const auto& e : events_of(run, "loss"))
      QCOMPARE(e.contains("dgl"), e["step"].get<int64_t>() > 3); // the step after the switch is step 4
  }

  // The learned-mask method replaces scoring: it learns down to the budget of the sparsity, saves the materialised
  // student, and a resumed run fine-tunes that same student.
  void coronet_learns_to_the_budget_and_resumes() {
    QTemporaryDir dir;
    jobs::CompressConfig c = tiny_job(dir, 4);
    c.method = "coronet";
    c.learn.max_steps = 1500;
    c.learn.output_budget = true;
    const std::string run = dir.filePath("run").toStdString();
    const auto learned = learn_then_stop(c, run);
    QCOMPARE(learned.size(), size_t{1});
    QCOMPARE(learned[0]["mac_count"].get<std::string>(), std::string("by_output")); // "auto" for a DCGAN
    QVERIFY(learned[0]["macs"].get<int64_t>() <= learned[0]["target_macs"].get<int64_t>());
    QVERIFY(learned[0]["outputs"].get<int64_t>() <= learned[0]["target_outputs"].get<int64_t>());
    QVERIFY(fs::exists(run + "/checkpoints/pruned.pt"));
    QVERIFY(!jobs::run_compress(c, run, true).cancelled);
    QCOMPARE(events_of(run, "learned").size(), size_t{1}); // not learned again
    models::Model student = models::load_model(run + "/student.pt");
    QCOMPARE(student.generator->cost().macs, learned[0]["macs"].get<int64_t>());
  }

  // The MAC budget's count: "auto" (the default) counts by input for pix2pix's U-Net and by output for every other
  // architecture; the explicit counts hold for all.
  void mac_count_auto_follows_the_architecture() {
    jobs::LearnSettings l;
    QCOMPARE(l.mac_count, std::string("auto"));
    QCOMPARE(jobs::resolved_mac_count(l, models::Arch::Pix2Pix), std::string("by_input"));
    QVERIFY(jobs::mac_convention(l, models::Arch::Pix2Pix) == models::MacConvention::TransposedByInput);
    for (const models::Arch arch :
         {models::Arch::DCGAN, models::Arch::SSD, models::Arch::StyleGAN2, models::Arch::CycleGAN}) {
      QCOMPARE(jobs::resolved_mac_count(l, arch), std::string("by_output"));
      QVERIFY(jobs::mac_convention(l, arch) == models::MacConvention::TransposedByOutput);
    }
    l.mac_count = "by_output";
    QCOMPARE(jobs::resolved_mac_count(l, models::Arch::Pix2Pix), std::string("by_output"));
    l.mac_count = "by_input";
    QCOMPARE(jobs::resolved_mac_count(l, models::Arch::DCGAN), std::string("by_input"));
    l.mac_count = "automatic";
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, jobs::resolved_mac_count(l, models::Arch::Pix2Pix));
    jobs::CompressConfig c; // and the config's check names it before any work
    c.model = "teacher.pt";
    c.learn = l;
    try {
      jobs::check_config(c);
      QFAIL("an unknown learn.mac_count passed the check");
    } catch (const std::invalid_argument& e) {
      QVERIFY2(std::string(e.what()).find("learn.mac_count") != std::string::npos, e.what());
    }
  }

  // Local-density pruning narrows the discriminator too: the student fine-tunes against it, student.pt carries it,
  // the run logs both networks' losses while pruning, and a resumed run neither learns again nor loses it.
  void density_prunes_both_networks_and_resumes() {
    QTemporaryDir dir;
    jobs::CompressConfig c = tiny_job(dir, 4);
    c.method = "density";
    c.learn.max_steps = 600;
    c.learn.batch = 8;
    c.learn.centres = 2;
    c.learn.neighbours = 3;
    c.learn.mac_count = "by_input"; // the budget counts the multiplications performed
    const std::string run = dir.filePath("run").toStdString();
    const auto learned = learn_then_stop(c, run);
    QCOMPARE(learned.size(), size_t{1});
    QCOMPARE(learned[0]["mac_count"].get<std::string>(), std::string("by_input"));
    models::Model teacher = models::load_model(c.model);
    const auto by_input = models::MacConvention::TransposedByInput;
    QCOMPARE(learned[0]["target_macs"].get<int64_t>(),
             prune::uniform_budget(*teacher.generator, 0.5, false, by_input).macs);
    QVERIFY(learned[0]["macs"].get<int64_t>() <= learned[0]["target_macs"].get<int64_t>());
    QVERIFY(learned[0]["discriminator_macs"].get<int64_t>() <= learned[0]["discriminator_target"].get<int64_t>());
    const auto curve = events_of(run, "learn");
    QVERIFY(!curve.empty());
    for (const auto& e : curve) QVERIFY(e.contains("d_loss") && e.contains("g_adv") && e.contains("kernel"));
    const prune::Plan plan = prune::load_plan(run + "/scores.json");
    QVERIFY(!plan.discriminator_kept.empty());
    QVERIFY(!jobs::run_compress(c, run, true).cancelled);
    QCOMPARE(events_of(run, "learned").size(), size_t{1});
    models::Model student = models::load_model(run + "/student.pt");
    QCOMPARE(student.generator->cost(by_input).macs, learned[0]["macs"].get<int64_t>());
    QCOMPARE(student.discriminator->cost(16).macs, learned[0]["discriminator_macs"].get<int64_t>());
    std::ifstream report(run + "/report.md");
    const std::string text((std::istreambuf_iterator<char>(report)), std::istreambuf_iterator<char>());
    QVERIFY(text.find("## Pruning dynamics") != std::string::npos);
    QVERIFY(fs::exists(run + "/learn.png"));
  }

  void bad_configs_fail_before_any_file_is_written() {
    QTemporaryDir dir;
    const jobs::CompressConfig good = tiny_job(dir, 2);
    auto refused = [&](jobs::CompressConfig c, const char* why) {
      const std::string run = dir.filePath("bad").toStdString();
      bool threw = false;
      try {
        jobs::run_compress(c, run, false);
      } catch (const std::exception& e) {
        threw = true;
        QVERIFY2(!std::string(e.what()).empty(), why);
      }
      QVERIFY2(threw, why);
      QVERIFY2(!fs::exists(run), why);
    };
    jobs::CompressConfig c = good;
    c.selection.sparsity = 1.0;
    refused(c, "sparsity 1");
    c = good;
    c.selection.overrides["main.0"] = {{0, false},  {1, false},  {2, false},  {3, false}, {4, false},  {5, false},
                                       {6, false},  {7, false},  {8, false},  {9, false}, {10, false}, {11, false},
                                       {12, false}, {13, false}, {14, false}, {15, false}};
    refused(c, "a group emptied by hand");
    c = good;
    c.method = "magic";
    refused(c, "unknown method");
    c = good;
    c.method = "coronet";
    c.selection.sparsity = 0;
    refused(c, "a learned method without a budget");
    c = good;
    c.method = "density";
    c.learn.neighbours = c.learn.batch;
    refused(c, "neighbourhoods that do not fit the batch");
    c = good;
    c.data = dir.filePath("missing").toStdString();
    refused(c, "missing data");
    c = good;
    c.model = dir.filePath("squares.pt").toStdString();
    refused(c, "not a model");
    c = good;
    c.objectives.adversarial = "wasserstein-ish";
    refused(c, "unknown adversarial loss");
    c = good;
    c.data_layout = "sideways";
    refused(c, "unknown data layout");
    c = good;
    c.method = "density";
    c.learn.mac_count = "by_pixels";
    refused(c, "unknown MAC count");
    QVERIFY_THROWS_EXCEPTION(std::runtime_error, jobs::run_compress(good, dir.filePath("none").toStdString(), true));
  }

  void config_round_trips_and_rejects_typos() {
    jobs::CompressConfig c;
    c.model = "m.pt";
    c.method = "diversity";
    c.selection.sparsity = 0.7;
    c.selection.policy = prune::Policy::Global;
    c.selection.overrides["g"][3] = true;
    c.objectives.dgl_alpha = 0.1;
    c.score.region = {0.1, 0.2, 0.6, 0.9};
    const nlohmann::json j = jobs::to_json(c);
    QCOMPARE(jobs::to_json(jobs::config_from_json(j)), j);
    nlohmann::json typo = j;
    typo["finetune"]["lrr"] = 1;
    QVERIFY_EXCEPTION_THROWN(jobs::config_from_json(typo), std::invalid_argument);
    nlohmann::json bad = j;
    bad["selection"]["sparsity"] = 1.5;
    QVERIFY_EXCEPTION_THROWN(jobs::config_from_json(bad), std::invalid_argument);
    QCOMPARE(jobs::config_from_json({{"model", "x.pt"}}).steps, int64_t{1000}); // defaults fill the rest
  }

  void objectives_behave() {
    const at::Tensor a = torch::randn({4, 3, 8, 8}), b = torch::randn({4, 3, 8, 8});
    QVERIFY(train::relation_distillation(a, a).item<double>() < 1e-6);
    QVERIFY(train::relation_distillation(a, b).item<double>() > 0);
    QCOMPARE(train::pixel_distillation(a, a).item<double>(), 0.0);
    const at::Tensor big = torch::full({4}, 10.0), small = torch::full({4}, -10.0);
    for (auto adv : {train::Adversarial::Logistic, train::Adversarial::Hinge, train::Adversarial::LSGAN}) {
      // A discriminator that separates perfectly has a lower loss than one that is fooled.
      QVERIFY(train::discriminator_loss(adv, big, small).item<double>() <
              train::discriminator_loss(adv, small, big).item<double>());
      QVERIFY(train::generator_loss(adv, big).item<double>() < train::generator_loss(adv, small).item<double>());
    }
    QCOMPARE(train::generator_loss(train::Adversarial::Hinge, big).item<double>(), -10.0); // -E[D]
  }
};

QTEST_GUILESS_MAIN(TestCompress)
#include "test_compress.moc"
