// The "Log" pane: read-only, monospace, coloured by level, keeping the last few thousand lines. Lines are batched
// and written a few times a second, so a chatty worker cannot flood the GUI thread.
#pragma once
#include <QPlainTextEdit>
#include <QTimer>
#include <QVector>

namespace gs::widgets {

enum class LogLevel { Trace, Debug, Info, Warning, Error, Critical };

class LogPane : public QPlainTextEdit {
  Q_OBJECT

public:
  static constexpr int MaxLines = 5000;
  static constexpr int FlushIntervalMs = 100;

  explicit LogPane(QWidget* parent = nullptr);

public Q_SLOTS:
  // The line appears within FlushIntervalMs, together with any others appended meanwhile.
  void append_line(gs::widgets::LogLevel level, const QString& line);
  // Writes what is pending now (the timer does this on its own).
  void flush();

private:
  struct Line {
    LogLevel level;
    QString text;
  };

  QVector<Line> pending_;
  QTimer flush_timer_;
};

} // namespace gs::widgets
