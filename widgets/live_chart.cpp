#include "widgets/live_chart.h"

#include "core/io/axis_ticks.h"

#include <QChart>
#include <QChartView>
#include <QCheckBox>
#include <QEvent>
#include <QHBoxLayout>
#include <QLabel>
#include <QLegendMarker>
#include <QLineSeries>
#include <QLogValueAxis>
#include <QPushButton>
#include <QSlider>
#include <QVBoxLayout>
#include <QValueAxis>

#include <algorithm>
#include <cmath>
#include <limits>

namespace gs::widgets {
namespace {

QVector<QPointF> usable(const QVector<QPointF>& points, bool log_x, bool log_y) {
  QVector<QPointF> out;
  out.reserve(points.size());
  for (const QPointF& p : points)
    if (std::isfinite(p.x()) && std::isfinite(p.y()) && (!log_x || p.x() > 0) && (!log_y || p.y() > 0))
      out.push_back(p);
  return out;
}

QVector<QPointF> ema(const QVector<QPointF>& points, double weight) {
  QVector<QPointF> out;
  out.reserve(points.size());
  double s = 0;
  for (int i = 0; i < points.size(); ++i) {
    s = i == 0 ? points[i].y() : weight * s + (1 - weight) * points[i].y();
    out.push_back({points[i].x(), s});
  }
  return out;
}

// What every curve's name ends with, from a '-' on ("-builtin@300" of "precision-builtin@300" and
// "recall-builtin@300"), where two or more curves share one and each keeps a name before it; empty otherwise.
QString shared_suffix(const QStringList& names) {
  if (names.size() < 2) return {};
  QString common = names.front();
  for (const QString& n : names) {
    int k = 0;
    while (k < common.size() && k < n.size() && common[common.size() - 1 - k] == n[n.size() - 1 - k]) ++k;
    common = common.right(k);
  }
  const int dash = common.indexOf(QLatin1Char('-'));
  if (dash < 0) return {};
  common = common.mid(dash);
  for (const QString& n : names)
    if (n.size() == common.size()) return {};
  return common;
}

// The axis property that asks for whole-number ticks.
constexpr const char* kWholeTicks = "wholeTicks";

const QList<QColor>& colours() {
  static const QList<QColor> c{QColor(31, 119, 180), QColor(255, 127, 14),  QColor(44, 160, 44),
                               QColor(214, 39, 40),  QColor(148, 103, 189), QColor(140, 86, 75)};
  return c;
}

} // namespace

LiveChart::LiveChart(const QString& title, const QString& x_title, QWidget* parent)
    : QWidget(parent), chart_(new QChart), view_(new QChartView(chart_, this)), title_(title), x_title_(x_title) {
  chart_->setTitle(title);
  chart_->legend()->setAlignment(Qt::AlignBottom);
  chart_->setMargins(QMargins(4, 4, 4, 4));
  view_->setRenderHint(QPainter::Antialiasing);
  view_->setRubberBand(QChartView::RectangleRubberBand);
  view_->viewport()->installEventFilter(this);
  view_->setObjectName(QStringLiteral("chartView"));

  log_y_box_ = new QCheckBox(tr("log y"), this);
  auto* log_x_box = new QCheckBox(tr("log x"), this);
  smoothing_ = new QSlider(Qt::Horizontal, this);
  smoothing_->setRange(0, 99);
  smoothing_->setMaximumWidth(110);
  smoothing_->setToolTip(tr("EMA smoothing; the raw curve stays faint behind"));
  follow_ = new QPushButton(tr("Follow"), this);
  follow_->setToolTip(tr("Track new data again after zooming"));
  follow_->setEnabled(false);
  connect(log_y_box_, &QCheckBox::toggled, this, &LiveChart::set_log_y);
  connect(log_x_box, &QCheckBox::toggled, this, &LiveChart::set_log_x);
  connect(smoothing_, &QSlider::valueChanged, this, [this](int v) { set_smoothing(v / 100.0); });
  connect(follow_, &QPushButton::clicked, this, [this] {
    following_ = true;
    follow_->setEnabled(false);
    fit_axes();
  });

  auto* tools = new QHBoxLayout;
  tools->addWidget(log_x_box);
  tools->addWidget(log_y_box_);
  tools->addWidget(new QLabel(tr("smooth"), this));
  tools->addWidget(smoothing_);
  tools->addStretch();
  tools->addWidget(follow_);
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addWidget(view_, 1);
  layout->addLayout(tools);
  rebuild_axes();
}

void LiveChart::set_series(const QString& name, const QVector<QPointF>& points) {
  data_[name] = points;
  if (!lines_.contains(name)) {
    auto* raw = new QLineSeries;
    auto* smooth = new QLineSeries;
    smooth->setName(name);
    QColor c = colours().value(static_cast<int>(lines_.size()) % colours().size());
    smooth->setPen(QPen(c, 2));
    c.setAlpha(70);
    raw->setPen(QPen(c, 1));
    chart_->addSeries(raw);
    chart_->addSeries(smooth);
    for (QAbstractAxis* a : chart_->axes()) {
      raw->attachAxis(a);
      smooth->attachAxis(a);
    }
    lines_[name] = {raw, smooth};
    relabel();
  }
  refresh_series(name);
  if (following_) fit_axes();
}

void LiveChart::clear() {
  chart_->removeAllSeries();
  lines_.clear();
  data_.clear();
  relabel();
  following_ = true;
  follow_->setEnabled(false);
  fit_axes();
}

void LiveChart::refresh_series(const QString& name) {
  const auto [raw, smooth] = lines_.value(name);
  const QVector<QPointF> pts = usable(data_.value(name), log_x_, log_y_);
  raw->setVisible(smoothing_weight_ > 0);
  for (QLegendMarker* m : chart_->legend()->markers(raw)) m->setVisible(false); // showing a series shows its marker
  raw->replace(smoothing_weight_ > 0 ? pts : QVector<QPointF>{});
  smooth->replace(smoothing_weight_ > 0 ? ema(pts, smoothing_weight_) : pts);
  // A line needs two points: a lone one (a run's first logged step, a single evaluation) shows as a dot.
  smooth->setPointsVisible(pts.size() == 1);
}

// The legend names each curve without the suffix they all share, which the title shows once instead: the metrics
// chart's four labels were elided to "coverage-…", "density-bu…".
void LiveChart::relabel() {
  const QString suffix = shared_suffix(data_.keys());
  for (auto it = lines_.begin(); it != lines_.end(); ++it) it->second->setName(it.key().chopped(suffix.size()));
  chart_->setTitle(suffix.isEmpty() ? title_ : QStringLiteral("%1 (%2)").arg(title_, suffix.mid(1)));
}

void LiveChart::set_log_y(bool on) {
  log_y_ = on;
  if (log_y_box_->isChecked() != on) log_y_box_->setChecked(on);
  rebuild_axes();
}

void LiveChart::set_log_x(bool on) {
  log_x_ = on;
  rebuild_axes();
}

void LiveChart::set_smoothing(double weight) {
  smoothing_weight_ = std::clamp(weight, 0.0, 0.99);
  for (const QString& name : data_.keys()) refresh_series(name);
}

void LiveChart::set_y_range(double min, double max) {
  fixed_y_ = min < max;
  fixed_min_ = min;
  fixed_max_ = max;
  fit_axes();
}

QPair<double, double> LiveChart::data_y_range() const {
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  for (const auto& pts : data_)
    for (const QPointF& p : usable(pts, log_x_, log_y_)) lo = std::min(lo, p.y()), hi = std::max(hi, p.y());
  return {lo, hi};
}

QPair<double, double> LiveChart::y_range() const {
  const auto ys = chart_->axes(Qt::Vertical);
  if (ys.isEmpty()) return {0, 0};
  if (auto* v = qobject_cast<QValueAxis*>(ys.first())) return {v->min(), v->max()};
  if (auto* l = qobject_cast<QLogValueAxis*>(ys.first())) return {l->min(), l->max()};
  return {0, 0};
}

void LiveChart::set_x_title(const QString& title) {
  x_title_ = title;
  for (QAbstractAxis* a : chart_->axes(Qt::Horizontal)) a->setTitleText(title);
}

void LiveChart::rebuild_axes() {
  for (QAbstractAxis* a : chart_->axes()) {
    chart_->removeAxis(a);
    delete a;
  }
  auto make = [](bool log) -> QAbstractAxis* {
    if (log) {
      auto* a = new QLogValueAxis;
      a->setLabelFormat(QStringLiteral("%.3g"));
      return a;
    }
    auto* a = new QValueAxis;
    a->setTickType(QValueAxis::TicksDynamic);
    a->setTickAnchor(0);
    QObject::connect(a, &QValueAxis::rangeChanged, a, [a](qreal lo, qreal hi) { // also after the user zooms
      const double interval = axis::tick_interval(lo, hi, a->property(kWholeTicks).toBool());
      a->setTickInterval(interval);
      a->setLabelFormat(QStringLiteral("%.%1g").arg(axis::label_digits(lo, hi, interval)));
    });
    return a;
  };
  QAbstractAxis* x = make(log_x_);
  x->setTitleText(x_title_);
  QAbstractAxis* y = make(log_y_);
  chart_->addAxis(x, Qt::AlignBottom);
  chart_->addAxis(y, Qt::AlignLeft);
  for (QAbstractSeries* s : chart_->series()) {
    s->attachAxis(x);
    s->attachAxis(y);
  }
  for (const QString& name : data_.keys()) refresh_series(name);
  fit_axes();
}

void LiveChart::fit_axes() {
  double x0 = std::numeric_limits<double>::infinity(), x1 = -x0;
  for (const auto& pts : data_)
    for (const QPointF& p : usable(pts, log_x_, log_y_)) x0 = std::min(x0, p.x()), x1 = std::max(x1, p.x());
  auto [y0, y1] = data_y_range();
  if (fixed_y_) y0 = fixed_min_, y1 = fixed_max_;
  if (!std::isfinite(x0)) x0 = log_x_ ? 1 : 0, x1 = x0 + 1;
  if (!std::isfinite(y0)) y0 = log_y_ ? 0.1 : 0, y1 = log_y_ ? 1 : 1;
  if (x1 <= x0) { // one step, in the middle of whole steps around it
    if (log_x_)
      x0 /= 2, x1 = x0 * 4;
    else
      x0 -= 1, x1 = x0 + 2;
  }
  if (!fixed_y_)
    axis::fit_values(y0, y1, log_y_);
  else if (log_y_)
    axis::whole_decades(y0, y1);
  if (log_x_) axis::whole_decades(x0, x1);
  bool whole_x = true;
  for (const auto& pts : data_)
    for (const QPointF& p : pts) whole_x = whole_x && p.x() == std::round(p.x());
  const auto xs = chart_->axes(Qt::Horizontal), ys = chart_->axes(Qt::Vertical);
  if (!xs.isEmpty()) {
    xs.first()->setProperty(kWholeTicks, whole_x); // read when the range changes, so set first
    xs.first()->setRange(x0, x1);
  }
  if (!ys.isEmpty()) ys.first()->setRange(y0, y1);
}

bool LiveChart::eventFilter(QObject* watched, QEvent* event) {
  // A rubber-band release or a right click (zoom out) on the plot: the user took over the axes.
  if (watched == view_->viewport() && event->type() == QEvent::MouseButtonRelease) {
    following_ = false;
    follow_->setEnabled(true);
    Q_EMIT user_zoomed();
  }
  return QWidget::eventFilter(watched, event);
}

bool LiveChart::export_png(const QString& path) {
  return view_->grab().save(path, "PNG");
}

QString LiveChart::to_csv() const {
  QString out = QStringLiteral("series,x,y\n");
  for (auto it = data_.begin(); it != data_.end(); ++it)
    for (const QPointF& p : it.value())
      out += QStringLiteral("%1,%2,%3\n").arg(it.key()).arg(p.x(), 0, 'g', 10).arg(p.y(), 0, 'g', 10);
  return out;
}

} // namespace gs::widgets
