// The main window end to end: loading on the worker thread, the tensor table and its filter, errors that leave the
// previous content in place, "latest wins", the log pane, recent files, drag and drop, and the command line.
#include "app/gui/main_window.h"
#include "app/gui/recent_files.h"
#include "core/resources.h"
#include "widgets/channel_heatmap.h"
#include "widgets/guide_panel.h"

#include <QAbstractItemModel>
#include <QAction>
#include <QDir>
#include <QDockWidget>
#include <QElapsedTimer>
#include <QFile>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QMessageBox>
#include <QMimeData>
#include <QPlainTextEdit>
#include <QProcess>
#include <QProgressBar>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QTabWidget>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>
#include <QTreeWidget>
#include <QUrl>
#include <algorithm>

using gs::gui::MainWindow;

namespace {

const QString state_dict = QStringLiteral(GANSTUDIO_FIXTURES "/state_dict.pt");
const QString namespace_ckpt = QStringLiteral(GANSTUDIO_FIXTURES "/namespace_ckpt.pt");
const QString malicious = QStringLiteral(GANSTUDIO_FIXTURES "/malicious.pt");
constexpr int load_timeout_ms = 20000;

// Every display string of a column, in view order.
QStringList column_texts(const QAbstractItemModel* model, int column) {
  QStringList texts;
  for (int row = 0; row < model->rowCount(); ++row) texts << model->index(row, column).data().toString();
  return texts;
}

// A float32 .npy of `count` zeros: big enough that reading it takes a noticeable moment.
bool write_npy(const QString& path, qint64 count) {
  QByteArray header =
      QStringLiteral("{'descr': '<f4', 'fortran_order': False, 'shape': (%1,), }").arg(count).toLatin1();
  while ((10 + header.size() + 1) % 64 != 0) header += ' ';
  header += '\n';
  QFile file(path);
  if (!file.open(QIODevice::WriteOnly)) return false;
  const quint16 length = static_cast<quint16>(header.size());
  file.write("\x93NUMPY\x01\x00", 8);
  file.write(reinterpret_cast<const char*>(&length), 2); // little-endian on every machine this builds for
  file.write(header);
  const QByteArray chunk(1 << 20, '\0');
  for (qint64 left = count * 4; left > 0; left -= chunk.size())
    file.write(chunk.constData(), std::min<qint64>(left, chunk.size()));
  return file.error() == QFileDevice::NoError;
}

} // namespace

class TestMainWindow : public QObject {
  Q_OBJECT

private:
  QTemporaryDir home_;
  QString garbage_;

  // Opens `path` and waits until the window reports it loaded; false on failure or timeout.
  static bool load(MainWindow& window, const QString& path) {
    QSignalSpy loaded(&window, &MainWindow::checkpoint_loaded);
    window.open_checkpoint(path);
    return loaded.wait(load_timeout_ms) || loaded.count() > 0;
  }

private Q_SLOTS:
  void initTestCase() {
    QVERIFY(home_.isValid());
    // Settings and logs of the test stay in a folder of their own, never in the user's.
    qputenv("XDG_CONFIG_HOME", home_.filePath(QStringLiteral("config")).toUtf8());
    qputenv("XDG_STATE_HOME", home_.filePath(QStringLiteral("state")).toUtf8());
    qputenv("XDG_DATA_HOME", home_.filePath(QStringLiteral("data")).toUtf8()); // the tour's runs
    QCoreApplication::setOrganizationName(QStringLiteral("GanStudioTest"));
    QCoreApplication::setApplicationName(QStringLiteral("test_main_window"));

    garbage_ = home_.filePath(QStringLiteral("not_a_checkpoint.pt"));
    QFile file(garbage_);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write("this is plain text, not a checkpoint\n");
  }

  void init() { QSettings().clear(); }

