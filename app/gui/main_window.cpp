#include "app/gui/main_window.h"

#include "app/gui/checkpoint_loader.h"
#include "app/gui/compress_page.h"
#include "app/gui/qt_log_sink.h"
#include "app/gui/recent_files.h"
#include "core/log.h"
#include "core/resources.h"
#include "ganstudio/version.h"
#include "widgets/guide_panel.h"
#include "widgets/log_pane.h"
#include "widgets/model_panel.h"
#include "widgets/record_tree.h"
#include "widgets/tensor_browser.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QDir>
#include <QDockWidget>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QProgressBar>
#include <QSettings>
#include <QStatusBar>
#include <QTabWidget>

#include <optional>

namespace gs::gui {

namespace {

const QString product_name = QStringLiteral("GAN Compression Studio");
QString checkpoint_filter() {
  return QObject::tr("Checkpoints (*.pt *.pth *.ckpt *.bin *.tar *.safetensors *.npy *.pkl);;All files (*)");
}

// The first local file of a drag, or an empty string when the drag carries none.
QString dropped_file(const QMimeData* mime) {
  if (!mime || !mime->hasUrls()) return {};
  for (const QUrl& url : mime->urls())
    if (url.isLocalFile() && QFileInfo(url.toLocalFile()).isFile()) return url.toLocalFile();
  return {};
}

// The data a bundled demo model goes with, however it was opened (demo menu, command line, recent files, a dialog):
// resources/data/<same name> where that ships (the pix2pix demo's input drawings), fashion-mnist for the demos named
// after it; nothing for any other file.
std::optional<QString> demo_data(const QString& path) {
  const std::string name = QFileInfo(path).fileName().toStdString();
  const auto demo = gs::find_resource("demo/" + name);
  if (!demo || QFileInfo(QString::fromStdString(*demo)).canonicalFilePath() != QFileInfo(path).canonicalFilePath())
    return std::nullopt;
  if (const auto data = gs::find_resource("data/" + name)) return QString::fromStdString(*data);
  if (name.find("fashion-mnist") != std::string::npos) return QStringLiteral("fashion-mnist");
  return std::nullopt;
}

} // namespace

MainWindow::MainWindow(QWidget* parent)
    : QMainWindow(parent), loader_(new CheckpointLoader(this)), recent_(std::make_unique<RecentFiles>()) {
  setObjectName(QStringLiteral("mainWindow"));
  setAcceptDrops(true);
  create_central();
  create_docks();
  create_menus();
  create_status_bar();
  update_title();
  resize(1200, 760);
  restore_settings();

  // From here on everything logged anywhere (core threads included) also shows in the Log pane.
  log_sink_ = std::make_shared<QtLogSink>(log_pane_);
  log_sink_->set_level(spdlog::level::info);
  gs::log::add_sink(log_sink_);

  connect(loader_, &CheckpointLoader::loaded, this, &MainWindow::show_checkpoint);
  connect(loader_, &CheckpointLoader::failed, this, &MainWindow::show_error);
  connect(loader_, &CheckpointLoader::busy_changed, this, &MainWindow::set_busy);
  connect(compress_, &CompressPage::status, this, [this](const QString& m) { statusBar()->showMessage(m, 15000); });
  connect(compress_, &CompressPage::model_settled, this, &MainWindow::model_settled);
  connect(compress_, &CompressPage::open_model, this, &MainWindow::open_checkpoint);
}

MainWindow::~MainWindow() {
  gs::log::remove_sink(log_sink_);
  log_sink_->detach();
  loader_->shutdown();
}

void MainWindow::create_central() {
  tabs_ = new QTabWidget(this);
  tabs_->setObjectName(QStringLiteral("centralTabs"));
  tabs_->setDocumentMode(true);
  compress_ = new CompressPage(tabs_);
  tensors_ = new widgets::TensorBrowser(tabs_);
  records_ = new widgets::RecordTree(tabs_);
  tabs_->addTab(compress_, tr("Compress"));
  tabs_->addTab(tensors_, tr("Tensors"));
  tabs_->addTab(records_, tr("Records"));
  tabs_->setTabEnabled(tabs_->indexOf(records_), false);
  setCentralWidget(tabs_);
}

void MainWindow::create_docks() {
  model_panel_ = new widgets::ModelPanel(this);
  model_dock_ = new QDockWidget(tr("Model"), this);
  model_dock_->setObjectName(QStringLiteral("modelDock"));
  model_dock_->setWidget(model_panel_);
  model_dock_->setMinimumWidth(270);
  model_dock_->setAllowedAreas(Qt::LeftDockWidgetArea | Qt::RightDockWidgetArea);
  addDockWidget(Qt::LeftDockWidgetArea, model_dock_);

  log_pane_ = new widgets::LogPane(this);
  log_dock_ = new QDockWidget(tr("Log"), this);
  log_dock_->setObjectName(QStringLiteral("logDock"));
  log_dock_->setWidget(log_pane_);
  log_dock_->setAllowedAreas(Qt::BottomDockWidgetArea | Qt::TopDockWidgetArea);
  addDockWidget(Qt::BottomDockWidgetArea, log_dock_);

  guide_ = new widgets::GuidePanel(this);
  guide_dock_ = new QDockWidget(tr("Guided Tour"), this);
  guide_dock_->setObjectName(QStringLiteral("guideDock"));
  guide_dock_->setWidget(guide_);
  addDockWidget(Qt::RightDockWidgetArea, guide_dock_);
  guide_dock_->hide();
  connect(guide_, &widgets::GuidePanel::action, this, &MainWindow::guide_action);

  // The side panel owns the full height; the log spans only the centre.
  setCorner(Qt::BottomLeftCorner, Qt::LeftDockWidgetArea);
  resizeDocks({model_dock_}, {300}, Qt::Horizontal);
  resizeDocks({log_dock_}, {170}, Qt::Vertical);
}

void MainWindow::create_menus() {
  QMenu* file = menuBar()->addMenu(tr("&File"));
  QAction* open = file->addAction(tr("&Open\u2026"), this, &MainWindow::choose_checkpoint);
  open->setObjectName(QStringLiteral("actionOpen"));
  open->setShortcut(QKeySequence::Open);
  recent_menu_ = file->addMenu(tr("Open &Recent"));
  recent_menu_->setObjectName(QStringLiteral("recentMenu"));
  // Rebuilt each time it opens, so files deleted meanwhile never show up.
  connect(recent_menu_, &QMenu::aboutToShow, this, &MainWindow::fill_recent_menu);
  fill_recent_menu();
  // The models bundled in resources/demo, whatever their number.
  QMenu* demos = file->addMenu(tr("Open &Demo Model"));
  demos->setObjectName(QStringLiteral("demoMenu"));
  connect(demos, &QMenu::aboutToShow, this, [this, demos] {
    demos->clear();
    if (const auto any = find_resource("demo/dcgan-fashion-mnist.pt")) {
      const QDir dir = QFileInfo(QString::fromStdString(*any)).dir();
      for (const QString& f : dir.entryList({QStringLiteral("*.pt")}, QDir::Files, QDir::Name))
        demos->addAction(f, this, [this, path = dir.filePath(f)] { open_checkpoint(path); });
    }
    if (demos->isEmpty()) demos->addAction(tr("(no demo models installed)"))->setEnabled(false);
  });
  QAction* open_run = file->addAction(tr("Open &Run Directory…"), this, [this] {
    const QString dir = QFileDialog::getExistingDirectory(this, tr("Open Run Directory"), compress_->run_dir());
    if (dir.isEmpty()) return;
    follow_run(dir);
  });
  open_run->setObjectName(QStringLiteral("actionOpenRun"));
  file->addSeparator();
  QAction* quit = file->addAction(tr("&Quit"), this, &QWidget::close);
  quit->setShortcut(QKeySequence::Quit);
  quit->setMenuRole(QAction::QuitRole);

  QMenu* view = menuBar()->addMenu(tr("&View"));
  QAction* filter = view->addAction(tr("&Filter Tensors"), this, [this] {
    tabs_->setCurrentWidget(tensors_);
    tensors_->focus_filter();
  });
  filter->setShortcut(QKeySequence::Find);
  view->addSeparator();
  view->addAction(model_dock_->toggleViewAction());
  view->addAction(log_dock_->toggleViewAction());
  view->addAction(guide_dock_->toggleViewAction());

  QMenu* help = menuBar()->addMenu(tr("&Help"));
  QAction* tour = help->addAction(tr("&Guided Tour"), this, &MainWindow::show_guide);
  tour->setObjectName(QStringLiteral("actionGuidedTour"));
  QAction* about = help->addAction(tr("&About"), this, &MainWindow::show_about);
  about->setMenuRole(QAction::AboutRole);
}

void MainWindow::create_status_bar() {
  progress_ = new QProgressBar(this);
  progress_->setObjectName(QStringLiteral("progressBar"));
  progress_->setRange(0, 0); // busy indicator: the core reports no progress for a single read
  progress_->setTextVisible(false);
  progress_->setMaximumWidth(160);
  progress_->setMaximumHeight(statusBar()->fontMetrics().height());
  progress_->hide();
  statusBar()->addPermanentWidget(progress_);
  statusBar()->showMessage(tr("Open a checkpoint with File \u2192 Open\u2026 or drop one here"));
}

void MainWindow::restore_settings() {
  QSettings settings;
  restoreGeometry(settings.value(QStringLiteral("window/geometry")).toByteArray());
  restoreState(settings.value(QStringLiteral("window/state")).toByteArray());
}

void MainWindow::save_settings() const {
  QSettings settings;
  settings.setValue(QStringLiteral("window/geometry"), saveGeometry());
  settings.setValue(QStringLiteral("window/state"), saveState());
}

void MainWindow::follow_run(const QString& run_dir) {
  tabs_->setCurrentWidget(compress_);
  compress_->follow_run(run_dir);
}

bool MainWindow::loading() const {
  return loader_->busy();
}

void MainWindow::open_checkpoint(const QString& path) {
  gs::log::get("app")->info("opening {}", QDir::toNativeSeparators(path).toStdString());
  statusBar()->showMessage(tr("Loading %1\u2026").arg(QFileInfo(path).fileName()));
  if (const auto data = demo_data(path)) compress_->set_data(*data);
  loader_->open(path);
}

void MainWindow::choose_checkpoint() {
  const QString start = current_.path.isEmpty() ? QDir::currentPath() : QFileInfo(current_.path).absolutePath();
  const QString path = QFileDialog::getOpenFileName(this, tr("Open Checkpoint"), start, checkpoint_filter());
  if (!path.isEmpty()) open_checkpoint(path);
}

void MainWindow::fill_recent_menu() {
  recent_menu_->clear();
  const QStringList entries = recent_->entries();
  for (int i = 0; i < entries.size(); ++i) {
    const QString path = entries[i];
    // &1 .. &8 as mnemonics; the full path is in the status tip.
    QAction* action = recent_menu_->addAction(QStringLiteral("&%1  %2").arg(i + 1).arg(QFileInfo(path).fileName()),
                                              this, [this, path] { open_checkpoint(path); });
    action->setStatusTip(QDir::toNativeSeparators(path));
    action->setToolTip(QDir::toNativeSeparators(path));
  }
  if (!entries.isEmpty()) recent_menu_->addSeparator();
  QAction* clear = recent_menu_->addAction(tr("Clear List"), this, [this] {
    recent_->clear();
    fill_recent_menu();
  });
  clear->setEnabled(!entries.isEmpty());
  recent_menu_->setEnabled(!entries.isEmpty());
}

void MainWindow::show_about() {
  QMessageBox::about(this, tr("About %1").arg(product_name),
                     tr("<h3>%1 %2</h3>"
                        "<p>Compress trained GAN generators by channel pruning, interactively.</p>"
                        "<p>Qt %3. The same engine runs headless as <code>ganstudio-cli</code>.</p>")
                         .arg(product_name, QStringLiteral(GANSTUDIO_VERSION), QString::fromLatin1(qVersion())));
}

void MainWindow::show_guide() {
  guide_dock_->show();
  guide_->go_to(0);
  // The tour takes its room from the centre, never from the Model panel.
  resizeDocks({model_dock_, guide_dock_}, {260, 300}, Qt::Horizontal);
}

void MainWindow::guide_action(int step) {
  tabs_->setCurrentWidget(compress_);
  switch (step) {
  case widgets::GuidePanel::Load:
    if (const auto demo = find_resource("demo/dcgan-fashion-mnist.pt"))
      open_checkpoint(QString::fromStdString(*demo));
    else
      show_error(tr("demo model"), tr("The bundled demo model is not installed."));
    break;
  case widgets::GuidePanel::Score:
    compress_->choose_method(QStringLiteral("norm"));
    compress_->show_view(tr("Heatmap"));
    compress_->score();
    break;
  case widgets::GuidePanel::Prune:
    compress_->set_sparsity_percent(50);
    compress_->show_view(tr("Heatmap"));
    break;
  case widgets::GuidePanel::FineTune:
    compress_->start(300);
    break;
  case widgets::GuidePanel::Compare:
    compress_->show_view(tr("Samples"));
    break;
  default:
    break;
  }
}

void MainWindow::show_checkpoint(const widgets::CheckpointView& view, qint64 elapsed_ms) {
  current_ = view;
  tensors_->set_tensors(view.tensors);
  records_->set_content(view.records, view.values);
  const int records_tab = tabs_->indexOf(records_);
  tabs_->setTabEnabled(records_tab, records_->has_content());
  tabs_->setTabToolTip(records_tab,
                       records_->has_content() ? QString() : tr("This checkpoint holds no records or scalar values"));
  if (!records_->has_content() && tabs_->currentWidget() == records_) tabs_->setCurrentWidget(tensors_);
  model_panel_->set_checkpoint(view);
  compress_->set_model(view.path);
  recent_->add(view.path);
  fill_recent_menu(); // a disabled menu never sends aboutToShow, so the first entry must enable it here
  update_title();
  statusBar()->showMessage(tr("Loaded %1: %2 tensors in %3 ms")
                               .arg(QFileInfo(view.path).fileName())
                               .arg(view.tensors.size())
                               .arg(elapsed_ms),
                           10000);
  Q_EMIT checkpoint_loaded(view.path);
}

void MainWindow::show_error(const QString& path, const QString& reason) {
  if (!error_dialog_) {
    error_dialog_ = new QMessageBox(this);
    error_dialog_->setObjectName(QStringLiteral("errorDialog"));
    error_dialog_->setIcon(QMessageBox::Warning);
    error_dialog_->setStandardButtons(QMessageBox::Ok);
    error_dialog_->setWindowTitle(tr("Cannot Open Checkpoint"));
    // Reasons are a sentence or two; the default width wraps them into a narrow column.
    error_dialog_->setStyleSheet(QStringLiteral("QLabel#qt_msgbox_informativelabel { min-width: 420px; }"));
  }
  error_dialog_->setText(tr("Cannot open \u201c%1\u201d.").arg(QFileInfo(path).fileName()));
  error_dialog_->setInformativeText(reason);
  error_dialog_->setDetailedText(QDir::toNativeSeparators(QFileInfo(path).absoluteFilePath()));
  // open(), not exec(): no nested event loop, so the loader and the log keep running behind the dialog.
  error_dialog_->open();

  statusBar()->showMessage(tr("Could not open %1").arg(QFileInfo(path).fileName()), 10000);
  Q_EMIT checkpoint_failed(path, reason);
}

void MainWindow::set_busy(bool busy) {
  progress_->setVisible(busy);
  if (!busy && statusBar()->currentMessage().startsWith(tr("Loading"))) statusBar()->clearMessage();
}

void MainWindow::update_title() {
  setWindowTitle(current_.path.isEmpty() ? product_name
                                         : tr("%1 \u2014 %2").arg(QFileInfo(current_.path).fileName(), product_name));
}

void MainWindow::closeEvent(QCloseEvent* event) {
  save_settings();
  compress_->stop_and_wait(); // a running job stops after its current step, leaving a checkpoint
  loader_->shutdown();
  event->accept();
}

void MainWindow::dragEnterEvent(QDragEnterEvent* event) {
  if (!dropped_file(event->mimeData()).isEmpty()) event->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent* event) {
  const QString path = dropped_file(event->mimeData());
  if (path.isEmpty()) return;
  event->acceptProposedAction();
  open_checkpoint(path);
}

} // namespace gs::gui
