// ganstudio-cli run as a user runs it, for the tests that drive the real executable.
#pragma once
#include <QProcess>
#include <QString>
#include <QStringList>

namespace gs::test {

struct CliRun {
  int code; // -1 when it crashed or timed out
  QString out, err;
};

inline CliRun run_cli(const QStringList& args, int timeout_ms = 120000) {
  QProcess p;
  p.start(GANSTUDIO_CLI, args);
  if (!p.waitForFinished(timeout_ms)) return {-1, {}, QStringLiteral("timed out")};
  return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1, QString::fromUtf8(p.readAllStandardOutput()),
          QString::fromUtf8(p.readAllStandardError())};
}

} // namespace gs::test