  void window_opens_empty() {
    MainWindow window;
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    QVERIFY(window.findChild<QWidget*>(QStringLiteral("modelPanel")));
    QVERIFY(window.findChild<QWidget*>(QStringLiteral("logPane")));
    auto* tabs = window.findChild<QTabWidget*>(QStringLiteral("centralTabs"));
    QVERIFY(tabs);
    QCOMPARE(tabs->count(), 3);
    QCOMPARE(tabs->tabText(0), QStringLiteral("Compress"));
    QCOMPARE(tabs->tabText(1), QStringLiteral("Tensors"));
    QCOMPARE(tabs->tabText(2), QStringLiteral("Records"));
    auto* table = window.findChild<QTableView*>(QStringLiteral("tensorTable"));
    QVERIFY(table);
    QCOMPARE(table->model()->rowCount(), 0);
    auto* progress = window.findChild<QProgressBar*>(QStringLiteral("progressBar"));
    QVERIFY(progress);
    QVERIFY(progress->isHidden());
    QVERIFY(!window.loading());
  }

  // File -> Open Demo Model lists the bundled models and opens the one picked.
  void demo_menu_opens_a_bundled_model() {
    MainWindow window;
    window.show();
    auto* demos = window.findChild<QMenu*>(QStringLiteral("demoMenu"));
    QVERIFY(demos);
    Q_EMIT demos->aboutToShow();
    QStringList names;
    for (QAction* a : demos->actions()) names << a->text();
    QVERIFY2(names.contains(QStringLiteral("dcgan-fashion-mnist.pt")), qPrintable(names.join(", ")));
    QSignalSpy loaded(&window, &MainWindow::checkpoint_loaded);
    QSignalSpy settled(&window, &MainWindow::model_settled);
    demos->actions().at(names.indexOf(QStringLiteral("dcgan-fashion-mnist.pt")))->trigger();
    QVERIFY(loaded.wait(load_timeout_ms));
    QVERIFY(loaded.takeFirst().at(0).toString().endsWith(QStringLiteral("demo/dcgan-fashion-mnist.pt")));
    // The Compress page has recognised it once model_settled arrives (what --screenshot waits for).
    QVERIFY(settled.count() == 1 || settled.wait(load_timeout_ms));
    const QString summary = window.findChild<QLabel*>(QStringLiteral("modelSummary"))->text();
    QVERIFY2(summary.startsWith(QStringLiteral("dcgan")), qPrintable(summary));
    // A demo brings its data along however it is opened: the pix2pix demo its bundled drawings, the DCGAN demo
    // Fashion-MNIST again.
    auto* data = window.findChild<QLineEdit*>(QStringLiteral("dataEdit"));
    QVERIFY(data);
    const QString dir =
        QFileInfo(QString::fromStdString(*gs::find_resource("demo/dcgan-fashion-mnist.pt"))).absolutePath();
    window.open_checkpoint(dir + QStringLiteral("/pix2pix-emoji-edges.pt"));
    QVERIFY2(data->text().endsWith(QStringLiteral("data/pix2pix-emoji-edges.pt")), qPrintable(data->text()));
    QVERIFY(loaded.wait(load_timeout_ms));
    // pix2pix has no latents: no sample preview, no latent walk.
    auto* interpolate = window.findChild<QPushButton*>(QStringLiteral("interpolateButton"));
    auto* preview = window.findChild<QLabel*>(QStringLiteral("teacherPreview"));
    settled.clear();
    QVERIFY(settled.wait(load_timeout_ms));
    QVERIFY(!interpolate->isEnabled());
    QVERIFY(preview->isHidden());
    window.open_checkpoint(dir + QStringLiteral("/dcgan-fashion-mnist.pt"));
    QCOMPARE(data->text(), QStringLiteral("fashion-mnist"));
    QVERIFY(loaded.wait(load_timeout_ms));
    QVERIFY(settled.wait(load_timeout_ms));
    QVERIFY(interpolate->isEnabled());
    QVERIFY(!preview->isHidden());
  }

