// Training from scratch on a tiny tensor-cache dataset: it learns, it is deterministic, resuming equals not stopping,
// abort is prompt, and bad input fails before any step.
#include "core/data/dataset.h"
#include "core/data/edge_pairs.h"
#include "core/io/checkpoint.h"
#include "core/io/png.h"
#include "core/jobs/compress_job.h"
#include "core/jobs/run_dir.h"
#include "core/models/registry.h"
#include "core/models/state_loading.h"
#include "core/train/pretrain.h"
#include "tiny_data.h"

#include <QTemporaryDir>
#include <QtTest>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>

using namespace gs;

namespace {

std::string write_dataset(const QTemporaryDir& dir) {
  const std::string path = dir.filePath("squares.pt").toStdString();
  test::write_squares_dataset(path);
  return path;
}

// A short deterministic run of `p`'s architecture: `steps` steps of `batch` from `data`, writing dir/out, a
// checkpoint every 2 steps and no samples.
train::PretrainParams quick(train::PretrainParams p, const QTemporaryDir& dir, const std::string& data,
                            const std::string& out, int64_t steps, int64_t batch) {
  p.data = data;
  p.out = dir.filePath(QString::fromStdString(out)).toStdString();
  p.steps = steps;
  p.batch = batch;
  p.deterministic = true;
  p.sample_every = 0;
  p.checkpoint_every = 2;
  return p;
}

train::PretrainParams tiny(const QTemporaryDir& dir, const std::string& out, int64_t steps) {
  train::PretrainParams p = train::default_params(models::Arch::DCGAN, 16, 1);
  p.generator_options.update({{"nz", 8}, {"ngf", 4}});
  p.discriminator_options.update({{"ndf", 4}});
  return quick(p, dir, write_dataset(dir), out, steps, 8);
}

} // namespace

class TestPretrain : public QObject {
  Q_OBJECT
private Q_SLOTS:
  void trains_and_writes_model_state_and_samples() {
    QTemporaryDir dir;
    train::PretrainParams p = tiny(dir, "m.pt", 6);
    p.samples_dir = dir.filePath("samples").toStdString();
    p.sample_every = 3;
    std::vector<int64_t> steps;
    p.on_progress = [&](int64_t step, int64_t total, const train::StepLosses& l) {
      QCOMPARE(total, int64_t{6});
      QVERIFY(std::isfinite(l.d) && std::isfinite(l.g));
      steps.push_back(step);
    };
    const auto r = train::pretrain(p);
    QCOMPARE(r.steps_done, int64_t{6});
    QCOMPARE(steps, (std::vector<int64_t>{1, 2, 3, 4, 5, 6}));
    QVERIFY(std::filesystem::exists(p.out + ".state"));
    QVERIFY(std::filesystem::exists(p.samples_dir + "/step-000003.png"));
    QVERIFY(std::filesystem::exists(p.samples_dir + "/step-000006.png"));
    // It moved away from its initial weights.
    torch::manual_seed(p.seed);
    models::Model fresh = models::build_model(models::Arch::DCGAN, p.generator_options, p.discriminator_options);
    QVERIFY(!test::same_tensors(test::generator_weights(p.out), models::state_dict(fresh.generator->module())));
  }

  void deterministic_runs_and_resume_agree() {
    QTemporaryDir dir;
    train::pretrain(tiny(dir, "a.pt", 5));
    train::pretrain(tiny(dir, "b.pt", 5));
    QVERIFY(test::same_tensors(test::generator_weights(dir.filePath("a.pt").toStdString()),
                               test::generator_weights(dir.filePath("b.pt").toStdString())));
    train::pretrain(tiny(dir, "c.pt", 3));
    train::PretrainParams more = tiny(dir, "c.pt", 5);
    more.resume = true;
    QCOMPARE(train::pretrain(more).steps_done, int64_t{5});
    QVERIFY(test::same_tensors(test::generator_weights(dir.filePath("a.pt").toStdString()),
                               test::generator_weights(dir.filePath("c.pt").toStdString())));
  }

