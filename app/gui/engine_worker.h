// Runs core work (inspecting a model, scoring, compress jobs) on its own thread. Updates reach the window at most
// about ten times a second: scores and samples "latest wins", events batched; errors end the work with a message.
#pragma once
#include "app/gui/engine_messages.h"

#include <QElapsedTimer>
#include <QObject>
#include <atomic>

namespace gs::gui {

class EngineWorker : public QObject {
  Q_OBJECT

public:
  EngineWorker(const std::atomic<bool>& stop, const std::atomic<bool>& pause);

public Q_SLOTS:
  void inspect(const QString& path);
  // score_settings: the "score" object of a compress config ({"batches", "batch", "region", ...}) plus "seed".
  void score(const QString& path, const QString& method, const QString& score_settings_json, const QString& data);
  // Samples of the last inspected model on fixed latents, whole and with one channel zeroed.
  void ablate(const QString& group, int channel);
  // Eight steps from one seeded latent to another through the last inspected model and, when `student` names a
  // file, through that student too.
  void interpolate(const QString& student, int seed);
  // A full compress config as JSON and the run directory.
  void compress(const QString& config_json, const QString& run_dir, bool resume);

Q_SIGNALS:
  void model_ready(const gs::gui::ModelInfo& info);
  void scores(const gs::gui::ScoreUpdate& update);
  void progress(const gs::gui::JobProgress& progress);
  void events(const QStringList& json_lines);
  void samples(qint64 step, const QImage& teacher, const QImage& student);
  void ablation(const QString& group, int channel, const QImage& original, const QImage& ablated);
  void interpolation(const QImage& teacher, const QImage& student);
  void finished(const QString& what, bool cancelled, const QString& run_dir);
  // `what` is the work that failed ("inspect", "score", "compress"); the message names the problem.
  void failed(const QString& what, const QString& message);

private:
  bool due(QElapsedTimer& timer);
  QString inspected_; // path of the model ablate() works on
  const std::atomic<bool>& stop_;
  const std::atomic<bool>& pause_;
};

} // namespace gs::gui
