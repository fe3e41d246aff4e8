#include "app/gui/compress_page.h"

#include "app/gui/process_job.h"

#include "app/gui/engine_worker.h"
#include "core/io/json_file.h"
#include "core/jobs/compress_config.h"
#include "core/jobs/run_dir.h"
#include "core/models/cost.h"
#include "core/models/registry.h"
#include "core/prune/plan.h"
#include "core/prune/selection.h"
#include "widgets/channel_heatmap.h"
#include "widgets/live_chart.h"
#include "widgets/region_picker.h"
#include "widgets/sample_view.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDateTime>
#include <QDir>
#include <QDoubleSpinBox>
#include <QFile>
#include <QFileDialog>
#include <QFormLayout>
#include <QGroupBox>
#include <QJsonDocument>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QProgressBar>
#include <QPushButton>
#include <QScrollArea>
#include <QSettings>
#include <QSlider>
#include <QSpinBox>
#include <QSplitter>
#include <QStandardItemModel>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTimer>
#include <QVBoxLayout>

#include <cmath>
#include <filesystem>
#include <set>

namespace gs::gui {
namespace {

QString eta_text(const JobProgress& p) {
  if (p.done <= 0 || p.total <= 0 || p.done >= p.total) return {};
  const double left = p.elapsed / static_cast<double>(p.done) * static_cast<double>(p.total - p.done);
  const int s = static_cast<int>(left + 0.5);
  return QObject::tr(", ETA %1:%2").arg(s / 60).arg(s % 60, 2, 10, QLatin1Char('0'));
}

QDoubleSpinBox* real_spin(double min, double max, double value, int decimals, const char* name, QWidget* parent) {
  auto* s = new QDoubleSpinBox(parent);
  s->setRange(min, max);
  s->setDecimals(decimals);
  s->setValue(value);
  s->setObjectName(QString::fromLatin1(name));
  return s;
}

QSpinBox* int_spin(int min, int max, int value, const char* name, QWidget* parent) {
  auto* s = new QSpinBox(parent);
  s->setRange(min, max);
  s->setValue(value);
  s->setObjectName(QString::fromLatin1(name));
  return s;
}

} // namespace

CompressPage::CompressPage(QWidget* parent) : QWidget(parent), worker_(new EngineWorker(stop_, pause_)) {
  setObjectName(QStringLiteral("compressPage"));
  worker_->moveToThread(&thread_);
  connect(&thread_, &QThread::finished, worker_, &QObject::deleteLater);
  connect(worker_, &EngineWorker::model_ready, this, &CompressPage::on_model_ready);
  connect(worker_, &EngineWorker::scores, this, &CompressPage::on_scores);
  connect(worker_, &EngineWorker::progress, this, &CompressPage::on_progress);
  connect(worker_, &EngineWorker::events, this, &CompressPage::on_events);
  connect(worker_, &EngineWorker::samples, this, &CompressPage::on_samples);
  connect(worker_, &EngineWorker::interpolation, this, [this](const QImage& teacher, const QImage& student) {
    samples_->set_titles(tr("Teacher"), student.isNull() ? tr("Student (none yet)") : tr("Student"));
    samples_->set_images(teacher, student, tr("From one latent to another in eight steps"));
    views_->setCurrentIndex(2);
  });
  connect(worker_, &EngineWorker::ablation, this,
          [this](const QString& group, int channel, const QImage& original, const QImage& ablated) {
            samples_->set_titles(tr("Original"), tr("Channel %1 of %2 zeroed").arg(channel).arg(group));
            samples_->set_images(original, ablated, tr("The same latents with and without one channel"));
            views_->setCurrentIndex(2);
          });
  connect(worker_, &EngineWorker::finished, this, &CompressPage::on_finished);
  connect(worker_, &EngineWorker::failed, this, &CompressPage::on_failed);
  thread_.start();

  process_job_ = new ProcessJob(this);
  connect(process_job_, &ProcessJob::finished, this, &CompressPage::on_processes_finished);

  follow_timer_ = new QTimer(this);
  follow_timer_->setInterval(500);
  connect(follow_timer_, &QTimer::timeout, this, &CompressPage::poll_run);

  auto* split = new QSplitter(Qt::Horizontal, this);
  split->addWidget(build_setup());
  split->addWidget(build_views());
  split->setStretchFactor(1, 1);
  split->setSizes({400, 880});
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(4, 4, 4, 4);
  layout->addWidget(split);
  set_busy(false);
  restore_settings();
}

CompressPage::~CompressPage() {
  save_settings();
  stop_and_wait();
}

// Paths and choices a user sets once: data, feature extractor, device, budget.
void CompressPage::restore_settings() {
  QSettings s;
  data_->setText(s.value(QStringLiteral("compress/data"), data_->text()).toString());
  extractor_->setText(s.value(QStringLiteral("compress/extractor")).toString());
  device_->setCurrentIndex(std::max(0, device_->findData(s.value(QStringLiteral("compress/device"), "auto"))));
  steps_->setValue(s.value(QStringLiteral("compress/steps"), steps_->value()).toInt());
  batch_->setValue(s.value(QStringLiteral("compress/batch"), batch_->value()).toInt());
  processes_->setValue(s.value(QStringLiteral("compress/processes"), 1).toInt());
}

void CompressPage::save_settings() const {
  QSettings s;
  s.setValue(QStringLiteral("compress/data"), data_->text());
  s.setValue(QStringLiteral("compress/extractor"), extractor_->text());
  s.setValue(QStringLiteral("compress/device"), device_->currentData());
  s.setValue(QStringLiteral("compress/steps"), steps_->value());
  s.setValue(QStringLiteral("compress/batch"), batch_->value());
  s.setValue(QStringLiteral("compress/processes"), processes_->value());
}

void CompressPage::stop_and_wait() {
  stop_ = true;
  pause_ = false;
  thread_.quit();
  thread_.wait();
}

QWidget* CompressPage::build_setup() {
  auto* inner = new QWidget;
  auto* col = new QVBoxLayout(inner);

  auto* model_box = new QGroupBox(tr("Model"), inner);
  auto* mb = new QVBoxLayout(model_box);
  model_summary_ = new QLabel(tr("Open a generator checkpoint (File \u2192 Open) or a bundled demo."), model_box);
  model_summary_->setObjectName(QStringLiteral("modelSummary"));
  model_summary_->setWordWrap(true);
  teacher_preview_ = new QLabel(model_box);
  teacher_preview_->setObjectName(QStringLiteral("teacherPreview"));
  teacher_preview_->setAlignment(Qt::AlignCenter);
  mb->addWidget(model_summary_);
  mb->addWidget(teacher_preview_);
  col->addWidget(model_box);

  auto* prune_box = new QGroupBox(tr("Prune"), inner);
  auto* pf = new QFormLayout(prune_box);
  method_ = new QComboBox(prune_box);
  method_->setObjectName(QStringLiteral("methodCombo"));
  method_->setModel(new QStandardItemModel(method_));
  method_help_ = new QLabel(prune_box);
  method_help_->setWordWrap(true);
  method_help_->setObjectName(QStringLiteral("methodHelp"));
  region_ = new widgets::RegionPicker(prune_box);
  region_->hide();
  prune_d_ = new QCheckBox(tr("Slim the discriminator with the generator"), prune_box);
  prune_d_->setObjectName(QStringLiteral("pruneDiscriminator"));
  prune_d_->setChecked(true);
  prune_d_->setToolTip(tr("A second agent narrows the discriminator in step with the generator, so it never "
                          "overpowers it; off: the generator's agent alone against the whole discriminator"));
  prune_d_->hide();
  mac_count_ = new QComboBox(prune_box);
  mac_count_->setObjectName(QStringLiteral("macCountCombo"));
  mac_count_->addItem(tr("automatic (by input for pix2pix)"), QStringLiteral("auto"));
  mac_count_->addItem(tr("by output (papers' count)"), QStringLiteral("by_output"));
  mac_count_->addItem(tr("by input (MACs computed)"), QStringLiteral("by_input"));
  mac_count_->setToolTip(tr("How the learned method's MAC budget counts transposed convolutions: by output "
                            "pixels, as papers do, or by input pixels, the multiplications actually computed, which "
                            "latency follows. Automatic counts by input for pix2pix's U-Net, whose decoder the count "
                            "by output charges four times what it computes, and by output elsewhere"));
  sparsity_ = new QSlider(Qt::Horizontal, prune_box);
  sparsity_->setObjectName(QStringLiteral("sparsitySlider"));
  sparsity_->setRange(0, 95);
  sparsity_->setValue(50);
  sparsity_value_ = new QLabel(prune_box);
  auto* sparsity_row = new QHBoxLayout;
  sparsity_row->addWidget(sparsity_, 1);
  sparsity_row->addWidget(sparsity_value_);
  policy_ = new QComboBox(prune_box);
  policy_->setObjectName(QStringLiteral("policyCombo"));
  policy_->addItem(tr("uniform (same share per group)"), QStringLiteral("uniform"));
  policy_->addItem(tr("global threshold"), QStringLiteral("global"));
  min_width_ = int_spin(1, 4096, 1, "minWidth", prune_box);
  estimate_ = new QLabel(prune_box);
  estimate_->setObjectName(QStringLiteral("estimateLabel"));
  estimate_->setToolTip(tr("MACs count a transposed convolution by its output pixels, as papers do; computed counts "
                           "it by its input pixels, the multiplications performed, which latency follows"));
  estimate_->setWordWrap(true);
  data_ = new QLineEdit(QStringLiteral("fashion-mnist"), prune_box);
  data_->setObjectName(QStringLiteral("dataEdit"));
  data_->setToolTip(tr("Dataset: fashion-mnist, an image folder, A|B pairs or a tensor cache (.pt)"));
  score_batches_ = int_spin(0, 100000, 0, "scoreBatches", prune_box);
  score_batches_->setSpecialValueText(tr("method default"));
  score_button_ = new QPushButton(tr("Score"), prune_box);
  score_button_->setObjectName(QStringLiteral("scoreButton"));
  pf->addRow(tr("Method"), method_);
  pf->addRow(method_help_);
  pf->addRow(region_);
  pf->addRow(prune_d_);
  pf->addRow(tr("MAC budget"), mac_count_);
  pf->addRow(tr("Sparsity"), sparsity_row);
  pf->addRow(tr("Selection"), policy_);
  pf->addRow(tr("Min width"), min_width_);
  pf->addRow(estimate_);
  pf->addRow(tr("Data"), data_);
  pf->addRow(tr("Score batches"), score_batches_);
  pf->addRow(score_button_);
  col->addWidget(prune_box);

  auto* tune_box = new QGroupBox(tr("Fine-tune"), inner);
  auto* tf = new QFormLayout(tune_box);
  steps_ = int_spin(1, 10000000, 1000, "stepsSpin", tune_box);
  batch_ = int_spin(2, 4096, 16, "batchSpin", tune_box);
  lr_ = real_spin(1e-6, 1, 2e-4, 6, "lrSpin", tune_box);
  pixel_ = real_spin(0, 1000, 3, 2, "pixelWeight", tune_box);
  relation_ = real_spin(0, 1000, 30, 2, "relationWeight", tune_box);
  feature_ = real_spin(0, 1000, 0, 2, "featureWeight", tune_box);
  feature_->setToolTip(tr("Feature distillation: L1 between the student's intermediate activations and the teacher's "
                          "at the channels the student kept"));
  dgl_alpha_ = real_spin(0, 10, 0, 2, "dglAlpha", tune_box);
  dgl_start_ = int_spin(0, 10000000, 0, "dglStart", tune_box);
  ema_ = real_spin(0, 0.9999, 0.999, 4, "emaSpin", tune_box);
  eval_n_ = int_spin(8, 50000, 500, "evalN", tune_box);
  eval_every_ = int_spin(0, 1000000, 250, "evalEvery", tune_box);
  eval_every_->setSpecialValueText(tr("before and after only"));
  pixel_->setToolTip(tr("L1 between student and teacher outputs on the same inputs"));
  relation_->setToolTip(tr("Relation distillation: similarities between the samples of a batch, matched with KL"));
  dgl_alpha_->setToolTip(tr("DGL-GAN: weight of the frozen teacher discriminator's term (0 = off)"));
  tf->addRow(tr("Steps"), steps_);
  tf->addRow(tr("Batch"), batch_);
  tf->addRow(tr("Learning rate"), lr_);
  tf->addRow(tr("Pixel distillation"), pixel_);
  tf->addRow(tr("Relation distillation"), relation_);
  tf->addRow(tr("Feature distillation"), feature_);
  tf->addRow(tr("DGL-GAN \u03b1"), dgl_alpha_);
  tf->addRow(tr("DGL-GAN from step"), dgl_start_);
  tf->addRow(tr("EMA decay"), ema_);
  device_ = new QComboBox(tune_box);
  device_->setObjectName(QStringLiteral("deviceCombo"));
  device_->addItem(tr("auto (CUDA when available)"), QStringLiteral("auto"));
  device_->addItem(tr("CPU"), QStringLiteral("cpu"));
  device_->addItem(tr("CUDA"), QStringLiteral("cuda"));
  extractor_ = new QLineEdit(tune_box);
  extractor_->setObjectName(QStringLiteral("extractorEdit"));
  extractor_->setPlaceholderText(tr("built-in (labels say FD-builtin)"));
  extractor_->setToolTip(tr("The standard Inception-v3 TorchScript file gives numbers labelled FID"));
  auto* browse = new QPushButton(QStringLiteral("\u2026"), tune_box);
  browse->setMaximumWidth(32);
  connect(browse, &QPushButton::clicked, this, [this] {
    const QString f = QFileDialog::getOpenFileName(this, tr("Feature Extractor"), extractor_->text(),
                                                   tr("TorchScript (*.pt *.pth);;All files (*)"));
    if (!f.isEmpty()) extractor_->setText(f);
  });
  auto* extractor_row = new QHBoxLayout;
  extractor_row->addWidget(extractor_, 1);
  extractor_row->addWidget(browse);
  tf->addRow(tr("Eval samples"), eval_n_);
  tf->addRow(tr("Eval every"), eval_every_);
  tf->addRow(tr("Features"), extractor_row);
  tf->addRow(tr("Device"), device_);
  processes_ = int_spin(1, 64, 1, "processesSpin", tune_box);
  processes_->setToolTip(tr("Data-parallel processes on this machine (c10d, Gloo). Above 1 the job runs through "
                            "ganstudio-cli --nproc and this page follows its run directory; the batch must split "
                            "evenly and Pause is not available."));
  tf->addRow(tr("Processes"), processes_);
  auto* buttons = new QHBoxLayout;
  start_button_ = new QPushButton(tr("Start"), tune_box);
  start_button_->setObjectName(QStringLiteral("startButton"));
  pause_button_ = new QPushButton(tr("Pause"), tune_box);
  pause_button_->setObjectName(QStringLiteral("pauseButton"));
  pause_button_->setCheckable(true);
  stop_button_ = new QPushButton(tr("Stop"), tune_box);
  stop_button_->setObjectName(QStringLiteral("stopButton"));
  buttons->addWidget(start_button_);
  buttons->addWidget(pause_button_);
  buttons->addWidget(stop_button_);
  tf->addRow(buttons);
  progress_ = new QProgressBar(tune_box);
  progress_->setObjectName(QStringLiteral("jobProgress"));
  progress_->setFormat(tr("idle"));
  progress_->setValue(0);
  tf->addRow(progress_);
  auto* files = new QHBoxLayout;
  auto* load = new QPushButton(tr("Load Config\u2026"), tune_box);
  load->setObjectName(QStringLiteral("loadConfigButton"));
  auto* save = new QPushButton(tr("Save Config\u2026"), tune_box);
  auto* exp = new QPushButton(tr("Export Student\u2026"), tune_box);
  exp->setObjectName(QStringLiteral("exportButton"));
  files->addWidget(load);
  files->addWidget(save);
  files->addWidget(exp);
  tf->addRow(files);
  col->addWidget(tune_box);
  col->addStretch();

  connect(method_, &QComboBox::currentIndexChanged, this, &CompressPage::on_method_changed);
  connect(sparsity_, &QSlider::valueChanged, this, &CompressPage::update_selection);
  connect(policy_, &QComboBox::currentIndexChanged, this, &CompressPage::update_selection);
  connect(min_width_, &QSpinBox::valueChanged, this, &CompressPage::update_selection);
  connect(score_button_, &QPushButton::clicked, this, &CompressPage::start_score);
  connect(start_button_, &QPushButton::clicked, this, &CompressPage::start_compress);
  connect(pause_button_, &QPushButton::toggled, this, [this](bool on) {
    pause_ = on;
    pause_button_->setText(on ? tr("Resume") : tr("Pause"));
  });
  connect(stop_button_, &QPushButton::clicked, this, [this] {
    stop_ = true, pause_ = false;
    process_job_->stop();
  });
  connect(save, &QPushButton::clicked, this, &CompressPage::save_config);
  connect(load, &QPushButton::clicked, this, &CompressPage::load_config);
  connect(exp, &QPushButton::clicked, this, &CompressPage::export_student);

  auto* scroll = new QScrollArea;
  scroll->setWidget(inner);
  scroll->setWidgetResizable(true);
  scroll->setMinimumWidth(360);
  scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
  return scroll;
}

QWidget* CompressPage::build_views() {
  views_ = new QTabWidget;
  views_->setObjectName(QStringLiteral("compressViews"));
  auto* heat_page = new QWidget;
  auto* hl = new QVBoxLayout(heat_page);
  heatmap_ = new widgets::ChannelHeatmap(heat_page);
  sorted_ = new QCheckBox(tr("Sort each group by score (the red line is the cut)"), heat_page);
  sorted_->setObjectName(QStringLiteral("sortedCheck"));
  hl->addWidget(heatmap_, 1);
  hl->addWidget(sorted_);
  hl->addWidget(new QLabel(tr("Hover for a channel's score; click or drag to keep or prune by hand; right-click to "
                              "see the samples with that channel zeroed."),
                           heat_page));
  connect(sorted_, &QCheckBox::toggled, heatmap_, &widgets::ChannelHeatmap::set_sorted);
  connect(heatmap_, &widgets::ChannelHeatmap::channel_picked, this, [this](const QString& group, int channel) {
    if (busy_ || model_.path.isEmpty()) return;
    QMetaObject::invokeMethod(
        worker_, [w = worker_, group, channel] { w->ablate(group, channel); }, Qt::QueuedConnection);
  });
  connect(heatmap_, &widgets::ChannelHeatmap::channel_toggled, this,
          [this](const QString& group, int channel, bool keep) {
            overrides_[group.toStdString()][channel] = keep;
            update_selection();
          });
  views_->addTab(heat_page, tr("Heatmap"));

  auto* curves = new QWidget;
  auto* cl = new QGridLayout(curves);
  curves_layout_ = cl;
  losses_ = new widgets::LiveChart(tr("Losses"), tr("step"), curves);
  losses_->setObjectName(QStringLiteral("lossChart"));
  pruning_ = new widgets::LiveChart(tr("While pruning (learned methods)"), tr("pruning step"), curves);
  pruning_->setObjectName(QStringLiteral("pruningChart"));
  pruning_->hide();
  fd_ = new widgets::LiveChart(tr("Fr\u00e9chet distance"), tr("step"), curves);
  fd_->setObjectName(QStringLiteral("fdChart"));
  prdc_ = new widgets::LiveChart(tr("Precision / recall / density / coverage"), tr("step"), curves);
  prdc_->setObjectName(QStringLiteral("prdcChart"));
  auto* overlay = new QPushButton(tr("Overlay Run\u2026"), curves);
  overlay->setToolTip(tr("Add another run's curves, for comparison"));
  connect(overlay, &QPushButton::clicked, this, [this] {
    const QString dir = QFileDialog::getExistingDirectory(this, tr("Overlay Run"), run_dir_);
    if (!dir.isEmpty()) overlay_run(dir);
  });
  auto* csv = new QPushButton(tr("Export Curves (CSV)\u2026"), curves);
  connect(csv, &QPushButton::clicked, this, &CompressPage::export_curves);
  cl->addWidget(losses_, 0, 0, 1, 2);
  cl->addWidget(pruning_, 0, 1);
  auto* metrics = new QHBoxLayout; // the four metrics' legend needs the room more than the one distance's
  metrics->addWidget(fd_, 2);
  metrics->addWidget(prdc_, 3);
  cl->addLayout(metrics, 1, 0, 1, 2);
  auto* share = new QCheckBox(tr("Same y-range on every chart"), curves);
  share->setObjectName(QStringLiteral("shareYRange"));
  connect(share, &QCheckBox::toggled, this, [this](bool on) {
    share_y_ = on;
    sync_y_ranges();
  });
  auto* wall = new QCheckBox(tr("Against wall time"), curves);
  wall->setObjectName(QStringLiteral("wallTimeAxis"));
  wall->setToolTip(tr("Plot against seconds since the job started instead of training steps"));
  connect(wall, &QCheckBox::toggled, this, [this](bool on) {
    wall_time_ = on;
    for (auto* c : {losses_, fd_, prdc_}) c->set_x_title(on ? tr("seconds") : tr("step"));
    pruning_->set_x_title(on ? tr("seconds") : tr("pruning step"));
    redraw_curves();
  });
  auto* left = new QHBoxLayout;
  left->addWidget(overlay);
  left->addWidget(share);
  left->addWidget(wall);
  left->addStretch();
  cl->addLayout(left, 2, 0);
  cl->addWidget(csv, 2, 1, Qt::AlignRight);
  views_->addTab(curves, tr("Curves"));

  auto* samples_page = new QWidget;
  auto* sl = new QVBoxLayout(samples_page);
  samples_ = new widgets::SampleView(samples_page);
  auto* interpolate = interpolate_button_ = new QPushButton(tr("Latent Interpolation"), samples_page);
  interpolate->setObjectName(QStringLiteral("interpolateButton"));
  connect(interpolate, &QPushButton::clicked, this, [this] {
    if (model_.path.isEmpty() || model_.image_to_image) return;
    const QString student = run_dir_ + QStringLiteral("/student.pt");
    const QString s = QFileInfo::exists(student) ? student : QString();
    QMetaObject::invokeMethod(
        worker_, [w = worker_, s, seed = ++interpolation_seed_] { w->interpolate(s, seed); }, Qt::QueuedConnection);
  });
  sl->addWidget(samples_, 1);
  sl->addWidget(interpolate, 0, Qt::AlignRight);
  views_->addTab(samples_page, tr("Samples"));
  return views_;
}

void CompressPage::set_model(const QString& path) {
  model_summary_->setText(tr("Recognising %1\u2026").arg(QFileInfo(path).fileName()));
  QMetaObject::invokeMethod(
      worker_, [w = worker_, path] { w->inspect(path); }, Qt::QueuedConnection);
}

void CompressPage::on_model_ready(const ModelInfo& info) {
  model_ = info;
  cost_cache_.clear();
  rows_.clear();
  overrides_.clear();
  model_summary_->setText(info.summary + (info.has_discriminator ? "" : tr("; no discriminator: distillation only")));
  // What "automatic" counts for this model.
  if (const auto arch = models::arch_from_name(info.arch.toStdString()))
    mac_count_->setItemText(mac_count_->findData(QStringLiteral("auto")),
                            jobs::resolved_mac_count(jobs::LearnSettings{}, *arch) == "by_input"
                                ? tr("automatic: by input for this model")
                                : tr("automatic: by output for this model"));
  if (!info.samples.isNull())
    teacher_preview_->setPixmap(QPixmap::fromImage(info.samples)
                                    .scaledToWidth(std::min(320, info.samples.width() * 2), Qt::FastTransformation));
  else
    teacher_preview_->clear();
  teacher_preview_->setVisible(!info.samples.isNull()); // image-to-image models have no latents to sample
  interpolate_button_->setEnabled(!info.image_to_image);
  interpolate_button_->setToolTip(info.image_to_image
                                      ? tr("%1 translates images: it has no latent space to walk").arg(info.arch)
                                      : tr("Walk from one latent to another through the teacher and the last student"));
  auto* items = static_cast<QStandardItemModel*>(method_->model());
  items->clear();
  int first = -1;
  for (const MethodChoice& m : info.methods) {
    auto* item = new QStandardItem(m.label);
    item->setData(m.name, Qt::UserRole);
    item->setToolTip(m.unavailable.isEmpty() ? m.summary : tr("Not for this model: %1").arg(m.unavailable));
    item->setEnabled(m.unavailable.isEmpty());
    items->appendRow(item);
    if (first < 0 && m.unavailable.isEmpty() && m.name == QStringLiteral("l1")) first = items->rowCount() - 1;
  }
  region_->set_image(info.sample);
  method_->setCurrentIndex(std::max(first, 0));
  heatmap_->set_rows({});
  if (!followed_.isEmpty()) {
    show_plan(followed_ + QStringLiteral("/scores.json"));
    show_config(followed_ + QStringLiteral("/config.json"));
    if (!followed_samples_.isEmpty()) show_followed_samples();
  }
  if (pending_config_) {
    std::error_code ec;
    if (std::filesystem::equivalent(pending_model_.toStdString(), model_.path.toStdString(), ec))
      apply_config(*pending_config_);
    pending_config_.reset();
  }
  update_selection();
  set_busy(false);
  Q_EMIT status(tr("%1 ready to compress").arg(info.arch));
  Q_EMIT model_settled();
}

void CompressPage::set_data(const QString& spec) {
  data_->setText(spec);
}

void CompressPage::choose_method(const QString& name) {
  for (int i = 0; i < method_->count(); ++i)
    if (method_->itemData(i, Qt::UserRole).toString() == name) method_->setCurrentIndex(i);
}

void CompressPage::set_sparsity_percent(int percent) {
  sparsity_->setValue(percent);
}

void CompressPage::start(int steps) {
  steps_->setValue(steps);
  eval_every_->setValue(std::max(1, steps / 4));
  start_compress();
}

void CompressPage::show_view(const QString& title) {
  for (int i = 0; i < views_->count(); ++i)
    if (views_->tabText(i) == title) views_->setCurrentIndex(i);
  if (title == tr("Heatmap")) sorted_->setChecked(true);
}

void CompressPage::on_method_changed() {
  const int i = method_->currentIndex();
  if (i < 0 || i >= model_.methods.size()) return;
  const MethodChoice& m = model_.methods[i];
  method_help_->setText(m.unavailable.isEmpty() ? m.summary : tr("Not for this model: %1").arg(m.unavailable));
  score_button_->setEnabled(!busy_ && !m.learned);
  region_->setVisible(m.name == QStringLiteral("content") && !model_.sample.isNull());
  prune_d_->setVisible(m.name == QStringLiteral("density"));
  if (auto* form = qobject_cast<QFormLayout*>(mac_count_->parentWidget()->layout()))
    form->setRowVisible(mac_count_, m.learned);
  score_button_->setToolTip(m.learned ? tr("This method learns its channels while training: press Start") : QString());
}

void CompressPage::update_selection() {
  sparsity_value_->setText(QStringLiteral("%1%").arg(sparsity_->value()));
  if (model_.groups.isEmpty()) return;
  std::vector<models::ChannelGroup> groups;
  prune::ChannelScores scores;
  const bool scored = rows_.size() == model_.groups.size();
  for (int i = 0; i < model_.groups.size(); ++i) {
    const std::string name = model_.groups[i].toStdString();
    groups.push_back({name, model_.widths[i], {}});
    if (scored)
      scores[name] = std::vector<double>(rows_[i].scores.begin(), rows_[i].scores.end());
    else
      scores[name] = std::vector<double>(model_.widths[i], 0.0);
  }
  prune::Selection sel;
  sel.sparsity = sparsity_->value() / 100.0;
  sel.policy =
      policy_->currentData().toString() == QStringLiteral("global") ? prune::Policy::Global : prune::Policy::Uniform;
  sel.min_width = min_width_->value();
  sel.overrides = overrides_;
  try {
    const models::KeptChannels kept = prune::select_channels(groups, scores, sel);
    if (scored) {
      for (int i = 0; i < rows_.size(); ++i) {
        QVector<bool> k(model_.widths[i], false);
        for (int64_t c : kept.at(groups[i].name)) k[static_cast<int>(c)] = true;
        rows_[i].kept = k;
      }
      heatmap_->set_rows(rows_);
    }
    nlohmann::json options = nlohmann::json::parse(model_.options_json.toStdString());
    for (const auto& [name, k] : kept) options["widths"][name] = static_cast<int64_t>(k.size());
    const auto arch = models::arch_from_name(model_.arch.toStdString());
    // Counting needs the module at the new widths; the same widths come back often while the slider moves.
    const std::string key = options["widths"].dump();
    auto cached = cost_cache_.find(key);
    if (cached == cost_cache_.end()) {
      const auto g = models::build_model(*arch, options).generator;
      const models::CostReport c = g->cost();
      cached =
          cost_cache_.emplace(key, CutCost{c.params, c.macs, g->cost(models::MacConvention::TransposedByInput).macs})
              .first;
    }
    const CutCost& after = cached->second;
    const auto count = [](int64_t n) { return QString::fromStdString(models::human_count(n)); };
    const auto fewer = [](int64_t before, int64_t now) {
      return QString::number(static_cast<double>(before) / static_cast<double>(std::max<int64_t>(now, 1)), 'f', 2);
    };
    estimate_->setText(tr("Parameters %1 \u2192 %2; MACs %3 \u2192 %4 (%5\u00d7 fewer), computed %6 \u2192 %7 "
                          "(%8\u00d7 fewer)%9")
                           .arg(count(model_.params), count(after.params), count(model_.macs), count(after.macs),
                                fewer(model_.macs, after.macs), count(model_.macs_computed), count(after.macs_computed),
                                fewer(model_.macs_computed, after.macs_computed))
                           .arg(scored ? QString() : tr(" (score to see which channels)")));
    estimate_->setStyleSheet({});
  } catch (const std::exception& e) {
    estimate_->setText(QString::fromUtf8(e.what()));
    estimate_->setStyleSheet(QStringLiteral("color: #b00020"));
  }
}

QJsonObject CompressPage::config() const {
  jobs::CompressConfig c;
  c.model = model_.path.toStdString();
  c.method = method_->currentData(Qt::UserRole).toString().toStdString();
  c.selection.sparsity = sparsity_->value() / 100.0;
  c.selection.policy =
      policy_->currentData().toString() == QStringLiteral("global") ? prune::Policy::Global : prune::Policy::Uniform;
  c.selection.min_width = min_width_->value();
  c.selection.overrides = overrides_;
  c.score.batches = score_batches_->value();
  if (c.method == "content" && region_->isVisible()) {
    const QRectF r = region_->region();
    c.score.region = {r.left(), r.top(), r.right(), r.bottom()};
  }
  c.learn.prune_discriminator = prune_d_->isChecked();
  c.learn.mac_count = mac_count_->currentData().toString().toStdString();
  c.data = data_->text().toStdString();
  c.steps = steps_->value();
  c.batch = batch_->value();
  c.lr = lr_->value();
  c.objectives.pixel = pixel_->value();
  c.objectives.relation = relation_->value();
  c.objectives.feature = feature_->value();
  c.objectives.dgl_alpha = dgl_alpha_->value();
  c.objectives.dgl_start = dgl_start_->value();
  c.objectives.ema = ema_->value();
  c.objectives.adversarial_weight = model_.has_discriminator ? 1.0 : 0.0;
  c.eval_n = eval_n_->value();
  c.extractor = extractor_->text().toStdString();
  c.device = device_->currentData().toString().toStdString();
  c.eval_every = eval_every_->value();
  c.sample_every = std::max(1, steps_->value() / 20);
  c.checkpoint_every = std::max(1, steps_->value() / 10);
  return QJsonDocument::fromJson(QByteArray::fromStdString(jobs::to_json(c).dump())).object();
}

void CompressPage::start_score() {
  if (model_.path.isEmpty() || busy_) return;
  const QString method = method_->currentData(Qt::UserRole).toString();
  QJsonObject settings = config().value(QStringLiteral("score")).toObject();
  settings[QStringLiteral("seed")] = 0;
  const QString json = QString::fromUtf8(QJsonDocument(settings).toJson(QJsonDocument::Compact));
  set_busy(true, tr("scoring"));
  QMetaObject::invokeMethod(
      worker_, [w = worker_, p = model_.path, method, json, d = data_->text()] { w->score(p, method, json, d); },
      Qt::QueuedConnection);
}

void CompressPage::start_compress() {
  if (model_.path.isEmpty() || busy_) return;
  follow_timer_->stop();
  followed_.clear(); // this job's samples come from the worker, not from a followed directory
  const QString root = QStandardPaths::writableLocation(QStandardPaths::AppLocalDataLocation) + QStringLiteral("/runs");
  QDir().mkpath(root);
  const QString base = root + QStringLiteral("/%1-%2-s%3-%4")
                                  .arg(model_.arch, method_->currentData(Qt::UserRole).toString())
                                  .arg(sparsity_->value())
                                  .arg(QDateTime::currentDateTime().toString(QStringLiteral("yyyyMMdd-HHmmss")));
  // Two jobs started within the same second must not share a directory (the second would be refused).
  run_dir_ = base;
  for (int i = 2; QFileInfo::exists(run_dir_) || QFileInfo::exists(run_dir_ + QStringLiteral(".json")); ++i)
    run_dir_ = base + QStringLiteral("-%1").arg(i);
  clear_curves();
  if (processes_->value() > 1) {
    QString error;
    if (!process_job_->start(QJsonDocument(config()).toJson(), run_dir_, processes_->value(), &error)) {
      on_failed(QStringLiteral("compress"), error);
      return;
    }
    set_busy(true, tr("compressing in %1 processes").arg(processes_->value()));
    pause_button_->setEnabled(false);
    follow_run(run_dir_);
    return;
  }
  const QString json = QString::fromUtf8(QJsonDocument(config()).toJson(QJsonDocument::Compact));
  set_busy(true, tr("compressing"));
  views_->setCurrentIndex(1);
  QMetaObject::invokeMethod(
      worker_, [w = worker_, json, d = run_dir_] { w->compress(json, d, false); }, Qt::QueuedConnection);
}

void CompressPage::set_busy(bool busy, const QString& what) {
  busy_ = busy;
  if (busy) stop_ = false;
  const bool have_model = !model_.path.isEmpty();
  for (QWidget* w : std::initializer_list<QWidget*>{
           method_,       sparsity_, policy_, min_width_,  data_,         score_batches_, device_,  extractor_,
           score_button_, steps_,    batch_,  lr_,         pixel_,        relation_,      feature_, dgl_alpha_,
           dgl_start_,    ema_,      eval_n_, eval_every_, start_button_, processes_})
    w->setEnabled(!busy && have_model);
  if (!busy) on_method_changed();
  pause_button_->setEnabled(busy);
  stop_button_->setEnabled(busy);
  if (!busy) pause_button_->setChecked(false);
  if (busy) {
    progress_->setRange(0, 0);
    progress_->setFormat(what);
  }
  Q_EMIT busy_changed(busy);
}

void CompressPage::on_scores(const ScoreUpdate& update) {
  // Rows in the model's group order, whatever order they came in.
  QVector<widgets::HeatmapRow> rows;
  for (int i = 0; i < model_.groups.size(); ++i) {
    widgets::HeatmapRow r{model_.groups[i], QVector<double>(model_.widths[i], 0), {}};
    for (const auto& u : update.rows)
      if (u.group == r.group && u.scores.size() == r.scores.size()) r.scores = u.scores;
    rows.push_back(r);
  }
  rows_ = rows;
  heatmap_->set_caption(update.final
                            ? tr("%1 scores / group maximum; shaded = pruned").arg(update.method)
                            : tr("%1: partial, %2 / %3 batches").arg(update.method).arg(update.done).arg(update.total));
  update_selection();
  if (!update.final) {
    progress_->setRange(0, update.total);
    progress_->setValue(update.done);
    progress_->setFormat(tr("scoring %1 / %2").arg(update.done).arg(update.total));
  }
}

void CompressPage::on_progress(const JobProgress& p) {
  progress_->setRange(0, static_cast<int>(std::max<qint64>(p.total, 1)));
  progress_->setValue(static_cast<int>(p.done));
  progress_->setFormat(tr("%1 %2 / %3%4").arg(p.stage).arg(p.done).arg(p.total).arg(eta_text(p)));
}

void CompressPage::add_curves(const QVector<QJsonObject>& events, const QString& prefix) {
  // Ordered, so that a chart's curves take their colours in the same order in every session (a QSet's order
  // follows the process's hash seed).
  std::set<QString> losses_changed, metrics_changed, pruning_changed;
  for (const QJsonObject& e : events) {
    const QString kind = e.value(QStringLiteral("kind")).toString();
    if (kind == QStringLiteral("loss") || kind == QStringLiteral("eval") || kind == QStringLiteral("learn"))
      curve_events_.push_back({e, prefix});
    const double step = e.value(wall_time_ ? QStringLiteral("elapsed") : QStringLiteral("step")).toDouble();
    if (kind == QStringLiteral("learn")) { // a learned method's losses while it prunes, against its own steps
      static const QSet<QString> skip{QStringLiteral("step"),
                                      QStringLiteral("time"),
                                      QStringLiteral("elapsed"),
                                      QStringLiteral("learn_step"),
                                      QStringLiteral("macs"),
                                      QStringLiteral("target_macs"),
                                      QStringLiteral("discriminator_macs")};
      const double x = wall_time_ ? step : e.value(QStringLiteral("learn_step")).toDouble();
      for (auto it = e.begin(); it != e.end(); ++it) {
        if (!it.value().isDouble() || skip.contains(it.key())) continue;
        const QString key = prefix + it.key();
        pruning_points_[key].push_back({x, it.value().toDouble()});
        pruning_changed.insert(key);
      }
    } else if (kind == QStringLiteral("loss")) {
      for (auto it = e.begin(); it != e.end(); ++it) {
        if (!it.value().isDouble() || it.key() == QStringLiteral("step") || it.key() == QStringLiteral("time") ||
            it.key() == QStringLiteral("elapsed"))
          continue;
        loss_points_[prefix + it.key()].push_back({step, it.value().toDouble()});
        losses_changed.insert(prefix + it.key());
      }
    } else if (kind == QStringLiteral("eval") &&
               e.value(QStringLiteral("model")).toString() != QStringLiteral("teacher")) {
      const QJsonObject labels = e.value(QStringLiteral("labels")).toObject();
      for (const char* m : {"fd", "precision", "recall", "density", "coverage"}) {
        if (!e.contains(QLatin1String(m))) continue;
        const QString key = prefix + labels.value(QLatin1String(m)).toString(QLatin1String(m));
        metric_points_[key].push_back({step, e.value(QLatin1String(m)).toDouble()});
        (std::string(m) == "fd" ? fd_keys_ : prdc_keys_).insert(key);
        metrics_changed.insert(key);
      }
    }
  }
  for (const QString& k : losses_changed) losses_->set_series(k, loss_points_[k]);
  for (const QString& k : pruning_changed) pruning_->set_series(k, pruning_points_[k]);
  if (!pruning_changed.empty() && pruning_->isHidden()) show_pruning_chart(true);
  for (const QString& k : metrics_changed) (fd_keys_.contains(k) ? fd_ : prdc_)->set_series(k, metric_points_[k]);
  if (share_y_) sync_y_ranges();
}

void CompressPage::sync_y_ranges() {
  const std::vector<widgets::LiveChart*> charts{losses_, fd_, prdc_};
  double lo = INFINITY, hi = -INFINITY;
  for (auto* c : charts) {
    const auto [a, b] = c->data_y_range();
    lo = std::min(lo, a), hi = std::max(hi, b);
  }
  for (auto* c : charts) c->set_y_range(share_y_ && lo < hi ? lo : 0, share_y_ && lo < hi ? hi : 0);
}

void CompressPage::on_events(const QStringList& lines) {
  QVector<QJsonObject> events;
  for (const QString& line : lines) events.push_back(QJsonDocument::fromJson(line.toUtf8()).object());
  add_curves(events, {});
  for (const QJsonObject& e : events) {
    const QString kind = e.value(QStringLiteral("kind")).toString();
    const double step = e.value(QStringLiteral("step")).toDouble();
    if (kind == QStringLiteral("stage")) {
      Q_EMIT status(tr("stage: %1").arg(e.value(QStringLiteral("stage")).toString()));
    } else if (kind == QStringLiteral("loss") && process_job_->running()) {
      progress_->setRange(0, steps_->value());
      progress_->setValue(static_cast<int>(step));
      progress_->setFormat(
          tr("fine-tune %1 / %2 (%3 processes)").arg(step).arg(steps_->value()).arg(processes_->value()));
    } else if (kind == QStringLiteral("scored") && !followed_.isEmpty()) {
      show_plan(followed_ + QStringLiteral("/scores.json"));
    } else if (kind == QStringLiteral("samples") && !followed_.isEmpty()) {
      followed_samples_ = e;
      show_followed_samples();
    }
  }
}

void CompressPage::show_followed_samples() {
  // The job writes teacher rows above student rows (image-to-image: input | teacher | student triplets). The event
  // says which; runs from before it did, by the model loaded, so on_model_ready shows their grid again.
  const QJsonObject& e = followed_samples_;
  const QString png = followed_ + QLatin1Char('/') + e.value(QStringLiteral("path")).toString();
  const QString caption = tr("Step %1 of %2").arg(e.value(QStringLiteral("step")).toDouble()).arg(followed_);
  const QImage grid(png);
  const QString layout = e.value(QStringLiteral("layout")).toString();
  const bool triplets = layout == QLatin1String(jobs::kTripletLayout) || (layout.isEmpty() && model_.image_to_image);
  show_sample_titles(triplets);
  if (triplets) {
    const auto [teacher, student] = widgets::split_triplets(grid, jobs::kTripletColumns);
    samples_->set_images(teacher, student, caption);
  } else {
    samples_->set_images(grid.copy(0, 0, grid.width(), grid.height() / 2 + 1),
                         grid.copy(0, grid.height() / 2, grid.width(), grid.height() - grid.height() / 2), caption);
  }
}

void CompressPage::overlay_run(const QString& run_dir) {
  size_t offset = 0;
  QVector<QJsonObject> events;
  for (const auto& e : jobs::read_events((run_dir + QStringLiteral("/events.jsonl")).toStdString(), offset))
    events.push_back(QJsonDocument::fromJson(QByteArray::fromStdString(e.dump())).object());
  if (events.isEmpty()) {
    Q_EMIT status(tr("%1 holds no events").arg(run_dir));
    return;
  }
  add_curves(events, QFileInfo(run_dir).fileName() + QStringLiteral(": "));
  views_->setCurrentIndex(1);
}

void CompressPage::on_samples(qint64 step, const QImage& teacher, const QImage& student) {
  show_sample_titles(model_.image_to_image);
  samples_->set_images(teacher, student,
                       model_.image_to_image ? tr("Step %1: the same inputs through teacher and student").arg(step)
                                             : tr("Step %1: the same latents through teacher and student").arg(step));
}

void CompressPage::show_sample_titles(bool with_inputs) {
  if (with_inputs)
    samples_->set_titles(tr("Input | teacher"), tr("Input | student"));
  else
    samples_->set_titles(tr("Teacher"), tr("Student"));
}

void CompressPage::on_finished(const QString& what, bool cancelled, const QString& run_dir) {
  set_busy(false);
  progress_->setRange(0, 1);
  progress_->setValue(cancelled ? 0 : 1);
  progress_->setFormat(cancelled ? tr("%1 stopped").arg(what) : tr("%1 done").arg(what));
  if (what == QStringLiteral("compress"))
    Q_EMIT status(cancelled ? tr("Stopped; the run can be resumed: %1").arg(run_dir)
                            : tr("Done: %1/student.pt and report.md").arg(run_dir));
}

void CompressPage::on_failed(const QString& what, const QString& message) {
  set_busy(false);
  progress_->setRange(0, 1);
  progress_->setValue(0);
  progress_->setFormat(tr("%1 failed").arg(what));
  if (what == QStringLiteral("inspect")) {
    model_ = {};
    model_summary_->setText(tr("Not a generator this version can compress: %1").arg(message));
    set_busy(false);
    Q_EMIT model_settled();
    return;
  }
  auto* box = new QMessageBox(QMessageBox::Critical, tr("%1 failed").arg(what), message, QMessageBox::Ok, this);
  box->setObjectName(QStringLiteral("workerErrorDialog"));
  box->setAttribute(Qt::WA_DeleteOnClose);
  box->open();
  Q_EMIT status(tr("%1 failed: %2").arg(what, message));
}

void CompressPage::on_processes_finished(int code, const QString& message) {
  poll_run();
  follow_timer_->stop();
  if (code == 0 || code == 130)
    on_finished(QStringLiteral("compress"), code == 130, run_dir_);
  else
    on_failed(QStringLiteral("compress"), message);
}

void CompressPage::redraw_curves() {
  const auto events = curve_events_;
  clear_curves();
  // Overlays keep their prefixes: replay each run's events under its own.
  for (int i = 0; i < events.size();) {
    QVector<QJsonObject> same;
    const QString prefix = events[i].second;
    for (; i < events.size() && events[i].second == prefix; ++i) same.push_back(events[i].first);
    add_curves(same, prefix);
  }
}

// The pruning chart takes the right half of the top row when a learned method has drawn into it.
void CompressPage::show_pruning_chart(bool on) {
  curves_layout_->addWidget(losses_, 0, 0, 1, on ? 1 : 2);
  pruning_->setVisible(on);
}

void CompressPage::clear_curves() {
  curve_events_.clear();
  loss_points_.clear();
  pruning_points_.clear();
  pruning_->clear();
  show_pruning_chart(false);
  metric_points_.clear();
  fd_keys_.clear();
  prdc_keys_.clear();
  losses_->clear();
  fd_->clear();
  prdc_->clear();
}

void CompressPage::follow_run(const QString& run_dir) {
  followed_ = run_dir;
  followed_samples_ = {};
  run_dir_ = run_dir;
  follow_offset_ = 0;
  clear_curves();
  views_->setCurrentIndex(1);
  show_plan(run_dir + QStringLiteral("/scores.json"));
  show_config(run_dir + QStringLiteral("/config.json"));
  poll_run();
  follow_timer_->start();
  Q_EMIT status(tr("Following %1").arg(run_dir));
}

void CompressPage::show_plan(const QString& path) {
  if (!QFileInfo::exists(path)) return;
  try {
    const prune::Plan plan = prune::load_plan(path.toStdString());
    QVector<widgets::HeatmapRow> rows;
    const QStringList order = model_.arch == QString::fromStdString(plan.arch) ? model_.groups : QStringList();
    for (const auto& [name, scores] : plan.scores) {
      widgets::HeatmapRow r{QString::fromStdString(name), QVector<double>(scores.begin(), scores.end()), {}};
      r.kept = QVector<bool>(r.scores.size(), false);
      for (int64_t c : plan.kept.at(name)) r.kept[static_cast<int>(c)] = true;
      rows.push_back(r);
    }
    if (!order.isEmpty())
      std::stable_sort(rows.begin(), rows.end(),
                       [&](const auto& a, const auto& b) { return order.indexOf(a.group) < order.indexOf(b.group); });
    heatmap_->set_rows(rows);
    heatmap_->set_caption(
        tr("%1 scores of the followed run; shaded = pruned").arg(QString::fromStdString(plan.method)));
  } catch (const std::exception& e) {
    Q_EMIT status(tr("%1: %2").arg(path, QString::fromUtf8(e.what())));
  }
}

// The followed run's settings, so that a user can change one and run again; a run of another model leaves the form as
// it is (its methods and widths may not apply).
void CompressPage::show_config(const QString& path) {
  if (model_.path.isEmpty() || !QFileInfo::exists(path)) return;
  try {
    const jobs::CompressConfig c = jobs::config_from_json(io::parse_json_file(path.toStdString(), "run config"));
    std::error_code ec;
    if (!std::filesystem::equivalent(c.model, model_.path.toStdString(), ec)) {
      Q_EMIT status(
          tr("The followed run compressed %1; the form keeps its settings").arg(QString::fromStdString(c.model)));
      return;
    }
    apply_config(c);
  } catch (const std::exception& e) {
    Q_EMIT status(tr("%1: %2").arg(path, QString::fromUtf8(e.what())));
  }
}

void CompressPage::apply_config(const jobs::CompressConfig& c) {
  choose_method(QString::fromStdString(c.method));
  sparsity_->setValue(static_cast<int>(std::lround(c.selection.sparsity * 100)));
  policy_->setCurrentIndex(policy_->findData(c.selection.policy == prune::Policy::Global ? QStringLiteral("global")
                                                                                         : QStringLiteral("uniform")));
  min_width_->setValue(static_cast<int>(c.selection.min_width));
  overrides_ = c.selection.overrides;
  score_batches_->setValue(static_cast<int>(c.score.batches));
  prune_d_->setChecked(c.learn.prune_discriminator);
  mac_count_->setCurrentIndex(std::max(0, mac_count_->findData(QString::fromStdString(c.learn.mac_count))));
  data_->setText(QString::fromStdString(c.data));
  steps_->setValue(static_cast<int>(c.steps));
  batch_->setValue(static_cast<int>(c.batch));
  lr_->setValue(c.lr);
  pixel_->setValue(c.objectives.pixel);
  relation_->setValue(c.objectives.relation);
  feature_->setValue(c.objectives.feature);
  dgl_alpha_->setValue(c.objectives.dgl_alpha);
  dgl_start_->setValue(static_cast<int>(c.objectives.dgl_start));
  ema_->setValue(c.objectives.ema);
  eval_n_->setValue(static_cast<int>(c.eval_n));
  extractor_->setText(QString::fromStdString(c.extractor));
  device_->setCurrentIndex(std::max(0, device_->findData(QString::fromStdString(c.device))));
  eval_every_->setValue(static_cast<int>(c.eval_every));
}

QString CompressPage::load_config_file(const QString& path) {
  jobs::CompressConfig c;
  try {
    c = jobs::load_config(path.toStdString());
  } catch (const std::exception& e) {
    return QString::fromUtf8(e.what());
  }
  // A relative model path is the CLI's, from where it runs; failing that, from the config's folder.
  QString model = QString::fromStdString(c.model);
  if (QFileInfo(model).isRelative() && !QFileInfo::exists(model)) model = QFileInfo(path).dir().filePath(model);
  if (!QFileInfo::exists(model)) return tr("the config's model %1 does not exist").arg(QString::fromStdString(c.model));
  std::error_code ec;
  if (!model_.path.isEmpty() && std::filesystem::equivalent(model.toStdString(), model_.path.toStdString(), ec)) {
    apply_config(c);
    Q_EMIT status(tr("Settings loaded from %1").arg(path));
  } else {
    pending_config_ = std::make_unique<jobs::CompressConfig>(c);
    pending_model_ = model;
    Q_EMIT status(tr("Opening %1 for the settings of %2").arg(model, path));
    Q_EMIT open_model(model);
  }
  return {};
}

void CompressPage::load_config() {
  const QString path = QFileDialog::getOpenFileName(this, tr("Load Config"), run_dir_, tr("JSON (*.json)"));
  if (path.isEmpty()) return;
  const QString error = load_config_file(path);
  if (!error.isEmpty()) QMessageBox::warning(this, tr("Load Config"), tr("Cannot load %1: %2").arg(path, error));
}

void CompressPage::poll_run() {
  if (followed_.isEmpty()) return;
  QStringList lines;
  for (const auto& e : jobs::read_events((followed_ + QStringLiteral("/events.jsonl")).toStdString(), follow_offset_))
    lines << QString::fromStdString(e.dump());
  if (!lines.isEmpty()) on_events(lines);
}

void CompressPage::save_config() {
  const QString path =
      QFileDialog::getSaveFileName(this, tr("Save Config"), QStringLiteral("run.json"), tr("JSON (*.json)"));
  if (path.isEmpty()) return;
  QFile f(path);
  if (!f.open(QIODevice::WriteOnly) || f.write(QJsonDocument(config()).toJson()) < 0)
    QMessageBox::warning(this, tr("Save Config"), tr("Cannot write %1: %2").arg(path, f.errorString()));
  else
    Q_EMIT status(tr("Saved; run it with: ganstudio-cli compress --config %1 --out runs/NAME").arg(path));
}

void CompressPage::export_student() {
  const QString from = run_dir_ + QStringLiteral("/student.pt");
  if (run_dir_.isEmpty() || !QFileInfo::exists(from)) {
    QMessageBox::information(this, tr("Export Student"), tr("No finished run yet: fine-tune first."));
    return;
  }
  const QString to =
      QFileDialog::getSaveFileName(this, tr("Export Student"), QStringLiteral("student.pt"), tr("Checkpoints (*.pt)"));
  if (to.isEmpty()) return;
  QFile::remove(to);
  if (!QFile::copy(from, to)) QMessageBox::warning(this, tr("Export Student"), tr("Cannot write %1").arg(to));
}

void CompressPage::export_curves() {
  const QString path =
      QFileDialog::getSaveFileName(this, tr("Export Curves"), QStringLiteral("curves.csv"), tr("CSV (*.csv)"));
  if (path.isEmpty()) return;
  QFile f(path);
  if (!f.open(QIODevice::WriteOnly)) return;
  f.write(losses_->to_csv().toUtf8());
  f.write(fd_->to_csv().section('\n', 1).toUtf8());
  f.write(prdc_->to_csv().section('\n', 1).toUtf8());
  if (!pruning_->series_names().isEmpty()) f.write(pruning_->to_csv().section('\n', 1).toUtf8());
}

} // namespace gs::gui