  void opening_fills_tensor_table() {
    MainWindow window;
    window.show();
    auto* progress = window.findChild<QProgressBar*>(QStringLiteral("progressBar"));
    auto* recent = window.findChild<QMenu*>(QStringLiteral("recentMenu"));
    QVERIFY(!recent->isEnabled());
    QSignalSpy loaded(&window, &MainWindow::checkpoint_loaded);
    window.open_checkpoint(state_dict);
    // The call returns at once: the read happens on the loader thread while the bar shows it is busy.
    QVERIFY(window.loading());
    QVERIFY(!progress->isHidden());
    QVERIFY(loaded.wait(load_timeout_ms));
    QCOMPARE(loaded.takeFirst().at(0).toString(), state_dict);
    QVERIFY(progress->isHidden());
    QVERIFY(recent->isEnabled());

    auto* table = window.findChild<QTableView*>(QStringLiteral("tensorTable"));
    QCOMPARE(table->model()->rowCount(), 9);
    const QStringList names = column_texts(table->model(), 0);
    QVERIFY2(names.contains(QStringLiteral("conv.weight")), qPrintable(names.join(',')));
    QVERIFY(names.contains(QStringLiteral("norm.num_batches_tracked")));
    const int row = names.indexOf(QStringLiteral("conv.weight"));
    QCOMPARE(table->model()->index(row, 2).data().toString(), QStringLiteral("[8, 3, 3, 3]"));
    QCOMPARE(table->model()->index(row, 4).data().toString(), QStringLiteral("contiguous"));
    QVERIFY(window.windowTitle().contains(QStringLiteral("state_dict.pt")));
    // A plain state dict has no records: the tab is there but disabled.
    auto* tabs = window.findChild<QTabWidget*>(QStringLiteral("centralTabs"));
    QVERIFY(!tabs->isTabEnabled(2));
  }

  void elements_sort_numerically() {
    MainWindow window;
    QVERIFY(load(window, state_dict));
    auto* table = window.findChild<QTableView*>(QStringLiteral("tensorTable"));
    table->sortByColumn(3, Qt::DescendingOrder);
    // conv.weight has 216 elements, the scalar 1: as text "8" would come before "216".
    QCOMPARE(table->model()->index(0, 0).data().toString(), QStringLiteral("conv.weight"));
    QCOMPARE(table->model()->index(8, 0).data().toString(), QStringLiteral("norm.num_batches_tracked"));
  }

  void filter_narrows_rows() {
    MainWindow window;
    QVERIFY(load(window, state_dict));
    auto* table = window.findChild<QTableView*>(QStringLiteral("tensorTable"));
    auto* filter = window.findChild<QLineEdit*>(QStringLiteral("tensorFilter"));
    QVERIFY(filter);
    QTest::keyClicks(filter, QStringLiteral("NORM."));
    QCOMPARE(table->model()->rowCount(), 5);
    for (const QString& name : column_texts(table->model(), 0)) QVERIFY(name.startsWith(QStringLiteral("norm.")));
    filter->setText(QStringLiteral("int64"));
    QCOMPARE(column_texts(table->model(), 0), QStringList{QStringLiteral("norm.num_batches_tracked")});
    filter->clear();
    QCOMPARE(table->model()->rowCount(), 9);
  }

