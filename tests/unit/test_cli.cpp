// ganstudio-cli as a user runs it: every fixture kind through `info`, JSON output, and one-line errors.
#include "run_cli.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QtTest>

#include <unistd.h>

namespace {

using Run = gs::test::CliRun;

Run cli(const QStringList& args) {
  return gs::test::run_cli(args);
}

QString fixture(const char* name) {
  return QString(GANSTUDIO_FIXTURES) + "/" + name;
}

} // namespace

class TestCli : public QObject {
  Q_OBJECT
private Q_SLOTS:
  void info_reads_every_fixture_kind_data() {
    QTest::addColumn<QString>("file");
    QTest::addColumn<QString>("needle");
    QTest::newRow("state_dict") << "state_dict.pt"
                                << "norm.num_batches_tracked";
    QTest::newRow("namespace") << "namespace_ckpt.pt"
                               << "argparse.Namespace";
    QTest::newRow("legacy") << "legacy.pt"
                            << "legacy, pre-1.6";
    QTest::newRow("fp16/bf16") << "dtypes.pt"
                               << "bfloat16";
    QTest::newRow("views") << "views.pt"
                           << "strided view";
    QTest::newRow("safetensors") << "model.safetensors"
                                 << "safetensors.metadata";
    QTest::newRow("torchscript") << "scripted.pt"
                                 << "TorchScript archive";
    QTest::newRow("module") << "full_module.pt"
                            << "0.weight";
    QTest::newRow("npy") << "array.npy"
                         << "[3, 4]";
  }
  void info_reads_every_fixture_kind() {
    QFETCH(QString, file);
    QFETCH(QString, needle);
    Run r = cli({"info", fixture(file.toUtf8())});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    QVERIFY2(r.out.contains(needle), qPrintable(r.out));
  }

  void info_json() {
    Run r = cli({"info", "--json", fixture("namespace_ckpt.pt")});
    QCOMPARE(r.code, 0);
    QJsonParseError err{};
    QJsonObject j = QJsonDocument::fromJson(r.out.toUtf8(), &err).object();
    QCOMPARE(err.error, QJsonParseError::NoError);
    QCOMPARE(j["totals"].toObject()["parameters"].toInt(), 300);
    QCOMPARE(j["tensors"].toArray().size(), 11);
    QCOMPARE(j["tensors"].toArray()[0].toObject()["name"].toString(), QString("g.conv.weight"));
    QCOMPARE(j["records"].toArray()[0].toObject()["class"].toString(), QString("argparse.Namespace"));
    QCOMPARE(j["top_keys"].toArray().size(), 5);
  }

  void refuses_malicious_file() {
    Run r = cli({"info", fixture("malicious.pt")});
    QCOMPARE(r.code, 1);
    QCOMPARE(r.err.trimmed().count('\n'), 0);
    QVERIFY2(r.err.contains("refusing to call 'posix.system'"), qPrintable(r.err));
    QVERIFY(r.out.isEmpty());
  }

