// The Compress tab end to end under the offscreen platform: load -> score -> heatmap -> fine-tune -> charts and
// samples -> done; stopping; a worker error shows a dialog and the page keeps working; following a growing run.
#include "app/gui/compress_page.h"
#include "core/jobs/compress_job.h"
#include "core/models/registry.h"
#include "core/resources.h"
#include "tiny_data.h"
#include "widgets/channel_heatmap.h"
#include "widgets/live_chart.h"
#include "widgets/region_picker.h"
#include "widgets/sample_view.h"

#include <QChartView>
#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QLabel>
#include <QLegend>
#include <QLegendMarker>
#include <QLineEdit>
#include <QLineSeries>
#include <QLogValueAxis>
#include <QMessageBox>
#include <QProgressBar>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QSlider>
#include <QSpinBox>
#include <QTemporaryDir>
#include <QValueAxis>
#include <QtTest>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <thread>

using gs::gui::CompressPage;
namespace fs = std::filesystem;

class TestCompressPage : public QObject {
  Q_OBJECT

  QTemporaryDir dir_;
  QString teacher_, data_;

  template <typename T> T* child(QWidget& w, const char* name) {
    T* c = w.findChild<T*>(QString::fromLatin1(name));
    if (!c) qFatal("no child %s", name);
    return c;
  }

  // A job on the tiny teacher and data.
  gs::jobs::CompressConfig job(const char* method) const {
    gs::jobs::CompressConfig c;
    c.model = teacher_.toStdString();
    c.data = data_.toStdString();
    c.method = method;
    return c;
  }

  void load(CompressPage& page) {
    page.set_model(teacher_);
    QTRY_VERIFY_WITH_TIMEOUT(child<QLabel>(page, "modelSummary")->text().startsWith(QStringLiteral("dcgan")), 20000);
    child<QLineEdit>(page, "dataEdit")->setText(data_);
    child<QSpinBox>(page, "batchSpin")->setValue(4);
    child<QSpinBox>(page, "evalN")->setValue(16);
    child<QSpinBox>(page, "evalEvery")->setValue(3);
  }

  // A live chart's x and y axes (linear).
  static std::pair<QValueAxis*, QValueAxis*> axes(gs::widgets::LiveChart& chart) {
    QChart* c = chart.findChild<QChartView*>()->chart();
    return {qobject_cast<QValueAxis*>(c->axes(Qt::Horizontal).first()),
            qobject_cast<QValueAxis*>(c->axes(Qt::Vertical).first())};
  }

  // The page shown, following `run` until its sample view holds a grid (null if none comes).
  gs::widgets::SampleView* follow_samples(CompressPage& page, const QString& run) {
    page.show();
    page.follow_run(run);
    auto* view = child<gs::widgets::SampleView>(page, "sampleView");
    return QTest::qWaitFor([&] { return !view->teacher().isNull(); }, 10000) ? view : nullptr;
  }

private Q_SLOTS:
  void init() { QSettings().clear(); } // pages save their settings when they close

  void initTestCase() {
    // Runs go under the test's own folder, removed when it ends (Qt's test mode kept them in ~/.qttest, one more
    // directory every time the suite ran).
    qputenv("XDG_DATA_HOME", dir_.filePath(QStringLiteral("data")).toUtf8());
    qputenv("XDG_CONFIG_HOME", dir_.filePath(QStringLiteral("config")).toUtf8());
    QCoreApplication::setOrganizationName(QStringLiteral("GanStudioTest"));
    QSettings().clear();
    teacher_ = dir_.filePath(QStringLiteral("teacher.pt"));
    data_ = dir_.filePath(QStringLiteral("squares.pt"));
    torch::manual_seed(1);
    gs::models::save_model(teacher_.toStdString(),
                           gs::models::build_model(gs::models::Arch::DCGAN,
                                                   {{"nz", 8}, {"ngf", 4}, {"nc", 1}, {"size", 16}},
                                                   nlohmann::json{{"ndf", 4}, {"nc", 1}, {"size", 16}}));
    gs::test::write_squares_dataset(data_.toStdString(), 48);
  }

