// The Compress tab: method, sparsity and objectives on the left (costs update as the slider moves); heatmap, live
// curves and teacher-vs-student samples on the right; a background engine runs scoring and compress jobs.
#pragma once
#include "app/gui/engine_messages.h"

#include <QJsonObject>
#include <QMap>
#include <QSet>
#include <QThread>
#include <QWidget>
#include <atomic>
#include <map>
#include <memory>

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QGridLayout;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QSlider;
class QSpinBox;
class QTabWidget;
class QTimer;

namespace gs::widgets {
class ChannelHeatmap;
class RegionPicker;
class LiveChart;
class SampleView;
} // namespace gs::widgets

namespace gs::jobs {
struct CompressConfig;
} // namespace gs::jobs

namespace gs::gui {

class EngineWorker;
class ProcessJob;

class CompressPage : public QWidget {
  Q_OBJECT

public:
  explicit CompressPage(QWidget* parent = nullptr);
  ~CompressPage() override;

  // Recognises the model behind a checkpoint (in the background); pruning controls enable once it is known.
  void set_model(const QString& path);
  // Follows a run directory (one a CLI job may still be writing): its curves and newest samples.
  void follow_run(const QString& run_dir);
  // Adds another run's curves to the charts, prefixed with its directory name, for comparison.
  void overlay_run(const QString& run_dir);
  // The setup as a config `ganstudio-cli compress --config` runs unchanged.
  QJsonObject config() const;
  // A saved config's settings into the form. Another model's config asks for that model first (open_model) and fills
  // the form once it is recognised. A config that does not parse, or whose model is missing, leaves the form as it is
  // and returns the reason (empty on success).
  QString load_config_file(const QString& path);
  bool busy() const { return busy_; }
  QString run_dir() const { return run_dir_; }
  void stop_and_wait();

  // What the guided tour drives.
  void choose_method(const QString& name);
  // The data the job reads (real images, or an image-to-image model's inputs): a dataset spec as the CLI takes.
  void set_data(const QString& spec);
  void set_sparsity_percent(int percent);
  void score() { start_score(); }
  void start(int steps);
  void show_view(const QString& title);

Q_SIGNALS:
  void busy_changed(bool busy);
  // The model set_model() named is recognised (methods and costs shown) or rejected.
  void model_settled();
  void open_model(const QString& path); // a loaded config is for this checkpoint
  void status(const QString& message);

private:
  QWidget* build_setup();
  QWidget* build_views();
  void on_model_ready(const ModelInfo& info);
  void on_scores(const ScoreUpdate& update);
  void on_progress(const JobProgress& p);
  void on_events(const QStringList& lines);
  void add_curves(const QVector<QJsonObject>& events, const QString& prefix);
  void sync_y_ranges(); // one y-range over every chart while sharing is on, each its own otherwise
  void clear_curves();
  void show_pruning_chart(bool on);
  void redraw_curves(); // after the x axis changed: every plotted event again
  void on_samples(qint64 step, const QImage& teacher, const QImage& student);
  void show_sample_titles(bool with_inputs); // "Input | teacher" for image-to-image, "Teacher" otherwise
  void show_followed_samples();              // followed_samples_'s grid
  void on_finished(const QString& what, bool cancelled, const QString& run_dir);
  void on_failed(const QString& what, const QString& message);
  void on_processes_finished(int code, const QString& message);
  void on_method_changed();
  void update_selection(); // kept channels and cost estimate for the current scores, sparsity and overrides
  void start_score();
  void start_compress();
  void set_busy(bool busy, const QString& what = {});
  void poll_run();
  void show_plan(const QString& scores_json);   // a run's scores and kept channels into the heatmap
  void show_config(const QString& config_json); // a run's settings into the form, when it compressed this model
  void apply_config(const jobs::CompressConfig& c);
  void save_config();
  void load_config();
  void export_student();
  void export_curves();
  void restore_settings();
  void save_settings() const;

  QThread thread_;
  EngineWorker* worker_;
  std::atomic<bool> stop_{false}, pause_{false};
  bool busy_ = false;
  ModelInfo model_;
  QVector<widgets::HeatmapRow> rows_; // scores in channel-group order
  std::map<std::string, std::map<int64_t, bool>> overrides_;
  QMap<QString, QVector<QPointF>> loss_points_, metric_points_, pruning_points_;
  QSet<QString> fd_keys_, prdc_keys_; // which metric chart each series belongs to
  struct CutCost {
    int64_t params, macs, macs_computed;
  };
  std::map<std::string, CutCost> cost_cache_; // widths (JSON) -> costs
  QString run_dir_;
  size_t follow_offset_ = 0;
  int interpolation_seed_ = 0;
  bool share_y_ = false;
  bool wall_time_ = false;                            // curves against elapsed seconds instead of steps
  QVector<QPair<QJsonObject, QString>> curve_events_; // every event plotted (with its overlay prefix), to redraw
  QString followed_;
  QJsonObject followed_samples_;                         // its last samples event
  std::unique_ptr<jobs::CompressConfig> pending_config_; // loaded for pending_model_, applied once that is recognised
  QString pending_model_;
  QTimer* follow_timer_;

  QLabel* model_summary_;
  QLabel* teacher_preview_;
  QComboBox* method_;
  QLabel* method_help_;
  widgets::RegionPicker* region_;
  QCheckBox* prune_d_;   // density: prune the discriminator too
  QComboBox* mac_count_; // learned methods: how their MAC budget counts transposed convolutions
  QSlider* sparsity_;
  QLabel* sparsity_value_;
  QComboBox* policy_;
  QSpinBox* min_width_;
  QLabel* estimate_;
  QLineEdit* data_;
  QSpinBox* score_batches_;
  QPushButton* score_button_;
  QSpinBox* steps_;
  QSpinBox* batch_;
  QDoubleSpinBox* lr_;
  QDoubleSpinBox* pixel_;
  QDoubleSpinBox* relation_;
  QDoubleSpinBox* feature_;
  QDoubleSpinBox* dgl_alpha_;
  QSpinBox* dgl_start_;
  QDoubleSpinBox* ema_;
  QSpinBox* eval_n_;
  QSpinBox* eval_every_;
  QComboBox* device_;
  QSpinBox* processes_;
  ProcessJob* process_job_;
  QLineEdit* extractor_;
  QPushButton* start_button_;
  QPushButton* pause_button_;
  QPushButton* stop_button_;
  QPushButton* interpolate_button_; // latent models only
  QProgressBar* progress_;
  QTabWidget* views_;
  widgets::ChannelHeatmap* heatmap_;
  QCheckBox* sorted_;
  widgets::LiveChart* losses_;
  widgets::LiveChart* pruning_; // a learned method's losses while it prunes; shown once it has any
  QGridLayout* curves_layout_;
  widgets::LiveChart* fd_;
  widgets::LiveChart* prdc_;
  widgets::SampleView* samples_;
};

} // namespace gs::gui