  // The generator's moving average: a vanishing half-life is the raw generator, an endless one the initial weights;
  // the model file holds the average and resuming restores it exactly.
  void the_moving_average_is_saved_and_resumes() {
    QTemporaryDir dir;
    auto with_ema = [&](const std::string& out, int64_t steps, double kimg) {
      train::PretrainParams p = tiny(dir, out, steps);
      p.ema_kimg = kimg;
      return p;
    };
    auto weights = [&](const char* name) { return test::generator_weights(dir.filePath(name).toStdString()); };
    train::pretrain(tiny(dir, "raw.pt", 5));
    train::pretrain(with_ema("instant.pt", 5, 1e-9));
    QVERIFY(test::same_tensors(weights("raw.pt"), weights("instant.pt")));

    train::pretrain(with_ema("frozen.pt", 5, 1e9));
    torch::manual_seed(0);
    const train::PretrainParams p = tiny(dir, "unused.pt", 1);
    models::Model fresh = models::build_model(models::Arch::DCGAN, p.generator_options, p.discriminator_options);
    const models::TensorMap frozen = weights("frozen.pt"), raw = weights("raw.pt");
    for (const auto& item : fresh.generator->module().named_parameters(true)) {
      QVERIFY(torch::allclose(frozen.at(item.key()), item.value(), 0, 1e-6));
      QVERIFY(!torch::allclose(raw.at(item.key()), item.value(), 0, 1e-6));
    }

    train::pretrain(with_ema("whole.pt", 5, 0.02));
    train::pretrain(with_ema("split.pt", 3, 0.02));
    train::PretrainParams more = with_ema("split.pt", 5, 0.02);
    more.resume = true;
    train::pretrain(more);
    QVERIFY(test::same_tensors(weights("whole.pt"), weights("split.pt")));
    QVERIFY(!test::same_tensors(weights("whole.pt"), weights("raw.pt")));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, train::pretrain(with_ema("bad.pt", 1, -1)));
  }

  void abort_stops_within_one_step_and_saves() {
    QTemporaryDir dir;
    train::PretrainParams p = tiny(dir, "m.pt", 50);
    std::atomic<bool> abort{false};
    p.abort = &abort;
    p.on_progress = [&](int64_t step, int64_t, const train::StepLosses&) {
      if (step == 3) abort = true;
    };
    const auto r = train::pretrain(p);
    QVERIFY(r.aborted);
    QCOMPARE(r.steps_done, int64_t{3});
    train::PretrainParams resume = tiny(dir, "m.pt", 4);
    resume.resume = true;
    QCOMPARE(train::pretrain(resume).steps_done, int64_t{4});
  }

  // `edges` turns a folder of images into Canny edge | image pairs; pix2pix then trains on them (conditional GAN +
  // L1) and writes input | output | target sample grids.
  void pix2pix_learns_from_edge_pairs() {
#ifndef GANSTUDIO_HAVE_OPENCV
    QSKIP("edge pairs and image folders need OpenCV");
#else
    QTemporaryDir dir;
    const std::string images = dir.filePath("images").toStdString(), pairs = dir.filePath("pairs").toStdString();
    std::filesystem::create_directories(images);
    for (int i = 0; i < 6; ++i) { // a coloured disc on white, at a different place in each image
      const at::Tensor yy = torch::arange(40).view({40, 1}).expand({40, 40}), xx = yy.t();
      const at::Tensor disc = ((yy - 12 - 2 * i).pow(2) + (xx - 20).pow(2)) < 64;
      at::Tensor rgb = torch::full({40, 40, 3}, 255, torch::kUInt8);
      rgb.index_put_({disc}, torch::tensor({40 * i, 200, 90}, torch::kUInt8));
      io::write_png(images + "/" + std::to_string(i) + ".png", rgb);
    }
    data::EdgePairOptions eo;
    eo.size = 32;
    const data::EdgePairResult made = data::write_edge_pairs(images, pairs, eo);
    QCOMPARE(made.written, int64_t{6});
    data::DatasetOptions o;
    o.layout = data::Layout::Paired;
    o.size = 32;
    o.channels = 3;
    const data::Sample s = data::open_dataset(pairs, o)->get(0);
    QVERIFY(s.target.defined());
    QVERIFY(s.image.min().item<int>() == 0 && s.image.max().item<int>() == 255); // black edges on white
    QVERIFY((s.image == 0).sum().item<int64_t>() < s.image.numel() / 4);

    train::PretrainParams p = train::default_params(models::Arch::Pix2Pix, 32, 3);
    p.generator_options.update({{"ngf", 4}});
    p.discriminator_options.update({{"ndf", 4}, {"n_layers", 2}});
    p.data = pairs;
    p.out = dir.filePath("p2p.pt").toStdString();
    p.steps = 4;
    p.batch = 2;
    p.deterministic = true;
    p.samples_dir = dir.filePath("samples").toStdString();
    p.sample_every = 2;
    p.checkpoint_every = 2;
    const auto r = train::pretrain(p);
    QCOMPARE(r.steps_done, int64_t{4});
    QVERIFY(r.last.l1 > 0 && std::isfinite(r.last.l1) && r.last.g > p.l1_weight * r.last.l1 * 0.99);
    QVERIFY(std::filesystem::exists(p.samples_dir + "/step-000004.png"));
    const models::Model m = models::load_model(p.out);
    QCOMPARE(int(m.arch), int(models::Arch::Pix2Pix));
    QVERIFY(m.discriminator);
    QCOMPARE(m.discriminator->options()["input_nc"].get<int64_t>(), int64_t{6});

    // Compressed, its run's sample grids hold input | teacher | student triplets, two to a row, and say so.
    jobs::CompressConfig c;
    c.model = p.out;
    c.data = pairs;
    c.method = "l1";
    c.selection.sparsity = 0.5;
    c.steps = 2, c.batch = 2, c.sample_every = 2;
    c.eval = false;
    const std::string run = dir.filePath("run").toStdString();
    jobs::run_compress(c, run, false);
    size_t offset = 0;
    int samples = 0;
    for (const auto& e : jobs::read_events(run + "/events.jsonl", offset))
      if (e.value("kind", "") == "samples") {
        ++samples;
        QCOMPARE(e.value("layout", std::string()), std::string("input_teacher_student"));
        std::ifstream png(run + "/" + e.value("path", std::string()), std::ios::binary);
        unsigned char header[24] = {}; // signature, IHDR: width at 16..19, big-endian
        QVERIFY(png.read(reinterpret_cast<char*>(header), sizeof header));
        const int width = header[16] << 24 | header[17] << 16 | header[18] << 8 | header[19];
        QCOMPARE(width, jobs::kTripletColumns * (32 + 2) + 2); // io::make_grid's padding of 2
      }
    QCOMPARE(samples, 1);
#endif
  }

  void bad_input_fails_before_training() {
    QTemporaryDir dir;
    train::PretrainParams p = tiny(dir, "m.pt", 2);
    p.data = dir.filePath("absent").toStdString();
    QVERIFY_THROWS_EXCEPTION(std::runtime_error, train::pretrain(p));
    p = tiny(dir, "no/such/dir/m.pt", 2);
    QVERIFY_THROWS_EXCEPTION(std::runtime_error, train::pretrain(p));
    QVERIFY(!std::filesystem::exists(dir.filePath("no").toStdString()));
    p = tiny(dir, "m.pt", 2);
    p.resume = true; // nothing to resume from
    QVERIFY_THROWS_EXCEPTION(std::runtime_error, train::pretrain(p));
  }

  // CycleGAN on unpaired folders: both directions are written and load back, samples show input | translation |
  // translated back, and a run resumed halfway ends with the same weights in both directions.
  void cyclegan_trains_both_directions_and_resumes_exactly() {
#ifndef GANSTUDIO_HAVE_OPENCV
    QSKIP("image folders need OpenCV");
#else
    QTemporaryDir dir;
    const std::string root = dir.filePath("unpaired").toStdString();
    for (const char* side : {"trainA", "trainB"}) {
      std::filesystem::create_directories(root + "/" + side);
      for (int i = 0; i < 5; ++i) {
        at::Tensor rgb = torch::full({16, 16, 3}, side[5] == 'A' ? 30 : 220, torch::kUInt8);
        rgb.slice(0, i, i + 6).slice(1, 2 * i, 2 * i + 6).fill_(side[5] == 'A' ? 200 : 10);
        io::write_png(root + "/" + side + "/" + std::to_string(i) + ".png", rgb);
      }
    }
    auto params = [&](const std::string& out, int64_t steps) {
      train::PretrainParams p = train::default_params(models::Arch::CycleGAN, 16, 3);
      p.generator_options.update({{"ngf", 4}, {"n_blocks", 1}});
      p.discriminator_options.update({{"ndf", 4}, {"n_layers", 2}});
      return quick(p, dir, root, out, steps, 2);
    };
    train::PretrainParams whole = params("whole.pt", 4);
    whole.samples_dir = dir.filePath("samples").toStdString();
    whole.sample_every = 4;
    const auto r = train::pretrain(whole);
    QVERIFY(std::isfinite(r.last.d) && std::isfinite(r.last.g) && r.last.l1 > 0);
    QVERIFY(std::filesystem::exists(whole.samples_dir + "/step-000004.png"));
    const std::string reverse = train::reverse_model_path(whole.out);
    QCOMPARE(reverse, dir.filePath("whole-BtoA.pt").toStdString());
    for (const std::string& path : {whole.out, reverse}) {
      const models::Model m = models::load_model(path);
      QCOMPARE(int(m.arch), int(models::Arch::CycleGAN));
      QVERIFY(m.discriminator);
    }
    QVERIFY(train::pretrain(params("half.pt", 2)).steps_done == 2);
    train::PretrainParams rest = params("half.pt", 4);
    rest.resume = true;
    train::pretrain(rest);
    QVERIFY(test::same_tensors(test::generator_weights(whole.out), test::generator_weights(rest.out)));
    QVERIFY(test::same_tensors(test::generator_weights(reverse),
                               test::generator_weights(train::reverse_model_path(rest.out))));
    std::filesystem::remove_all(root + "/trainB");
    QVERIFY_THROWS_EXCEPTION(std::runtime_error, train::pretrain(params("none.pt", 2)));
#endif
  }
};

QTEST_APPLESS_MAIN(TestPretrain)
#include "test_pretrain.moc"
