#include "widgets/channel_heatmap.h"

#include <QHelpEvent>
#include <QLinearGradient>
#include <QMouseEvent>
#include <QPainter>
#include <QToolTip>

#include <algorithm>
#include <array>
#include <cmath>
#include <numeric>

namespace gs::widgets {
namespace {

constexpr int kLabelWidth = 110;
constexpr int kLegendHeight = 34;

double row_max(const HeatmapRow& r) {
  double m = 0;
  for (double v : r.scores)
    if (std::isfinite(v)) m = std::max(m, std::abs(v));
  return m;
}

bool is_kept(const HeatmapRow& r, int c) {
  return r.kept.isEmpty() || r.kept.value(c, true);
}

} // namespace

QColor viridis(double t) {
  static const std::array<std::array<double, 3>, 6> stops{{{0.267, 0.005, 0.329},
                                                           {0.254, 0.265, 0.530},
                                                           {0.164, 0.471, 0.558},
                                                           {0.134, 0.659, 0.518},
                                                           {0.478, 0.821, 0.318},
                                                           {0.993, 0.906, 0.144}}};
  t = std::clamp(std::isfinite(t) ? t : 0.0, 0.0, 1.0) * (stops.size() - 1);
  const size_t i = std::min(static_cast<size_t>(t), stops.size() - 2);
  const double f = t - static_cast<double>(i);
  auto mix = [&](int k) { return static_cast<int>(255 * (stops[i][k] * (1 - f) + stops[i + 1][k] * f)); };
  return QColor(mix(0), mix(1), mix(2));
}

ChannelHeatmap::ChannelHeatmap(QWidget* parent) : QWidget(parent) {
  setObjectName(QStringLiteral("heatmap"));
  setMouseTracking(true);
  setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Expanding);
}

void ChannelHeatmap::set_rows(const QVector<HeatmapRow>& rows) {
  rows_ = rows;
  rebuild_orders();
  update();
}

void ChannelHeatmap::set_sorted(bool sorted) {
  sorted_ = sorted;
  rebuild_orders();
  update();
}

void ChannelHeatmap::set_caption(const QString& caption) {
  caption_ = caption;
  update();
}

void ChannelHeatmap::rebuild_orders() {
  order_.resize(rows_.size());
  for (int r = 0; r < rows_.size(); ++r) {
    QVector<int>& o = order_[r];
    o.resize(rows_[r].scores.size());
    std::iota(o.begin(), o.end(), 0);
    if (sorted_) {
      const auto& s = rows_[r].scores;
      std::stable_sort(o.begin(), o.end(), [&](int a, int b) { return s[a] > s[b]; });
    }
  }
}

QRectF ChannelHeatmap::plot_area() const {
  return QRectF(kLabelWidth, 6, std::max(10, width() - kLabelWidth - 10), std::max(10, height() - kLegendHeight - 12));
}

int ChannelHeatmap::channel_of_slot(int row, int slot) const {
  return order_.value(row).value(slot, slot);
}

int ChannelHeatmap::slot_of_channel(int row, int channel) const {
  const int i = order_.value(row).indexOf(channel);
  return i < 0 ? channel : i;
}

QRectF ChannelHeatmap::cell_rect(int row, int channel) const {
  if (row < 0 || row >= rows_.size() || rows_[row].scores.isEmpty()) return {};
  const QRectF area = plot_area();
  const double h = area.height() / rows_.size();
  const double w = area.width() / rows_[row].scores.size();
  return QRectF(area.left() + slot_of_channel(row, channel) * w, area.top() + row * h, w, h);
}

QPair<int, int> ChannelHeatmap::channel_at(const QPoint& pos) const {
  const QRectF area = plot_area();
  if (rows_.isEmpty() || !area.contains(pos)) return {-1, -1};
  const int row = std::min(static_cast<int>((pos.y() - area.top()) / (area.height() / rows_.size())),
                           static_cast<int>(rows_.size()) - 1);
  const int n = rows_[row].scores.size();
  if (n == 0) return {-1, -1};
  const int slot = std::min(static_cast<int>((pos.x() - area.left()) / (area.width() / n)), n - 1);
  return {row, channel_of_slot(row, slot)};
}

