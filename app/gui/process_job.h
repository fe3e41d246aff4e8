// A compress job run by ganstudio-cli in data-parallel processes (`--nproc N`), which the page follows through its
// run directory like any other. Stop asks the launcher, which passes it on to every rank; they stop at the same step
// after a checkpoint.
#pragma once
#include <QObject>
#include <QProcess>
#include <QString>

namespace gs::gui {

class ProcessJob : public QObject {
  Q_OBJECT
public:
  explicit ProcessJob(QObject* parent = nullptr);
  ~ProcessJob() override;

  // Writes `config_json` beside `run_dir` (as RUN.json) and starts `ganstudio-cli compress` on it in `processes`
  // processes. Returns false with `error` set when the config cannot be written or the CLI is not found.
  bool start(const QByteArray& config_json, const QString& run_dir, int processes, QString* error);
  void stop();
  bool running() const { return process_.state() != QProcess::NotRunning; }
  // The ganstudio-cli beside this executable (build tree and installed package alike).
  static QString cli_path();

Q_SIGNALS:
  // code 0: done; 130: stopped; otherwise `message` is the CLI's last error line.
  void finished(int code, const QString& message);

private:
  QProcess process_;
  QByteArray errors_;
};

} // namespace gs::gui
