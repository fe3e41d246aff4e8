// Sensitivity heatmap: one row per channel group, one cell per channel coloured by its score, pruned channels
// shaded, the cut line at the current sparsity; hover for details, click or drag to keep / prune by hand.
#pragma once
#include <QVector>
#include <QWidget>

namespace gs::widgets {

struct HeatmapRow {
  QString group;
  QVector<double> scores; // one per channel, higher = more important
  QVector<bool> kept;     // same length; empty = every channel kept
};

class ChannelHeatmap : public QWidget {
  Q_OBJECT

public:
  explicit ChannelHeatmap(QWidget* parent = nullptr);

  // Replaces the rows; cheap enough to call for every streamed batch of partial scores.
  void set_rows(const QVector<HeatmapRow>& rows);
  const QVector<HeatmapRow>& rows() const { return rows_; }
  // Sorted: each row's channels by descending score, so the cut line separates kept from pruned.
  void set_sorted(bool sorted);
  bool sorted() const { return sorted_; }
  // Optional caption of the colour scale ("scores normalised per group", "partial: 120 / 1000 batches").
  void set_caption(const QString& caption);

  // The channel under a widget position, or {-1, -1}.
  QPair<int, int> channel_at(const QPoint& pos) const;
  // The cell's rectangle, for tests and tooltips.
  QRectF cell_rect(int row, int channel) const;

  QSize sizeHint() const override { return {720, 360}; }
  QSize minimumSizeHint() const override { return {240, 120}; }

Q_SIGNALS:
  // The user asked for a channel to be kept (true) or pruned (false) regardless of its score.
  void channel_toggled(const QString& group, int channel, bool keep);
  // A channel was selected (e.g. for an ablation preview).
  void channel_picked(const QString& group, int channel);

protected:
  void paintEvent(QPaintEvent* event) override;
  void mousePressEvent(QMouseEvent* event) override;
  void mouseMoveEvent(QMouseEvent* event) override;
  void mouseReleaseEvent(QMouseEvent* event) override;
  bool event(QEvent* event) override;

private:
  QRectF plot_area() const;
  // Channel index shown at display slot `slot` of row `row` (identity unless sorted).
  int channel_of_slot(int row, int slot) const;
  int slot_of_channel(int row, int channel) const;
  void rebuild_orders();
  void apply_drag(const QPoint& pos);

  QVector<HeatmapRow> rows_;
  QVector<QVector<int>> order_; // per row: display slot -> channel
  bool sorted_ = false;
  QString caption_;
  bool dragging_ = false;
  bool drag_keep_ = true;
  QPair<int, int> last_drag_{-1, -1};
};

// Viridis colour of t in [0, 1].
QColor viridis(double t);

} // namespace gs::widgets