  void load_score_finetune() {
    CompressPage page;
    page.resize(1200, 800);
    page.show();
    load(page);
    // The estimate follows the slider at once.
    auto* estimate = child<QLabel>(page, "estimateLabel");
    const QString at_half = estimate->text();
    child<QSlider>(page, "sparsitySlider")->setValue(70);
    QVERIFY(estimate->text() != at_half);
    QVERIFY(estimate->text().contains(QStringLiteral("MACs")));
    QVERIFY(estimate->text().contains(QStringLiteral("computed"))); // the multiplications performed, too
    // Inapplicable methods are listed but disabled, with the reason.
    auto* methods = child<QComboBox>(page, "methodCombo");
    QCOMPARE(methods->count(), 7);

    // Local-density pruning offers to slim the discriminator too (the default) or to leave it whole.
    methods->setCurrentIndex(methods->findText(QStringLiteral("Local density + G/D agents (AAAI'24)")));
    auto* prune_d = child<QCheckBox>(page, "pruneDiscriminator");
    QVERIFY(prune_d->isVisible());
    QVERIFY(page.config()[QStringLiteral("learn")].toObject()[QStringLiteral("prune_discriminator")].toBool());
    prune_d->setChecked(false);
    QVERIFY(!page.config()[QStringLiteral("learn")].toObject()[QStringLiteral("prune_discriminator")].toBool());
    // Learned methods say how their MAC budget counts transposed convolutions: automatically (by architecture) unless
    // chosen otherwise.
    auto* mac_count = child<QComboBox>(page, "macCountCombo");
    QVERIFY(mac_count->isVisible());
    const auto budget_count = [&] {
      return page.config()[QStringLiteral("learn")].toObject()[QStringLiteral("mac_count")].toString();
    };
    QCOMPARE(budget_count(), QStringLiteral("auto"));
    QCOMPARE(mac_count->currentText(), QStringLiteral("automatic: by output for this model")); // a DCGAN
    mac_count->setCurrentIndex(mac_count->findData(QStringLiteral("by_input")));
    QCOMPARE(budget_count(), QStringLiteral("by_input"));

    // Content-aware scoring takes a region of interest drawn on a sample.
    methods->setCurrentIndex(methods->findText(QStringLiteral("Content-aware (CAGAN)")));
    auto* region = child<gs::widgets::RegionPicker>(page, "regionPicker");
    QVERIFY(region->isVisible());
    QVERIFY(!prune_d->isVisible());
    QVERIFY(!mac_count->isVisible()); // a scorer has no MAC budget to count
    QTest::mousePress(region, Qt::LeftButton, {}, QPoint(region->width() / 2, region->height() / 2));
    QTest::mouseMove(region, QPoint(region->width() - 5, region->height() - 5));
    QTest::mouseRelease(region, Qt::LeftButton, {}, QPoint(region->width() - 5, region->height() - 5));
    const QJsonArray roi = page.config()[QStringLiteral("score")].toObject()[QStringLiteral("region")].toArray();
    QCOMPARE(roi.size(), 4);
    QVERIFY(roi[0].toDouble() > 0.4 && roi[2].toDouble() > 0.9);

    QTest::mouseClick(child<QPushButton>(page, "scoreButton"), Qt::LeftButton);
    auto* heatmap = child<gs::widgets::ChannelHeatmap>(page, "heatmap");
    QTRY_VERIFY_WITH_TIMEOUT(!page.busy(), 20000);
    QCOMPARE(heatmap->rows().size(), 2); // the 16-px DCGAN has two hidden layers
    const auto rows = heatmap->rows();
    QVERIFY(std::any_of(rows[0].scores.begin(), rows[0].scores.end(), [](double v) { return v > 0; }));
    QCOMPARE(rows[0].kept.count(false), static_cast<int>(rows[0].scores.size() * 0.7));

    // A right click previews the samples with that channel zeroed.
    auto* view = child<gs::widgets::SampleView>(page, "sampleView");
    QTest::mouseClick(heatmap, Qt::RightButton, {}, heatmap->cell_rect(0, 0).center().toPoint());
    QTRY_VERIFY_WITH_TIMEOUT(!view->student().isNull(), 20000);
    QVERIFY(view->teacher() != view->student());

    // A click on a kept channel prunes it by hand.
    const int kept = rows[0].kept.indexOf(true);
    const QPoint at = heatmap->cell_rect(0, kept).center().toPoint();
    QTest::mouseClick(heatmap, Qt::LeftButton, {}, at);
    QVERIFY(!heatmap->rows()[0].kept[kept]);

    child<QSpinBox>(page, "stepsSpin")->setValue(6);
    QTest::mouseClick(child<QPushButton>(page, "startButton"), Qt::LeftButton);
    QVERIFY(page.busy());
    QTRY_VERIFY_WITH_TIMEOUT(!page.busy(), 60000);
    QVERIFY2(child<QProgressBar>(page, "jobProgress")->format().contains(QStringLiteral("done")),
             qPrintable(child<QProgressBar>(page, "jobProgress")->format()));
    QVERIFY(!child<gs::widgets::LiveChart>(page, "lossChart")->series_names().isEmpty());
    auto* fd = child<gs::widgets::LiveChart>(page, "fdChart");
    QCOMPARE(fd->series_names(), QStringList{QStringLiteral("FD-builtin@16")});
    QCOMPARE(fd->points(QStringLiteral("FD-builtin@16")).size(), 3); // pruned at 0, student at 3 and 6
    QVERIFY(!child<gs::widgets::SampleView>(page, "sampleView")->student().isNull());
    QVERIFY(fs::exists((page.run_dir() + QStringLiteral("/student.pt")).toStdString()));
    // Interpolation walks through teacher and the finished student.
    QTest::mouseClick(child<QPushButton>(page, "interpolateButton"), Qt::LeftButton);
    // One row of eight 16-px images (the training grids before it had two rows).
    QTRY_VERIFY_WITH_TIMEOUT(child<gs::widgets::SampleView>(page, "sampleView")->teacher().height() < 2 * 16, 20000);
    QVERIFY(!child<gs::widgets::SampleView>(page, "sampleView")->student().isNull());

    // Curves against wall time and back: the same events, another x.
    {
      auto* chart = child<gs::widgets::LiveChart>(page, "lossChart");
      const QString name = chart->series_names().front();
      QCOMPARE(chart->points(name).back().x(), 6.0);
      child<QCheckBox>(page, "wallTimeAxis")->setChecked(true);
      QCOMPARE(chart->series_names().front(), name);
      QVERIFY(chart->points(name).back().x() != 6.0);
      QVERIFY(chart->points(name).back().x() > 0);
      child<QCheckBox>(page, "wallTimeAxis")->setChecked(false);
      QCOMPARE(chart->points(name).back().x(), 6.0);
    }

    // One y-range over every chart on request.
    child<QCheckBox>(page, "shareYRange")->setChecked(true);
    auto* losses = child<gs::widgets::LiveChart>(page, "lossChart");
    QCOMPARE(losses->y_range(), fd->y_range());
    child<QCheckBox>(page, "shareYRange")->setChecked(false);
    QVERIFY(losses->y_range() != fd->y_range());

    // Another run's curves can be laid over these.
    page.overlay_run(page.run_dir());
    const QString name = QFileInfo(page.run_dir()).fileName();
    QVERIFY(fd->series_names().contains(name + QStringLiteral(": FD-builtin@16")));
    QCOMPARE(fd->series_names().size(), 2);

    // The hand-pruned channel stayed pruned in the job's plan.
    const auto config = page.config();
    QVERIFY(config[QStringLiteral("selection")].toObject()[QStringLiteral("overrides")].toObject().contains(
        QStringLiteral("main.0")));
  }

