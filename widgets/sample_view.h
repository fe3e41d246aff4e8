// Teacher and student sample grids side by side on the same inputs, with a caption and pixel-exact zoom; "Fit"
// follows the panes' size.
#pragma once
#include <QImage>
#include <QWidget>

#include <utility>

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

protected:
  bool eventFilter(QObject* watched, QEvent* event) override;

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

// An image-to-image run's grid of input | teacher | student triplets (square tiles, `columns` to a row, `padding`
// pixels around each, as the job writes them) as two grids: input | teacher pairs and input | student pairs. A grid
// that does not fit that layout comes back whole, with no second image.
std::pair<QImage, QImage> split_triplets(const QImage& grid, int columns, int padding = 2);

} // namespace gs::widgets
