#include "widgets/log_pane.h"

#include <QFontDatabase>
#include <QScrollBar>
#include <QTextBlock>
#include <QTextCharFormat>
#include <QTextCursor>

namespace gs::widgets {

namespace {

QTextCharFormat format_for(LogLevel level, const QPalette& palette) {
  QTextCharFormat format;
  switch (level) {
  case LogLevel::Trace:
  case LogLevel::Debug:
    format.setForeground(palette.brush(QPalette::PlaceholderText));
    break;
  case LogLevel::Info:
    format.setForeground(palette.brush(QPalette::Text));
    break;
  case LogLevel::Warning:
    format.setForeground(QColor(0xb3, 0x6b, 0x00));
    break;
  case LogLevel::Error:
  case LogLevel::Critical:
    format.setForeground(QColor(0xc6, 0x28, 0x28));
    format.setFontWeight(QFont::Bold);
    break;
  }
  return format;
}

} // namespace

LogPane::LogPane(QWidget* parent) : QPlainTextEdit(parent) {
  setObjectName(QStringLiteral("logPane"));
  setReadOnly(true);
  setUndoRedoEnabled(false);
  // Error lines carry long reasons; wrapped they can be read without scrolling sideways.
  setLineWrapMode(QPlainTextEdit::WidgetWidth);
  setWordWrapMode(QTextOption::WrapAtWordBoundaryOrAnywhere);
  setMaximumBlockCount(MaxLines);
  setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
  // A file dropped on the log opens as a checkpoint (the window handles it) instead of being refused here.
  setAcceptDrops(false);

  flush_timer_.setSingleShot(true);
  flush_timer_.setInterval(FlushIntervalMs);
  connect(&flush_timer_, &QTimer::timeout, this, &LogPane::flush);
}

void LogPane::append_line(LogLevel level, const QString& line) {
  // Beyond what the pane keeps, older pending lines would be dropped by the block limit anyway.
  if (pending_.size() >= MaxLines) pending_.erase(pending_.begin());
  pending_.push_back({level, line});
  if (!flush_timer_.isActive()) flush_timer_.start();
}

void LogPane::flush() {
  flush_timer_.stop();
  if (pending_.isEmpty()) return;

  // Follow the end only when the user is already there, so scrolling back to read is not interrupted.
  QScrollBar* bar = verticalScrollBar();
  const bool at_end = bar->value() == bar->maximum();

  QTextCursor cursor(document());
  cursor.beginEditBlock();
  cursor.movePosition(QTextCursor::End);
  const QPalette colours = palette();
  for (const Line& line : pending_) {
    if (!document()->isEmpty()) cursor.insertBlock();
    cursor.insertText(line.text, format_for(line.level, colours));
  }
  cursor.endEditBlock();
  pending_.clear();

  if (at_end) bar->setValue(bar->maximum());
}

} // namespace gs::widgets
