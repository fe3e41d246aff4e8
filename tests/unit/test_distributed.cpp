// Data-parallel compress jobs on c10d/Gloo over loopback, run as a user would: `ganstudio-cli compress --nproc 2`.
// Two processes give the weights one process gets with the combined batch (deterministic CPU mode, per-sample losses,
// instance norm); a rank that dies or hangs ends the job on every rank, and the run resumes with another process count.
#include "run_cli.h"

#include "core/jobs/run_dir.h"
#include "core/models/registry.h"
#include "core/prune/plan.h"
#include "tiny_data.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>
#include <torch/torch.h>

#include <csignal>
#include <fstream>

using namespace gs;

namespace {

// Largest difference allowed between one and two processes: the same sums taken in another order, through 6 Adam
// steps (Adam divides by the root of the second moment, which lets round-off grow to about 5e-6 here). The
// discriminator is compared by what it computes: the biases of its convolutions that feed instance norm have a true
// gradient of zero, so Adam turns their round-off into steps of +-lr and they differ by up to steps x lr, without
// effect on any output.
constexpr double kTolerance = 1e-5;

using Run = gs::test::CliRun;

Run cli(const QStringList& args) {
  return gs::test::run_cli(args);
}

// A CycleGAN teacher with its PatchGAN, instance norm throughout, for 16x16 grey inputs; squares as input images.
QString write_job(const QTemporaryDir& dir, int64_t steps, int64_t checkpoint_every) {
  const std::string model = dir.filePath("teacher.pt").toStdString(), data = dir.filePath("squares.pt").toStdString();
  torch::manual_seed(3);
  models::save_model(
      model, models::build_model(models::Arch::CycleGAN,
                                 {{"input_nc", 1}, {"output_nc", 1}, {"ngf", 4}, {"n_blocks", 1}, {"load_size", 16}},
                                 nlohmann::json{{"input_nc", 1}, {"ndf", 4}, {"n_layers", 2}, {"norm", "instance"}}));
  test::write_squares_dataset(data, 40);
  const nlohmann::json config{{"model", model},
                              {"data", data},
                              {"method", "content"},
                              {"selection", {{"sparsity", 0.5}}},
                              {"score", {{"batches", 4}, {"batch", 2}}},
                              {"deterministic", true},
                              {"sample_every", 3},
                              {"checkpoint_every", checkpoint_every},
                              {"log_every", 1},
                              {"finetune", {{"steps", steps}, {"batch", 4}, {"adversarial", "lsgan"}, {"relation", 0}}},
                              {"eval", {{"enabled", false}}}};
  const QString path = dir.filePath("job.json");
  std::ofstream(path.toStdString()) << config.dump(2);
  return path;
}

double max_difference(const models::TensorMap& a, const models::TensorMap& b) {
  double worst = 0;
  for (const auto& [name, t] : a) {
    if (!b.count(name) || b.at(name).sizes() != t.sizes()) return INFINITY;
    if (!t.is_floating_point()) continue;
    const double d = (t - b.at(name)).abs().max().item<double>();
    worst = std::max(worst, d);
  }
  return a.size() == b.size() ? worst : INFINITY;
}

std::vector<nlohmann::json> events_of(const QString& run, const std::string& kind) {
  size_t offset = 0;
  std::vector<nlohmann::json> out;
  for (auto& e : jobs::read_events((run + "/events.jsonl").toStdString(), offset))
    if (e.value("kind", "") == kind) out.push_back(e);
  return out;
}

// The child of `parent` started with RANK=`rank` in its environment.
pid_t rank_process(qint64 parent, int rank) {
  for (const QString& entry : QDir("/proc").entryList(QDir::Dirs)) {
    bool number = false;
    const pid_t pid = entry.toInt(&number);
    if (!number) continue;
    QFile stat("/proc/" + entry + "/stat");
    if (!stat.open(QIODevice::ReadOnly)) continue;
    const QString s = stat.readAll();
    const QStringList fields = s.mid(s.lastIndexOf(')') + 2).split(' ');
    if (fields.size() < 2 || fields[1].toLongLong() != parent) continue;
    QFile env("/proc/" + entry + "/environ");
    if (env.open(QIODevice::ReadOnly) && env.readAll().split('\0').contains("RANK=" + QByteArray::number(rank)))
      return pid;
  }
  return 0;
}

// Starts a two-process job, waits for its first checkpoint, does `fault` to rank 1, and returns how the launcher
// ended and how long that took after the fault.
Run fault_after_checkpoint(const QString& config, const QString& run, int signal, qint64* ms_after) {
  QProcess p;
  p.start(GANSTUDIO_CLI, {"compress", "--config", config, "--out", run, "--nproc", "2", "--dist-timeout", "3"});
  if (!p.waitForStarted()) return {-1, {}, "did not start"};
  QElapsedTimer waited;
  waited.start();
  while (QFile(run + "/events.jsonl").exists() ? events_of(run, "checkpoint").empty() : true) {
    if (waited.elapsed() > 60000 || p.state() == QProcess::NotRunning) return {-1, {}, "no checkpoint"};
    QTest::qWait(20);
  }
  const pid_t victim = rank_process(p.processId(), 1);
  if (victim <= 0) return {-1, {}, "rank 1 not found"};
  ::kill(victim, signal);
  QElapsedTimer since;
  since.start();
  if (!p.waitForFinished(60000)) {
    ::kill(victim, SIGKILL);
    p.kill();
    return {-1, {}, "the job did not end"};
  }
  *ms_after = since.elapsed();
  return {p.exitCode(), p.readAllStandardOutput(), p.readAllStandardError()};
}

} // namespace