  void records_and_parts_of_a_training_checkpoint() {
    MainWindow window;
    QVERIFY(load(window, namespace_ckpt));
    auto* tabs = window.findChild<QTabWidget*>(QStringLiteral("centralTabs"));
    QVERIFY(tabs->isTabEnabled(2));
    auto* tree = window.findChild<QTreeWidget*>(QStringLiteral("recordTree"));
    QVERIFY(tree);
    QVERIFY(!tree->findItems(QStringLiteral("argparse.Namespace"), Qt::MatchExactly, 1).isEmpty());
    QVERIFY(!tree->findItems(QStringLiteral("lr"), Qt::MatchExactly | Qt::MatchRecursive, 0).isEmpty());
    QVERIFY(!tree->findItems(QStringLiteral("step"), Qt::MatchExactly | Qt::MatchRecursive, 0).isEmpty());
    auto* parts = window.findChild<QTableView*>(QStringLiteral("partsTable"));
    QVERIFY(parts);
    QCOMPARE(parts->model()->rowCount(), 2);
    QCOMPARE(column_texts(parts->model(), 0), (QStringList{QStringLiteral("g"), QStringLiteral("nested")}));
  }

  void bad_file_shows_error_and_keeps_content_data() {
    QTest::addColumn<QString>("path");
    QTest::newRow("not a checkpoint") << garbage_;
    QTest::newRow("malicious pickle") << malicious;
    QTest::newRow("missing file") << home_.filePath(QStringLiteral("missing.pt"));
  }
  void bad_file_shows_error_and_keeps_content() {
    QFETCH(QString, path);
    MainWindow window;
    window.show();
    QVERIFY(load(window, state_dict));
    auto* table = window.findChild<QTableView*>(QStringLiteral("tensorTable"));
    const int rows = table->model()->rowCount();

    QSignalSpy failed(&window, &MainWindow::checkpoint_failed);
    window.open_checkpoint(path);
    QVERIFY(failed.wait(load_timeout_ms));
    QCOMPARE(failed.takeFirst().at(0).toString(), path);

    auto* dialog = window.findChild<QMessageBox*>(QStringLiteral("errorDialog"));
    QVERIFY(dialog);
    QTRY_VERIFY(dialog->isVisible());
    QVERIFY(dialog->text().contains(QFileInfo(path).fileName()));
    QVERIFY(!dialog->informativeText().isEmpty());
    QVERIFY(window.isVisible());
    QCOMPARE(table->model()->rowCount(), rows);
    QCOMPARE(window.current_path(), state_dict);
    QVERIFY(window.windowTitle().contains(QStringLiteral("state_dict.pt")));
    auto* pane = window.findChild<QPlainTextEdit*>(QStringLiteral("logPane"));
    QTRY_VERIFY(pane->toPlainText().contains(QStringLiteral("cannot open")));
    dialog->accept();
  }

  void latest_request_wins() {
    MainWindow window;
    QSignalSpy loaded(&window, &MainWindow::checkpoint_loaded);
    QSignalSpy failed(&window, &MainWindow::checkpoint_failed);
    // Three requests in a row: only the last one may reach the window, whatever the first two do.
    window.open_checkpoint(garbage_);
    window.open_checkpoint(namespace_ckpt);
    window.open_checkpoint(state_dict);
    QVERIFY(loaded.wait(load_timeout_ms));
    QTest::qWait(300); // room for a stale result to (wrongly) arrive
    QCOMPARE(loaded.count(), 1);
    QCOMPARE(loaded.at(0).at(0).toString(), state_dict);
    QCOMPARE(failed.count(), 0);
    QVERIFY(!window.findChild<QMessageBox*>(QStringLiteral("errorDialog")));
    QCOMPARE(window.findChild<QTableView*>(QStringLiteral("tensorTable"))->model()->rowCount(), 9);
    QVERIFY(!window.loading());
  }

  void slow_load_is_superseded() {
    const QString big = home_.filePath(QStringLiteral("big.npy"));
    QVERIFY(write_npy(big, 16 << 20));
    MainWindow window;
    QSignalSpy loaded(&window, &MainWindow::checkpoint_loaded);
    window.open_checkpoint(big);
    QTest::qWait(30); // the loader thread is now inside the read
    window.open_checkpoint(state_dict);
    QVERIFY(loaded.wait(load_timeout_ms));
    QTRY_VERIFY(!window.loading());
    QTest::qWait(200);
    QCOMPARE(loaded.count(), 1);
    QCOMPARE(window.current_path(), state_dict);
  }