  void settings_persist() {
    {
      CompressPage page;
      child<QLineEdit>(page, "dataEdit")->setText(QStringLiteral("some/folder"));
      child<QComboBox>(page, "deviceCombo")->setCurrentIndex(1);
      child<QLineEdit>(page, "extractorEdit")->setText(QStringLiteral("inception.pt"));
    }
    CompressPage again;
    QCOMPARE(child<QLineEdit>(again, "dataEdit")->text(), QStringLiteral("some/folder"));
    QCOMPARE(child<QComboBox>(again, "deviceCombo")->currentData().toString(), QStringLiteral("cpu"));
    QCOMPARE(again.config()[QStringLiteral("eval")].toObject()[QStringLiteral("extractor")].toString(),
             QStringLiteral("inception.pt"));
  }

  void stop_leaves_a_resumable_run() {
    CompressPage page;
    page.show();
    load(page);
    child<QSpinBox>(page, "stepsSpin")->setValue(1000000);
    child<QSpinBox>(page, "evalEvery")->setValue(0);
    QTest::mouseClick(child<QPushButton>(page, "startButton"), Qt::LeftButton);
    auto* progress = child<QProgressBar>(page, "jobProgress");
    QTRY_VERIFY_WITH_TIMEOUT(progress->format().startsWith(QStringLiteral("finetune")), 30000);
    QTest::mouseClick(child<QPushButton>(page, "pauseButton"), Qt::LeftButton);
    QTest::qWait(300);
    QVERIFY(page.busy()); // paused, not stopped
    QTest::mouseClick(child<QPushButton>(page, "stopButton"), Qt::LeftButton);
    QTRY_VERIFY_WITH_TIMEOUT(!page.busy(), 30000);
    QVERIFY(fs::exists((page.run_dir() + QStringLiteral("/checkpoints/state.pt")).toStdString()));
    QVERIFY(!fs::exists((page.run_dir() + QStringLiteral("/student.pt")).toStdString()));
  }

