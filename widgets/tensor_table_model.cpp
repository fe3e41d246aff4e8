#include "widgets/tensor_table_model.h"

#include "widgets/number_format.h"

#include <QBrush>
#include <QGuiApplication>
#include <QPalette>

namespace gs::widgets {

TensorTableModel::TensorTableModel(QObject* parent) : QAbstractTableModel(parent) {}

void TensorTableModel::set_rows(QVector<TensorRow> rows) {
  beginResetModel();
  rows_ = std::move(rows);
  endResetModel();
}

int TensorTableModel::rowCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : rows_.size();
}

int TensorTableModel::columnCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : ColumnCount;
}

namespace {

// Rank first, then each dimension, zero-padded so that plain string order is numeric order.
QString shape_sort_key(const QVector<qint64>& shape) {
  QString key = QString::number(shape.size()).rightJustified(2, QLatin1Char('0'));
  for (qint64 d : shape) key += QLatin1Char(':') + QString::number(d).rightJustified(19, QLatin1Char('0'));
  return key;
}

} // namespace

QVariant TensorTableModel::data(const QModelIndex& index, int role) const {
  if (!index.isValid() || index.row() >= rows_.size()) return {};
  const TensorRow& row = rows_[index.row()];
  const int column = index.column();

  if (role == Qt::DisplayRole) {
    switch (column) {
    case NameColumn:
      return row.name;
    case DtypeColumn:
      return row.dtype;
    case ShapeColumn:
      return format_shape(row.shape);
    case ElementsColumn:
      return format_count(row.elements);
    case LayoutColumn:
      return row.contiguous ? tr("contiguous") : tr("strided view");
    }
  } else if (role == SortRole) {
    switch (column) {
    case ShapeColumn:
      return shape_sort_key(row.shape);
    case ElementsColumn:
      return row.elements;
    default:
      return data(index, Qt::DisplayRole);
    }
  } else if (role == Qt::ToolTipRole) {
    switch (column) {
    case NameColumn:
      return row.name;
    case ElementsColumn:
      return tr("%1 elements, %2 stored").arg(format_exact(row.elements), format_bytes(row.bytes));
    case LayoutColumn:
      return row.contiguous ? tr("Stored densely in row-major order")
                            : tr("A view into a larger storage (strides differ from the dense layout)");
    }
  } else if (role == Qt::TextAlignmentRole) {
    if (column == ElementsColumn) return QVariant(Qt::AlignRight | Qt::AlignVCenter);
  } else if (role == Qt::ForegroundRole) {
    // Views are worth noticing (they keep a larger storage alive) without shouting.
    if (column == LayoutColumn && row.contiguous) return QGuiApplication::palette().brush(QPalette::PlaceholderText);
  }
  return {};
}

QVariant TensorTableModel::headerData(int section, Qt::Orientation orientation, int role) const {
  if (orientation != Qt::Horizontal) return QAbstractTableModel::headerData(section, orientation, role);
  if (role == Qt::DisplayRole) {
    switch (section) {
    case NameColumn:
      return tr("Name");
    case DtypeColumn:
      return tr("Data type");
    case ShapeColumn:
      return tr("Shape");
    case ElementsColumn:
      return tr("Elements");
    case LayoutColumn:
      return tr("Layout");
    }
  } else if (role == Qt::TextAlignmentRole && section == ElementsColumn) {
    return QVariant(Qt::AlignRight | Qt::AlignVCenter);
  }
  return {};
}

} // namespace gs::widgets