  void bad_command_lines_data() {
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<int>("code");
    QTest::newRow("nothing") << QStringList{} << 2;
    QTest::newRow("unknown command") << QStringList{"frobnicate"} << 2;
    QTest::newRow("unknown global option") << QStringList{"--frob"} << 2;
    QTest::newRow("info without file") << QStringList{"info"} << 2;
    QTest::newRow("info unknown option") << QStringList{"info", "--bogus", fixture("array.npy")} << 2;
    QTest::newRow("info two files") << QStringList{"info", fixture("array.npy"), fixture("array.npy")} << 2;
    QTest::newRow("info missing file") << QStringList{"info", "/nonexistent/model.pt"} << 1;
    QTest::newRow("info directory") << QStringList{"info", QString(GANSTUDIO_FIXTURES)} << 1;
    QTest::newRow("info text") << QStringList{"info", fixture("make_io_fixtures.py")} << 1;
    QTest::newRow("fid without --b") << QStringList{"fid", "--a", fixture("array.npy")} << 2;
    QTest::newRow("fid on a checkpoint") << QStringList{"fid", "--a", fixture("state_dict.pt"), "--b",
                                                        fixture("array.npy")}
                                         << 1;
    QTest::newRow("prdc bad k") << QStringList{"prdc", "--real", fixture("array.npy"), "--fake", fixture("array.npy"),
                                               "--k",  "0"}
                                << 2;
    QTest::newRow("prdc too few samples")
        << QStringList{"prdc", "--real", fixture("array.npy"), "--fake", fixture("array.npy")} << 1;
    const QString dcgan = fixture("models/dcgan/netG32.pt"), unet = fixture("models/img2img/unet_batch.pt");
    QTest::newRow("score without method") << QStringList{"score", "--model", dcgan, "--out", "/tmp/x.json"} << 2;
    QTest::newRow("score unknown method")
        << QStringList{"score", "--model", dcgan, "--method", "magic", "--out", "/tmp/x.json"} << 1;
    QTest::newRow("score diversity on pix2pix")
        << QStringList{"score", "--model", unet, "--method", "diversity", "--out", "/tmp/x.json"} << 2;
    QTest::newRow("score content pix2pix without data")
        << QStringList{"score", "--model", unet, "--method", "content", "--out", "/tmp/x.json"} << 2;
    QTest::newRow("score bad region") << QStringList{"score",    "--model",         dcgan,   "--method",   "content",
                                                     "--region", "0.5,0.5,0.2,0.9", "--out", "/tmp/x.json"}
                                      << 2;
    QTest::newRow("prune impossible sparsity")
        << QStringList{"prune", "--model", dcgan, "--method", "l1", "--sparsity", "1", "--out", "/tmp/x.pt"} << 2;
    QTest::newRow("prune without sparsity")
        << QStringList{"prune", "--model", dcgan, "--method", "l1", "--out", "/tmp/x.pt"} << 2;
    QTest::newRow("prune method and scores")
        << QStringList{"prune", "--model",  dcgan, "--method", "l1", "--scores", fixture("array.npy"),
                       "--out", "/tmp/x.pt"}
        << 2;
    QTest::newRow("compress without config") << QStringList{"compress", "--out", "/tmp/never"} << 2;
    QTest::newRow("compress with a non-config")
        << QStringList{"compress", "--config", fixture("array.npy"), "--out", "/tmp/never"} << 1;
    QTest::newRow("compress resume of nothing")
        << QStringList{"compress", "--out", "/nonexistent/run", "--resume"} << 1;
    QTest::newRow("report without run") << QStringList{"report"} << 2;
    QTest::newRow("report of no run") << QStringList{"report", "--run", "/nonexistent/run"} << 1;
    QTest::newRow("eval without data") << QStringList{"eval", "--model", dcgan} << 2;
    QTest::newRow("eval unknown metric") << QStringList{"eval",          "--model",   dcgan,   "--data",
                                                        "fashion-mnist", "--metrics", "fid,is"}
                                         << 2;
    QTest::newRow("eval image-to-image") << QStringList{"eval", "--model", unet, "--data", "fashion-mnist"} << 2;
    QTest::newRow("eval too few samples")
        << QStringList{"eval", "--model", dcgan, "--data", "fashion-mnist", "--n", "3"} << 2;
    QTest::newRow("prune with a foreign scores file")
        << QStringList{"prune", "--model", dcgan, "--scores", fixture("array.npy"), "--out", "/tmp/x.pt"} << 1;
  }
  void bad_command_lines() {
    QFETCH(QStringList, args);
    QFETCH(int, code);
    Run r = cli(args);
    QCOMPARE(r.code, code);
    if (!args.isEmpty()) QCOMPARE(r.err.trimmed().count('\n'), 0); // one line, naming the problem
    QVERIFY(!r.err.trimmed().isEmpty());
  }

  void metrics_on_feature_files() {
    const QString f = QString(GANSTUDIO_FIXTURES) + "/metrics/";
    Run r = cli({"fid", "--a", f + "a.npy", "--b", f + "b.npy", "--json"});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    QJsonObject j = QJsonDocument::fromJson(r.out.toUtf8()).object();
    QVERIFY(std::abs(j["fd"].toDouble() - 9.754285086786979) < 1e-5);
    r = cli({"prdc", "--real", f + "pr_real.npy", "--fake", f + "pr_fake.npy", "--k", "5", "--json"});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    j = QJsonDocument::fromJson(r.out.toUtf8()).object();
    QCOMPARE(j["coverage"].toDouble(), 0.95);
    QCOMPARE(j["k"].toInt(), 5);
    r = cli({"prdc", "--real", f + "pr_real.npy", "--fake", f + "a.npy"});
    QCOMPARE(r.code, 1);
    QVERIFY2(r.err.contains("dimensions differ"), qPrintable(r.err));
  }

  // score -> scores.json -> prune -> a smaller model that info and generate read back.
  void score_then_prune() {
    QTemporaryDir dir;
    const QString model = fixture("models/dcgan/netG32.pt"), scores = dir.filePath("scores.json"),
                  pruned = dir.filePath("pruned.pt");
    Run r = cli({"score", "--model", model, "--method", "diversity", "--batches", "3", "--pca-samples", "200",
                 "--sparsity", "0.5", "--out", scores, "--json"});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    QJsonObject j = QJsonDocument::fromJson(r.out.toUtf8()).object();
    QVERIFY(j["macs_after"].toDouble() < j["macs_before"].toDouble());
    r = cli({"prune", "--model", model, "--scores", scores, "--sparsity", "0.7", "--policy", "global", "--out", pruned,
             "--json"});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    const QJsonObject p = QJsonDocument::fromJson(r.out.toUtf8()).object();
    QVERIFY(p["params_after"].toDouble() < j["params_after"].toDouble());
    r = cli({"info", pruned, "--json"});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    QVERIFY2(r.out.contains("\"architecture\":\"dcgan\"") || r.out.contains("dcgan"), qPrintable(r.out));
    r = cli({"generate", "--model", pruned, "--n", "4", "--grid", dir.filePath("g.png")});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    QVERIFY(QFileInfo(dir.filePath("g.png")).size() > 0);
  }