  void multi_process_job_runs_through_the_cli_and_is_followed() {
    CompressPage page;
    page.show();
    load(page);
    child<QSpinBox>(page, "stepsSpin")->setValue(1000000);
    child<QSpinBox>(page, "evalEvery")->setValue(0);
    child<QSpinBox>(page, "processesSpin")->setValue(2);
    QTest::mouseClick(child<QPushButton>(page, "startButton"), Qt::LeftButton);
    QVERIFY(page.busy());
    QVERIFY(!child<QPushButton>(page, "pauseButton")->isEnabled());
    auto* progress = child<QProgressBar>(page, "jobProgress");
    QTRY_VERIFY_WITH_TIMEOUT(progress->format().contains(QStringLiteral("(2 processes)")), 60000);
    auto* losses = child<gs::widgets::LiveChart>(page, "lossChart");
    QTRY_VERIFY_WITH_TIMEOUT(!losses->series_names().isEmpty(), 20000);
    QTest::mouseClick(child<QPushButton>(page, "stopButton"), Qt::LeftButton);
    QTRY_VERIFY_WITH_TIMEOUT(!page.busy(), 30000);
    QVERIFY2(progress->format().contains(QStringLiteral("stopped")), qPrintable(progress->format()));
    QVERIFY(fs::exists((page.run_dir() + QStringLiteral("/checkpoints/state.pt")).toStdString()));
    QVERIFY(page.findChild<QMessageBox*>(QStringLiteral("workerErrorDialog")) == nullptr);
  }

  void worker_error_shows_a_dialog_and_the_page_survives() {
    CompressPage page;
    page.show();
    load(page);
    child<QLineEdit>(page, "dataEdit")->setText(dir_.filePath(QStringLiteral("no-such-data")));
    child<QSpinBox>(page, "stepsSpin")->setValue(2);
    QTest::mouseClick(child<QPushButton>(page, "startButton"), Qt::LeftButton);
    QTRY_VERIFY_WITH_TIMEOUT(page.findChild<QMessageBox*>(QStringLiteral("workerErrorDialog")), 20000);
    auto* box = page.findChild<QMessageBox*>(QStringLiteral("workerErrorDialog"));
    QVERIFY(box->text().contains(QStringLiteral("no-such-data")));
    QVERIFY(!page.busy());
    box->accept();
    child<QLineEdit>(page, "dataEdit")->setText(data_);
    QVERIFY(child<QPushButton>(page, "startButton")->isEnabled());
  }

  // A run written by another process (here a thread running the core job) is followed while it grows.
  void follows_a_growing_run_directory() {
    gs::jobs::CompressConfig c;
    c.model = teacher_.toStdString();
    c.data = data_.toStdString();
    c.steps = 400;
    c.batch = 4;
    c.eval = false;
    c.log_every = 1;
    c.sample_every = 50;
    const QString run = dir_.filePath(QStringLiteral("followed"));
    std::atomic<bool> stop{false};
    gs::jobs::JobCallbacks cb;
    cb.abort = &stop;
    std::thread writer([&] { gs::jobs::run_compress(c, run.toStdString(), false, cb); });
    QTRY_VERIFY_WITH_TIMEOUT(fs::exists((run + QStringLiteral("/events.jsonl")).toStdString()), 20000);
    CompressPage page;
    page.show();
    page.follow_run(run);
    auto* losses = child<gs::widgets::LiveChart>(page, "lossChart");
    QTRY_VERIFY_WITH_TIMEOUT(!losses->series_names().isEmpty(), 20000);
    const int first = losses->points(losses->series_names().front()).size();
    QTRY_VERIFY_WITH_TIMEOUT(losses->points(losses->series_names().front()).size() > first, 20000);
    stop = true;
    writer.join();
  }

