// Teaching mode: a guided walk through load -> score -> prune -> fine-tune -> compare, one page per step, each with a
// plain-language explanation and a button that performs the step in the application.
#pragma once
#include <QWidget>

class QLabel;
class QPushButton;
class QStackedWidget;

namespace gs::widgets {

class GuidePanel : public QWidget {
  Q_OBJECT

public:
  enum Step { Load, Score, Prune, FineTune, Compare, StepCount };

  explicit GuidePanel(QWidget* parent = nullptr);
  int current() const;
  void go_to(int step);

Q_SIGNALS:
  // The user pressed a step's action button.
  void action(int step);

private:
  QWidget* page(Step step, const QString& title, const QString& text, const QString& button);
  QStackedWidget* pages_;
  QLabel* position_;
  QPushButton* back_;
  QPushButton* next_;
};

} // namespace gs::widgets