  void eval_labels_the_extractor() {
    QTemporaryDir cache;
    qputenv("XDG_CACHE_HOME", cache.path().toUtf8()); // the CLI runs inherit it
    Run r = cli({"eval", "--model", fixture("models/dcgan/netG32.pt"), "--data", "fashion-mnist:test", "--n", "64",
                 "--metrics", "fid,kid,pr,dc", "--json"});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    const QJsonObject j = QJsonDocument::fromJson(r.out.toUtf8()).object();
    QCOMPARE(j["labels"].toObject()["fd"].toString(), QStringLiteral("FD-builtin@64"));
    QCOMPARE(j["labels"].toObject()["kid"].toString(), QStringLiteral("KID-builtin@64"));
    QVERIFY(j["fd"].toDouble() > 0);
    for (const char* k : {"precision", "recall", "density", "coverage"}) QVERIFY(j.contains(QLatin1String(k)));
    // The real side's features are cached: the same evaluation again reads them back and gives the same numbers.
    r = cli({"eval", "--model", fixture("models/dcgan/netG32.pt"), "--data", "fashion-mnist:test", "--n", "64",
             "--metrics", "fid,kid,pr,dc", "--json"});
    const QJsonObject again = QJsonDocument::fromJson(r.out.toUtf8()).object();
    QVERIFY(again["real_features_cached"].toBool());
    QCOMPARE(again["fd"].toDouble(), j["fd"].toDouble());
  }

  // A cache made by `cache` is data for every command, and Python's torch.load reads it.
  void cache_then_use() {
    QTemporaryDir dir;
    const QString cache = dir.filePath("fm.pt");
    Run r = cli({"cache", "--data", "fashion-mnist:test", "--size", "32", "--limit", "40", "--out", cache});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    QVERIFY(r.out.contains(QStringLiteral("40 images 1x32x32")));
    r = cli(
        {"eval", "--model", fixture("models/dcgan/netG32.pt"), "--data", cache, "--n", "40", "--no-cache", "--json"});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    r = cli({"cache", "--data", "fashion-mnist", "--channels", "2", "--out", cache});
    QCOMPARE(r.code, 2);
  }

  void help_and_version() {
    Run r = cli({"--version"});
    QCOMPARE(r.code, 0);
    QVERIFY(r.out.startsWith("ganstudio-cli "));
    r = cli({"info", "--help"});
    QCOMPARE(r.code, 0);
    QVERIFY(r.out.contains("usage: ganstudio-cli info <checkpoint>"));
    QVERIFY(r.out.contains("--json"));
    r = cli({"--help"});
    QCOMPARE(r.code, 0);
    QVERIFY(r.out.contains("info"));
  }

  // OpenMP threads that wait sleep after a short spin (app/omp_spin.cpp): a command that runs LibTorch work restarts
  // with GOMP_SPINCOUNT=10000, which libgomp reports; `info` does not restart, and a user's own setting is kept.
  void openmp_threads_spin_briefly() {
    if (sysconf(_SC_NPROCESSORS_ONLN) < 2) QSKIP("one processor: nothing waits, no restart");
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    for (const char* name : {"OMP_NUM_THREADS", "GOMP_SPINCOUNT", "OMP_WAIT_POLICY"}) env.remove(name);
    env.insert("OMP_DISPLAY_ENV", "VERBOSE");
    const auto spin = [&](const QStringList& args) {
      QProcess p;
      p.setProcessEnvironment(env);
      p.start(GANSTUDIO_CLI, args);
      if (!p.waitForFinished(60000)) return QStringLiteral("timed out");
      const QRegularExpressionMatch m =
          QRegularExpression("GOMP_SPINCOUNT = '(\\d+)'").match(QString::fromUtf8(p.readAllStandardError()));
      return m.hasMatch() ? m.captured(1) : QStringLiteral("not shown");
    };
    QCOMPARE(spin({"fid", "--help"}), QStringLiteral("10000"));
    QCOMPARE(spin({"info", fixture("state_dict.pt")}), QStringLiteral("300000")); // libgomp's default
    env.insert("GOMP_SPINCOUNT", "500");
    QCOMPARE(spin({"fid", "--help"}), QStringLiteral("500"));
  }
};

QTEST_GUILESS_MAIN(TestCli)
#include "test_cli.moc"