  // Following a run of the loaded model puts its settings in the form, to change one and run again — also when the
  // run is followed first and the model loaded after (`ganstudio MODEL --run DIR`); a run of another model leaves the
  // form as it is.
  void following_a_run_shows_its_settings() {
    gs::jobs::CompressConfig c = job("norm");
    c.selection.sparsity = 0.7;
    c.steps = 123;
    c.lr = 5e-4;
    c.objectives.relation = 7;
    const auto run_of = [&](const char* name) {
      const QString run = dir_.filePath(QString::fromLatin1(name));
      fs::create_directories(run.toStdString());
      std::ofstream(run.toStdString() + "/config.json") << gs::jobs::to_json(c).dump();
      return run;
    };
    const QString mine = run_of("mine");
    c.model = dir_.filePath(QStringLiteral("another.pt")).toStdString();
    c.steps = 55;
    const QString theirs = run_of("theirs");
    CompressPage page;
    page.show();
    const auto form = [&](const char* section, const char* key) {
      return page.config()[QString::fromLatin1(section)].toObject()[QString::fromLatin1(key)].toDouble();
    };
    page.follow_run(mine);
    load(page);
    QCOMPARE(page.config()[QStringLiteral("method")].toString(), QStringLiteral("norm"));
    QCOMPARE(form("selection", "sparsity"), 0.7);
    QCOMPARE(form("finetune", "steps"), 123.0);
    QCOMPARE(form("finetune", "lr"), 5e-4);
    QCOMPARE(form("finetune", "relation"), 7.0);
    page.follow_run(theirs);
    QCOMPARE(form("finetune", "steps"), 123.0);
    child<QSpinBox>(page, "stepsSpin")->setValue(7);
    page.follow_run(mine);
    QCOMPARE(form("finetune", "steps"), 123.0);
  }

  // Load Config: a saved config fills the form; another model's asks for that model and fills the form once it is
  // recognised; a broken file or a missing model says why and leaves the form as it was.
  void loading_a_config_fills_the_form() {
    gs::jobs::CompressConfig c = job("coronet");
    c.selection.sparsity = 0.6;
    c.steps = 77;
    c.learn.mac_count = "by_input";
    const auto saved = [&](const char* name, const std::string& text) {
      const QString path = dir_.filePath(QString::fromLatin1(name));
      std::ofstream(path.toStdString()) << text;
      return path;
    };
    const QString mine = saved("mine.json", gs::jobs::to_json(c).dump());
    CompressPage page;
    page.show();
    load(page);
    const auto steps = [&] {
      return page.config()[QStringLiteral("finetune")].toObject()[QStringLiteral("steps")].toInt();
    };
    child<QSpinBox>(page, "stepsSpin")->setValue(5);
    QVERIFY(page.load_config_file(saved("broken.json", "{\"model\": ")).contains(QStringLiteral("broken.json")));
    c.model = dir_.filePath(QStringLiteral("gone.pt")).toStdString();
    QVERIFY(page.load_config_file(saved("gone.json", gs::jobs::to_json(c).dump())).contains(QStringLiteral("gone.pt")));
    QCOMPARE(steps(), 5);

    QCOMPARE(page.load_config_file(mine), QString());
    QCOMPARE(page.config()[QStringLiteral("method")].toString(), QStringLiteral("coronet"));
    QCOMPARE(page.config()[QStringLiteral("selection")].toObject()[QStringLiteral("sparsity")].toDouble(), 0.6);
    QCOMPARE(page.config()[QStringLiteral("learn")].toObject()[QStringLiteral("mac_count")].toString(),
             QStringLiteral("by_input"));
    QCOMPARE(steps(), 77);

    const QString other = dir_.filePath(QStringLiteral("other.pt"));
    QFile::remove(other);
    QVERIFY(QFile::copy(teacher_, other));
    c.model = other.toStdString();
    c.steps = 33;
    QSignalSpy asked(&page, &CompressPage::open_model);
    QCOMPARE(page.load_config_file(saved("other.json", gs::jobs::to_json(c).dump())), QString());
    QCOMPARE(asked.size(), 1);
    QCOMPARE(asked.at(0).at(0).toString(), other);
    QCOMPARE(steps(), 77); // not before its model is there
    page.set_model(other);
    QTRY_COMPARE_WITH_TIMEOUT(steps(), 33, 20000);
  }

