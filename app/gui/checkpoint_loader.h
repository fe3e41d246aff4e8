// Owns the loader thread and its worker. The GUI asks for a path and hears back only about the newest request: a
// result that arrives after a later open() is dropped ("latest wins").
#pragma once
#include "widgets/checkpoint_view.h"

#include <QObject>
#include <QThread>
#include <atomic>

namespace gs::gui {

class CheckpointWorker;

class CheckpointLoader : public QObject {
  Q_OBJECT

public:
  explicit CheckpointLoader(QObject* parent = nullptr);
  // Stops the thread; waits for a read already in progress, since the core cannot abort one.
  ~CheckpointLoader() override;

  // Starts reading `path` in the background; any earlier request still pending is forgotten.
  void open(const QString& path);
  bool busy() const { return busy_; }
  void shutdown();

Q_SIGNALS:
  void loaded(const gs::widgets::CheckpointView& view, qint64 elapsed_ms);
  void failed(const QString& path, const QString& reason);
  void busy_changed(bool busy);

private:
  void on_loaded(quint64 request, const gs::widgets::CheckpointView& view, qint64 elapsed_ms);
  void on_failed(quint64 request, const QString& path, const QString& reason);
  void set_busy(bool busy);

  QThread thread_;
  std::atomic<quint64> latest_{0}; // newest request id; written by the GUI thread only, read by the worker
  CheckpointWorker* worker_;
  bool busy_ = false;
};

} // namespace gs::gui
