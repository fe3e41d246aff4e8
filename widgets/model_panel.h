// The "Model" side panel: what the open checkpoint is (file, format, totals, top-level keys, per-part sizes), or how
// to open one when none is.
#pragma once
#include "widgets/checkpoint_view.h"

#include <QWidget>

class QFormLayout;
class QLabel;
class QStackedWidget;
class QTableWidget;

namespace gs::widgets {

class ModelPanel : public QWidget {
  Q_OBJECT

public:
  explicit ModelPanel(QWidget* parent = nullptr);

  void set_checkpoint(const CheckpointView& view);
  void clear();

private:
  QLabel* add_row(QFormLayout* form, const QString& label, const char* object_name);
  void set_keys(const QStringList& keys);
  void fill_parts(const QVector<PartRow>& parts);

  QStackedWidget* pages_;
  QLabel* file_;
  QLabel* format_;
  QLabel* root_;
  QLabel* tensors_;
  QLabel* parameters_;
  QLabel* size_;
  QLabel* keys_;
  QLabel* parts_title_;
  QTableWidget* parts_;
};

} // namespace gs::widgets
