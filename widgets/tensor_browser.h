// The Tensors tab: a filter line above a sortable table of every tensor, with a count of what the filter shows.
#pragma once
#include "widgets/checkpoint_view.h"

#include <QWidget>

class QLabel;
class QLineEdit;
class QTableView;

namespace gs::widgets {

class TensorSortProxy;
class TensorTableModel;

class TensorBrowser : public QWidget {
  Q_OBJECT

public:
  explicit TensorBrowser(QWidget* parent = nullptr);

  void set_tensors(QVector<TensorRow> rows);
  // Puts the cursor in the filter (the window binds this to Ctrl+F).
  void focus_filter();

  QTableView* table() const { return table_; }
  QLineEdit* filter() const { return filter_; }

private:
  void update_count();

  TensorTableModel* model_;
  TensorSortProxy* proxy_;
  QLineEdit* filter_;
  QLabel* count_;
  QTableView* table_;
};

} // namespace gs::widgets