class TestDistributed : public QObject {
  Q_OBJECT
private Q_SLOTS:
  void two_processes_equal_one_with_the_combined_batch() {
    QTemporaryDir dir;
    const QString config = write_job(dir, 6, 2);
    const QString one = dir.filePath("one"), two = dir.filePath("two");
    Run r = cli({"compress", "--config", config, "--out", one});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    r = cli({"compress", "--config", config, "--out", two, "--nproc", "2"});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    QVERIFY2(r.out.count("done:") == 1, qPrintable(r.out)); // rank 0 alone reports

    // Scoring split over the ranks gives the same scores (float gradients summed in another order) and plan.
    const prune::Plan a = prune::load_plan((one + "/scores.json").toStdString());
    const prune::Plan b = prune::load_plan((two + "/scores.json").toStdString());
    QVERIFY(a.kept == b.kept);
    for (const auto& [group, scores] : a.scores)
      for (size_t i = 0; i < scores.size(); ++i)
        QVERIFY(std::abs(scores[i] - b.scores.at(group)[i]) <= 1e-5 * (1 + std::abs(scores[i])));

    const models::Model m1 = models::load_model((one + "/student.pt").toStdString());
    const models::Model m2 = models::load_model((two + "/student.pt").toStdString());
    const double g =
        max_difference(models::state_dict(m1.generator->module()), models::state_dict(m2.generator->module()));
    torch::NoGradGuard no_grad;
    const at::Tensor x = torch::rand({4, 1, 16, 16}) * 2 - 1;
    m1.discriminator->module().eval();
    m2.discriminator->module().eval();
    const at::Tensor d1 = m1.discriminator->forward(x), d2 = m2.discriminator->forward(x);
    const double d = (d1 - d2).abs().max().item<double>() / d1.abs().max().item<double>();
    qInfo("max |one - two|: generator weights %.3g, discriminator outputs %.3g (relative)", g, d);
    QVERIFY(g <= kTolerance);
    QVERIFY(d <= kTolerance);
    // The losses rank 0 logs are those of the whole batch.
    const auto l1 = events_of(one, "loss"), l2 = events_of(two, "loss");
    QCOMPARE(l1.size(), l2.size());
    QVERIFY(std::abs(l1.back()["g"].get<double>() - l2.back()["g"].get<double>()) < 1e-4);
    QVERIFY(QFile::exists(two + "/samples/step-000006.png"));
  }

  void batch_must_split_evenly() {
    QTemporaryDir dir;
    const QString config = write_job(dir, 2, 2);
    const Run r = cli({"compress", "--config", config, "--out", dir.filePath("run"), "--nproc", "3"});
    QVERIFY(r.code != 0);
    QVERIFY2(r.err.contains("does not split evenly over 3 processes"), qPrintable(r.err));
  }

  void a_dying_rank_ends_the_job_and_it_resumes_with_one_process() {
    QTemporaryDir dir;
    const QString config = write_job(dir, 400, 4), run = dir.filePath("run");
    qint64 ms = 0;
    const Run r = fault_after_checkpoint(config, run, SIGKILL, &ms);
    QVERIFY2(r.code > 0, qPrintable(r.err));
    QVERIFY2(r.err.contains("rank 1 of 2 ended"), qPrintable(r.err));
    QVERIFY2(r.err.contains("rank 0: distributed"), qPrintable(r.err)); // rank 0 says why it stopped
    QVERIFY2(ms < 20000, qPrintable(QString::number(ms)));
    const Run resumed = cli({"compress", "--out", run, "--resume"});
    QVERIFY2(resumed.code == 0, qPrintable(resumed.err));
    QVERIFY(QFile::exists(run + "/student.pt"));
    QCOMPARE(events_of(run, "resumed").size(), size_t{1});
  }

  void a_hung_rank_ends_the_job_within_the_timeout() {
    QTemporaryDir dir;
    const QString config = write_job(dir, 400, 4), run = dir.filePath("run");
    qint64 ms = 0;
    const Run r = fault_after_checkpoint(config, run, SIGSTOP, &ms); // stopped, never answers
    QVERIFY2(r.code > 0, qPrintable(r.err));
    QVERIFY2(r.err.contains("did not answer within 3 s"), qPrintable(r.err));
    QVERIFY2(ms < 20000, qPrintable(QString::number(ms)));
    // The last checkpoint stays loadable: two processes continue it.
    const Run resumed = cli({"compress", "--out", run, "--resume", "--nproc", "2"});
    QVERIFY2(resumed.code == 0, qPrintable(resumed.err));
  }
};

QTEST_GUILESS_MAIN(TestDistributed)
#include "test_distributed.moc"
