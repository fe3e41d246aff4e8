#include "widgets/region_picker.h"

#include <QMouseEvent>
#include <QPainter>

#include <algorithm>

namespace gs::widgets {

RegionPicker::RegionPicker(QWidget* parent) : QWidget(parent) {
  setObjectName(QStringLiteral("regionPicker"));
  setMinimumSize(120, 120);
  setCursor(Qt::CrossCursor);
  setToolTip(tr("Drag to mark the region of interest: noise goes there while scoring"));
}

void RegionPicker::set_image(const QImage& image) {
  image_ = image;
  update();
}

void RegionPicker::set_region(const QRectF& fractions) {
  region_ = fractions.normalized() & QRectF(0, 0, 1, 1);
  update();
  Q_EMIT region_changed(region_);
}

QRectF RegionPicker::image_rect() const {
  const double side = std::min(width(), height()) - 4.0;
  return QRectF((width() - side) / 2, (height() - side) / 2, side, side);
}

QPointF RegionPicker::to_fraction(const QPointF& pos) const {
  const QRectF r = image_rect();
  return {std::clamp((pos.x() - r.left()) / r.width(), 0.0, 1.0),
          std::clamp((pos.y() - r.top()) / r.height(), 0.0, 1.0)};
}

void RegionPicker::paintEvent(QPaintEvent*) {
  QPainter p(this);
  const QRectF r = image_rect();
  p.fillRect(r, Qt::black);
  if (!image_.isNull()) p.drawImage(r, image_);
  const QRectF roi(r.left() + region_.left() * r.width(), r.top() + region_.top() * r.height(),
                   region_.width() * r.width(), region_.height() * r.height());
  p.fillRect(roi, QColor(255, 60, 60, 60));
  p.setPen(QPen(QColor(255, 60, 60), 2));
  p.drawRect(roi);
}

void RegionPicker::mousePressEvent(QMouseEvent* e) {
  dragging_ = true;
  anchor_ = to_fraction(e->position());
}

void RegionPicker::mouseMoveEvent(QMouseEvent* e) {
  if (!dragging_) return;
  region_ = QRectF(anchor_, to_fraction(e->position())).normalized();
  update();
}

void RegionPicker::mouseReleaseEvent(QMouseEvent* e) {
  if (!dragging_) return;
  dragging_ = false;
  const QRectF r = QRectF(anchor_, to_fraction(e->position())).normalized();
  set_region(r.width() > 0.02 && r.height() > 0.02 ? r : QRectF(0.25, 0.25, 0.5, 0.5));
}

} // namespace gs::widgets