  // An image-to-image run's grid (input | teacher | student triplets) shows as input | teacher beside input |
  // student, as its event says, even when the page follows the run before it has recognised a model
  // (ganstudio MODEL --run RUN: the run's events come first).
  void an_image_to_image_grid_shows_inputs_beside_outputs() {
    const QString run = dir_.filePath(QStringLiteral("img2img-run"));
    QVERIFY(QDir().mkpath(run + QStringLiteral("/samples")));
    const int cell = 18, tile = 16; // io::make_grid's padding of 2
    QImage grid(6 * cell + 2, 2 * cell + 2, QImage::Format_RGB32);
    grid.fill(Qt::white);
    const QColor colours[3] = {Qt::red, Qt::green, Qt::blue}; // input, teacher, student
    for (int r = 0; r < 2; ++r)
      for (int c = 0; c < 6; ++c)
        for (int y = 0; y < tile; ++y)
          for (int x = 0; x < tile; ++x) grid.setPixelColor(2 + c * cell + x, 2 + r * cell + y, colours[c % 3]);
    QVERIFY(grid.save(run + QStringLiteral("/samples/step-000001.png")));
    QFile events(run + QStringLiteral("/events.jsonl"));
    QVERIFY(events.open(QIODevice::WriteOnly));
    events.write(R"({"kind":"started","step":0,"method":"l1","model":"m.pt"})"
                 "\n"
                 R"({"kind":"samples","step":1,"path":"samples/step-000001.png","layout":"input_teacher_student"})"
                 "\n");
    events.close();
    CompressPage page;
    auto* view = follow_samples(page, run);
    QVERIFY(view);
    for (const auto& [image, output] :
         {std::pair{view->teacher(), colours[1]}, std::pair{view->student(), colours[2]}}) {
      QCOMPARE(image.size(), QSize(4 * cell + 2, 2 * cell + 2));
      for (int r = 0; r < 2; ++r)
        for (int c = 0; c < 4; ++c)
          QCOMPARE(image.pixelColor(2 + c * cell + tile / 2, 2 + r * cell + tile / 2), c % 2 ? output : colours[0]);
      QCOMPARE(image.pixelColor(1, 1), QColor(Qt::white)); // the padding
    }
    // A run written before the event said its layout is split by the model loaded, again once that is recognised.
    QVERIFY(events.open(QIODevice::WriteOnly | QIODevice::Truncate));
    events.write(R"({"kind":"samples","step":1,"path":"samples/step-000001.png"})"
                 "\n");
    events.close();
    CompressPage old_run;
    auto* old_view = follow_samples(old_run, run);
    QVERIFY(old_view);
    QCOMPARE(old_view->teacher().width(), grid.width()); // no model yet: teacher rows over student rows
    old_run.set_model(QString::fromStdString(*gs::find_resource("demo/pix2pix-emoji-edges.pt")));
    QTRY_COMPARE_WITH_TIMEOUT(old_view->teacher().width(), 4 * cell + 2, 20000);
  }

