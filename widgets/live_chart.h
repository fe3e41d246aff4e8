// A chart of named curves that grow while a job runs (Qt Charts): EMA smoothing with the raw curve faint behind it,
// log scale on either axis, axes that follow new data until the user zooms, PNG and CSV export.
#pragma once
#include <QMap>
#include <QPointF>
#include <QVector>
#include <QWidget>

class QChart;
class QChartView;
class QAbstractAxis;
class QLineSeries;
class QCheckBox;
class QSlider;
class QPushButton;

namespace gs::widgets {

class LiveChart : public QWidget {
  Q_OBJECT

public:
  LiveChart(const QString& title, const QString& x_title, QWidget* parent = nullptr);

  // Replaces a curve's points (one replace() per call: callers batch their updates).
  void set_series(const QString& name, const QVector<QPointF>& points);
  void clear();
  QStringList series_names() const { return data_.keys(); }
  QVector<QPointF> points(const QString& name) const { return data_.value(name); }

  void set_log_y(bool on);
  void set_log_x(bool on);
  // The x axis's title ("step", "seconds", ...).
  void set_x_title(const QString& title);
  // 0 = raw only; otherwise the EMA weight of the past (0.6 .. 0.99).
  void set_smoothing(double weight);
  // Fixes the y range (sharing one range across charts); an empty range returns to automatic.
  void set_y_range(double min, double max);
  QPair<double, double> data_y_range() const;
  QPair<double, double> y_range() const; // what the y axis shows now
  bool following() const { return following_; }

  bool export_png(const QString& path);
  // "series,x,y" lines for every point.
  QString to_csv() const;

Q_SIGNALS:
  void user_zoomed();

protected:
  bool eventFilter(QObject* watched, QEvent* event) override;

private:
  void rebuild_axes();
  void refresh_series(const QString& name);
  void fit_axes();
  void relabel();

  QChart* chart_;
  QChartView* view_;
  QCheckBox* log_y_box_;
  QSlider* smoothing_;
  QPushButton* follow_;
  QMap<QString, QVector<QPointF>> data_;
  QMap<QString, QPair<QLineSeries*, QLineSeries*>> lines_; // raw (faint), smoothed
  bool log_x_ = false, log_y_ = false, following_ = true;
  QString title_, x_title_;
  double smoothing_weight_ = 0.0;
  bool fixed_y_ = false;
  double fixed_min_ = 0, fixed_max_ = 1;
};

} // namespace gs::widgets
