#include "app/gui/checkpoint_loader.h"

#include "app/gui/checkpoint_worker.h"

namespace gs::gui {

CheckpointLoader::CheckpointLoader(QObject* parent) : QObject(parent), worker_(new CheckpointWorker(latest_)) {
  thread_.setObjectName(QStringLiteral("checkpoint-loader"));
  worker_->moveToThread(&thread_);
  // The worker is deleted on its own thread once the loop ends, never from the GUI thread while it may be running.
  connect(&thread_, &QThread::finished, worker_, &QObject::deleteLater);
  connect(worker_, &CheckpointWorker::loaded, this, &CheckpointLoader::on_loaded, Qt::QueuedConnection);
  connect(worker_, &CheckpointWorker::failed, this, &CheckpointLoader::on_failed, Qt::QueuedConnection);
  thread_.start();
}

CheckpointLoader::~CheckpointLoader() {
  shutdown();
}

void CheckpointLoader::shutdown() {
  if (!thread_.isRunning()) return;
  // Pending requests are moot once the window goes; a read in progress finishes and its result is dropped.
  latest_.store(latest_.load() + 1);
  thread_.quit();
  thread_.wait();
  set_busy(false);
}

void CheckpointLoader::open(const QString& path) {
  const quint64 request = latest_.load() + 1; // only the GUI thread writes latest_
  latest_.store(request);
  set_busy(true);
  CheckpointWorker* worker = worker_;
  QMetaObject::invokeMethod(
      worker, [worker, request, path] { worker->load(request, path); }, Qt::QueuedConnection);
}

void CheckpointLoader::on_loaded(quint64 request, const widgets::CheckpointView& view, qint64 elapsed_ms) {
  if (request != latest_.load()) return;
  set_busy(false);
  Q_EMIT loaded(view, elapsed_ms);
}

void CheckpointLoader::on_failed(quint64 request, const QString& path, const QString& reason) {
  if (request != latest_.load()) return;
  set_busy(false);
  Q_EMIT failed(path, reason);
}

void CheckpointLoader::set_busy(bool busy) {
  if (busy_ == busy) return;
  busy_ = busy;
  Q_EMIT busy_changed(busy);
}

} // namespace gs::gui