  // Local-density pruning's G/D losses while it prunes get their own chart beside the fine-tuning losses.
  void pruning_losses_are_charted() {
    gs::jobs::CompressConfig c = job("density");
    c.learn.max_steps = 60;
    c.learn.min_steps = 20;
    c.learn.batch = 8;
    c.learn.centres = 2;
    c.learn.neighbours = 3;
    c.steps = 2;
    c.batch = 4;
    c.eval = false;
    const QString run = dir_.filePath(QStringLiteral("density"));
    gs::jobs::run_compress(c, run.toStdString(), false);
    CompressPage page;
    page.show();
    page.follow_run(run);
    auto* pruning = child<gs::widgets::LiveChart>(page, "pruningChart");
    QTRY_VERIFY_WITH_TIMEOUT(pruning->series_names().contains(QStringLiteral("d_loss")), 20000);
    QVERIFY(pruning->isVisible());
    QVERIFY(pruning->series_names().contains(QStringLiteral("g_adv")));
    QVERIFY(!pruning->series_names().contains(QStringLiteral("macs")));
    QVERIFY(!child<gs::widgets::LiveChart>(page, "lossChart")->series_names().contains(QStringLiteral("d_loss")));
    // Curves are made, and so coloured, in the order of their names, whatever the process's hash seed.
    for (const char* name : {"lossChart", "pruningChart"}) {
      QStringList made;
      for (QAbstractSeries* s : child<gs::widgets::LiveChart>(page, name)->findChild<QChartView*>()->chart()->series())
        if (!s->name().isEmpty()) made << s->name();
      QStringList sorted = made;
      sorted.sort();
      QVERIFY2(made.size() >= 2, name);
      QCOMPARE(made, sorted);
    }
  }

  // The metrics chart's curves all end in the extractor's label: the legend names them without it and the title shows
  // it once (the four legend entries were elided to "coverage-…", "density-bu…"). Curves without a shared label, or a
  // single curve, keep their names.
  void legends_leave_a_shared_label_to_the_title() {
    gs::widgets::LiveChart chart(QStringLiteral("Precision / recall"), QStringLiteral("step"));
    QChart* c = chart.findChild<QChartView*>()->chart();
    const auto legend = [&] {
      QStringList names;
      for (QAbstractSeries* s : c->series())
        if (!s->name().isEmpty()) names << s->name();
      return names;
    };
    chart.set_series(QStringLiteral("precision-builtin@300"), {{0, 0.5}});
    QCOMPARE(legend(), QStringList{QStringLiteral("precision-builtin@300")});
    QCOMPARE(c->title(), QStringLiteral("Precision / recall"));
    chart.set_series(QStringLiteral("recall-builtin@300"), {{0, 0.2}});
    QCOMPARE(legend(), (QStringList{QStringLiteral("precision"), QStringLiteral("recall")}));
    QCOMPARE(c->title(), QStringLiteral("Precision / recall (builtin@300)"));
    QCOMPARE(chart.series_names(), (QStringList{QStringLiteral("precision-builtin@300"),
                                                QStringLiteral("recall-builtin@300")})); // data keep their names
    chart.set_series(QStringLiteral("run2: recall-inception@300"), {{0, 0.3}});          // another extractor
    QCOMPARE(legend().size(), 3);
    QVERIFY(legend().contains(QStringLiteral("run2: recall-inception@300")));
    QCOMPARE(c->title(), QStringLiteral("Precision / recall"));
    chart.clear();
    chart.set_series(QStringLiteral("g-1"), {{0, 1}});
    chart.set_series(QStringLiteral("-1"), {{0, 1}}); // nothing would be left of this one
    QCOMPARE(legend(), (QStringList{QStringLiteral("g-1"), QStringLiteral("-1")}));
  }

  // A curve of one point (a one-step run's losses, a single evaluation) draws a dot, where a line would draw nothing;
  // from its second point on it is a plain line again, smoothed or not.
  void a_lone_point_is_drawn() {
    gs::widgets::LiveChart chart(QStringLiteral("Losses"), QStringLiteral("step"));
    const auto curve = [&] {
      const QList<QAbstractSeries*> all = chart.findChild<QChartView*>()->chart()->series();
      return qobject_cast<QLineSeries*>(all.last()); // the smoothed curve, drawn over the faint raw one
    };
    chart.set_series(QStringLiteral("g"), {{1, 0.5}});
    QVERIFY(curve()->pointsVisible());
    QCOMPARE(curve()->count(), 1);
    chart.set_series(QStringLiteral("g"), {{1, 0.5}, {2, 0.4}});
    QVERIFY(!curve()->pointsVisible());
    chart.set_smoothing(0.9);
    chart.set_series(QStringLiteral("g"), {{1, 0.5}});
    QVERIFY(curve()->pointsVisible());
    // The faint raw curves behind smoothed ones stay out of the legend.
    chart.show();
    QVERIFY(QTest::qWaitForWindowExposed(&chart));
    int named = 0;
    for (QLegendMarker* m : chart.findChild<QChartView*>()->chart()->legend()->markers())
      if (m->isVisible()) {
        QVERIFY(!m->label().isEmpty());
        ++named;
      }
    QCOMPARE(named, 1);
    const auto [x, y] = axes(chart);
    QCOMPARE(x->min() + x->max(), 2.0); // the step in the middle, ticks at whole steps only
    QCOMPARE(x->tickInterval(), 1.0);
    QVERIFY(y->min() < 0.5 && y->max() > 0.5);
    chart.set_series(QStringLiteral("g"), {{0.25, 0.5}}); // seconds, say: ticks between whole numbers
    QVERIFY(x->tickInterval() < 1);
  }