  void closing_during_a_load() {
    const QString big = home_.filePath(QStringLiteral("big.npy"));
    QVERIFY(QFileInfo::exists(big) || write_npy(big, 16 << 20));
    QElapsedTimer timer;
    timer.start();
    {
      MainWindow window;
      window.show();
      window.open_checkpoint(big);
      QTest::qWait(30);
      window.close(); // stops the loader thread; the read in progress finishes and is dropped
      QVERIFY(!window.loading());
    }
    QVERIFY(timer.elapsed() < load_timeout_ms);
  }

  void log_pane_receives_lines() {
    MainWindow window;
    auto* pane = window.findChild<QPlainTextEdit*>(QStringLiteral("logPane"));
    QVERIFY(pane);
    QVERIFY(pane->isReadOnly());
    QVERIFY(load(window, state_dict));
    QTRY_VERIFY(pane->toPlainText().contains(QStringLiteral("opening")));
    QTRY_VERIFY(pane->toPlainText().contains(QStringLiteral("loaded state_dict.pt: 9 tensors in")));
    QVERIFY(pane->maximumBlockCount() > 0);
  }

  void recent_files_are_kept_and_pruned() {
    {
      MainWindow window;
      QVERIFY(load(window, state_dict));
      QVERIFY(load(window, namespace_ckpt));
    }
    gs::gui::RecentFiles recent;
    QCOMPARE(recent.entries(), (QStringList{namespace_ckpt, state_dict}));
    {
      // A new window offers them in File > Open Recent, newest first.
      MainWindow window;
      auto* menu = window.findChild<QMenu*>(QStringLiteral("recentMenu"));
      QVERIFY(menu);
      QVERIFY(menu->isEnabled());
      QVERIFY(menu->actions().size() >= 2);
      QVERIFY(menu->actions().at(0)->text().contains(QStringLiteral("namespace_ckpt.pt")));
      QCOMPARE(menu->actions().at(0)->statusTip(), QDir::toNativeSeparators(namespace_ckpt));
    }

    // Files that disappeared are dropped; the list never grows past its cap.
    QStringList many{home_.filePath(QStringLiteral("gone.pt"))};
    for (int i = 0; i < 12; ++i) many << garbage_;
    QSettings().setValue(QStringLiteral("recentFiles"), many);
    QCOMPARE(recent.entries().size(), 12);
    for (int i = 0; i < 12; ++i) {
      const QString path = home_.filePath(QStringLiteral("f%1.pt").arg(i));
      QFile(path).open(QIODevice::WriteOnly);
      recent.add(path);
    }
    const QStringList entries = recent.entries();
    QCOMPARE(entries.size(), gs::gui::RecentFiles::MaxEntries);
    QCOMPARE(entries.front(), home_.filePath(QStringLiteral("f11.pt")));
  }

