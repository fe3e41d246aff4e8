#include "app/gui/process_job.h"

#include <QCoreApplication>
#include <QFile>
#include <QFileInfo>

namespace gs::gui {

ProcessJob::ProcessJob(QObject* parent) : QObject(parent) {
  process_.setProcessChannelMode(QProcess::SeparateChannels);
  connect(&process_, &QProcess::readyReadStandardError, this, [this] {
    errors_ += process_.readAllStandardError();
    errors_ = errors_.right(16384);
  });
  connect(&process_, &QProcess::finished, this, [this](int code, QProcess::ExitStatus status) {
    errors_ += process_.readAllStandardError();
    QString last;
    for (const QByteArray& line : errors_.split('\n'))
      if (line.startsWith("ganstudio-cli")) last = QString::fromUtf8(line);
    if (status != QProcess::NormalExit) code = 1, last = tr("ganstudio-cli ended abnormally");
    Q_EMIT finished(code, last.isEmpty() && code != 0 && code != 130 ? tr("exit code %1").arg(code) : last);
  });
  connect(&process_, &QProcess::errorOccurred, this, [this](QProcess::ProcessError e) {
    if (e == QProcess::FailedToStart) Q_EMIT finished(127, tr("cannot start %1").arg(cli_path()));
  });
}

ProcessJob::~ProcessJob() {
  if (!running()) return;
  stop();
  if (!process_.waitForFinished(10000)) process_.kill();
}

QString ProcessJob::cli_path() {
  return QCoreApplication::applicationDirPath() + QStringLiteral("/ganstudio-cli");
}

bool ProcessJob::start(const QByteArray& config_json, const QString& run_dir, int processes, QString* error) {
  if (!QFileInfo(cli_path()).isExecutable()) {
    *error = tr("%1 is missing: multi-process jobs run through the CLI").arg(cli_path());
    return false;
  }
  const QString config = run_dir + QStringLiteral(".json");
  QFile f(config);
  if (!f.open(QIODevice::WriteOnly) || f.write(config_json) != config_json.size()) {
    *error = tr("cannot write %1: %2").arg(config, f.errorString());
    return false;
  }
  f.close();
  errors_.clear();
  process_.start(cli_path(), {QStringLiteral("compress"), QStringLiteral("--config"), config, QStringLiteral("--out"),
                              run_dir, QStringLiteral("--nproc"), QString::number(processes)});
  return true;
}

void ProcessJob::stop() {
  if (running()) process_.terminate(); // SIGTERM: the launcher forwards it as Ctrl-C to every rank
}

} // namespace gs::gui
