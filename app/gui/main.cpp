// ganstudio: the desktop application. `ganstudio [checkpoint]` opens the window, with the checkpoint if one is given.
#include "app/gui/main_window.h"
#include "core/log.h"
#include "ganstudio/version.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QDir>
#include <QFileInfo>
#include <QTimer>

namespace {

// --screenshot PATH (hidden): once the window has settled, and the checkpoint has loaded or failed, save the window
// as an image and quit. Used for documentation and to look at the window on machines without a screen.
void arm_screenshot(gs::gui::MainWindow& window, const QString& path, bool wait_for_load) {
  auto take = [&window, path] {
    // A short delay lets queued log lines and layout updates land before the grab.
    QTimer::singleShot(400, &window, [&window, path] {
      const bool saved = window.grab().save(path);
      if (saved)
        gs::log::get("app")->info("screenshot: {}", path.toStdString());
      else
        gs::log::get("app")->error("cannot write screenshot {}", path.toStdString());
      QApplication::exit(saved ? 0 : 1);
    });
  };
  if (wait_for_load) {
    QObject::connect(&window, &gs::gui::MainWindow::checkpoint_loaded, &window, take);
    QObject::connect(&window, &gs::gui::MainWindow::checkpoint_failed, &window, take);
  } else {
    take();
  }
}

} // namespace

int main(int argc, char** argv) {
  QApplication app(argc, argv);
  QApplication::setOrganizationName(QStringLiteral("GanStudio"));
  QApplication::setApplicationName(QStringLiteral("ganstudio"));
  QApplication::setApplicationVersion(QStringLiteral(GANSTUDIO_VERSION));
  QGuiApplication::setDesktopFileName(QStringLiteral("ganstudio"));

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
  parser.addOption(screenshot);
  parser.process(app);
  const QStringList positional = parser.positionalArguments();
  if (positional.size() > 1) {
    // process() exits with the usage message; showHelp does the same with a status of its own.
    qWarning("ganstudio: only one checkpoint can be opened at a time");
    parser.showHelp(2);
  }

  // Warnings still reach a terminal the application was started from.
  gs::log::log_to_stderr(spdlog::level::warn);

  gs::gui::MainWindow window;
  if (parser.isSet(screenshot)) {
    window.resize(1280, 800); // independent of the size saved by the last session
    arm_screenshot(window, parser.value(screenshot), !positional.isEmpty());
  }
  window.show();

  const std::string log_file = gs::log::default_log_file();
  if (gs::log::log_to_file(log_file)) gs::log::get("app")->info("log file: {}", log_file);
  if (!positional.isEmpty()) window.open_checkpoint(QFileInfo(positional.front()).absoluteFilePath());

  return QApplication::exec();
}
