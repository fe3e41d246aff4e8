// Lives on the loader thread and reads checkpoints there, so a multi-second load never freezes the window.
#pragma once
#include "widgets/checkpoint_view.h"

#include <QObject>
#include <atomic>

namespace gs::gui {

class CheckpointWorker : public QObject {
  Q_OBJECT

public:
  // `latest` is the newest request id the GUI has issued: requests older than it are skipped unread.
  explicit CheckpointWorker(const std::atomic<quint64>& latest);

public Q_SLOTS:
  void load(quint64 request, const QString& path);

Q_SIGNALS:
  void loaded(quint64 request, const gs::widgets::CheckpointView& view, qint64 elapsed_ms);
  // `reason` says what is wrong without repeating the path.
  void failed(quint64 request, const QString& path, const QString& reason);

private:
  const std::atomic<quint64>& latest_;
};

} // namespace gs::gui
