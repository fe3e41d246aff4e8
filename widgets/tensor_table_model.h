// The rows of the Tensors tab: one per tensor of a checkpoint, read-only.
#pragma once
#include "widgets/checkpoint_view.h"

#include <QAbstractTableModel>

namespace gs::widgets {

class TensorTableModel : public QAbstractTableModel {
  Q_OBJECT

public:
  enum Column { NameColumn, DtypeColumn, ShapeColumn, ElementsColumn, LayoutColumn, ColumnCount };
  // Numbers for numeric columns, text elsewhere: what the proxy sorts by (display text would sort "10" before "9").
  static constexpr int SortRole = Qt::UserRole + 1;

  explicit TensorTableModel(QObject* parent = nullptr);

  void set_rows(QVector<TensorRow> rows);
  const QVector<TensorRow>& rows() const { return rows_; }

  int rowCount(const QModelIndex& parent = {}) const override;
  int columnCount(const QModelIndex& parent = {}) const override;
  QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
  QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
  QVector<TensorRow> rows_;
};

} // namespace gs::widgets