void ChannelHeatmap::paintEvent(QPaintEvent*) {
  QPainter p(this);
  p.fillRect(rect(), palette().base());
  const QRectF area = plot_area();
  if (rows_.isEmpty()) {
    p.setPen(palette().color(QPalette::PlaceholderText));
    p.drawText(rect(), Qt::AlignCenter, tr("No scores yet: pick a method and press Score"));
    return;
  }
  const double h = area.height() / rows_.size();
  const QFontMetrics fm(font());
  for (int r = 0; r < rows_.size(); ++r) {
    const HeatmapRow& row = rows_[r];
    const int n = row.scores.size();
    const double top = area.top() + r * h, max = row_max(row);
    p.setPen(palette().color(QPalette::Text));
    p.drawText(QRectF(4, top, kLabelWidth - 8, h), Qt::AlignVCenter | Qt::AlignRight,
               fm.elidedText(row.group, Qt::ElideLeft, kLabelWidth - 8));
    if (n == 0) continue;
    const double w = area.width() / n;
    int kept = 0;
    for (int slot = 0; slot < n; ++slot) {
      const int c = channel_of_slot(r, slot);
      const QRectF cell(area.left() + slot * w, top, std::ceil(w), std::max(1.0, h - 2));
      p.fillRect(cell, viridis(max > 0 ? row.scores[c] / max : 0));
      if (!is_kept(row, c))
        p.fillRect(cell, QColor(0, 0, 0, 150));
      else
        ++kept;
    }
    // The cut: in sorted order kept channels come first, so one line separates them.
    if (sorted_ && kept < n) {
      const double x = area.left() + kept * w;
      p.setPen(QPen(QColor(230, 40, 40), 2));
      p.drawLine(QPointF(x, top), QPointF(x, top + h - 2));
    }
  }
  // Legend: the colour scale, normalised per group.
  const QRectF bar(area.left(), area.bottom() + 8, std::min(240.0, area.width() / 2), 10);
  QLinearGradient g(bar.topLeft(), bar.topRight());
  for (int i = 0; i <= 10; ++i) g.setColorAt(i / 10.0, viridis(i / 10.0));
  p.fillRect(bar, g);
  p.setPen(palette().color(QPalette::Text));
  p.drawText(QPointF(bar.left(), bar.bottom() + fm.ascent() + 2), tr("low"));
  p.drawText(QPointF(bar.right() - fm.horizontalAdvance(tr("high")), bar.bottom() + fm.ascent() + 2), tr("high"));
  const QString caption = caption_.isEmpty() ? tr("score / group maximum; shaded = pruned") : caption_;
  const QRectF caption_rect(bar.right() + 12, bar.top() - 4, area.right() - bar.right() - 12, 20);
  p.drawText(caption_rect, Qt::AlignLeft,
             fm.elidedText(caption, Qt::ElideRight, static_cast<int>(caption_rect.width())));
}

bool ChannelHeatmap::event(QEvent* e) {
  if (e->type() == QEvent::ToolTip) {
    auto* help = static_cast<QHelpEvent*>(e);
    const auto [r, c] = channel_at(help->pos());
    if (r < 0) {
      QToolTip::hideText();
      return true;
    }
    const HeatmapRow& row = rows_[r];
    QToolTip::showText(help->globalPos(),
                       tr("%1, channel %2\nscore %3\n%4")
                           .arg(row.group)
                           .arg(c)
                           .arg(row.scores[c], 0, 'g', 5)
                           .arg(is_kept(row, c) ? tr("kept") : tr("pruned")),
                       this);
    return true;
  }
  return QWidget::event(e);
}

void ChannelHeatmap::mousePressEvent(QMouseEvent* e) {
  const auto [r, c] = channel_at(e->position().toPoint());
  if (r < 0) return;
  if (e->button() == Qt::RightButton) {
    Q_EMIT channel_picked(rows_[r].group, c);
    return;
  }
  if (e->button() != Qt::LeftButton) return;
  dragging_ = true;
  drag_keep_ = !is_kept(rows_[r], c); // the first cell decides what the whole drag does
  last_drag_ = {-1, -1};
  apply_drag(e->position().toPoint());
}

void ChannelHeatmap::mouseMoveEvent(QMouseEvent* e) {
  if (dragging_) apply_drag(e->position().toPoint());
}

void ChannelHeatmap::mouseReleaseEvent(QMouseEvent*) {
  dragging_ = false;
}

void ChannelHeatmap::apply_drag(const QPoint& pos) {
  const auto cell = channel_at(pos);
  if (cell.first < 0 || cell == last_drag_) return;
  last_drag_ = cell;
  HeatmapRow& row = rows_[cell.first];
  if (row.kept.isEmpty()) row.kept = QVector<bool>(row.scores.size(), true);
  if (row.kept[cell.second] == drag_keep_) return;
  row.kept[cell.second] = drag_keep_;
  update();
  Q_EMIT channel_toggled(row.group, cell.second, drag_keep_);
}

} // namespace gs::widgets
