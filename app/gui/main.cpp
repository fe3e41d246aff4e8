// ganstudio: the desktop application. `ganstudio [checkpoint]` opens the window, with the checkpoint if one is given.
#include "app/gui/main_window.h"
#include "core/log.h"
#include "core/runtime.h"
#include "ganstudio/version.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QDialog>
#include <QFileInfo>
#include <QPainter>
#include <QTabWidget>
#include <QTimer>
#include <cstdio>

namespace {

struct Options {
  QString checkpoint;
  QString screenshot; // hidden: save the window to this PNG once it has settled, then quit
  QString tab;        // hidden: tab to show first, by its title, at any level (for screenshots of other tabs)
  QString run;        // a run directory to follow
  bool guide = false; // start with the guided tour open
};

// --help and --version are answered without a window system, so they also work over ssh or in a container without
// a display; everything else is parsed by the QApplication, which has taken its own options (-platform, ...) out.
bool wants_text_only(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const QByteArray arg(argv[i]);
    if (arg == "-h" || arg == "--help" || arg == "-?" || arg == "--help-all" || arg == "-v" || arg == "--version")
      return true;
  }
  return false;
}

Options parse_arguments(const QCoreApplication& app) {
  QCommandLineParser parser;
  parser.setApplicationDescription(QStringLiteral(
      "GAN Compression Studio: inspect trained GAN generators and compress them by channel pruning.\n"
      "Opens torch.save checkpoints (zip and legacy), TorchScript archives, safetensors and .npy files."));
  parser.addHelpOption();
  parser.addVersionOption();
  parser.addPositionalArgument(QStringLiteral("checkpoint"), QStringLiteral("Checkpoint to open."),
                               QStringLiteral("[checkpoint]"));
  QCommandLineOption screenshot(QStringLiteral("screenshot"), QStringLiteral("Save the window to <png> and quit."),
                                QStringLiteral("png"));
  screenshot.setFlags(QCommandLineOption::HiddenFromHelp);
  QCommandLineOption tab(QStringLiteral("tab"), QStringLiteral("Show the central tab titled <name> first."),
                         QStringLiteral("name"));
  tab.setFlags(QCommandLineOption::HiddenFromHelp);
  QCommandLineOption run(QStringLiteral("run"),
                         QStringLiteral("Follow the run directory <dir> (also one a CLI job is still writing)."),
                         QStringLiteral("dir"));
  QCommandLineOption guide(QStringLiteral("guide"), QStringLiteral("Start with the guided tour open."));
  parser.addOptions({screenshot, tab, run, guide});
  parser.process(app); // exits on --help, --version and unknown options

  const QStringList positional = parser.positionalArguments();
  if (positional.size() > 1) {
    std::fprintf(stderr, "ganstudio: one checkpoint at a time, got %lld\n\n",
                 static_cast<long long>(positional.size()));
    parser.showHelp(2);
  }
  return {positional.isEmpty() ? QString() : QFileInfo(positional.front()).absoluteFilePath(), parser.value(screenshot),
          parser.value(tab), parser.value(run), parser.isSet(guide)};
}

// The window as it looks on screen, with any dialog it has open (an error message, say) painted where it stands.
QImage grab_with_dialogs(QWidget& window) {
  QImage image = window.grab().toImage();
  QPainter painter(&image);
  for (QWidget* widget : QApplication::topLevelWidgets()) {
    if (widget == &window || !widget->isVisible() || !qobject_cast<QDialog*>(widget)) continue;
    const QPoint at = window.mapFromGlobal(widget->mapToGlobal(QPoint(0, 0)));
    painter.drawPixmap(at, widget->grab());
  }
  return image;
}

void arm_screenshot(gs::gui::MainWindow& window, const QString& path, bool wait_for_load) {
  auto take = [&window, path] {
    // A short delay lets queued log lines, layouts and the error dialog land before the grab.
    QTimer::singleShot(500, &window, [&window, path] {
      const bool saved = grab_with_dialogs(window).save(path);
      if (saved)
        gs::log::get("app")->info("screenshot: {}", path.toStdString());
      else
        gs::log::get("app")->error("cannot write screenshot {}", path.toStdString());
      QApplication::exit(saved ? 0 : 1);
    });
  };
  if (wait_for_load) {
    // Loaded is not enough: the Compress page recognises the model in the background after it.
    QObject::connect(&window, &gs::gui::MainWindow::model_settled, &window, take);
    QObject::connect(&window, &gs::gui::MainWindow::checkpoint_failed, &window, take);
  } else {
    take();
  }
}

// "Compress/Curves" selects Compress among the central tabs, then Curves inside it.
void select_tab(gs::gui::MainWindow& window, const QString& path) {
  for (const QString& title : path.split(QLatin1Char('/')))
    for (QTabWidget* tabs : window.findChildren<QTabWidget*>())
      for (int i = 0; i < tabs->count(); ++i)
        if (tabs->tabText(i).compare(title, Qt::CaseInsensitive) == 0) tabs->setCurrentIndex(i);
}

} // namespace

int main(int argc, char** argv) {
  // Set before any QSettings or --version: they decide where settings live and what is printed.
  QCoreApplication::setOrganizationName(QStringLiteral("GanStudio"));
  QCoreApplication::setApplicationName(QStringLiteral("ganstudio"));
  QCoreApplication::setApplicationVersion(QStringLiteral(GANSTUDIO_VERSION));
  if (wants_text_only(argc, argv)) {
    QCoreApplication text_only(argc, argv);
    parse_arguments(text_only);
  }

  QApplication app(argc, argv);
  const Options options = parse_arguments(app);
  QGuiApplication::setDesktopFileName(QStringLiteral("ganstudio"));
  // Warnings still reach a terminal the application was started from.
  gs::log::log_to_stderr(spdlog::level::warn);
  gs::init_runtime(); // the background worker trains with every core, as the CLI does

  gs::gui::MainWindow window;
  if (!options.screenshot.isEmpty()) {
    window.resize(1280, 800); // independent of the size saved by the last session
    arm_screenshot(window, options.screenshot, !options.checkpoint.isEmpty());
  }
  window.show();

  const std::string log_file = gs::log::default_log_file();
  if (gs::log::log_to_file(log_file)) gs::log::get("app")->info("log file: {}", log_file);
  if (!options.run.isEmpty()) window.follow_run(options.run);
  if (options.guide) window.show_guide();
  if (!options.checkpoint.isEmpty()) {
    window.open_checkpoint(options.checkpoint);
    // After the load: showing a checkpoint without records moves to the Tensors tab.
    if (!options.tab.isEmpty())
      QObject::connect(&window, &gs::gui::MainWindow::checkpoint_loaded, &window,
                       [&window, tab = options.tab] { select_tab(window, tab); });
  } else if (!options.tab.isEmpty()) {
    select_tab(window, options.tab);
  }

  return QApplication::exec();
}
