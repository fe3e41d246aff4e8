// Teacher and student sample grids side by side on the same inputs, with a caption and pixel-exact zoom.
#pragma once
#include <QImage>
#include <QWidget>

class QComboBox;
class QLabel;

namespace gs::widgets {

class SampleView : public QWidget {
  Q_OBJECT

public:
  explicit SampleView(QWidget* parent = nullptr);
  // Latest wins: each call replaces both images.
  void set_images(const QImage& teacher, const QImage& student, const QString& caption);
  void clear(const QString& message);
  // Pane titles: "Teacher" / "Student" by default, "Original" / "Channel zeroed" for an ablation preview.
  void set_titles(const QString& left, const QString& right);
  QImage teacher() const { return teacher_; }
  QImage student() const { return student_; }

private:
  void refresh();
  QImage teacher_, student_;
  QLabel* caption_;
  QLabel* left_title_;
  QLabel* right_title_;
  QLabel* teacher_label_;
  QLabel* student_label_;
  QComboBox* zoom_;
};

} // namespace gs::widgets
