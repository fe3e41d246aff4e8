#include "app/gui/checkpoint_worker.h"

#include "app/gui/checkpoint_conversion.h"
#include "core/io/io_error.h"
#include "core/log.h"

#include <QElapsedTimer>
#include <QFileInfo>
#include <exception>

namespace gs::gui {

CheckpointWorker::CheckpointWorker(const std::atomic<quint64>& latest) : latest_(latest) {}

void CheckpointWorker::load(quint64 request, const QString& path) {
  // The core cannot be interrupted mid-read, but a request that was already superseded need not start at all.
  if (request < latest_.load()) return;
  auto log = gs::log::get("app");
  const std::string file = QFileInfo(path).fileName().toStdString();
  QElapsedTimer timer;
  timer.start();
  QString reason;
  try {
    const auto summary = io::summarize_checkpoint(path.toStdString());
    const qint64 ms = timer.elapsed();
    log->info("loaded {}: {} tensors in {} ms", file, summary.tensors.size(), ms);
    Q_EMIT loaded(request, to_view(summary), ms);
    return;
  } catch (const io::IoError& e) {
    // The path goes beside the reason in the dialog and the log; repeat the file only when it is another one.
    reason = QString::fromStdString(e.file() == path.toStdString() ? e.reason() : e.what());
  } catch (const std::exception& e) {
    // Anything else the reader throws (c10::Error, bad_alloc) ends this load only; the application goes on.
    reason = QString::fromStdString(e.what());
  } catch (...) {
    reason = tr("unknown error");
  }
  log->error("cannot open {}: {}", path.toStdString(), reason.toStdString());
  Q_EMIT failed(request, path, reason);
}

} // namespace gs::gui