  void dropping_a_file_opens_it() {
    MainWindow window;
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    QMimeData mime;
    mime.setUrls({QUrl::fromLocalFile(state_dict)});
    const QPoint centre = window.rect().center();
    QDragEnterEvent enter(centre, Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QCoreApplication::sendEvent(&window, &enter);
    QVERIFY(enter.isAccepted());

    QSignalSpy loaded(&window, &MainWindow::checkpoint_loaded);
    QDropEvent drop(centre, Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QCoreApplication::sendEvent(&window, &drop);
    QVERIFY(loaded.wait(load_timeout_ms));
    QCOMPARE(window.current_path(), state_dict);

    QMimeData text;
    text.setText(QStringLiteral("just text"));
    QDragEnterEvent text_enter(centre, Qt::CopyAction, &text, Qt::LeftButton, Qt::NoModifier);
    QCoreApplication::sendEvent(&window, &text_enter);
    QVERIFY(!text_enter.isAccepted());
  }

  void command_line() {
    QProcess version;
    version.start(QStringLiteral(GANSTUDIO_GUI_EXE), {QStringLiteral("--version")});
    QVERIFY(version.waitForFinished(20000));
    QCOMPARE(version.exitCode(), 0);
    QVERIFY(version.readAllStandardOutput().startsWith("ganstudio "));

    // A checkpoint on the command line is opened, and --screenshot saves the window once it has loaded.
    const QString png = home_.filePath(QStringLiteral("window.png"));
    QProcess app;
    app.start(QStringLiteral(GANSTUDIO_GUI_EXE), {QStringLiteral("--screenshot"), png, namespace_ckpt});
    QVERIFY(app.waitForFinished(60000));
    QCOMPARE(app.exitCode(), 0);
    QImage image(png);
    QVERIFY(!image.isNull());
    QVERIFY(image.width() >= 800);
    // The log file of the run names what it loaded.
    QFile log(home_.filePath(QStringLiteral("state/ganstudio/ganstudio.log")));
    QVERIFY(log.open(QIODevice::ReadOnly));
    QVERIFY(log.readAll().contains("loaded namespace_ckpt.pt"));
  }

  // Teaching mode drives the real application: load the demo, score, prune, start fine-tuning, compare.
  void guided_tour_walks_through_the_steps() {
    MainWindow window;
    window.show();
    auto* tour = window.findChild<QAction*>(QStringLiteral("actionGuidedTour"));
    QVERIFY(tour);
    tour->trigger();
    auto* dock = window.findChild<QDockWidget*>(QStringLiteral("guideDock"));
    QVERIFY(dock->isVisible());
    auto* guide = window.findChild<gs::widgets::GuidePanel*>(QStringLiteral("guidePanel"));
    auto press = [&](int step) {
      guide->go_to(step);
      auto* b = guide->findChild<QPushButton*>(QStringLiteral("guideAction%1").arg(step));
      QVERIFY(b);
      QTest::mouseClick(b, Qt::LeftButton);
    };
    QSignalSpy loaded(&window, &MainWindow::checkpoint_loaded);
    press(gs::widgets::GuidePanel::Load);
    QVERIFY(loaded.wait(load_timeout_ms));
    QVERIFY(loaded.takeFirst().at(0).toString().endsWith(QStringLiteral("dcgan-fashion-mnist.pt")));
    auto* summary = window.findChild<QLabel*>(QStringLiteral("modelSummary"));
    QTRY_VERIFY_WITH_TIMEOUT(summary->text().startsWith(QStringLiteral("dcgan")), 20000);
    press(gs::widgets::GuidePanel::Score);
    auto* heatmap = window.findChild<gs::widgets::ChannelHeatmap*>(QStringLiteral("heatmap"));
    QTRY_VERIFY_WITH_TIMEOUT(heatmap->rows().size() == 3, 20000);
    press(gs::widgets::GuidePanel::Prune);
    QTRY_VERIFY(heatmap->sorted());
    press(gs::widgets::GuidePanel::FineTune);
    auto* progress = window.findChild<QProgressBar*>(QStringLiteral("jobProgress"));
    QTRY_VERIFY_WITH_TIMEOUT(progress->format().startsWith(QStringLiteral("finetune")), 60000);
    QTest::mouseClick(window.findChild<QPushButton*>(QStringLiteral("stopButton")), Qt::LeftButton);
    QTRY_VERIFY_WITH_TIMEOUT(progress->format().contains(QStringLiteral("stopped")), 30000);
    press(gs::widgets::GuidePanel::Compare);
    auto* views = window.findChild<QTabWidget*>(QStringLiteral("compressViews"));
    QCOMPARE(views->tabText(views->currentIndex()), QStringLiteral("Samples"));
  }
};

QTEST_MAIN(TestMainWindow)
#include "test_main_window.moc"
