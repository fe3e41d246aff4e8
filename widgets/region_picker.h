// Drawing a rectangular region of interest on a sample (content-aware pruning): drag to draw, as image fractions.
#pragma once
#include <QImage>
#include <QWidget>

namespace gs::widgets {

class RegionPicker : public QWidget {
  Q_OBJECT

public:
  explicit RegionPicker(QWidget* parent = nullptr);
  void set_image(const QImage& image);
  // {x0, y0, x1, y1} as fractions of the image; the centre 50% box until the user draws one.
  QRectF region() const { return region_; }
  void set_region(const QRectF& fractions);
  QSize sizeHint() const override { return {160, 160}; }

Q_SIGNALS:
  void region_changed(const QRectF& fractions);

protected:
  void paintEvent(QPaintEvent* event) override;
  void mousePressEvent(QMouseEvent* event) override;
  void mouseMoveEvent(QMouseEvent* event) override;
  void mouseReleaseEvent(QMouseEvent* event) override;

private:
  QRectF image_rect() const;
  QPointF to_fraction(const QPointF& pos) const;
  QImage image_;
  QRectF region_{0.25, 0.25, 0.5, 0.5};
  QPointF anchor_;
  bool dragging_ = false;
};

} // namespace gs::widgets
