// Walks every ganstudio-cli command and every option its --help lists, with nonsense: an unknown option, stray
// words, each option without its value, each numeric option with a word. Every one must exit non-zero with one line
// on stderr that names the problem. Commands and options come from the help texts, so new ones are walked too.
#include "run_cli.h"

#include <QProcess>
#include <QRegularExpression>
#include <QtTest>

namespace {

using Run = gs::test::CliRun;

Run cli(const QStringList& args) {
  return gs::test::run_cli(args);
}

QStringList commands() {
  QStringList out;
  static const QRegularExpression line(QStringLiteral("^  ([a-z]+) {2,}"));
  for (const QString& l : cli({"--help"}).out.split('\n'))
    if (auto m = line.match(l); m.hasMatch()) out << m.captured(1);
  return out;
}

struct Option {
  QString name, value;
};

QList<Option> options(const QString& command) {
  QList<Option> out;
  static const QRegularExpression line(QStringLiteral("^  (--[a-z0-9-]+)(?: ([A-Z][A-Za-z0-9.,]*))?"));
  for (const QString& l : cli({command, "--help"}).out.split('\n'))
    if (auto m = line.match(l); m.hasMatch() && m.captured(1) != QStringLiteral("--help"))
      out.push_back({m.captured(1), m.captured(2)});
  return out;
}

// Value names the help texts use for counts, seeds, sizes and other numbers.
bool numeric(const QString& value) {
  static const QStringList names{"N", "S", "B", "K", "T", "R", "PORT", "W", "L", "C", "X", "P"};
  return names.contains(value);
}

} // namespace

class TestCliWalk : public QObject {
  Q_OBJECT
private Q_SLOTS:
  void every_command_refuses_nonsense() {
    const QStringList all = commands();
    QVERIFY2(all.size() >= 10, qPrintable(all.join(' ')));
    struct Case {
      QStringList args;
      QString must_name;
    };
    QList<Case> cases;
    for (const QString& c : all) {
      const QList<Option> opts = options(c);
      QVERIFY2(!opts.isEmpty(), qPrintable(c));
      cases.push_back({{c, "--no-such-option"}, "--no-such-option"});
      cases.push_back({{c, "nonsense", "more-nonsense", "and-more"}, {}});
      for (const Option& o : opts) {
        if (o.value.isEmpty()) continue;
        cases.push_back({{c, o.name}, o.name}); // the value is missing
        if (numeric(o.value)) cases.push_back({{c, o.name, "not-a-number"}, {}});
      }
    }
    // A few at a time: most of each run is loading LibTorch.
    QStringList failures;
    constexpr int kParallel = 4;
    for (int first = 0; first < cases.size(); first += kParallel) {
      std::vector<std::unique_ptr<QProcess>> running;
      for (int i = first; i < std::min<int>(first + kParallel, cases.size()); ++i) {
        running.push_back(std::make_unique<QProcess>());
        running.back()->start(GANSTUDIO_CLI, cases[i].args);
      }
      for (int i = first; i < first + static_cast<int>(running.size()); ++i) {
        QProcess& p = *running[i - first];
        const QString line = QStringLiteral("ganstudio-cli ") + cases[i].args.join(' ');
        if (!p.waitForFinished(60000)) {
          failures << line + QStringLiteral(": timed out");
          continue;
        }
        const int code = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
        const QString err = QString::fromUtf8(p.readAllStandardError()).trimmed();
        if (code <= 0)
          failures << line + QStringLiteral(": exit code %1").arg(code);
        else if (err.isEmpty() || err.count('\n') != 0)
          failures << line + QStringLiteral(": not one line: ") + err;
        else if (!cases[i].must_name.isEmpty() && !err.contains(cases[i].must_name))
          failures << line + ": " + err;
      }
    }
    const auto walked = cases.size();
    qInfo("%lld nonsense command lines over %lld commands", static_cast<long long>(walked),
          static_cast<long long>(all.size()));
    QVERIFY2(failures.isEmpty(), qPrintable(failures.join('\n')));
  }
};

QTEST_GUILESS_MAIN(TestCliWalk)
#include "test_cli_walk.moc"
