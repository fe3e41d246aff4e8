#include "app/gui/checkpoint_worker.h"

#include "app/gui/checkpoint_conversion.h"
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
  try {
    const auto summary = io::summarize_checkpoint(path.toStdString());
    const qint64 ms = timer.elapsed();
    log->info("loaded {}: {} tensors in {} ms", file, summary.tensors.size(), ms);
    Q_EMIT loaded(request, to_view(summary), ms);
  } catch (const std::exception& e) {
    // Anything the reader throws (IoError, c10::Error, bad_alloc) ends this load only; the application goes on.
    log->error("cannot open {}: {}", path.toStdString(), e.what());
    Q_EMIT failed(request, path, QString::fromStdString(e.what()));
  } catch (...) {
    log->error("cannot open {}: unknown error", path.toStdString());
    Q_EMIT failed(request, path, tr("unknown error"));
  }
}

} // namespace gs::gui