  // Tick labels read apart and without exponents for steps; a curve constant to within noise is drawn flat in the
  // middle rather than stretched over the whole height under identical labels.
  void axes_label_steps_and_flat_curves_plainly() {
    gs::widgets::LiveChart chart(QStringLiteral("FD"), QStringLiteral("step"));
    const auto [x, y] = axes(chart);
    // Ticks at round values, three to six of them, each label the tick's value exactly, no two alike, no exponent.
    const auto check_ticks = [](QValueAxis* a) {
      QCOMPARE(a->tickType(), QValueAxis::TicksDynamic);
      QStringList labels;
      for (double v = std::ceil(a->min() / a->tickInterval()) * a->tickInterval(); v <= a->max();
           v += a->tickInterval()) {
        labels << QString::asprintf(a->labelFormat().toLatin1().constData(), v);
        QVERIFY2(std::abs(labels.back().toDouble() - v) < 1e-6 * a->tickInterval(), qPrintable(labels.back()));
      }
      const QString all = labels.join(QLatin1Char(' '));
      QVERIFY2(labels.size() >= 3 && labels.size() <= 6, qPrintable(all));
      QVERIFY2(labels.removeDuplicates() == 0, qPrintable(all));
      QVERIFY2(!all.contains(QLatin1Char('e')), qPrintable(all));
    };
    chart.set_series(QStringLiteral("fd"), {{0, 1252.7640}, {1000, 1252.7649}, {2000, 1252.7644}});
    QCOMPARE(x->min(), 0.0);
    QCOMPARE(x->max(), 2000.0);
    QVERIFY2(y->max() - y->min() > 10, qPrintable(QStringLiteral("%1 .. %2").arg(y->min()).arg(y->max())));
    QCOMPARE((y->min() + y->max()) / 2, 1252.76445);
    check_ticks(x);
    check_ticks(y);
    chart.set_series(QStringLiteral("fd"), {{0, 726.3}, {250, 590.1}, {1000, 201.6}}); // a real curve fills the chart
    QVERIFY(y->min() > 170 && y->max() < 760);
    check_ticks(x);
    check_ticks(y);
    chart.set_series(QStringLiteral("fd"), {{0, 100}, {10, 109}}); // ticks 2.5 apart: 102.5 needs a fourth digit
    QCOMPARE(y->tickInterval(), 2.5);
    check_ticks(y);
    chart.set_series(QStringLiteral("fd"), {{0, 0.0012}, {10, 0.0063}});
    check_ticks(y);
    // A log axis is labelled at powers of ten only: within one decade it widens to the decade's ends.
    chart.set_series(QStringLiteral("fd"), {{1, 0.2}, {10, 0.5}});
    chart.set_log_y(true);
    auto* log = qobject_cast<QLogValueAxis*>(chart.findChild<QChartView*>()->chart()->axes(Qt::Vertical).first());
    QVERIFY(log);
    QVERIFY2(log->min() <= 0.1 + 1e-12 && log->max() >= 1 - 1e-12, qPrintable(QString::number(log->max())));
    chart.set_series(QStringLiteral("fd"), {{1, 0.2}, {10, 500}}); // several decades: left as they are
    QCOMPARE(log->min(), 0.2);
    QCOMPARE(log->max(), 500.0);
  }
};

QTEST_MAIN(TestCompressPage)
#include "test_compress_page.moc"
