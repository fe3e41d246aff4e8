// The main window: Model panel on the left, Compress/Tensors/Records tabs in the middle, Log at the bottom; checkpoints
// are read on a background thread and the window only ever shows the newest one asked for.
#pragma once
#include "widgets/checkpoint_view.h"

#include <QMainWindow>
#include <memory>

class QAction;
class QDockWidget;
class QMenu;
class QMessageBox;
class QProgressBar;
class QTabWidget;

namespace gs::widgets {
class LogPane;
class GuidePanel;
class ModelPanel;
class RecordTree;
class TensorBrowser;
} // namespace gs::widgets

namespace gs::gui {

class CheckpointLoader;
class CompressPage;
class QtLogSink;
class RecentFiles;

class MainWindow : public QMainWindow {
  Q_OBJECT

public:
  explicit MainWindow(QWidget* parent = nullptr);
  ~MainWindow() override;

  // Reads `path` in the background; the current content stays until the new one has loaded.
  void open_checkpoint(const QString& path);
  bool loading() const;
  // Shows the Compress tab following a run directory (curves, newest samples, its heatmap).
  void follow_run(const QString& run_dir);
  // Opens the guided tour at its first step.
  void show_guide();
  // The checkpoint on screen (empty before the first successful load).
  QString current_path() const { return current_.path; }

Q_SIGNALS:
  void checkpoint_loaded(const QString& path);
  void checkpoint_failed(const QString& path, const QString& reason);
  // After checkpoint_loaded: the Compress page has recognised the model or said why it cannot compress it.
  void model_settled();

protected:
  void closeEvent(QCloseEvent* event) override;
  void dragEnterEvent(QDragEnterEvent* event) override;
  void dropEvent(QDropEvent* event) override;

private:
  void create_central();
  void create_docks();
  void create_menus();
  void create_status_bar();
  void restore_settings();
  void save_settings() const;

  void choose_checkpoint();
  void fill_recent_menu();
  void show_about();
  void guide_action(int step);
  void show_checkpoint(const widgets::CheckpointView& view, qint64 elapsed_ms);
  void show_error(const QString& path, const QString& reason);
  void set_busy(bool busy);
  void update_title();

  CheckpointLoader* loader_;
  std::unique_ptr<RecentFiles> recent_;
  std::shared_ptr<QtLogSink> log_sink_;
  widgets::CheckpointView current_;

  QTabWidget* tabs_ = nullptr;
  CompressPage* compress_ = nullptr;
  widgets::TensorBrowser* tensors_ = nullptr;
  widgets::RecordTree* records_ = nullptr;
  widgets::ModelPanel* model_panel_ = nullptr;
  widgets::LogPane* log_pane_ = nullptr;
  widgets::GuidePanel* guide_ = nullptr;
  QDockWidget* guide_dock_ = nullptr;
  QDockWidget* model_dock_ = nullptr;
  QDockWidget* log_dock_ = nullptr;
  QMenu* recent_menu_ = nullptr;
  QProgressBar* progress_ = nullptr;
  QMessageBox* error_dialog_ = nullptr;
};

} // namespace gs::gui
